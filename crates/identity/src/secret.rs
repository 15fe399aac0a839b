//! Opaque secrets handed to clients (refresh tokens, link tokens, OTP codes)
//! and the hashes we keep of them.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A fresh 256-bit random token, URL-safe.
pub fn new_token() -> String {
    let mut bytes = [0_u8; 32];
    rand::fill(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The hex SHA-256 of a token: what the database stores. A fast hash is right
/// here: the tokens carry 256 bits of entropy, so there is nothing to brute-force.
pub fn hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A six-digit code, uniformly random.
pub fn new_code() -> String {
    format!("{:06}", rand::random_range(0..1_000_000_u32))
}

/// The stored form of a phone code, bound to the phone it was sent to.
pub fn code_hash(phone: &str, code: &str) -> String {
    hash(&format!("{phone}:{code}"))
}

/// Compares two hashes without leaking where they differ.
pub fn same(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_hash_stably() {
        let (a, b) = (new_token(), new_token());
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
        assert_eq!(hash(&a), hash(&a));
        assert_eq!(hash(&a).len(), 64);
        assert!(same(&hash(&a), &hash(&a)));
        assert!(!same(&hash(&a), &hash(&b)));
    }

    #[test]
    fn codes_have_six_digits() {
        for _ in 0..100 {
            let code = new_code();
            assert_eq!(code.len(), 6);
            assert!(code.bytes().all(|b| b.is_ascii_digit()));
        }
        assert_ne!(
            code_hash("+351912345678", "123456"),
            code_hash("+351912345679", "123456")
        );
    }
}
