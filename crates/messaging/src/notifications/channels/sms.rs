//! Text messages: through Twilio's Messages API in production, into text
//! files in development.
//!
//! Twilio: `POST {base}/2010-04-01/Accounts/{sid}/Messages.json`, form
//! encoded (`To`, `From` or `MessagingServiceSid`, `Body`), basic auth with
//! the account SID and auth token; the answer's `sid` is the provider id.
//! Any provider speaking that shape can stand in (through `base_url`).
//!
//! Files: `<dir>/<UTC time>-<phone digits>.txt` holding `To: <phone>`, a
//! blank line and the text. Developers read one-time codes there, and so
//! do the black-box tests: the format is a contract.

use std::path::PathBuf;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use trellis_kernel::{contact::Phone, notify::ChannelKind};

use super::{
    Channel, ConfigError, Outgoing, SendError, Sent,
    http::{self, HttpConfig},
};
use crate::notifications::message::{Rendered, SmsMessage};

const CHANNEL: &str = "twilio";

/// Who a text comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TwilioSender {
    /// A number (E.164) or alphanumeric sender id the account owns.
    From(String),
    /// A messaging service, which picks the number itself.
    MessagingService(String),
}

/// Twilio's settings. `Debug` hides the auth token.
#[derive(Debug, Clone)]
pub struct TwilioConfig {
    /// The API (`https://api.twilio.com`; a fake one in tests).
    pub base_url: String,
    /// The account SID (`AC…`), also the basic-auth user.
    pub account_sid: String,
    /// The auth token, the basic-auth password.
    pub auth_token: SecretString,
    /// The sender.
    pub sender: TwilioSender,
    /// Timeouts.
    pub http: HttpConfig,
}

impl TwilioConfig {
    /// The default base URL.
    pub const DEFAULT_BASE_URL: &'static str = "https://api.twilio.com";

    /// Sends as `sender` from the account `account_sid`, on Twilio's servers.
    pub fn new(
        account_sid: impl Into<String>,
        auth_token: SecretString,
        sender: TwilioSender,
    ) -> Self {
        Self {
            base_url: Self::DEFAULT_BASE_URL.into(),
            account_sid: account_sid.into(),
            auth_token,
            sender,
            http: HttpConfig::default(),
        }
    }
}

/// The SMS [`Channel`] over Twilio's Messages API.
pub struct TwilioSmsChannel {
    client: reqwest::Client,
    endpoint: String,
    account_sid: String,
    auth_token: SecretString,
    sender: TwilioSender,
}

impl std::fmt::Debug for TwilioSmsChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwilioSmsChannel")
            .field("endpoint", &self.endpoint)
            .field("sender", &self.sender)
            .finish_non_exhaustive()
    }
}

impl TwilioSmsChannel {
    /// The channel `config` describes.
    pub fn new(config: TwilioConfig) -> Result<Self, ConfigError> {
        let sid = config.account_sid.trim().to_string();
        if sid.is_empty() || !sid.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(ConfigError::new(
                CHANNEL,
                "account SID",
                "must be the account's SID (AC…)",
            ));
        }
        if config.auth_token.expose_secret().trim().is_empty() {
            return Err(ConfigError::new(CHANNEL, "auth token", "is empty"));
        }
        let sender = match config.sender {
            TwilioSender::From(from) if !from.trim().is_empty() => {
                TwilioSender::From(from.trim().to_string())
            }
            TwilioSender::MessagingService(service) if !service.trim().is_empty() => {
                TwilioSender::MessagingService(service.trim().to_string())
            }
            _ => return Err(ConfigError::new(CHANNEL, "sender", "is empty")),
        };
        Ok(Self {
            client: http::client(CHANNEL, config.http)?,
            endpoint: format!(
                "{}/2010-04-01/Accounts/{sid}/Messages.json",
                http::trim_base(&config.base_url)
            ),
            account_sid: sid,
            auth_token: config.auth_token,
            sender,
        })
    }
}

#[derive(Deserialize)]
struct Accepted {
    #[serde(default)]
    sid: String,
}

/// The text and the recipient's number of an SMS delivery.
fn parts<'a>(outgoing: &Outgoing<'a>) -> Result<(&'a SmsMessage, Phone), SendError> {
    let Rendered::Sms(message) = outgoing.message else {
        return Err(SendError::wrong_message(ChannelKind::Sms, outgoing.message));
    };
    let phone = Phone::parse(outgoing.to)
        .map_err(|_| SendError::Rejected("sms: not an international phone number".into()))?;
    Ok((message, phone))
}

#[async_trait::async_trait]
impl Channel for TwilioSmsChannel {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Sms
    }

    async fn send(&self, outgoing: Outgoing<'_>) -> Result<Sent, SendError> {
        let (message, phone) = parts(&outgoing)?;
        let sender = match &self.sender {
            TwilioSender::From(from) => ("From", from.as_str()),
            TwilioSender::MessagingService(sid) => ("MessagingServiceSid", sid.as_str()),
        };
        let form = [
            ("To", phone.as_str()),
            sender,
            ("Body", message.text.as_str()),
        ];
        let response = self
            .client
            .post(&self.endpoint)
            .basic_auth(&self.account_sid, Some(self.auth_token.expose_secret()))
            .form(&form)
            .send()
            .await
            .map_err(|e| http::transport_error(CHANNEL, e))?;
        let response = http::classify(CHANNEL, response).await?;
        let provider_id = response
            .json::<Accepted>()
            .await
            .map(|a| a.sid)
            .unwrap_or_default();
        if provider_id.is_empty() {
            // Accepted all the same: sending again would send twice.
            tracing::warn!("twilio accepted a message without returning its sid");
        }
        Ok(Sent { provider_id })
    }
}

/// The development SMS [`Channel`]: each text becomes a file.
#[derive(Debug, Clone)]
pub struct FileSmsChannel {
    dir: PathBuf,
}

impl FileSmsChannel {
    /// Writes into `dir` (created on the first message).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The directory.
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }
}

#[async_trait::async_trait]
impl Channel for FileSmsChannel {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Sms
    }

    async fn send(&self, outgoing: Outgoing<'_>) -> Result<Sent, SendError> {
        let (message, phone) = parts(&outgoing)?;
        let name = format!(
            "{}-{}.txt",
            chrono::Utc::now().format("%Y%m%dT%H%M%S%.6f"),
            phone.as_str().trim_start_matches('+')
        );
        let io = |e: std::io::Error| SendError::Retry {
            reason: format!("sms file: {e}"),
            after: None,
        };
        tokio::fs::create_dir_all(&self.dir).await.map_err(io)?;
        // Written aside and renamed, so a reader never sees half a message
        // (readers look at `*.txt` only).
        let file = self.dir.join(&name);
        let partial = self.dir.join(format!("{name}.partial"));
        tokio::fs::write(&partial, format!("To: {phone}\n\n{}\n", message.text))
            .await
            .map_err(io)?;
        tokio::fs::rename(&partial, &file).await.map_err(io)?;
        tracing::info!(file = %file.display(), "SMS written (development outbox)");
        Ok(Sent { provider_id: name })
    }
}
