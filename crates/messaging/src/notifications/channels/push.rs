//! Mobile push through FCM's HTTP v1 API:
//! `POST {base}/v1/projects/{project}/messages:send` with an OAuth2 access
//! token from a service account ([`oauth`]). The answer's `name`
//! (`projects/…/messages/…`) is the provider id.
//!
//! A token FCM reports as `UNREGISTERED` (the app was uninstalled, or the
//! token rotated) fails with [`SendError::Unregistered`], so the caller
//! forgets the device. A 401 means the access token went bad early: it is
//! dropped from the cache and the delivery retried with a fresh one.

pub mod oauth;

use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::json;
use trellis_kernel::notify::ChannelKind;

use self::oauth::{ServiceAccount, TokenSource};
use super::{
    Channel, ConfigError, Outgoing, SendError, Sent,
    http::{self, HttpConfig},
};
use crate::notifications::message::Rendered;

const CHANNEL: &str = "fcm";

/// FCM's settings. `Debug` hides the service account.
#[derive(Debug, Clone)]
pub struct FcmConfig {
    /// The API (`https://fcm.googleapis.com`; a fake one in tests).
    pub base_url: String,
    /// The Firebase project; the service account's `project_id` when unset.
    pub project_id: Option<String>,
    /// The Android notification channel every push is posted to (the app
    /// creates it).
    pub android_channel_id: String,
    /// The service account's JSON key file, as text.
    pub service_account: SecretString,
    /// Overrides the key file's `token_uri` (tests; private endpoints).
    pub token_uri: Option<String>,
    /// Timeouts (of the token exchange too).
    pub http: HttpConfig,
}

impl FcmConfig {
    /// The default base URL.
    pub const DEFAULT_BASE_URL: &'static str = "https://fcm.googleapis.com";

    /// Pushes as the service account whose JSON key is `service_account`,
    /// to the Android channel `android_channel_id`, through Google.
    pub fn new(service_account: SecretString, android_channel_id: impl Into<String>) -> Self {
        Self {
            base_url: Self::DEFAULT_BASE_URL.into(),
            project_id: None,
            android_channel_id: android_channel_id.into(),
            service_account,
            token_uri: None,
            http: HttpConfig::default(),
        }
    }
}

/// The push [`Channel`].
pub struct FcmChannel {
    client: reqwest::Client,
    endpoint: String,
    android_channel_id: String,
    tokens: TokenSource,
}

impl std::fmt::Debug for FcmChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FcmChannel")
            .field("endpoint", &self.endpoint)
            .field("android_channel_id", &self.android_channel_id)
            .field("tokens", &self.tokens)
            .finish()
    }
}

impl FcmChannel {
    /// The channel `config` describes; fails on a service account that is
    /// not one (bad JSON, a missing field, a key that is not RSA PEM).
    pub fn new(config: FcmConfig) -> Result<Self, ConfigError> {
        let mut account = ServiceAccount::from_json(&config.service_account)?;
        if let Some(uri) = config.token_uri {
            account.token_uri = uri;
        }
        if reqwest::Url::parse(&account.token_uri).is_err() {
            return Err(ConfigError::new(CHANNEL, "token URI", "is not a URL"));
        }
        let project = config
            .project_id
            .or_else(|| account.project_id.clone())
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty())
            .ok_or_else(|| {
                ConfigError::new(CHANNEL, "project id", "is neither set nor in the key")
            })?;
        if !project
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err(ConfigError::new(
                CHANNEL,
                "project id",
                "must be a Firebase project id",
            ));
        }
        let client = http::client(CHANNEL, config.http)?;
        Ok(Self {
            endpoint: format!(
                "{}/v1/projects/{project}/messages:send",
                http::trim_base(&config.base_url)
            ),
            android_channel_id: config.android_channel_id,
            tokens: TokenSource::new(client.clone(), account),
            client,
        })
    }
}

#[derive(Deserialize)]
struct Accepted {
    #[serde(default)]
    name: String,
}

/// True if FCM's error body reports the device token as unregistered
/// (`error.details[].errorCode`, FCM's own error code beside Google's
/// generic status).
fn unregistered(failure: &http::Failure) -> bool {
    if !matches!(
        failure.status,
        StatusCode::NOT_FOUND | StatusCode::BAD_REQUEST
    ) {
        return false;
    }
    let Ok(body) = serde_json::from_str::<serde_json::Value>(&failure.body) else {
        return false;
    };
    body.pointer("/error/details")
        .and_then(|d| d.as_array())
        .is_some_and(|details| {
            details
                .iter()
                .any(|d| d.get("errorCode").and_then(|c| c.as_str()) == Some("UNREGISTERED"))
        })
}

#[async_trait::async_trait]
impl Channel for FcmChannel {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Push
    }

    async fn send(&self, outgoing: Outgoing<'_>) -> Result<Sent, SendError> {
        let Rendered::Push(push) = outgoing.message else {
            return Err(SendError::wrong_message(
                ChannelKind::Push,
                outgoing.message,
            ));
        };
        if outgoing.to.trim().is_empty() {
            return Err(SendError::Rejected("fcm: no device token".into()));
        }
        let body = json!({
            "message": {
                "token": outgoing.to,
                "notification": {"title": push.title, "body": push.body},
                "android": {"notification": {"channel_id": self.android_channel_id}},
            }
        });
        let access_token = self.tokens.token().await?;
        let response = self
            .client
            .post(&self.endpoint)
            .bearer_auth(access_token.expose_secret())
            .json(&body)
            .send()
            .await
            .map_err(|e| http::transport_error(CHANNEL, e))?;
        let response = match http::check(response).await {
            Ok(response) => response,
            Err(failure) if failure.status == StatusCode::UNAUTHORIZED => {
                self.tokens.invalidate(&access_token).await;
                return Err(SendError::Retry {
                    reason: failure.reason(CHANNEL),
                    after: None,
                });
            }
            Err(failure) if unregistered(&failure) => {
                return Err(SendError::Unregistered(failure.reason(CHANNEL)));
            }
            Err(failure) => return Err(failure.into_error(CHANNEL)),
        };
        let provider_id = response
            .json::<Accepted>()
            .await
            .map(|a| a.name)
            .unwrap_or_default();
        if provider_id.is_empty() {
            // Accepted all the same: sending again would send twice.
            tracing::warn!("fcm accepted a message without returning its name");
        }
        Ok(Sent { provider_id })
    }
}
