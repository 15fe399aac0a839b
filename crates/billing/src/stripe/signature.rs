//! Stripe's webhook signature: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...]`,
//! each `v1` an HMAC-SHA256 of `"{t}.{raw body}"` keyed with the endpoint's
//! secret. Pure, so the clock is a parameter.
//!
//! Why not `stripe_webhook::Webhook::construct_event`: it verifies and then
//! parses the whole event into the SDK's types for its pinned API version,
//! so an authentic event whose object carries a field the SDK does not
//! expect (or lacks one it requires) is refused, Stripe retries it for three
//! days and the subscription never changes. Verifying the bytes alone and
//! reading only the fields billing needs keeps authentic events accepted
//! across API versions. The tests check this implementation against the
//! SDK's own header generator.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far a signature's timestamp may be from now, either way (Stripe's
/// default): a captured request cannot be replayed later.
pub const TOLERANCE_SECS: i64 = 300;

/// Why a signature was refused. The text is safe to show the sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No `Stripe-Signature` header.
    #[error("the Stripe-Signature header is missing")]
    Missing,
    /// Not `t=...,v1=...`.
    #[error("the Stripe-Signature header is malformed")]
    Malformed,
    /// No `v1` signature matches the body.
    #[error("no v1 signature matches the body")]
    Mismatch,
    /// The timestamp is outside the tolerance.
    #[error("the signature's timestamp is too far from now")]
    Stale,
}

/// Checks `header` against the raw `payload` with `secret` at `now` (unix
/// seconds); returns the signed timestamp.
pub fn verify(
    payload: &[u8],
    header: Option<&str>,
    secret: &[u8],
    now: i64,
) -> Result<i64, SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let mut timestamp = None;
    let mut candidates = Vec::new();
    for part in header.split(',') {
        let (key, value) = part
            .trim()
            .split_once('=')
            .ok_or(SignatureError::Malformed)?;
        match key {
            "t" if timestamp.is_none() => {
                timestamp = Some(
                    value
                        .parse::<i64>()
                        .map_err(|_| SignatureError::Malformed)?,
                );
            }
            "t" => return Err(SignatureError::Malformed),
            "v1" => candidates.push(value),
            // Other schemes (`v0`, Stripe's test-mode scheme) are not proof.
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if candidates.is_empty() {
        return Err(SignatureError::Malformed);
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).map_err(|_| SignatureError::Mismatch)?;
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    // `verify_slice` compares in constant time.
    let matches = candidates.iter().any(|candidate| {
        hex::decode(candidate).is_ok_and(|bytes| mac.clone().verify_slice(&bytes).is_ok())
    });
    if !matches {
        return Err(SignatureError::Mismatch);
    }
    if (now - timestamp).abs() > TOLERANCE_SECS {
        return Err(SignatureError::Stale);
    }
    Ok(timestamp)
}

/// A `Stripe-Signature` header for `payload` at `timestamp`, as Stripe
/// writes it: for tests and for the fake in the black-box suite.
pub fn sign(payload: &[u8], secret: &[u8], timestamp: i64) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_0123456789abcdef";
    const BODY: &str = r#"{"id":"evt_1","type":"invoice.paid"}"#;
    const NOW: i64 = 1_790_000_000;

    fn check(header: &str, body: &str, now: i64) -> Result<i64, SignatureError> {
        verify(body.as_bytes(), Some(header), SECRET.as_bytes(), now)
    }

    #[test]
    fn a_signature_made_by_stripes_sdk_verifies() {
        let header = stripe_webhook::Webhook::generate_test_header(BODY, SECRET, Some(NOW));
        assert_eq!(check(&header, BODY, NOW), Ok(NOW));
        assert_eq!(sign(BODY.as_bytes(), SECRET.as_bytes(), NOW), header);
    }

    #[test]
    fn any_one_of_several_v1_signatures_is_enough() {
        let good = sign(BODY.as_bytes(), SECRET.as_bytes(), NOW);
        let v1 = good.split_once(",v1=").map(|(_, v)| v).unwrap_or_default();
        let rolled = format!("t={NOW},v1={},v1={v1},v0=abcd", "00".repeat(32));
        assert_eq!(check(&rolled, BODY, NOW), Ok(NOW));
        let none_good = format!("t={NOW},v1={},v1=zz", "00".repeat(32));
        assert_eq!(check(&none_good, BODY, NOW), Err(SignatureError::Mismatch));
    }

    #[test]
    fn a_tampered_body_or_another_secret_fails() {
        let good = sign(BODY.as_bytes(), SECRET.as_bytes(), NOW);
        let tampered = BODY.replace("invoice.paid", "invoice.payment_failed");
        assert_eq!(check(&good, &tampered, NOW), Err(SignatureError::Mismatch));
        let other = sign(BODY.as_bytes(), b"whsec_another_secret_000", NOW);
        assert_eq!(check(&other, BODY, NOW), Err(SignatureError::Mismatch));
        // The timestamp is signed too: moving it breaks the signature.
        let moved = good.replace(&format!("t={NOW}"), &format!("t={}", NOW + 1));
        assert_eq!(check(&moved, BODY, NOW), Err(SignatureError::Mismatch));
    }

    #[test]
    fn timestamps_outside_five_minutes_are_stale() {
        let good = sign(BODY.as_bytes(), SECRET.as_bytes(), NOW);
        assert_eq!(check(&good, BODY, NOW + TOLERANCE_SECS), Ok(NOW));
        assert_eq!(check(&good, BODY, NOW - TOLERANCE_SECS), Ok(NOW));
        assert_eq!(
            check(&good, BODY, NOW + TOLERANCE_SECS + 1),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            check(&good, BODY, NOW - TOLERANCE_SECS - 1),
            Err(SignatureError::Stale)
        );
    }

    #[test]
    fn malformed_headers_are_refused() {
        for header in [
            "",
            "t=1",
            "v1=abcd",
            "t=x,v1=abcd",
            "t=1,t=2,v1=ab",
            "garbage",
        ] {
            assert_eq!(
                check(header, BODY, NOW),
                Err(SignatureError::Malformed),
                "{header:?}"
            );
        }
        assert_eq!(
            verify(BODY.as_bytes(), None, SECRET.as_bytes(), NOW),
            Err(SignatureError::Missing)
        );
    }
}
