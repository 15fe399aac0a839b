//! Envelope encryption, without I/O.
//!
//! - A [`KeyRing`] holds the master keys (`VAULT_MASTER_KEYS`): named
//!   256-bit keys, the first one active. They never touch the database.
//! - Each organization has a random 256-bit [`DataKey`], stored only
//!   *wrapped*: encrypted under a master key, next to that key's id
//!   ([`KeyRing::wrap`], [`KeyRing::unwrap`]).
//! - Secrets are encrypted under the organization's data key
//!   ([`DataKey::seal`], [`DataKey::open`]).
//!
//! Every encryption is AES-256-GCM (RustCrypto's `aes-gcm`) with a fresh
//! random 96-bit nonce, stored as `nonce ‖ ciphertext ‖ tag`. The associated
//! data binds a ciphertext to where it belongs ([`SealedFor`]: organization,
//! credential, version and field; a wrapped key to its organization and
//! master key id), so a ciphertext copied into another row, another field or
//! another organization fails authentication instead of decrypting.
//!
//! Key bytes live in `secrecy` boxes (wiped on drop, `[REDACTED]` in
//! `Debug`); plaintext comes back as [`Zeroizing`] buffers; the ciphers'
//! key schedules are wiped on drop (`aes-gcm`'s `zeroize` feature).

use std::fmt;

use aes_gcm::{
    Aes256Gcm, KeyInit, Nonce,
    aead::{Aead, Payload},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use secrecy::{ExposeSecret, SecretBox};
use trellis_kernel::id::OrgId;
use uuid::Uuid;
use zeroize::{Zeroize, Zeroizing};

/// Bytes in a key (AES-256).
pub const KEY_LEN: usize = 32;
/// Bytes in a nonce (96 bits, GCM's native size).
pub const NONCE_LEN: usize = 12;
/// Bytes in a GCM tag.
pub const TAG_LEN: usize = 16;
/// The longest master key id.
pub const MAX_KEY_ID_LEN: usize = 32;

/// Why a key ring could not be built or a ciphertext not opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// The key ring has no key.
    #[error("no master key")]
    NoKeys,
    /// An entry of `VAULT_MASTER_KEYS` is not `id:base64`.
    #[error("entry {0} is not `id:base64-of-32-bytes`")]
    BadEntry(usize),
    /// A key id is used twice.
    #[error("key id {0:?} appears twice")]
    DuplicateId(String),
    /// A key id is empty, too long or not `[A-Za-z0-9_.-]`.
    #[error("key id {0:?} must be 1 to 32 of A-Z a-z 0-9 _ . -")]
    BadId(String),
    /// A wrapped data key names a master key the ring does not hold.
    #[error("master key {0:?} is not configured")]
    UnknownKey(String),
    /// Authentication failed: the ciphertext, its nonce or its associated
    /// data (the row it is read from) was changed, or the key is wrong.
    #[error("ciphertext failed authentication")]
    Integrity,
}

/// A master key: its id and 32 secret bytes.
pub struct MasterKey {
    id: String,
    key: SecretBox<[u8; KEY_LEN]>,
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MasterKey")
            .field("id", &self.id)
            .field("key", &"[REDACTED]")
            .finish()
    }
}

impl MasterKey {
    /// A master key from its id and bytes.
    pub fn new(id: impl Into<String>, key: SecretBox<[u8; KEY_LEN]>) -> Result<Self, CryptoError> {
        let id = id.into();
        let valid = !id.is_empty()
            && id.len() <= MAX_KEY_ID_LEN
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
        if !valid {
            return Err(CryptoError::BadId(id));
        }
        Ok(Self { id, key })
    }

    /// A new random key named `id`.
    pub fn generate(id: impl Into<String>) -> Result<Self, CryptoError> {
        Self::new(id, random_key())
    }

    /// Its id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// `id:base64`, the form `VAULT_MASTER_KEYS` takes (a secret: wiped on drop).
    pub fn to_entry(&self) -> Zeroizing<String> {
        Zeroizing::new(format!(
            "{}:{}",
            self.id,
            STANDARD.encode(self.key.expose_secret())
        ))
    }
}

/// The master keys, the first one active: new data keys are wrapped under
/// it, and rotation re-wraps the others' under it.
#[derive(Debug)]
pub struct KeyRing {
    keys: Vec<MasterKey>,
}

