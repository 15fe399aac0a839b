//! Email delivery through lettre: SMTP when `SMTP_URL` is set, otherwise
//! `.eml` files under the data directory (open them with any mail client).

use std::path::PathBuf;

use lettre::{
    AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, header::ContentType},
};
use trellis_kernel::ports::{DeliveryError, Mailer, OutgoingEmail};

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(AsyncFileTransport<Tokio1Executor>, PathBuf),
}

/// The `Mailer` port, implemented with lettre.
pub struct LettreMailer {
    transport: Transport,
    from: Mailbox,
}

impl std::fmt::Debug for LettreMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match &self.transport {
            Transport::Smtp(_) => "smtp".to_string(),
            Transport::Files(_, dir) => format!("files in {}", dir.display()),
        };
        f.debug_struct("LettreMailer")
            .field("transport", &kind)
            .finish()
    }
}

impl LettreMailer {
    /// SMTP from a lettre URL (`smtp://user:pass@host:587?tls=required`,
    /// `smtps://host`, or `smtp://127.0.0.1:2525` for a local relay).
    pub fn smtp(url: &str, from: Mailbox) -> Result<Self, lettre::transport::smtp::Error> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)?.build();
        Ok(Self {
            transport: Transport::Smtp(transport),
            from,
        })
    }

    /// Writes each message as `<uuid>.eml` into `dir` (created if missing).
    pub fn files(dir: PathBuf, from: Mailbox) -> std::io::Result<Self> {
        std::fs::create_dir_all(&dir)?;
        Ok(Self {
            transport: Transport::Files(AsyncFileTransport::new(&dir), dir),
            from,
        })
    }

    fn message(&self, email: &OutgoingEmail) -> Result<Message, DeliveryError> {
        let to: Mailbox = email
            .to
            .as_str()
            .parse()
            .map_err(|e| DeliveryError::Rejected(format!("recipient: {e}")))?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(email.text.clone())
            .map_err(|e| DeliveryError::Rejected(e.to_string()))
    }
}

#[async_trait::async_trait]
impl Mailer for LettreMailer {
    async fn send(&self, email: OutgoingEmail) -> Result<(), DeliveryError> {
        let message = self.message(&email)?;
        match &self.transport {
            Transport::Smtp(smtp) => smtp
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| DeliveryError::Unavailable(e.to_string())),
            Transport::Files(files, dir) => {
                tracing::info!(to = %email.to, subject = %email.subject, dir = %dir.display(), "email written (development outbox)");
                files
                    .send(message)
                    .await
                    .map(|_| ())
                    .map_err(|e| DeliveryError::Unavailable(e.to_string()))
            }
        }
    }
}
