//! Email through lettre: SMTP when an SMTP URL is configured (`SMTP_URL`),
//! otherwise `.eml` files in a directory (development: open them with any
//! mail client, and black-box tests read them).
//!
//! Every message is multipart/alternative (plain text, then HTML) and its
//! `Message-ID` is derived from the delivery's key, so a message sent again
//! after a crash between "sent" and "recorded" is recognisable as the same
//! one (by the recipient's client and by support).

use std::{path::PathBuf, time::Duration};

use lettre::{
    Address, AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{
        Mailbox, MultiPart,
        header::{Header, HeaderName, HeaderValue},
    },
};
use secrecy::{ExposeSecret, SecretString};
use trellis_kernel::notify::ChannelKind;

use super::{Channel, ConfigError, Outgoing, SendError, Sent, http::truncate};
use crate::notifications::message::Rendered;

const CHANNEL: &str = "email";

/// Where email goes.
#[derive(Debug, Clone)]
pub enum EmailTransport {
    /// An SMTP server, from a lettre URL (`smtp://user:pass@host:587?tls=required`,
    /// `smtps://host`, `smtp://127.0.0.1:2525`); it may hold a password.
    Smtp {
        /// The URL.
        url: SecretString,
    },
    /// `<uuid>.eml` files in a directory (created if missing).
    Files {
        /// The directory.
        dir: PathBuf,
    },
}

/// How to send email. `Debug` never shows the SMTP URL (it may hold a password).
#[derive(Debug, Clone)]
pub struct EmailConfig {
    /// SMTP or files.
    pub transport: EmailTransport,
    /// The sender of every message, `Trellis <no-reply@example.com>`; its
    /// domain also names the `Message-ID`s.
    pub from: String,
    /// How long one SMTP command may take.
    pub timeout: Duration,
}

impl EmailConfig {
    /// Through the SMTP server at `url`.
    pub fn smtp(url: SecretString, from: impl Into<String>) -> Self {
        Self {
            transport: EmailTransport::Smtp { url },
            from: from.into(),
            timeout: Duration::from_secs(30),
        }
    }

    /// Into `.eml` files in `dir`.
    pub fn files(dir: impl Into<PathBuf>, from: impl Into<String>) -> Self {
        Self {
            transport: EmailTransport::Files { dir: dir.into() },
            from: from.into(),
            timeout: Duration::from_secs(30),
        }
    }
}

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(AsyncFileTransport<Tokio1Executor>, PathBuf),
}

/// The email [`Channel`].
pub struct EmailChannel {
    transport: Transport,
    from: Mailbox,
}

impl std::fmt::Debug for EmailChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let transport = match &self.transport {
            Transport::Smtp(_) => "smtp".to_string(),
            Transport::Files(_, dir) => format!("files in {}", dir.display()),
        };
        f.debug_struct("EmailChannel")
            .field("transport", &transport)
            .field("from", &self.from.to_string())
            .finish()
    }
}

impl EmailChannel {
    /// The channel `config` describes; fails on a bad From mailbox or SMTP
    /// URL, or a files directory that cannot be created.
    pub fn new(config: EmailConfig) -> Result<Self, ConfigError> {
        let from: Mailbox = config
            .from
            .parse()
            .map_err(|e| ConfigError::new(CHANNEL, "from", format!("not a mailbox: {e}")))?;
        let transport = match config.transport {
            EmailTransport::Smtp { url } => {
                // lettre's URL errors name the part at fault, never the URL.
                let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())
                    .map_err(|e| ConfigError::new(CHANNEL, "SMTP URL", e.to_string()))?;
                Transport::Smtp(builder.timeout(Some(config.timeout)).build())
            }
            EmailTransport::Files { dir } => {
                std::fs::create_dir_all(&dir).map_err(|e| {
                    ConfigError::new(
                        CHANNEL,
                        "files directory",
                        format!("{}: {e}", dir.display()),
                    )
                })?;
                Transport::Files(AsyncFileTransport::new(&dir), dir)
            }
        };
        Ok(Self { transport, from })
    }

    /// The `Message-ID` of the delivery `key`: `<key@from-domain>`, the key
    /// reduced to the characters a message id allows.
    pub fn message_id(&self, key: &str) -> String {
        let local: String = key
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        format!("<{local}@{}>", self.from.email.domain())
    }

    fn message(&self, outgoing: &Outgoing<'_>, id: &str) -> Result<Message, SendError> {
        let Rendered::Email(email) = outgoing.message else {
            return Err(SendError::wrong_message(
                ChannelKind::Email,
                outgoing.message,
            ));
        };
        let address: Address = outgoing
            .to
            .parse()
            .map_err(|_| SendError::Rejected("email: not an email address".into()))?;
        let name = outgoing.name.trim();
        let to = Mailbox::new((!name.is_empty()).then(|| name.to_string()), address);
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject.clone())
            .message_id(Some(id.to_string()));
        if let Some(url) = &email.list_unsubscribe {
            builder = builder
                .header(ListUnsubscribe(format!("<{url}>")))
                .header(ListUnsubscribePost);
        }
        builder
            .multipart(MultiPart::alternative_plain_html(
                email.text.clone(),
                email.html.clone(),
            ))
            .map_err(|e| SendError::Rejected(format!("email: {}", truncate(&e.to_string()))))
    }
}

/// `List-Unsubscribe: <url>` (RFC 2369).
#[derive(Debug, Clone)]
struct ListUnsubscribe(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_string()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058): the
/// link may be followed with a POST, without a page in between.
#[derive(Debug, Clone)]
struct ListUnsubscribePost;

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".into())
    }
}

/// An SMTP failure: a permanent (5xx) reply is a refusal, anything else
/// (a 4xx reply, a timeout, a refused connection, TLS) may pass later.
fn smtp_error(error: &lettre::transport::smtp::Error) -> SendError {
    let reason = format!("smtp: {}", truncate(&error.to_string()));
    if error.is_permanent() {
        SendError::Rejected(reason)
    } else {
        SendError::Retry {
            reason,
            after: None,
        }
    }
}

#[async_trait::async_trait]
impl Channel for EmailChannel {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Email
    }

    async fn send(&self, outgoing: Outgoing<'_>) -> Result<Sent, SendError> {
        let id = self.message_id(outgoing.key);
        let message = self.message(&outgoing, &id)?;
        match &self.transport {
            Transport::Smtp(smtp) => {
                smtp.send(message).await.map_err(|e| smtp_error(&e))?;
                tracing::debug!(message_id = %id, "email sent");
            }
            Transport::Files(files, dir) => {
                let file = files.send(message).await.map_err(|e| SendError::Retry {
                    reason: format!("email file: {}", truncate(&e.to_string())),
                    after: None,
                })?;
                tracing::info!(message_id = %id, file = %dir.join(format!("{file}.eml")).display(), "email written (development outbox)");
            }
        }
        Ok(Sent { provider_id: id })
    }
}
