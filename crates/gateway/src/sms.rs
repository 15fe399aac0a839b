//! Text messages until a real provider is wired (messaging brings one).
//!
//! In development each message is logged and written to
//! `<data dir>/sms/<time>-<phone>.txt`, so developers (and tests) can read
//! codes. In production there is no silent fallback: sending fails with 503,
//! because logging secrets there would be a leak.

use std::path::PathBuf;

use trellis_kernel::ports::{DeliveryError, OutgoingSms, SmsSender};

/// Development outbox for text messages.
#[derive(Debug, Clone)]
pub struct DevSmsOutbox {
    dir: Option<PathBuf>,
}

impl DevSmsOutbox {
    /// Writes messages into `dir`; `None` refuses to send (production).
    pub fn new(dir: Option<PathBuf>) -> Self {
        Self { dir }
    }
}

#[async_trait::async_trait]
impl SmsSender for DevSmsOutbox {
    async fn send(&self, sms: OutgoingSms) -> Result<(), DeliveryError> {
        let Some(dir) = &self.dir else {
            tracing::error!(to = %sms.to.masked(), "no SMS provider is configured; message dropped");
            return Err(DeliveryError::Unavailable(
                "no SMS provider is configured".into(),
            ));
        };
        tracing::info!(to = %sms.to, body = %sms.body, "SMS (development outbox)");
        let file = dir.join(format!(
            "{}-{}.txt",
            chrono::Utc::now().format("%Y%m%dT%H%M%S%.6f"),
            sms.to.as_str().trim_start_matches('+')
        ));
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(|e| DeliveryError::Unavailable(e.to_string()))?;
        tokio::fs::write(&file, format!("To: {}\n\n{}\n", sms.to, sms.body))
            .await
            .map_err(|e| DeliveryError::Unavailable(e.to_string()))
    }
}
