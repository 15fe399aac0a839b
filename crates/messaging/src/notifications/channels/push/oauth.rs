//! FCM's access tokens, from a Google service account: a JWT signed with
//! the account's RSA key (RS256) is exchanged at the token URI for an
//! OAuth2 access token (the JWT-bearer grant), which is cached until
//! shortly before it expires.
//!
//! One refresh at a time: the cache's lock is held across the exchange, so
//! a burst of sends after expiry asks Google once, and the others wait for
//! its answer.

use std::time::{Duration, Instant};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::{
    RsaPrivateKey,
    pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey},
    pkcs8::DecodePrivateKey,
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use super::CHANNEL;
use crate::notifications::channels::{ConfigError, SendError, http};

/// The scope FCM's send API needs.
pub const SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";

/// How long a signed assertion is valid (Google's maximum).
const ASSERTION_LIFETIME: Duration = Duration::from_secs(3600);

/// Refresh this long before a token expires (at most half its life), so a
/// token is never used in its last moments.
const REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// The parts of a service account's JSON key file the grant needs.
pub struct ServiceAccount {
    /// The account (`…@….iam.gserviceaccount.com`): the assertion's issuer.
    pub client_email: String,
    /// Where to exchange the assertion: the audience too.
    pub token_uri: String,
    /// The project the account belongs to.
    pub project_id: Option<String>,
    key_id: Option<String>,
    key: EncodingKey,
}

impl std::fmt::Debug for ServiceAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceAccount")
            .field("client_email", &self.client_email)
            .field("token_uri", &self.token_uri)
            .field("project_id", &self.project_id)
            .finish_non_exhaustive()
    }
}

impl ServiceAccount {
    /// Reads a service account's JSON key. Errors name the field at fault
    /// and never quote the file (it holds the private key).
    pub fn from_json(json: &SecretString) -> Result<Self, ConfigError> {
        let invalid = |reason: String| ConfigError::new(CHANNEL, "service account", reason);
        let value: serde_json::Value = serde_json::from_str(json.expose_secret()).map_err(|e| {
            invalid(format!(
                "not JSON (line {}, column {})",
                e.line(),
                e.column()
            ))
        })?;
        let field = |name: &str| {
            value
                .get(name)
                .and_then(|v| v.as_str())
                .map(str::trim)
                .filter(|v| !v.is_empty())
        };
        if let Some(kind) = field("type")
            && kind != "service_account"
        {
            return Err(invalid(format!(
                "type is {kind:?}, not \"service_account\""
            )));
        }
        let client_email = field("client_email")
            .ok_or_else(|| invalid("client_email is missing".into()))?
            .to_string();
        let pem = field("private_key").ok_or_else(|| invalid("private_key is missing".into()))?;
        Ok(Self {
            client_email,
            token_uri: field("token_uri")
                .unwrap_or("https://oauth2.googleapis.com/token")
                .to_string(),
            project_id: field("project_id").map(str::to_string),
            key_id: field("private_key_id").map(str::to_string),
            key: signing_key(pem)?,
        })
    }

    /// The signed assertion for a grant at `now` (seconds since the epoch).
    fn assertion(&self, now: i64) -> Result<String, SendError> {
        let claims = Claims {
            iss: &self.client_email,
            scope: SCOPE,
            aud: &self.token_uri,
            iat: now,
            exp: now.saturating_add(ASSERTION_LIFETIME.as_secs().cast_signed()),
        };
        let mut header = Header::new(Algorithm::RS256);
        header.kid.clone_from(&self.key_id);
        jsonwebtoken::encode(&header, &claims, &self.key).map_err(|e| SendError::Retry {
            reason: format!("fcm oauth: cannot sign the assertion: {e}"),
            after: None,
        })
    }
}

/// An RS256 key from a PEM private key: PKCS#8 (`BEGIN PRIVATE KEY`, what
/// Google issues) or PKCS#1 (`BEGIN RSA PRIVATE KEY`).
fn signing_key(pem: &str) -> Result<EncodingKey, ConfigError> {
    // A key pasted into an environment variable often keeps its `\n`s escaped.
    let pem = pem.replace("\\n", "\n");
    let key = RsaPrivateKey::from_pkcs8_pem(&pem)
        .or_else(|_| RsaPrivateKey::from_pkcs1_pem(&pem))
        .map_err(|_| {
            ConfigError::new(
                CHANNEL,
                "service account",
                "private_key is not an RSA private key in PEM",
            )
        })?;
    let der = key.to_pkcs1_der().map_err(|_| {
        ConfigError::new(CHANNEL, "service account", "private_key cannot be encoded")
    })?;
    Ok(EncodingKey::from_rsa_der(der.as_bytes()))
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    scope: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default = "default_expires_in")]
    expires_in: u64,
}

fn default_expires_in() -> u64 {
    3600
}

struct Cached {
    token: SecretString,
    refresh_at: Instant,
}

/// Access tokens for one service account, cached.
pub struct TokenSource {
    client: reqwest::Client,
    account: ServiceAccount,
    cache: Mutex<Option<Cached>>,
}

impl std::fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSource")
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

impl TokenSource {
    /// Tokens for `account`, fetched with `client`.
    pub fn new(client: reqwest::Client, account: ServiceAccount) -> Self {
        Self {
            client,
            account,
            cache: Mutex::new(None),
        }
    }

    /// The account.
    pub fn account(&self) -> &ServiceAccount {
        &self.account
    }

    /// A valid access token: the cached one, or a fresh one.
    ///
    /// Any failure to get one is worth another try: it is not the message's
    /// fault, and a revoked key or a skewed clock is fixed by an operator
    /// while the deliveries wait (within their attempts).
    pub async fn token(&self) -> Result<SecretString, SendError> {
        let mut cache = self.cache.lock().await;
        if let Some(cached) = cache.as_ref()
            && Instant::now() < cached.refresh_at
        {
            return Ok(cached.token.clone());
        }
        *cache = None;
        let fetched_at = Instant::now();
        let fresh = self.fetch().await?;
        let lifetime = Duration::from_secs(fresh.expires_in);
        let token = SecretString::from(fresh.access_token);
        *cache = Some(Cached {
            token: token.clone(),
            refresh_at: fetched_at + lifetime - REFRESH_MARGIN.min(lifetime / 2),
        });
        Ok(token)
    }

    /// Forgets `stale` (FCM refused it), unless a newer token replaced it.
    pub async fn invalidate(&self, stale: &SecretString) {
        let mut cache = self.cache.lock().await;
        if cache
            .as_ref()
            .is_some_and(|c| c.token.expose_secret() == stale.expose_secret())
        {
            *cache = None;
        }
    }

    async fn fetch(&self) -> Result<TokenResponse, SendError> {
        let retry = |reason: String| SendError::Retry {
            reason: format!("fcm oauth: {reason}"),
            after: None,
        };
        let assertion = self.account.assertion(chrono::Utc::now().timestamp())?;
        let response = self
            .client
            .post(&self.account.token_uri)
            .form(&[
                ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                ("assertion", assertion.as_str()),
            ])
            .send()
            .await
            .map_err(|e| http::transport_error("fcm oauth", e))?;
        let response = http::check(response).await.map_err(|failure| {
            let after = failure.retry_after;
            SendError::Retry {
                reason: failure.reason("fcm oauth"),
                after,
            }
        })?;
        let token: TokenResponse = response
            .json()
            .await
            .map_err(|_| retry("the token endpoint's answer has no access_token".into()))?;
        if token.access_token.is_empty() || token.expires_in == 0 {
            return Err(retry("the token endpoint returned an empty token".into()));
        }
        Ok(token)
    }
}
