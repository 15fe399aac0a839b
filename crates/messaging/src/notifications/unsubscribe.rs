//! Unsubscribe tokens: what a marketing-grade email's link carries, so the
//! person can turn that kind off on that channel without signing in.
//!
//! A token is `<payload>.<mac>`, both base64url: the payload names the
//! subject (`user:<id>`, `email:<address>`), the kind and the channel; the
//! mac is HMAC-SHA256 under the server's key. Tokens do not expire: an
//! unsubscribe link in an old email must keep working.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretSlice};
use sha2::Sha256;
use trellis_kernel::notify::{ChannelKind, NotificationKind};

type HmacSha256 = Hmac<Sha256>;

/// What an unsubscribe token turns off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsubscribe {
    /// Whose preference (`user:<id>`, `email:<address>`, `phone:<e164>`).
    pub subject: String,
    /// The kind.
    pub kind: NotificationKind,
    /// The channel.
    pub channel: ChannelKind,
}

/// Signs and checks unsubscribe tokens.
pub struct UnsubscribeSigner {
    key: SecretSlice<u8>,
}

impl std::fmt::Debug for UnsubscribeSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UnsubscribeSigner")
    }
}

impl UnsubscribeSigner {
    /// Signs with `key`.
    pub fn new(key: SecretSlice<u8>) -> Self {
        Self { key }
    }

    fn mac(&self, payload: &[u8]) -> HmacSha256 {
        // Any key length is valid for HMAC; `new_from_slice` cannot fail.
        let mut mac = match HmacSha256::new_from_slice(self.key.expose_secret()) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC takes keys of any length"),
        };
        mac.update(b"trellis.unsubscribe.v1\0");
        mac.update(payload);
        mac
    }

    /// The token for `what`.
    pub fn sign(&self, what: &Unsubscribe) -> String {
        let payload = format!(
            "{}\n{}\n{}",
            what.kind.as_str(),
            what.channel.as_str(),
            what.subject
        );
        let mac = self.mac(payload.as_bytes()).finalize().into_bytes();
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(payload),
            URL_SAFE_NO_PAD.encode(mac)
        )
    }

    /// What `token` turns off, if it is one of ours.
    pub fn verify(&self, token: &str) -> Option<Unsubscribe> {
        let (payload, mac) = token.trim().split_once('.')?;
        let payload = URL_SAFE_NO_PAD.decode(payload).ok()?;
        let mac = URL_SAFE_NO_PAD.decode(mac).ok()?;
        self.mac(&payload).verify_slice(&mac).ok()?;
        let payload = String::from_utf8(payload).ok()?;
        let mut parts = payload.splitn(3, '\n');
        let kind = NotificationKind::parse(parts.next()?)?;
        let channel = ChannelKind::parse(parts.next()?)?;
        let subject = parts.next()?.to_string();
        Some(Unsubscribe {
            subject,
            kind,
            channel,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer(key: &[u8]) -> UnsubscribeSigner {
        UnsubscribeSigner::new(key.to_vec().into())
    }

    #[test]
    fn a_token_names_what_it_turns_off_and_cannot_be_forged() {
        let what = Unsubscribe {
            subject: "email:ana@example.com".into(),
            kind: NotificationKind::ReviewRequest,
            channel: ChannelKind::Email,
        };
        let token = signer(b"k1").sign(&what);
        assert_eq!(signer(b"k1").verify(&token), Some(what.clone()));
        assert_eq!(signer(b"k2").verify(&token), None, "another key");

        let (_, mac) = token.split_once('.').unwrap_or_default();
        let forged = format!(
            "{}.{mac}",
            URL_SAFE_NO_PAD.encode("new_message\nemail\nemail:ana@example.com")
        );
        assert_eq!(signer(b"k1").verify(&forged), None, "payload swapped");
        for junk in ["", ".", "abc", "a.b.c", &token[1..]] {
            assert_eq!(signer(b"k1").verify(junk), None, "{junk:?}");
        }
    }
}