impl KeyRing {
    /// A ring of `keys`, the first active; ids must be distinct.
    pub fn new(keys: Vec<MasterKey>) -> Result<Self, CryptoError> {
        if keys.is_empty() {
            return Err(CryptoError::NoKeys);
        }
        for (i, key) in keys.iter().enumerate() {
            if keys[..i].iter().any(|k| k.id == key.id) {
                return Err(CryptoError::DuplicateId(key.id.clone()));
            }
        }
        Ok(Self { keys })
    }

    /// Parses `id:base64,id:base64` (standard base64 of 32 bytes each; blanks
    /// around entries ignored). The input should be wiped by the caller.
    pub fn parse(spec: &str) -> Result<Self, CryptoError> {
        let mut keys = Vec::new();
        for (i, entry) in spec
            .split([',', '\n'])
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .enumerate()
        {
            let (id, encoded) = entry.split_once(':').ok_or(CryptoError::BadEntry(i + 1))?;
            let mut bytes = Zeroizing::new(
                STANDARD
                    .decode(encoded.trim())
                    .map_err(|_| CryptoError::BadEntry(i + 1))?,
            );
            if bytes.len() != KEY_LEN {
                return Err(CryptoError::BadEntry(i + 1));
            }
            let mut key = Box::new([0u8; KEY_LEN]);
            key.copy_from_slice(&bytes);
            bytes.zeroize();
            keys.push(MasterKey::new(id.trim(), SecretBox::new(key))?);
        }
        Self::new(keys)
    }

    /// The active key's id.
    pub fn active_id(&self) -> &str {
        &self.keys[0].id
    }

    /// Every key id, the active one first.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|k| k.id.as_str())
    }

    fn key(&self, id: &str) -> Result<&MasterKey, CryptoError> {
        self.keys
            .iter()
            .find(|k| k.id == id)
            .ok_or_else(|| CryptoError::UnknownKey(id.to_string()))
    }

    /// Wraps an organization's data key under the active master key:
    /// the active key's id and `nonce ‖ ciphertext ‖ tag`.
    pub fn wrap(&self, org: OrgId, data_key: &DataKey) -> Result<(String, Vec<u8>), CryptoError> {
        let master = &self.keys[0];
        let aad = wrap_aad(org, &master.id);
        let sealed = seal(master.key.expose_secret(), &aad, data_key.0.expose_secret())?;
        Ok((master.id.clone(), sealed))
    }

    /// Unwraps an organization's data key wrapped under master key `key_id`.
    pub fn unwrap(&self, org: OrgId, key_id: &str, wrapped: &[u8]) -> Result<DataKey, CryptoError> {
        let master = self.key(key_id)?;
        let plain = open(master.key.expose_secret(), &wrap_aad(org, key_id), wrapped)?;
        if plain.len() != KEY_LEN {
            return Err(CryptoError::Integrity);
        }
        let mut key = Box::new([0u8; KEY_LEN]);
        key.copy_from_slice(&plain);
        Ok(DataKey(SecretBox::new(key)))
    }
}

/// An organization's data key, in the clear only in memory (wiped on drop).
pub struct DataKey(SecretBox<[u8; KEY_LEN]>);

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey([REDACTED])")
    }
}

impl DataKey {
    /// A new random data key.
    pub fn generate() -> Self {
        Self(random_key())
    }

    /// Encrypts `plaintext` for the place `sealed_for` names.
    pub fn seal(&self, sealed_for: &SealedFor, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        seal(self.0.expose_secret(), &sealed_for.aad(), plaintext)
    }

    /// Decrypts what [`DataKey::seal`] made for the same place; anything
    /// else (another row's ciphertext, a changed byte) is
    /// [`CryptoError::Integrity`].
    pub fn open(
        &self,
        sealed_for: &SealedFor,
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        open(self.0.expose_secret(), &sealed_for.aad(), sealed)
    }
}

/// Which field of a credential version a ciphertext holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The secret itself.
    Secret,
    /// The notes.
    Notes,
}

/// Where a ciphertext belongs: its associated data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SealedFor {
    /// The organization.
    pub org: OrgId,
    /// The credential.
    pub credential: Uuid,
    /// The version (1, 2, ...).
    pub version: i32,
    /// Which field.
    pub field: Field,
}

