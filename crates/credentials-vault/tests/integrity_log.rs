//! An integrity failure is logged with where it happened, never the secret.
//!
//! Alone in its test binary on purpose: it captures logs with a subscriber
//! set for this thread, and `tracing` caches per call site whether anyone
//! listens. Under `cargo test`, another test thread reaching the same call
//! sites first with no subscriber could leave them switched off for this
//! one; in a process of its own, no other test runs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use trellis_credentials_vault::{Error, crypto::MasterKey};

fn k(id: &str) -> MasterKey {
    MasterKey::generate(id).unwrap()
}

/// Captures what is logged on this thread (the test's runtime is single-threaded).
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn an_integrity_failure_is_logged_with_where_it_happened_never_the_secret() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let w = world(ring(&[&k("k1")])).await;
    let admin = w.agency().await;
    let c = w
        .store(
            &admin,
            new_credential("Logged", "LOGGED-SECRET-41", Some("LOGGED-NOTES")),
        )
        .await;
    w.reveal(&admin, c.id, None).await.unwrap();
    // The secret's ciphertext moved into the notes' place: bound to another field.
    let swap = format!(
        "UPDATE credential_versions SET notes_ciphertext = secret_ciphertext WHERE credential_id = {}",
        w.p(1)
    );
    w.exec(&swap, vec![c.id.0.into()]).await;
    let err = w.reveal(&admin, c.id, None).await.unwrap_err();
    assert!(matches!(err, Error::Integrity(_)), "{err:?}");

    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(text.contains("vault integrity failure"), "{text}");
    assert!(text.contains("trellis::vault::integrity"), "{text}");
    assert!(text.contains(&c.id.0.to_string()), "{text}");
    assert!(text.contains("credential revealed"), "{text}");
    assert!(
        !text.contains("LOGGED-SECRET") && !text.contains("LOGGED-NOTES"),
        "{text}"
    );
}
