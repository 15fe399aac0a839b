//! Signed links: a file id and an expiry, signed with the server's key, open
//! that file to whoever holds the link until it expires.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretSlice};
use sha2::Sha256;

use crate::ids::FileId;

type HmacSha256 = Hmac<Sha256>;

/// Signs and checks links: HMAC-SHA256 over the file id and the expiry
/// (Unix seconds), compared in constant time.
#[derive(Clone)]
pub struct LinkSigner {
    key: SecretSlice<u8>,
}

impl std::fmt::Debug for LinkSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkSigner")
    }
}

impl LinkSigner {
    /// Signs with `key`.
    pub fn new(key: SecretSlice<u8>) -> Self {
        Self { key }
    }

    /// A random 32-byte key: links die with the process.
    pub fn random_key() -> SecretSlice<u8> {
        let mut key = vec![0_u8; 32];
        rand::fill(&mut key[..]);
        key.into()
    }

    fn mac(&self, file: FileId, expires: i64) -> HmacSha256 {
        // Any key length is valid for HMAC; `new_from_slice` cannot fail.
        let mut mac = match HmacSha256::new_from_slice(self.key.expose_secret()) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC takes keys of any length"),
        };
        mac.update(b"trellis.file-link.v1\0");
        mac.update(file.0.as_bytes());
        mac.update(&expires.to_be_bytes());
        mac
    }

    /// The signature of a link to `file` that works until `expires`.
    pub fn sign(&self, file: FileId, expires: i64) -> String {
        URL_SAFE_NO_PAD.encode(self.mac(file, expires).finalize().into_bytes())
    }

    /// Whether `signature` is this key's for `file` and `expires`.
    pub fn verify(&self, file: FileId, expires: i64, signature: &str) -> bool {
        let Ok(given) = URL_SAFE_NO_PAD.decode(signature.as_bytes()) else {
            return false;
        };
        self.mac(file, expires).verify_slice(&given).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_holds_for_its_file_and_expiry_only() {
        let signer = LinkSigner::new(b"0123456789abcdef0123456789abcdef".to_vec().into());
        let file = FileId::new();
        let sig = signer.sign(file, 1_900_000_000);
        assert!(signer.verify(file, 1_900_000_000, &sig));
        assert!(!signer.verify(file, 1_900_000_001, &sig));
        assert!(!signer.verify(FileId::new(), 1_900_000_000, &sig));
        assert!(!signer.verify(file, 1_900_000_000, "not base64!"));
        assert!(!signer.verify(file, 1_900_000_000, ""));
        let mut tampered = sig.clone().into_bytes();
        tampered[0] = if tampered[0] == b'A' { b'B' } else { b'A' };
        assert!(!signer.verify(
            file,
            1_900_000_000,
            &String::from_utf8(tampered).unwrap_or_default()
        ));
        // Another key's signature is worthless.
        let other = LinkSigner::new(LinkSigner::random_key());
        assert!(!other.verify(file, 1_900_000_000, &sig));
    }
}
