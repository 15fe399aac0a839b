//! Passwords: the policy, and Argon2id hashing on a bounded blocking pool.
//!
//! Hashing is deliberately expensive (OWASP's minimum: 19 MiB, 2 passes, 1
//! lane), so it never runs on the async runtime's threads: each hash takes a
//! permit from a semaphore sized to the CPU count and runs on a blocking
//! thread. A flood of sign-ins then queues for permits instead of stalling
//! every other request, and memory stays bounded at permits × 19 MiB.

use std::sync::Arc;

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use tokio::sync::{OnceCell, Semaphore};

use crate::error::Error;

/// The shortest password accepted.
pub const MIN_LENGTH: usize = 10;
/// The longest password accepted (bounds hashing work per request).
pub const MAX_LENGTH: usize = 128;

/// Passwords that meet the length rule but appear at the top of breach lists.
const COMMON: &[&str] = &[
    "1234567890",
    "12345678910",
    "123456789a",
    "0123456789",
    "1111111111",
    "0000000000",
    "1q2w3e4r5t",
    "1qaz2wsx3edc",
    "qwertyuiop",
    "qwerty1234",
    "qwerty12345",
    "qwertyuiop1",
    "asdfghjkl1",
    "zxcvbnm123",
    "password12",
    "password123",
    "password1234",
    "passw0rd123",
    "iloveyou12",
    "iloveyou123",
    "football123",
    "baseball123",
    "superman123",
    "princess123",
    "sunshine123",
    "welcome123",
    "letmein123",
    "abc1234567",
    "abcdefghij",
    "aaaaaaaaaa",
    "administrator",
    "admin12345",
    "changeme123",
    "trustno1234",
    "michael123",
    "computer123",
    "dragon1234",
    "monkey1234",
    "starwars123",
    "whatever123",
    "qazwsxedcrfv",
    "987654321a",
];

/// Checks a new password; the message names what to fix.
pub fn check_policy(password: &str, email: Option<&str>) -> Result<(), &'static str> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err("must be at least 10 characters long");
    }
    if length > MAX_LENGTH {
        return Err("must be at most 128 characters long");
    }
    let lower = password.to_lowercase();
    if email.is_some_and(|e| e.eq_ignore_ascii_case(password.trim())) {
        return Err("must not be your email address");
    }
    if COMMON.contains(&lower.as_str()) {
        return Err("is too common; choose one that is harder to guess");
    }
    Ok(())
}

/// Argon2id hashing with bounded concurrency.
#[derive(Clone)]
pub struct Passwords {
    params: Params,
    permits: Arc<Semaphore>,
    dummy: Arc<OnceCell<String>>,
}

impl std::fmt::Debug for Passwords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Passwords")
            .field("available_permits", &self.permits.available_permits())
            .finish()
    }
}

impl Passwords {
    /// OWASP's Argon2id parameters, one concurrent hash per CPU.
    pub fn new() -> Self {
        let cpus = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        Self::with_limits(Params::new(19 * 1024, 2, 1, None).unwrap_or_default(), cpus)
    }

    /// Custom parameters and concurrency.
    pub fn with_limits(params: Params, concurrent: usize) -> Self {
        Self {
            params,
            permits: Arc::new(Semaphore::new(concurrent.max(1))),
            dummy: Arc::new(OnceCell::new()),
        }
    }

    fn argon(params: Params) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    }

    /// Hashes a password into a PHC string.
    pub async fn hash(&self, password: &str) -> Result<String, Error> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| Error::internal("hasher closed"))?;
        let (params, password) = (self.params.clone(), password.to_owned());
        tokio::task::spawn_blocking(move || {
            Self::argon(params)
                .hash_password(password.as_bytes())
                .map(|hash| hash.to_string())
        })
        .await
        .map_err(|_| Error::internal("hashing task failed"))?
        .map_err(|_| Error::internal("hashing failed"))
    }

    /// Checks a password against a PHC string (its own parameters apply).
    pub async fn verify(&self, password: &str, phc: &str) -> Result<bool, Error> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| Error::internal("hasher closed"))?;
        let (params, password, phc) = (self.params.clone(), password.to_owned(), phc.to_owned());
        tokio::task::spawn_blocking(move || {
            Self::argon(params)
                .verify_password(password.as_bytes(), phc.as_str())
                .is_ok()
        })
        .await
        .map_err(|_| Error::internal("hashing task failed"))
    }

    /// Spends the same effort as a real check, for unknown accounts, so that
    /// response time does not reveal whether an email is registered.
    pub async fn verify_dummy(&self, password: &str) -> Result<(), Error> {
        let dummy = self
            .dummy
            .get_or_try_init(|| self.hash("dummy password for timing equality"))
            .await?
            .clone();
        self.verify(password, &dummy).await.map(|_| ())
    }
}

impl Default for Passwords {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy() {
        assert!(check_policy("short", None).is_err());
        assert!(check_policy("ana@example.com", Some("ana@example.com")).is_err());
        assert!(
            check_policy("Password123", None).is_err(),
            "common, case-insensitively"
        );
        assert!(check_policy(&"x".repeat(129), None).is_err());
        assert!(check_policy("correct horse battery", Some("ana@example.com")).is_ok());
    }

    #[tokio::test]
    async fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let passwords = Passwords::new();
        let hash = passwords
            .hash("correct horse battery")
            .await
            .unwrap_or_default();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert_eq!(
            passwords.verify("correct horse battery", &hash).await.ok(),
            Some(true)
        );
        assert_eq!(
            passwords.verify("wrong horse battery", &hash).await.ok(),
            Some(false)
        );
        assert_eq!(
            passwords.verify("anything", "not a phc string").await.ok(),
            Some(false)
        );
        assert!(passwords.verify_dummy("anything").await.is_ok());
    }
}
