//! A notification rendered for one channel: what a delivery row stores and
//! a [`Channel`](super::Channel) sends.

use serde::{Deserialize, Serialize};
use trellis_kernel::notify::ChannelKind;

/// An email: subject, plain text and HTML (sent as multipart/alternative).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailMessage {
    /// The subject line.
    pub subject: String,
    /// The plain-text part.
    pub text: String,
    /// The HTML part (parameters escaped).
    pub html: String,
    /// One-click unsubscribe (RFC 8058) for marketing-grade kinds: the API
    /// URL sent as `List-Unsubscribe`, with `List-Unsubscribe-Post`, so mail
    /// clients can offer "unsubscribe" themselves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_unsubscribe: Option<String>,
}

/// A WhatsApp template message: the template approved at Meta, its
/// language and the ordered body parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhatsappMessage {
    /// The approved template's name.
    pub template: String,
    /// Its language code (`en`, `pt_BR`).
    pub language: String,
    /// Body parameters `{{1}}`, `{{2}}`... in order.
    pub params: Vec<String>,
}

/// How an SMS is encoded, which decides its segment length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmsEncoding {
    /// The GSM 03.38 alphabet: 160 characters in one segment, 153 per part after.
    Gsm7,
    /// Anything else: 70 characters in one segment, 67 per part after.
    Ucs2,
}

/// A text message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsMessage {
    /// The text.
    pub text: String,
    /// Its encoding.
    pub encoding: SmsEncoding,
    /// How many segments it is billed as.
    pub segments: u32,
}

/// A push notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushMessage {
    /// The title.
    pub title: String,
    /// The body.
    pub body: String,
}

/// A notification rendered for one channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "channel", rename_all = "snake_case")]
pub enum Rendered {
    /// For [`ChannelKind::Email`].
    Email(EmailMessage),
    /// For [`ChannelKind::Whatsapp`].
    Whatsapp(WhatsappMessage),
    /// For [`ChannelKind::Sms`].
    Sms(SmsMessage),
    /// For [`ChannelKind::Push`].
    Push(PushMessage),
}

impl Rendered {
    /// The channel it is for.
    pub fn channel(&self) -> ChannelKind {
        match self {
            Self::Email(_) => ChannelKind::Email,
            Self::Whatsapp(_) => ChannelKind::Whatsapp,
            Self::Sms(_) => ChannelKind::Sms,
            Self::Push(_) => ChannelKind::Push,
        }
    }

    /// A one-line summary for operators (the subject, the template...).
    pub fn summary(&self) -> String {
        match self {
            Self::Email(m) => m.subject.clone(),
            Self::Whatsapp(m) => format!("template {} ({})", m.template, m.language),
            Self::Sms(m) => format!("{} segment(s)", m.segments),
            Self::Push(m) => m.title.clone(),
        }
    }
}
