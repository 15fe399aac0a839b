//! WhatsApp through Meta's Cloud API: template messages only, because a
//! business may start a conversation with nothing else.
//!
//! `POST {base}/{version}/{phone_number_id}/messages` with a bearer token;
//! the answer's `messages[0].id` (a `wamid.…`) is kept as the provider id.

use std::time::Duration;

use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::json;
use trellis_kernel::{contact::Phone, notify::ChannelKind};

use super::{
    Channel, ConfigError, Outgoing, SendError, Sent,
    http::{self, HttpConfig},
};
use crate::notifications::message::Rendered;

const CHANNEL: &str = "whatsapp";

/// Meta error codes that mean "slow down" although they arrive as a 400:
/// API-level throttling (4, 80007, 130429), spam (131048) and pair rate
/// limits (131056).
const THROTTLED: [i64; 5] = [4, 80007, 130429, 131048, 131056];

/// How long to wait after a throttling code without `Retry-After`.
const THROTTLED_WAIT: Duration = Duration::from_secs(60);

/// The Cloud API's settings. `Debug` hides the token.
#[derive(Debug, Clone)]
pub struct WhatsappConfig {
    /// The Graph API (`https://graph.facebook.com`; a fake one in tests).
    pub base_url: String,
    /// The Graph API version in the path (`v21.0`).
    pub api_version: String,
    /// The sending number's id (not the number itself).
    pub phone_number_id: String,
    /// A system user's access token.
    pub access_token: SecretString,
    /// Timeouts.
    pub http: HttpConfig,
}

impl WhatsappConfig {
    /// The default base URL.
    pub const DEFAULT_BASE_URL: &'static str = "https://graph.facebook.com";
    /// The default Graph API version.
    pub const DEFAULT_API_VERSION: &'static str = "v21.0";

    /// Sends from `phone_number_id` with `access_token`, on Meta's servers.
    pub fn new(phone_number_id: impl Into<String>, access_token: SecretString) -> Self {
        Self {
            base_url: Self::DEFAULT_BASE_URL.into(),
            api_version: Self::DEFAULT_API_VERSION.into(),
            phone_number_id: phone_number_id.into(),
            access_token,
            http: HttpConfig::default(),
        }
    }
}

/// The WhatsApp [`Channel`].
pub struct WhatsappChannel {
    client: reqwest::Client,
    endpoint: String,
    access_token: SecretString,
}

impl std::fmt::Debug for WhatsappChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WhatsappChannel")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl WhatsappChannel {
    /// The channel `config` describes.
    pub fn new(config: WhatsappConfig) -> Result<Self, ConfigError> {
        let id = config.phone_number_id.trim();
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ConfigError::new(
                CHANNEL,
                "phone number id",
                "must be the numeric id Meta gives the number",
            ));
        }
        let version = config.api_version.trim().trim_matches('/');
        if version.is_empty() {
            return Err(ConfigError::new(CHANNEL, "api version", "is empty"));
        }
        if config.access_token.expose_secret().trim().is_empty() {
            return Err(ConfigError::new(CHANNEL, "access token", "is empty"));
        }
        Ok(Self {
            client: http::client(CHANNEL, config.http)?,
            endpoint: format!(
                "{}/{version}/{id}/messages",
                http::trim_base(&config.base_url)
            ),
            access_token: config.access_token,
        })
    }
}

#[derive(Deserialize)]
struct Accepted {
    #[serde(default)]
    messages: Vec<AcceptedMessage>,
}

#[derive(Deserialize)]
struct AcceptedMessage {
    id: String,
}

/// A 400 carrying one of the [`THROTTLED`] codes.
fn throttled(failure: &http::Failure) -> bool {
    failure.status == StatusCode::BAD_REQUEST
        && serde_json::from_str::<serde_json::Value>(&failure.body)
            .ok()
            .and_then(|body| body.pointer("/error/code").and_then(|c| c.as_i64()))
            .is_some_and(|code| THROTTLED.contains(&code))
}

#[async_trait::async_trait]
impl Channel for WhatsappChannel {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Whatsapp
    }

    async fn send(&self, outgoing: Outgoing<'_>) -> Result<Sent, SendError> {
        let Rendered::Whatsapp(message) = outgoing.message else {
            return Err(SendError::wrong_message(
                ChannelKind::Whatsapp,
                outgoing.message,
            ));
        };
        let phone = Phone::parse(outgoing.to).map_err(|_| {
            SendError::Rejected("whatsapp: not an international phone number".into())
        })?;
        let parameters: Vec<_> = message
            .params
            .iter()
            .map(|text| json!({"type": "text", "text": text}))
            .collect();
        let mut template = json!({
            "name": message.template,
            "language": {"code": message.language},
        });
        if !parameters.is_empty() {
            template["components"] = json!([{"type": "body", "parameters": parameters}]);
        }
        let body = json!({
            "messaging_product": "whatsapp",
            "to": phone.as_str().trim_start_matches('+'),
            "type": "template",
            "template": template,
        });
        let response = self
            .client
            .post(&self.endpoint)
            .bearer_auth(self.access_token.expose_secret())
            .json(&body)
            .send()
            .await
            .map_err(|e| http::transport_error(CHANNEL, e))?;
        let response = match http::check(response).await {
            Ok(response) => response,
            Err(failure) if throttled(&failure) => {
                return Err(SendError::Retry {
                    reason: failure.reason(CHANNEL),
                    after: Some(failure.retry_after.unwrap_or(THROTTLED_WAIT)),
                });
            }
            Err(failure) => return Err(failure.into_error(CHANNEL)),
        };
        let provider_id = match response.json::<Accepted>().await {
            Ok(accepted) => accepted
                .messages
                .into_iter()
                .next()
                .map(|m| m.id)
                .unwrap_or_default(),
            Err(_) => String::new(),
        };
        if provider_id.is_empty() {
            // Accepted all the same: sending again would send twice.
            tracing::warn!("whatsapp accepted a message without returning its id");
        }
        Ok(Sent { provider_id })
    }
}