impl SealedFor {
    fn aad(&self) -> Vec<u8> {
        let field = match self.field {
            Field::Secret => "secret",
            Field::Notes => "notes",
        };
        format!(
            "trellis-vault/v1/{field}/org={}/credential={}/version={}",
            self.org, self.credential, self.version
        )
        .into_bytes()
    }
}

fn wrap_aad(org: OrgId, key_id: &str) -> Vec<u8> {
    format!("trellis-vault/v1/data-key/org={org}/master={key_id}").into_bytes()
}

fn random_key() -> SecretBox<[u8; KEY_LEN]> {
    let mut key = Box::new([0u8; KEY_LEN]);
    rand::fill(&mut key[..]);
    SecretBox::new(key)
}

fn seal(key: &[u8; KEY_LEN], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let cipher = Aes256Gcm::new(key.into());
    let mut nonce = [0u8; NONCE_LEN];
    rand::fill(&mut nonce[..]);
    let ciphertext = cipher
        .encrypt(
            &Nonce::from(nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        // Only a message longer than GCM's 64 GiB limit fails.
        .map_err(|_| CryptoError::Integrity)?;
    let mut out = Vec::with_capacity(NONCE_LEN + ciphertext.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ciphertext);
    Ok(out)
}

fn open(key: &[u8; KEY_LEN], aad: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    if sealed.len() < NONCE_LEN + TAG_LEN {
        return Err(CryptoError::Integrity);
    }
    let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
    let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| CryptoError::Integrity)?;
    let cipher = Aes256Gcm::new(key.into());
    cipher
        .decrypt(
            &Nonce::from(nonce),
            Payload {
                msg: ciphertext,
                aad,
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| CryptoError::Integrity)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ring(entries: &[&MasterKey]) -> KeyRing {
        let spec: Vec<String> = entries.iter().map(|k| k.to_entry().to_string()).collect();
        KeyRing::parse(&spec.join(",")).unwrap()
    }

    fn place(org: OrgId, credential: Uuid, version: i32) -> SealedFor {
        SealedFor {
            org,
            credential,
            version,
            field: Field::Secret,
        }
    }

    #[test]
    fn a_secret_round_trips_and_each_encryption_has_its_own_nonce() {
        let key = DataKey::generate();
        let at = place(OrgId::new(), Uuid::now_v7(), 1);
        let a = key.seal(&at, b"hunter2").unwrap();
        let b = key.seal(&at, b"hunter2").unwrap();
        assert_ne!(a[..NONCE_LEN], b[..NONCE_LEN]);
        assert_ne!(a, b);
        assert_eq!(a.len(), NONCE_LEN + 7 + TAG_LEN);
        assert!(!a.windows(7).any(|w| w == b"hunter2"));
        assert_eq!(&key.open(&at, &a).unwrap()[..], b"hunter2");
        assert_eq!(&key.open(&at, &b).unwrap()[..], b"hunter2");
    }

    #[test]
    fn a_ciphertext_opens_only_where_it_was_sealed() {
        let key = DataKey::generate();
        let at = place(OrgId::new(), Uuid::now_v7(), 3);
        let sealed = key.seal(&at, b"s3cret").unwrap();
        for elsewhere in [
            SealedFor { version: 2, ..at },
            SealedFor {
                credential: Uuid::now_v7(),
                ..at
            },
            SealedFor {
                org: OrgId::new(),
                ..at
            },
            SealedFor {
                field: Field::Notes,
                ..at
            },
        ] {
            assert_eq!(key.open(&elsewhere, &sealed), Err(CryptoError::Integrity));
        }
        assert_eq!(
            DataKey::generate().open(&at, &sealed),
            Err(CryptoError::Integrity)
        );
    }

    #[test]
    fn any_changed_byte_or_truncation_fails_authentication() {
        let key = DataKey::generate();
        let at = place(OrgId::new(), Uuid::now_v7(), 1);
        let sealed = key.seal(&at, b"correct horse").unwrap();
        for i in 0..sealed.len() {
            let mut tampered = sealed.clone();
            tampered[i] ^= 0x01;
            assert_eq!(key.open(&at, &tampered), Err(CryptoError::Integrity), "{i}");
        }
        assert_eq!(
            key.open(&at, &sealed[..NONCE_LEN + TAG_LEN - 1]),
            Err(CryptoError::Integrity)
        );
        assert_eq!(key.open(&at, &[]), Err(CryptoError::Integrity));
    }

    #[test]
    fn data_keys_wrap_under_the_active_key_and_rewrap_after_rotation() {
        let (old, new) = (
            MasterKey::generate("k1").unwrap(),
            MasterKey::generate("k2").unwrap(),
        );
        let org = OrgId::new();
        let data_key = DataKey::generate();
        let at = place(org, Uuid::now_v7(), 1);
        let sealed = data_key.seal(&at, b"api-key").unwrap();

        let before = ring(&[&old]);
        let (id, wrapped) = before.wrap(org, &data_key).unwrap();
        assert_eq!(id, "k1");

        // Rotation: the new key first, the old one still there to unwrap.
        let during = ring(&[&new, &old]);
        let unwrapped = during.unwrap(org, &id, &wrapped).unwrap();
        let (new_id, rewrapped) = during.wrap(org, &unwrapped).unwrap();
        assert_eq!(new_id, "k2");

        // The old key removed: the re-wrapped key still opens the secret.
        let after = ring(&[&new]);
        assert_eq!(
            after.unwrap(org, &id, &wrapped).err(),
            Some(CryptoError::UnknownKey("k1".into()))
        );
        let key = after.unwrap(org, &new_id, &rewrapped).unwrap();
        assert_eq!(&key.open(&at, &sealed).unwrap()[..], b"api-key");
    }

    #[test]
    fn a_wrapped_key_is_bound_to_its_org_and_master_key_id() {
        let (k1, k2) = (
            MasterKey::generate("k1").unwrap(),
            MasterKey::generate("k2").unwrap(),
        );
        let keys = ring(&[&k1, &k2]);
        let org = OrgId::new();
        let (id, wrapped) = keys.wrap(org, &DataKey::generate()).unwrap();
        assert_eq!(
            keys.unwrap(OrgId::new(), &id, &wrapped).err(),
            Some(CryptoError::Integrity)
        );
        assert_eq!(
            keys.unwrap(org, "k2", &wrapped).err(),
            Some(CryptoError::Integrity)
        );
        let mut tampered = wrapped.clone();
        tampered[NONCE_LEN] ^= 0x80;
        assert_eq!(
            keys.unwrap(org, &id, &tampered).err(),
            Some(CryptoError::Integrity)
        );
    }

    #[test]
    fn the_ring_parses_its_environment_form() {
        let k = STANDARD.encode([7u8; KEY_LEN]);
        let ring = KeyRing::parse(&format!(" 2026-11:{k} , old_1:{k}")).unwrap();
        assert_eq!(ring.active_id(), "2026-11");
        assert_eq!(ring.ids().collect::<Vec<_>>(), ["2026-11", "old_1"]);

        let short = STANDARD.encode([7u8; 16]);
        for (spec, err) in [
            ("", CryptoError::NoKeys),
            (" , ", CryptoError::NoKeys),
            ("nocolon", CryptoError::BadEntry(1)),
            (&format!("a:{k},b:{short}"), CryptoError::BadEntry(2)),
            ("a:not base64!", CryptoError::BadEntry(1)),
            (
                &format!("a:{k},a:{k}"),
                CryptoError::DuplicateId("a".into()),
            ),
            (&format!(":{k}"), CryptoError::BadId(String::new())),
            (&format!("a b:{k}"), CryptoError::BadId("a b".into())),
        ] {
            assert_eq!(KeyRing::parse(spec).err(), Some(err), "{spec}");
        }
    }

    #[test]
    fn keys_never_print() {
        let key = MasterKey::generate("k1").unwrap();
        let entry = key.to_entry();
        let secret = entry.split_once(':').unwrap().1.to_string();
        let ring = KeyRing::new(vec![key]).unwrap();
        let printed = format!("{ring:?} {:?}", DataKey::generate());
        assert!(
            printed.contains("k1") && printed.contains("REDACTED"),
            "{printed}"
        );
        assert!(!printed.contains(&secret), "{printed}");
    }
}
