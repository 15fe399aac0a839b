//! Environment → typed configuration. Only the gateway reads the environment.
//!
//! Parsing is a pure function over a key lookup ([`Config::from_lookup`]) so
//! tests can try bad values without touching the process environment. Every
//! problem is reported at once, each naming its key.

use std::{fmt, net::SocketAddr, str::FromStr, sync::Arc, time::Duration};

use ipnet::IpNet;
use secrecy::{ExposeSecret, SecretSlice, SecretString};
use trellis_billing::plans::PlanCode;
use trellis_credentials_vault::crypto::KeyRing;
use trellis_kernel::types::Currency;
use zeroize::Zeroizing;

/// The deployment flavour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    /// Friendly defaults: generated keys, readable logs.
    Development,
    /// Refuses to start with weak or missing secrets.
    Production,
}

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines for a terminal.
    Pretty,
    /// One JSON object per line, for log shippers.
    Json,
}

/// Where the HS256 signing key came from. The key is a `secrecy` secret:
/// it never prints (`Debug` shows `[REDACTED]`) and is wiped on drop.
#[derive(Clone, Debug)]
pub enum JwtSecret {
    /// Set by the operator.
    Configured(SecretSlice<u8>),
    /// Generated at startup (development only): tokens die with the process.
    Generated(SecretSlice<u8>),
}

impl JwtSecret {
    /// The key bytes.
    pub fn bytes(&self) -> &[u8] {
        match self {
            Self::Configured(b) | Self::Generated(b) => b.expose_secret(),
        }
    }
}

/// Where the key signing file links came from (like [`JwtSecret`]).
#[derive(Clone, Debug)]
pub enum FilesSigningKey {
    /// Set by the operator.
    Configured(SecretSlice<u8>),
    /// Generated at startup (development only): links die with the process.
    Generated(SecretSlice<u8>),
}

impl FilesSigningKey {
    /// The key.
    pub fn key(&self) -> &SecretSlice<u8> {
        match self {
            Self::Configured(k) | Self::Generated(k) => k,
        }
    }
}

/// Everything the gateway reads from the environment, grouped by concern.
/// Secrets are `secrecy` types: `Debug` never prints them.
#[derive(Clone, Debug)]
pub struct Config {
    /// `TRELLIS_ENV`.
    pub env: Environment,
    /// Where to listen and how to stop.
    pub listen: ListenConfig,
    /// What every request goes through.
    pub http: HttpConfig,
    /// The database.
    pub database: DatabaseConfig,
    /// Redis, shared by every instance (rate limits, revocations).
    pub redis: RedisConfig,
    /// Tokens, sessions and phone codes.
    pub auth: AuthConfig,
    /// Email delivery.
    pub mail: MailConfig,
    /// Logging.
    pub log: LogConfig,
    /// Scheduled jobs.
    pub jobs: JobsConfig,
    /// The event outbox's dispatcher.
    pub outbox: OutboxConfig,
    /// Notification delivery: retries and the providers beyond email.
    pub notify: NotifyConfig,
    /// Uploaded files.
    pub files: FilesConfig,
    /// The realtime socket.
    pub realtime: RealtimeConfig,
    /// The credentials vault's master keys.
    pub vault: VaultConfig,
    /// Plans, prices and Stripe.
    pub billing: BillingConfig,
    /// The assistant's language model (`TRELLIS_AI_*`).
    pub assistant: AssistantConfig,
    /// `TRELLIS_SETTINGS_CACHE_TTL`: staleness bound of runtime settings.
    pub settings_cache_ttl: Duration,
    /// `TRELLIS_DATA_DIR`: development outboxes (mail, SMS) live here.
    pub data_dir: std::path::PathBuf,
}

/// The listeners.
#[derive(Clone, Debug)]
pub struct ListenConfig {
    /// `TRELLIS_HTTP_ADDR`: the public listener.
    pub public: SocketAddr,
    /// `TRELLIS_INTERNAL_ADDR`: the internal listener.
    pub internal: SocketAddr,
    /// `TRELLIS_SHUTDOWN_TIMEOUT`: how long in-flight requests may finish.
    pub shutdown_timeout: Duration,
}

/// The request pipeline.
#[derive(Clone, Debug)]
pub struct HttpConfig {
    /// `TRELLIS_CORS_ORIGINS`.
    pub cors_origins: Vec<String>,
    /// `TRELLIS_TRUSTED_PROXIES`.
    pub trusted_proxies: Vec<IpNet>,
    /// `TRELLIS_RATE_LIMITS`.
    pub rate_limits: bool,
    /// `TRELLIS_BODY_LIMIT`: largest request body in bytes.
    pub body_limit: usize,
    /// `TRELLIS_IMPORT_LIMIT`: largest CSV import body in bytes
    /// (`POST /api/v1/orgs/{org_id}/import` only; it is read as a stream).
    pub import_limit: usize,
    /// `TRELLIS_HSTS_MAX_AGE`: sends `Strict-Transport-Security` when set.
    pub hsts_max_age: Option<Duration>,
}

/// Redis: where instances share what would otherwise tie a client to one
/// process. Unset, everything stays in-process (one instance, or tests).
#[derive(Clone)]
pub struct RedisConfig {
    /// `REDIS_URL` (may hold a password: `Debug` redacts it).
    pub url: Option<String>,
    /// `TRELLIS_REDIS_PREFIX`: prepended to every key and channel, so that
    /// several deployments (or test runs) can share one server.
    pub prefix: String,
}

impl fmt::Debug for RedisConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisConfig")
            .field("url", &self.url.as_deref().map(redact_url))
            .field("prefix", &self.prefix)
            .finish()
    }
}

/// The database.
#[derive(Clone)]
pub struct DatabaseConfig {
    /// `DATABASE_URL` (may hold a password: `Debug` redacts it).
    pub url: String,
    /// `TRELLIS_DB_MAX_CONNECTIONS`.
    pub max_connections: u32,
    /// `TRELLIS_AUTO_MIGRATE`.
    pub auto_migrate: bool,
}

impl fmt::Debug for DatabaseConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseConfig")
            .field("url", &redact_url(&self.url))
            .field("max_connections", &self.max_connections)
            .field("auto_migrate", &self.auto_migrate)
            .finish()
    }
}

/// Access tokens, refresh tokens and phone codes.
#[derive(Clone, Debug)]
pub struct AuthConfig {
    /// `TRELLIS_JWT_SECRET`.
    pub jwt_secret: JwtSecret,
    /// `TRELLIS_JWT_ISSUER`.
    pub jwt_issuer: String,
    /// `TRELLIS_JWT_AUDIENCE`.
    pub jwt_audience: String,
    /// `TRELLIS_ACCESS_TOKEN_TTL`.
    pub access_token_ttl: Duration,
    /// `TRELLIS_REFRESH_TOKEN_TTL`.
    pub refresh_token_ttl: Duration,
    /// `TRELLIS_REFRESH_REUSE_GRACE`.
    pub refresh_reuse_grace: Duration,
    /// `TRELLIS_OTP_COOLDOWN`: minimum time between two codes to one phone.
    pub otp_cooldown: Duration,
    /// `TRELLIS_OTP_HOURLY_CAP`: codes per phone per hour.
    pub otp_hourly_cap: u32,
}

/// Email.
#[derive(Clone, Debug)]
pub struct MailConfig {
    /// `SMTP_URL`: lettre SMTP URL (may hold a password); unset writes `.eml` files.
    pub smtp_url: Option<SecretString>,
    /// `TRELLIS_MAIL_FROM`: the sender of every email.
    pub from: lettre::message::Mailbox,
    /// `TRELLIS_APP_URL`: base of links in emails.
    pub app_url: String,
    /// `TRELLIS_PUBLIC_URL`: where clients reach this API (one-click
    /// unsubscribe links in email headers point here).
    pub public_url: String,
}

/// Logging.
#[derive(Clone, Debug)]
pub struct LogConfig {
    /// `TRELLIS_LOG_FORMAT`.
    pub format: LogFormat,
    /// `RUST_LOG`.
    pub filter: String,
}

/// Scheduled jobs.
#[derive(Clone, Debug)]
pub struct JobsConfig {
    /// `CRON_SECRET`: enables `/internal/cron/*`.
    pub cron_secret: Option<SecretString>,
}

/// The credentials vault.
#[derive(Clone, Debug)]
pub struct VaultConfig {
    /// `VAULT_MASTER_KEYS`: `id:base64,...` (32-byte keys), the first
    /// active. `None` outside production: the gateway keeps a generated key
    /// in `<TRELLIS_DATA_DIR>/vault-master-keys`. The ring's `Debug` shows
    /// key ids only.
    pub master_keys: Option<Arc<KeyRing>>,
}

/// The assistant's language model.
#[derive(Clone, Debug)]
pub struct AssistantConfig {
    /// Any OpenAI-compatible chat-completions API, when
    /// `TRELLIS_AI_BASE_URL` and `TRELLIS_AI_MODEL` are set (with
    /// `TRELLIS_AI_API_KEY` if it needs one, `TRELLIS_AI_TIMEOUT`, default
    /// 30 s); without them the assistant's routes answer 503
    /// `assistant.not_configured`.
    pub provider: Option<trellis_assistant::provider::ProviderConfig>,
}

/// Plans, their prices and Stripe.
#[derive(Clone, Debug)]
pub struct BillingConfig {
    /// `TRELLIS_BILLING_CURRENCY`: the currency of plan prices (BRL).
    pub currency: Currency,
    /// `STRIPE_PRICE_BASIC`, `STRIPE_PRICE_PRO`, `STRIPE_PRICE_PREMIUM`:
    /// the Stripe price selling each paid plan. A plan without one cannot
    /// be bought.
    pub prices: Vec<(PlanCode, String)>,
    /// `STRIPE_SECRET_KEY`: the Stripe API key. Without it checkout and the
    /// portal answer 503 `billing.not_configured`.
    pub stripe_secret_key: Option<SecretString>,
    /// `STRIPE_WEBHOOK_SECRET`: the endpoint's signing secret (`whsec_...`).
    /// Without it every webhook is refused.
    pub stripe_webhook_secret: Option<SecretString>,
    /// `STRIPE_API_BASE`: where the Stripe client sends requests (Stripe's
    /// own API when unset; a local fake in tests).
    pub stripe_api_base: Option<String>,
}

/// How the event outbox is dispatched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboxConfig {
    /// `TRELLIS_OUTBOX_POLL`: how often due events are looked for.
    pub poll: Duration,
    /// `TRELLIS_OUTBOX_RETRY_BASE`: the wait after a first failure (doubles
    /// with every further one, up to an hour).
    pub retry_base: Duration,
    /// `TRELLIS_OUTBOX_MAX_ATTEMPTS`: attempts before an event is dead.
    pub max_attempts: u32,
}

/// Notification delivery (email's settings are in [`MailConfig`]).
#[derive(Clone, Debug)]
pub struct NotifyConfig {
    /// `TRELLIS_NOTIFY_POLL`: how often due deliveries are looked for.
    pub poll: Duration,
    /// `TRELLIS_NOTIFY_RETRY_BASE`: the wait after a first failed attempt
    /// (doubles with each further one, up to an hour, with jitter).
    pub retry_base: Duration,
    /// `TRELLIS_NOTIFY_MAX_ATTEMPTS`: attempts before a delivery is dead.
    pub max_attempts: u32,
    /// `TRELLIS_UNSUBSCRIBE_KEY`: signs unsubscribe links (required in
    /// production, so links in sent emails keep working across restarts).
    pub unsubscribe_key: FilesSigningKey,
    /// WhatsApp Cloud API, when `WHATSAPP_PHONE_NUMBER_ID` is set.
    pub whatsapp: Option<WhatsappSettings>,
    /// Twilio-shaped SMS, when `TWILIO_ACCOUNT_SID` is set.
    pub twilio: Option<TwilioSettings>,
    /// FCM push, when `FCM_SERVICE_ACCOUNT_JSON` or `_FILE` is set.
    pub fcm: Option<FcmSettings>,
}

/// WhatsApp Cloud API.
#[derive(Clone, Debug)]
pub struct WhatsappSettings {
    /// `WHATSAPP_PHONE_NUMBER_ID`.
    pub phone_number_id: String,
    /// `WHATSAPP_ACCESS_TOKEN`.
    pub access_token: SecretString,
    /// `WHATSAPP_API_BASE` (default `https://graph.facebook.com`).
    pub base_url: Option<String>,
    /// `WHATSAPP_API_VERSION` (default `v21.0`).
    pub api_version: Option<String>,
}

/// An SMS provider with Twilio's Messages API.
#[derive(Clone, Debug)]
pub struct TwilioSettings {
    /// `TWILIO_ACCOUNT_SID`.
    pub account_sid: String,
    /// `TWILIO_AUTH_TOKEN`.
    pub auth_token: SecretString,
    /// `TWILIO_FROM` (a number) or, instead, `TWILIO_MESSAGING_SERVICE_SID`.
    pub from: Option<String>,
    /// `TWILIO_MESSAGING_SERVICE_SID`.
    pub messaging_service_sid: Option<String>,
    /// `TWILIO_API_BASE` (default `https://api.twilio.com`).
    pub base_url: Option<String>,
}

/// Firebase Cloud Messaging (HTTP v1).
#[derive(Clone, Debug)]
pub struct FcmSettings {
    /// The service account's JSON key (`FCM_SERVICE_ACCOUNT_JSON`, or the
    /// file named by `FCM_SERVICE_ACCOUNT_FILE`).
    pub service_account: SecretString,
    /// `FCM_PROJECT_ID` (default: the key's project).
    pub project_id: Option<String>,
    /// `FCM_ANDROID_CHANNEL_ID` (default `trellis`).
    pub android_channel_id: String,
    /// `FCM_API_BASE` (default `https://fcm.googleapis.com`).
    pub base_url: Option<String>,
    /// `FCM_TOKEN_URI` (default: the key's `token_uri`).
    pub token_uri: Option<String>,
}

/// Uploaded files: limits, types, where they are kept, link signing.
#[derive(Clone, Debug)]
pub struct FilesConfig {
    /// `TRELLIS_UPLOAD_LIMIT`: the largest upload request body, in bytes
    /// (`POST /api/v1/files` only; every other route keeps the body limit).
    pub upload_limit: usize,
    /// `TRELLIS_UPLOAD_TYPES`: the types an upload may be, as sniffed.
    pub upload_types: Vec<String>,
    /// `TRELLIS_FILES_DIR`: the local store's directory (default
    /// `<TRELLIS_DATA_DIR>/files`), when no S3 bucket is configured.
    pub dir: std::path::PathBuf,
    /// `TRELLIS_FILES_SIGNING_KEY`: signs download links.
    pub signing_key: FilesSigningKey,
    /// `TRELLIS_FILES_LINK_TTL`: how long a signed link works.
    pub link_ttl: Duration,
    /// `TRELLIS_S3_*`: an S3-compatible bucket instead of the local disk
    /// (chosen when `TRELLIS_S3_BUCKET` is set).
    pub s3: Option<S3Config>,
}

/// An S3-compatible bucket.
#[derive(Clone, Debug)]
pub struct S3Config {
    /// `TRELLIS_S3_BUCKET`.
    pub bucket: String,
    /// `TRELLIS_S3_ENDPOINT`: unset for AWS itself.
    pub endpoint: Option<String>,
    /// `TRELLIS_S3_REGION`.
    pub region: String,
    /// `TRELLIS_S3_ACCESS_KEY_ID`: unset to use the instance's credentials.
    pub access_key_id: Option<String>,
    /// `TRELLIS_S3_SECRET_ACCESS_KEY`.
    pub secret_access_key: Option<SecretString>,
}

/// The realtime socket (`GET /api/v1/ws`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RealtimeConfig {
    /// `TRELLIS_WS_AUTH_TIMEOUT`: how long a socket may take to send its
    /// `auth` frame.
    pub auth_timeout: Duration,
    /// `TRELLIS_WS_PING_INTERVAL`: how often the server pings.
    pub ping_interval: Duration,
    /// `TRELLIS_WS_IDLE_TIMEOUT`: a socket heard nothing from (no frame, no
    /// pong) for this long is dropped.
    pub idle_timeout: Duration,
    /// `TRELLIS_WS_SEND_QUEUE`: frames waiting for a socket; a socket whose
    /// queue overflows is closed with 4008.
    pub send_queue: usize,
    /// `TRELLIS_WS_TYPING_TTL`: a `typing` not refreshed for this long
    /// becomes a `stop_typing`.
    pub typing_ttl: Duration,
}

impl Default for RealtimeConfig {
    fn default() -> Self {
        Self {
            auth_timeout: Duration::from_secs(5),
            ping_interval: Duration::from_secs(25),
            idle_timeout: Duration::from_secs(60),
            send_queue: 256,
            typing_ttl: Duration::from_secs(5),
        }
    }
}

/// Hides the password of a database URL for logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// One configuration key with a bad value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The environment variable.
    pub key: &'static str,
    /// What is wrong, for the operator.
    pub reason: String,
}

/// Every configuration problem found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "invalid configuration:")?;
        for e in &self.0 {
            writeln!(f, "  {}: {}", e.key, e.reason)?;
        }
        Ok(())
    }
}

/// Secrets that ship in examples and tutorials; refused in production.
const WEAK_SECRETS: &[&str] = &["secret", "changeme", "change-me", "password", "development"];

/// The smallest acceptable HS256 key.
pub const MIN_JWT_SECRET_BYTES: usize = trellis_kernel::auth::MIN_SECRET_BYTES;

struct Reader<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
    errors: Vec<ConfigError>,
}

impl Reader<'_> {
    fn raw(&self, key: &str) -> Option<String> {
        (self.lookup)(key)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    fn fail(&mut self, key: &'static str, reason: impl Into<String>) {
        self.errors.push(ConfigError {
            key,
            reason: reason.into(),
        });
    }

    /// Parses `key` with `parse`, falling back to `default` (and recording the error).
    fn parse<T>(
        &mut self,
        key: &'static str,
        default: T,
        expected: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> T {
        match self.raw(key) {
            None => default,
            Some(value) => parse(&value).unwrap_or_else(|| {
                self.fail(key, format!("invalid value {value:?}: expected {expected}"));
                default
            }),
        }
    }

    fn parsed<T: FromStr>(&mut self, key: &'static str, default: T, expected: &str) -> T {
        self.parse(key, default, expected, |v| v.parse().ok())
    }

    fn bool(&mut self, key: &'static str, default: bool) -> bool {
        self.parse(key, default, "true/false, on/off, 1/0", |v| {
            match v.to_ascii_lowercase().as_str() {
                "true" | "on" | "1" | "yes" => Some(true),
                "false" | "off" | "0" | "no" => Some(false),
                _ => None,
            }
        })
    }

    fn duration(&mut self, key: &'static str, default: Duration) -> Duration {
        self.parse(key, default, "a duration such as 30s, 15m or 1h", |v| {
            humantime::parse_duration(v).ok()
        })
    }

    fn list(&self, key: &str) -> Vec<String> {
        self.raw(key)
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Config {
    /// Reads the process environment (after `.env`, which `main` loads).
    pub fn from_env() -> Result<Self, ConfigErrors> {
        Self::from_lookup(&|key| std::env::var(key).ok())
    }

    /// Reads configuration through `lookup`, reporting every bad key at once.
    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigErrors> {
        let mut r = Reader {
            lookup,
            errors: Vec::new(),
        };
        let env = r.parse(
            "TRELLIS_ENV",
            Environment::Development,
            "development or production",
            |v| match v {
                "development" | "dev" => Some(Environment::Development),
                "production" | "prod" => Some(Environment::Production),
                _ => None,
            },
        );
        let http_addr = r.parsed(
            "TRELLIS_HTTP_ADDR",
            SocketAddr::from(([0, 0, 0, 0], 8080)),
            "host:port, such as 0.0.0.0:8080",
        );
        let internal_addr = r.parsed(
            "TRELLIS_INTERNAL_ADDR",
            SocketAddr::from(([127, 0, 0, 1], 8081)),
            "host:port, such as 127.0.0.1:8081",
        );
        let database_url = r
            .raw("DATABASE_URL")
            .unwrap_or_else(|| "sqlite://./data/trellis.db?mode=rwc".to_string());
        if trellis_kernel::db::backend_of(&database_url).is_none() {
            r.fail(
                "DATABASE_URL",
                "must start with sqlite: or postgres:// (postgresql://)",
            );
        }
        let db_max_connections = r.parse(
            "TRELLIS_DB_MAX_CONNECTIONS",
            16,
            "a whole number from 1 to 1000",
            |v| v.parse().ok().filter(|n| (1..=1000).contains(n)),
        );
        let auto_migrate = r.bool("TRELLIS_AUTO_MIGRATE", true);
        let redis = redis_config(&mut r);

        let jwt_secret = match r.raw("TRELLIS_JWT_SECRET") {
            Some(secret) => {
                if secret.len() < MIN_JWT_SECRET_BYTES {
                    r.fail(
                        "TRELLIS_JWT_SECRET",
                        format!("must be at least {MIN_JWT_SECRET_BYTES} bytes long"),
                    );
                } else if env == Environment::Production && is_weak(&secret) {
                    r.fail(
                        "TRELLIS_JWT_SECRET",
                        "is a well-known or low-entropy value; generate one with `openssl rand -base64 48`",
                    );
                }
                JwtSecret::Configured(secret.into_bytes().into())
            }
            None => {
                if env == Environment::Production {
                    r.fail(
                        "TRELLIS_JWT_SECRET",
                        "is required in production (generate one with `openssl rand -base64 48`)",
                    );
                }
                let mut key = vec![0_u8; 48];
                rand::fill(&mut key[..]);
                JwtSecret::Generated(key.into())
            }
        };
        let jwt_issuer = r
            .raw("TRELLIS_JWT_ISSUER")
            .unwrap_or_else(|| "trellis".into());
        let jwt_audience = r
            .raw("TRELLIS_JWT_AUDIENCE")
            .unwrap_or_else(|| "trellis-api".into());
        let access_token_ttl = r.duration("TRELLIS_ACCESS_TOKEN_TTL", Duration::from_secs(15 * 60));

        let log_format = r.parse(
            "TRELLIS_LOG_FORMAT",
            LogFormat::Pretty,
            "pretty or json",
            |v| match v {
                "pretty" => Some(LogFormat::Pretty),
                "json" => Some(LogFormat::Json),
                _ => None,
            },
        );
        let log_filter = r
            .raw("RUST_LOG")
            .unwrap_or_else(|| "info,sqlx=warn,sea_orm=warn".into());

        let cors_origins = r.list("TRELLIS_CORS_ORIGINS");
        for origin in &cors_origins {
            if !(origin.starts_with("http://") || origin.starts_with("https://"))
                || origin.ends_with('/')
            {
                r.fail(
                    "TRELLIS_CORS_ORIGINS",
                    format!("{origin:?} is not an origin such as https://app.example.com"),
                );
            }
        }
        let mut trusted_proxies = Vec::new();
        for entry in r.list("TRELLIS_TRUSTED_PROXIES") {
            let parsed = entry
                .parse::<IpNet>()
                .or_else(|_| entry.parse::<std::net::IpAddr>().map(IpNet::from));
            match parsed {
                Ok(net) => trusted_proxies.push(net),
                Err(_) => r.fail(
                    "TRELLIS_TRUSTED_PROXIES",
                    format!("{entry:?} is not an IP address or CIDR range"),
                ),
            }
        }
        let rate_limits = r.bool("TRELLIS_RATE_LIMITS", true);
        let body_limit = r.parse(
            "TRELLIS_BODY_LIMIT",
            1024 * 1024,
            "a size in bytes from 1024 to 1073741824",
            |v| v.parse().ok().filter(|n| (1024..=1 << 30).contains(n)),
        );
        let import_limit = r.parse(
            "TRELLIS_IMPORT_LIMIT",
            32 * 1024 * 1024,
            "a size in bytes from 1024 to 1073741824",
            |v| v.parse().ok().filter(|n| (1024..=1 << 30).contains(n)),
        );
        let hsts_max_age = r
            .raw("TRELLIS_HSTS_MAX_AGE")
            .map(|_| r.duration("TRELLIS_HSTS_MAX_AGE", Duration::ZERO));
        let shutdown_timeout = r.duration("TRELLIS_SHUTDOWN_TIMEOUT", Duration::from_secs(30));
        let settings_cache_ttl = r.duration("TRELLIS_SETTINGS_CACHE_TTL", Duration::from_secs(5));
        let cron_secret = r.raw("CRON_SECRET");
        if let Some(secret) = &cron_secret
            && secret.len() < 16
        {
            r.fail("CRON_SECRET", "must be at least 16 characters long");
        }

        let data_dir =
            std::path::PathBuf::from(r.raw("TRELLIS_DATA_DIR").unwrap_or_else(|| "./data".into()));
        let vault = vault_config(&mut r, env);
        let billing = billing_config(&mut r);
        let assistant = assistant_config(&mut r);
        let smtp_url = r.raw("SMTP_URL");
        if let Some(url) = &smtp_url
            && !(url.starts_with("smtp://") || url.starts_with("smtps://"))
        {
            r.fail("SMTP_URL", "must start with smtp:// or smtps://");
        }
        let default_from: lettre::message::Mailbox = lettre::message::Mailbox::new(
            Some("Trellis".into()),
            lettre::Address::new("no-reply", "localhost")
                .unwrap_or_else(|_| unreachable!("a valid address")),
        );
        let mail_from = r.parse(
            "TRELLIS_MAIL_FROM",
            default_from,
            "a mailbox such as \"Trellis <no-reply@example.com>\"",
            |v| v.parse().ok(),
        );
        let app_url = r
            .raw("TRELLIS_APP_URL")
            .unwrap_or_else(|| "http://localhost:8080".into());
        if !(app_url.starts_with("http://") || app_url.starts_with("https://")) {
            r.fail("TRELLIS_APP_URL", "must be an http:// or https:// URL");
        }
        let public_url = r
            .raw("TRELLIS_PUBLIC_URL")
            .unwrap_or_else(|| "http://localhost:8080".into());
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            r.fail("TRELLIS_PUBLIC_URL", "must be an http:// or https:// URL");
        }
        let refresh_token_ttl = r.duration(
            "TRELLIS_REFRESH_TOKEN_TTL",
            Duration::from_secs(30 * 86_400),
        );
        let refresh_reuse_grace =
            r.duration("TRELLIS_REFRESH_REUSE_GRACE", Duration::from_secs(10));
        let otp_cooldown = r.duration("TRELLIS_OTP_COOLDOWN", Duration::from_secs(60));
        let otp_hourly_cap = r.parse(
            "TRELLIS_OTP_HOURLY_CAP",
            5,
            "a whole number from 1 to 100",
            |v| v.parse().ok().filter(|n| (1..=100).contains(n)),
        );
        let outbox = OutboxConfig {
            poll: r.duration("TRELLIS_OUTBOX_POLL", Duration::from_millis(500)),
            retry_base: r.duration("TRELLIS_OUTBOX_RETRY_BASE", Duration::from_secs(5)),
            max_attempts: r.parse(
                "TRELLIS_OUTBOX_MAX_ATTEMPTS",
                8,
                "a whole number from 1 to 100",
                |v| v.parse().ok().filter(|n| (1..=100).contains(n)),
            ),
        };

        let files = files_config(&mut r, env, &data_dir);
        let notify = notify_config(&mut r, env);
        let defaults = RealtimeConfig::default();
        let realtime = RealtimeConfig {
            auth_timeout: r.duration("TRELLIS_WS_AUTH_TIMEOUT", defaults.auth_timeout),
            ping_interval: r.duration("TRELLIS_WS_PING_INTERVAL", defaults.ping_interval),
            idle_timeout: r.duration("TRELLIS_WS_IDLE_TIMEOUT", defaults.idle_timeout),
            send_queue: r.parse(
                "TRELLIS_WS_SEND_QUEUE",
                defaults.send_queue,
                "a whole number of frames from 1 to 65536",
                |v| v.parse().ok().filter(|n| (1..=65_536).contains(n)),
            ),
            typing_ttl: r.duration("TRELLIS_WS_TYPING_TTL", defaults.typing_ttl),
        };
        for (key, value) in [
            ("TRELLIS_WS_AUTH_TIMEOUT", realtime.auth_timeout),
            ("TRELLIS_WS_PING_INTERVAL", realtime.ping_interval),
            ("TRELLIS_WS_TYPING_TTL", realtime.typing_ttl),
        ] {
            if value.is_zero() {
                r.fail(key, "must be longer than zero");
            }
        }
        if realtime.idle_timeout <= realtime.ping_interval {
            r.fail(
                "TRELLIS_WS_IDLE_TIMEOUT",
                "must be longer than TRELLIS_WS_PING_INTERVAL (a live client answers every ping)",
            );
        }

        if !r.errors.is_empty() {
            return Err(ConfigErrors(r.errors));
        }
        Ok(Self {
            env,
            listen: ListenConfig {
                public: http_addr,
                internal: internal_addr,
                shutdown_timeout,
            },
            http: HttpConfig {
                cors_origins,
                trusted_proxies,
                rate_limits,
                body_limit,
                import_limit,
                hsts_max_age,
            },
            database: DatabaseConfig {
                url: database_url,
                max_connections: db_max_connections,
                auto_migrate,
            },
            redis,
            auth: AuthConfig {
                jwt_secret,
                jwt_issuer,
                jwt_audience,
                access_token_ttl,
                refresh_token_ttl,
                refresh_reuse_grace,
                otp_cooldown,
                otp_hourly_cap,
            },
            mail: MailConfig {
                smtp_url: smtp_url.map(SecretString::from),
                from: mail_from,
                app_url,
                public_url,
            },
            log: LogConfig {
                format: log_format,
                filter: log_filter,
            },
            jobs: JobsConfig {
                cron_secret: cron_secret.map(SecretString::from),
            },
            outbox,
            notify,
            files,
            realtime,
            vault,
            billing,
            assistant,
            settings_cache_ttl,
            data_dir,
        })
    }
}

/// `REDIS_URL` and `TRELLIS_REDIS_PREFIX`. The URL is parsed here, so a
/// typo stops startup instead of silently leaving limits per instance; only
/// `redis://` (and `redis+unix://`) is accepted: the client is built without
/// TLS.
fn redis_config(r: &mut Reader<'_>) -> RedisConfig {
    let url = r.raw("REDIS_URL");
    if let Some(url) = &url {
        let plain = url.starts_with("redis://") || url.starts_with("redis+unix://");
        if !plain || redis::Client::open(url.as_str()).is_err() {
            r.fail(
                "REDIS_URL",
                "must be a redis:// URL, such as redis://127.0.0.1:6379/0 (rediss:// is not supported)",
            );
        }
    }
    let prefix = r
        .raw("TRELLIS_REDIS_PREFIX")
        .unwrap_or_else(|| "trellis:".into());
    if prefix.chars().any(char::is_whitespace) {
        r.fail("TRELLIS_REDIS_PREFIX", "must not contain whitespace");
    }
    RedisConfig { url, prefix }
}

/// `TRELLIS_AI_*`: the assistant's provider, configured by its base URL and
/// model together.
fn assistant_config(r: &mut Reader<'_>) -> AssistantConfig {
    let base_url = r.raw("TRELLIS_AI_BASE_URL");
    let model = r.raw("TRELLIS_AI_MODEL");
    let api_key = r.raw("TRELLIS_AI_API_KEY").map(SecretString::from);
    let timeout = r.duration("TRELLIS_AI_TIMEOUT", Duration::from_secs(30));
    let provider = match (base_url, model) {
        (None, None) => None,
        (Some(_), None) => {
            r.fail(
                "TRELLIS_AI_MODEL",
                "is required when TRELLIS_AI_BASE_URL is set",
            );
            None
        }
        (None, Some(_)) => {
            r.fail(
                "TRELLIS_AI_BASE_URL",
                "is required when TRELLIS_AI_MODEL is set",
            );
            None
        }
        (Some(base_url), Some(model)) => {
            if !(base_url.starts_with("https://") || base_url.starts_with("http://")) {
                r.fail(
                    "TRELLIS_AI_BASE_URL",
                    "must be an http(s) URL, such as https://api.openai.com/v1",
                );
            }
            if timeout.is_zero() {
                r.fail("TRELLIS_AI_TIMEOUT", "must be longer than zero");
            }
            Some(trellis_assistant::provider::ProviderConfig {
                base_url,
                api_key,
                model,
                timeout,
            })
        }
    };
    AssistantConfig { provider }
}

/// `VAULT_MASTER_KEYS`, parsed (the raw value is wiped): required in
/// production; outside it, absent means a generated key file.
fn vault_config(r: &mut Reader<'_>, env: Environment) -> VaultConfig {
    const KEY: &str = "VAULT_MASTER_KEYS";
    let master_keys = match r.raw(KEY).map(Zeroizing::new) {
        Some(spec) => match KeyRing::parse(&spec) {
            Ok(ring) => Some(Arc::new(ring)),
            // The reason names entries and ids, never key material.
            Err(e) => {
                r.fail(KEY, format!("{e}: expected id:base64-of-32-bytes entries, comma-separated, the first active"));
                None
            }
        },
        None => {
            if env == Environment::Production {
                r.fail(
                    KEY,
                    "is required in production (one key: `VAULT_MASTER_KEYS=k1:$(openssl rand -base64 32)`)",
                );
            }
            None
        }
    };
    VaultConfig { master_keys }
}

/// Plans' currency and Stripe's keys, prices and address.
fn billing_config(r: &mut Reader<'_>) -> BillingConfig {
    let currency = r.parse(
        "TRELLIS_BILLING_CURRENCY",
        Currency::parse("BRL").unwrap_or_else(|_| unreachable!("BRL is a currency code")),
        "a three-letter currency code such as BRL",
        |v| Currency::parse(v).ok(),
    );
    let prices = [
        ("STRIPE_PRICE_BASIC", PlanCode::Basic),
        ("STRIPE_PRICE_PRO", PlanCode::Pro),
        ("STRIPE_PRICE_PREMIUM", PlanCode::Premium),
    ]
    .into_iter()
    .filter_map(|(key, plan)| r.raw(key).map(|price| (plan, price)))
    .collect();
    let stripe_api_base = r.raw("STRIPE_API_BASE");
    if let Some(base) = &stripe_api_base
        && !(base.starts_with("http://") || base.starts_with("https://"))
    {
        r.fail("STRIPE_API_BASE", "must be an http:// or https:// URL");
    }
    let webhook_secret = r.raw("STRIPE_WEBHOOK_SECRET");
    if let Some(secret) = &webhook_secret
        && secret.len() < 16
    {
        r.fail(
            "STRIPE_WEBHOOK_SECRET",
            "must be at least 16 characters long (whsec_...)",
        );
    }
    BillingConfig {
        currency,
        prices,
        stripe_secret_key: r.raw("STRIPE_SECRET_KEY").map(SecretString::from),
        stripe_webhook_secret: webhook_secret.map(SecretString::from),
        stripe_api_base,
    }
}

/// The smallest acceptable link-signing key.
pub const MIN_FILES_SIGNING_KEY_BYTES: usize = 32;

/// A signing key from `key`: configured (long enough, and not a well-known
/// value in production) or, outside production, generated at startup.
fn signing_key(r: &mut Reader<'_>, env: Environment, key: &'static str) -> FilesSigningKey {
    match r.raw(key) {
        Some(value) => {
            if value.len() < MIN_FILES_SIGNING_KEY_BYTES {
                r.fail(
                    key,
                    format!("must be at least {MIN_FILES_SIGNING_KEY_BYTES} bytes long"),
                );
            } else if env == Environment::Production && is_weak(&value) {
                r.fail(
                    key,
                    "is a well-known or low-entropy value; generate one with `openssl rand -base64 48`",
                );
            }
            FilesSigningKey::Configured(value.into_bytes().into())
        }
        None => {
            if env == Environment::Production {
                r.fail(
                    key,
                    "is required in production (generate one with `openssl rand -base64 48`)",
                );
            }
            let mut generated = vec![0_u8; 48];
            rand::fill(&mut generated[..]);
            FilesSigningKey::Generated(generated.into())
        }
    }
}

/// Reads the notifications group: a provider is configured when its first
/// key is set, and then every key it needs must be.
fn notify_config(r: &mut Reader<'_>, env: Environment) -> NotifyConfig {
    let required = |r: &mut Reader<'_>, key: &'static str, because: &str| {
        r.raw(key).or_else(|| {
            r.fail(key, format!("is required when {because} is set"));
            None
        })
    };
    let whatsapp = r.raw("WHATSAPP_PHONE_NUMBER_ID").map(|phone_number_id| {
        let token = required(r, "WHATSAPP_ACCESS_TOKEN", "WHATSAPP_PHONE_NUMBER_ID");
        WhatsappSettings {
            phone_number_id,
            access_token: SecretString::from(token.unwrap_or_default()),
            base_url: r.raw("WHATSAPP_API_BASE"),
            api_version: r.raw("WHATSAPP_API_VERSION"),
        }
    });
    let twilio = r.raw("TWILIO_ACCOUNT_SID").map(|account_sid| {
        let token = required(r, "TWILIO_AUTH_TOKEN", "TWILIO_ACCOUNT_SID");
        let from = r.raw("TWILIO_FROM");
        let messaging_service_sid = r.raw("TWILIO_MESSAGING_SERVICE_SID");
        if from.is_some() == messaging_service_sid.is_some() {
            r.fail(
                "TWILIO_FROM",
                "set exactly one of TWILIO_FROM and TWILIO_MESSAGING_SERVICE_SID",
            );
        }
        TwilioSettings {
            account_sid,
            auth_token: SecretString::from(token.unwrap_or_default()),
            from,
            messaging_service_sid,
            base_url: r.raw("TWILIO_API_BASE"),
        }
    });
    let service_account = match (
        r.raw("FCM_SERVICE_ACCOUNT_JSON"),
        r.raw("FCM_SERVICE_ACCOUNT_FILE"),
    ) {
        (Some(json), None) => Some(json),
        (None, Some(path)) => match std::fs::read_to_string(&path) {
            Ok(json) => Some(json),
            Err(e) => {
                r.fail(
                    "FCM_SERVICE_ACCOUNT_FILE",
                    format!("cannot read {path}: {e}"),
                );
                None
            }
        },
        (Some(_), Some(_)) => {
            r.fail(
                "FCM_SERVICE_ACCOUNT_JSON",
                "set only one of FCM_SERVICE_ACCOUNT_JSON and FCM_SERVICE_ACCOUNT_FILE",
            );
            None
        }
        (None, None) => None,
    };
    let fcm = service_account.map(|json| FcmSettings {
        service_account: SecretString::from(json),
        project_id: r.raw("FCM_PROJECT_ID"),
        android_channel_id: r
            .raw("FCM_ANDROID_CHANNEL_ID")
            .unwrap_or_else(|| "trellis".into()),
        base_url: r.raw("FCM_API_BASE"),
        token_uri: r.raw("FCM_TOKEN_URI"),
    });
    NotifyConfig {
        poll: r.duration("TRELLIS_NOTIFY_POLL", Duration::from_millis(500)),
        retry_base: r.duration("TRELLIS_NOTIFY_RETRY_BASE", Duration::from_secs(30)),
        max_attempts: r.parse(
            "TRELLIS_NOTIFY_MAX_ATTEMPTS",
            6,
            "a whole number from 1 to 100",
            |v| v.parse().ok().filter(|n| (1..=100).contains(n)),
        ),
        unsubscribe_key: signing_key(r, env, "TRELLIS_UNSUBSCRIBE_KEY"),
        whatsapp,
        twilio,
        fcm,
    }
}

/// Reads the files group.
fn files_config(r: &mut Reader<'_>, env: Environment, data_dir: &std::path::Path) -> FilesConfig {
    let upload_limit = r.parse(
        "TRELLIS_UPLOAD_LIMIT",
        trellis_messaging::files::DEFAULT_MAX_BYTES,
        "a size in bytes from 1024 to 1073741824",
        |v| v.parse().ok().filter(|n| (1024..=1 << 30).contains(n)),
    );
    let mut upload_types = r.list("TRELLIS_UPLOAD_TYPES");
    if upload_types.is_empty() {
        upload_types = trellis_messaging::files::DEFAULT_ALLOWED_TYPES
            .iter()
            .map(|t| t.to_string())
            .collect();
    }
    for t in &upload_types {
        let valid = t.split_once('/').is_some_and(|(kind, sub)| {
            let token = |s: &str| {
                !s.is_empty()
                    && s.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
            };
            token(kind) && token(sub)
        });
        if !valid {
            r.fail(
                "TRELLIS_UPLOAD_TYPES",
                format!("{t:?} is not a media type such as image/png"),
            );
        }
    }
    let upload_types = upload_types
        .iter()
        .map(|t| trellis_messaging::files::essence(t))
        .collect();
    let dir = r
        .raw("TRELLIS_FILES_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| data_dir.join("files"));
    let signing_key = match r.raw("TRELLIS_FILES_SIGNING_KEY") {
        Some(key) => {
            if key.len() < MIN_FILES_SIGNING_KEY_BYTES {
                r.fail(
                    "TRELLIS_FILES_SIGNING_KEY",
                    format!("must be at least {MIN_FILES_SIGNING_KEY_BYTES} bytes long"),
                );
            } else if env == Environment::Production && is_weak(&key) {
                r.fail(
                    "TRELLIS_FILES_SIGNING_KEY",
                    "is a well-known or low-entropy value; generate one with `openssl rand -base64 48`",
                );
            }
            FilesSigningKey::Configured(key.into_bytes().into())
        }
        None => {
            if env == Environment::Production {
                r.fail(
                    "TRELLIS_FILES_SIGNING_KEY",
                    "is required in production (generate one with `openssl rand -base64 48`)",
                );
            }
            FilesSigningKey::Generated(trellis_messaging::files::LinkSigner::random_key())
        }
    };
    let link_ttl = r.duration(
        "TRELLIS_FILES_LINK_TTL",
        trellis_messaging::files::DEFAULT_LINK_TTL,
    );
    if link_ttl.is_zero() || link_ttl > Duration::from_secs(7 * 86_400) {
        r.fail(
            "TRELLIS_FILES_LINK_TTL",
            "must be more than zero and at most 7 days",
        );
    }
    let endpoint = r.raw("TRELLIS_S3_ENDPOINT");
    if let Some(url) = &endpoint
        && !(url.starts_with("http://") || url.starts_with("https://"))
    {
        r.fail("TRELLIS_S3_ENDPOINT", "must be an http:// or https:// URL");
    }
    let access_key_id = r.raw("TRELLIS_S3_ACCESS_KEY_ID");
    let secret_access_key = r.raw("TRELLIS_S3_SECRET_ACCESS_KEY");
    if access_key_id.is_some() != secret_access_key.is_some() {
        r.fail(
            "TRELLIS_S3_SECRET_ACCESS_KEY",
            "TRELLIS_S3_ACCESS_KEY_ID and TRELLIS_S3_SECRET_ACCESS_KEY go together",
        );
    }
    let region = r.raw("TRELLIS_S3_REGION");
    let s3 = match r.raw("TRELLIS_S3_BUCKET") {
        Some(bucket) => Some(S3Config {
            bucket,
            endpoint,
            region: region.unwrap_or_else(|| "us-east-1".into()),
            access_key_id,
            secret_access_key: secret_access_key.map(SecretString::from),
        }),
        None => {
            if endpoint.is_some() || region.is_some() || access_key_id.is_some() {
                r.fail(
                    "TRELLIS_S3_BUCKET",
                    "is required when other TRELLIS_S3_* settings are given",
                );
            }
            None
        }
    };
    FilesConfig {
        upload_limit,
        upload_types,
        dir,
        signing_key,
        link_ttl,
        s3,
    }
}

fn is_weak(secret: &str) -> bool {
    let lower = secret.to_ascii_lowercase();
    let distinct = {
        let mut bytes: Vec<u8> = secret.bytes().collect();
        bytes.sort_unstable();
        bytes.dedup();
        bytes.len()
    };
    distinct < 10 || WEAK_SECRETS.iter().any(|w| lower.contains(w))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn parse(pairs: &[(&str, &str)]) -> Result<Config, ConfigErrors> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(&|k| map.get(k).cloned())
    }

    fn keys(result: Result<Config, ConfigErrors>) -> Vec<&'static str> {
        result
            .err()
            .map(|e| e.0.iter().map(|e| e.key).collect())
            .unwrap_or_default()
    }

    #[test]
    fn no_configuration_starts_a_development_server_on_sqlite() {
        let config = parse(&[]);
        assert!(config.is_ok());
        if let Ok(c) = config {
            assert_eq!(c.env, Environment::Development);
            assert_eq!(c.database.url, "sqlite://./data/trellis.db?mode=rwc");
            assert_eq!(c.listen.public.port(), 8080);
            assert_eq!(c.listen.internal.to_string(), "127.0.0.1:8081");
            assert!(
                matches!(c.auth.jwt_secret, JwtSecret::Generated(ref k) if k.expose_secret().len() >= 32)
            );
            assert_eq!(c.http.body_limit, 1024 * 1024);
            assert_eq!(c.http.import_limit, 32 * 1024 * 1024);
            assert!(c.http.rate_limits);
            assert!(c.redis.url.is_none(), "no Redis: in-process defaults");
            assert_eq!(c.redis.prefix, "trellis:");
            assert_eq!(c.files.upload_limit, 10 * 1024 * 1024);
            assert!(c.files.upload_types.iter().any(|t| t == "image/png"));
            assert_eq!(c.files.dir, std::path::Path::new("./data/files"));
            // Development outboxes and the generated vault key file live here.
            assert_eq!(c.data_dir, std::path::Path::new("./data"));
            assert!(matches!(c.files.signing_key, FilesSigningKey::Generated(_)));
            assert!(c.files.s3.is_none());
        }
    }

    #[test]
    fn files_settings_parse_and_s3_needs_its_bucket() {
        let config = parse(&[
            ("TRELLIS_UPLOAD_LIMIT", "2048"),
            (
                "TRELLIS_UPLOAD_TYPES",
                "image/png, Application/PDF, text/csv",
            ),
            ("TRELLIS_DATA_DIR", "/srv/trellis"),
            ("TRELLIS_FILES_LINK_TTL", "5m"),
            ("TRELLIS_S3_BUCKET", "uploads"),
            ("TRELLIS_S3_ENDPOINT", "http://127.0.0.1:9000"),
            ("TRELLIS_S3_ACCESS_KEY_ID", "minio"),
            ("TRELLIS_S3_SECRET_ACCESS_KEY", "minio-secret"),
        ]);
        assert!(config.is_ok(), "{config:?}");
        if let Ok(c) = config {
            assert_eq!(c.files.upload_limit, 2048);
            assert_eq!(
                c.files.upload_types,
                ["image/png", "application/pdf", "text/csv"]
            );
            assert_eq!(c.files.dir, std::path::Path::new("/srv/trellis/files"));
            assert_eq!(c.files.link_ttl, Duration::from_secs(300));
            let s3 = c.files.s3.as_ref();
            assert_eq!(s3.map(|s| s.bucket.as_str()), Some("uploads"));
            assert_eq!(s3.map(|s| s.region.as_str()), Some("us-east-1"));
        }
        assert_eq!(
            keys(parse(&[
                ("TRELLIS_UPLOAD_LIMIT", "10"),
                ("TRELLIS_UPLOAD_TYPES", "png"),
                ("TRELLIS_FILES_SIGNING_KEY", "short"),
                ("TRELLIS_FILES_LINK_TTL", "30days"),
                ("TRELLIS_S3_ENDPOINT", "minio:9000"),
                ("TRELLIS_S3_ACCESS_KEY_ID", "minio"),
            ])),
            vec![
                "TRELLIS_UPLOAD_LIMIT",
                "TRELLIS_UPLOAD_TYPES",
                "TRELLIS_FILES_SIGNING_KEY",
                "TRELLIS_FILES_LINK_TTL",
                "TRELLIS_S3_ENDPOINT",
                "TRELLIS_S3_SECRET_ACCESS_KEY",
                "TRELLIS_S3_BUCKET",
            ]
        );
    }

    #[test]
    fn every_bad_key_is_named() {
        let result = parse(&[
            ("TRELLIS_HTTP_ADDR", "not-an-address"),
            ("TRELLIS_AUTO_MIGRATE", "maybe"),
            ("TRELLIS_LOG_FORMAT", "xml"),
            ("DATABASE_URL", "mysql://x"),
            ("TRELLIS_TRUSTED_PROXIES", "10.0.0.0/8, banana"),
            ("TRELLIS_ACCESS_TOKEN_TTL", "soon"),
        ]);
        assert_eq!(
            keys(result),
            vec![
                "TRELLIS_HTTP_ADDR",
                "DATABASE_URL",
                "TRELLIS_AUTO_MIGRATE",
                "TRELLIS_ACCESS_TOKEN_TTL",
                "TRELLIS_LOG_FORMAT",
                "TRELLIS_TRUSTED_PROXIES",
            ]
        );
    }

    #[test]
    fn production_refuses_missing_short_or_weak_secrets() {
        const FILES_KEY: (&str, &str) = (
            "TRELLIS_FILES_SIGNING_KEY",
            "Zt4Lw9Qe1Rb7Yp3Xm6Kc2Nv8Hs5Dg0Ja",
        );
        const UNSUBSCRIBE_KEY: (&str, &str) = (
            "TRELLIS_UNSUBSCRIBE_KEY",
            "Pq7Rt2Wx9Za4Bc6De1Fg3Hj5Kl8Mn0Op",
        );
        const VAULT_KEYS: (&str, &str) = (
            "VAULT_MASTER_KEYS",
            "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        );
        assert_eq!(
            keys(parse(&[("TRELLIS_ENV", "production")])),
            vec![
                "TRELLIS_JWT_SECRET",
                "VAULT_MASTER_KEYS",
                "TRELLIS_FILES_SIGNING_KEY",
                "TRELLIS_UNSUBSCRIBE_KEY"
            ]
        );
        assert_eq!(
            keys(parse(&[
                ("TRELLIS_ENV", "production"),
                ("TRELLIS_JWT_SECRET", "short"),
                FILES_KEY,
                UNSUBSCRIBE_KEY,
                VAULT_KEYS,
            ])),
            vec!["TRELLIS_JWT_SECRET"]
        );
        assert_eq!(
            keys(parse(&[
                ("TRELLIS_ENV", "production"),
                ("TRELLIS_JWT_SECRET", "changeme-changeme-changeme-changeme"),
                FILES_KEY,
                UNSUBSCRIBE_KEY,
                VAULT_KEYS,
            ])),
            vec!["TRELLIS_JWT_SECRET"]
        );
        assert_eq!(
            keys(parse(&[
                ("TRELLIS_ENV", "production"),
                (
                    "TRELLIS_JWT_SECRET",
                    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                ),
                FILES_KEY,
                UNSUBSCRIBE_KEY,
                VAULT_KEYS,
            ])),
            vec!["TRELLIS_JWT_SECRET"]
        );
        assert_eq!(
            keys(parse(&[
                ("TRELLIS_ENV", "production"),
                ("TRELLIS_JWT_SECRET", "q8Vn2xR0tL5mZ7cW1bK9yH3dF6gJ4sPe"),
                (
                    "TRELLIS_FILES_SIGNING_KEY",
                    "changeme-changeme-changeme-changeme"
                ),
                ("TRELLIS_UNSUBSCRIBE_KEY", "short"),
                VAULT_KEYS,
            ])),
            vec!["TRELLIS_FILES_SIGNING_KEY", "TRELLIS_UNSUBSCRIBE_KEY"]
        );
        let ok = parse(&[
            ("TRELLIS_ENV", "production"),
            ("TRELLIS_JWT_SECRET", "q8Vn2xR0tL5mZ7cW1bK9yH3dF6gJ4sPe"),
            FILES_KEY,
            UNSUBSCRIBE_KEY,
            VAULT_KEYS,
        ]);
        assert!(ok.is_ok());
    }

    #[test]
    fn vault_master_keys_parse_and_bad_ones_are_named_without_their_bytes() {
        let config = parse(&[(
            "VAULT_MASTER_KEYS",
            "new:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=, old:HxAREhMUFRYXGBkaGxwdHh8AAQIDBAUGBwgJCgsMDQ4=",
        )]);
        let ring = config.ok().and_then(|c| c.vault.master_keys);
        assert_eq!(ring.as_deref().map(|r| r.active_id()), Some("new"));
        let printed = format!("{:?}", ring);
        assert!(!printed.contains("AAECAwQF"), "{printed}");
        assert!(
            parse(&[])
                .ok()
                .is_some_and(|c| c.vault.master_keys.is_none())
        );

        let bad = parse(&[(
            "VAULT_MASTER_KEYS",
            "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=,k2:c2hvcnQ=",
        )]);
        let errors = bad.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(errors.contains("VAULT_MASTER_KEYS: entry 2"), "{errors}");
        assert!(
            !errors.contains("c2hvcnQ") && !errors.contains("AAECAwQF"),
            "{errors}"
        );
    }

    #[test]
    fn lists_and_durations_parse() {
        let config = parse(&[
            (
                "TRELLIS_CORS_ORIGINS",
                "https://app.example.com, http://localhost:5173",
            ),
            ("TRELLIS_TRUSTED_PROXIES", "10.0.0.1, 172.16.0.0/12"),
            ("TRELLIS_ACCESS_TOKEN_TTL", "5m"),
            ("TRELLIS_HSTS_MAX_AGE", "365days"),
            ("TRELLIS_RATE_LIMITS", "off"),
        ]);
        assert!(config.is_ok());
        if let Ok(c) = config {
            assert_eq!(c.http.cors_origins.len(), 2);
            assert_eq!(c.http.trusted_proxies.len(), 2);
            assert_eq!(c.auth.access_token_ttl, Duration::from_secs(300));
            assert_eq!(c.http.hsts_max_age, Some(Duration::from_secs(365 * 86_400)));
            assert!(!c.http.rate_limits);
        }
        assert_eq!(
            keys(parse(&[("TRELLIS_CORS_ORIGINS", "*")])),
            vec!["TRELLIS_CORS_ORIGINS"]
        );
    }

    #[test]
    fn realtime_intervals_are_checked() {
        let config = parse(&[
            ("TRELLIS_WS_PING_INTERVAL", "1s"),
            ("TRELLIS_WS_IDLE_TIMEOUT", "3s"),
            ("TRELLIS_WS_SEND_QUEUE", "8"),
        ]);
        assert_eq!(
            config.ok().map(|c| c.realtime),
            Some(RealtimeConfig {
                ping_interval: Duration::from_secs(1),
                idle_timeout: Duration::from_secs(3),
                send_queue: 8,
                ..RealtimeConfig::default()
            })
        );
        assert_eq!(
            keys(parse(&[
                ("TRELLIS_WS_PING_INTERVAL", "60s"),
                ("TRELLIS_WS_SEND_QUEUE", "0"),
                ("TRELLIS_WS_TYPING_TTL", "0s"),
            ])),
            vec![
                "TRELLIS_WS_SEND_QUEUE",
                "TRELLIS_WS_TYPING_TTL",
                "TRELLIS_WS_IDLE_TIMEOUT"
            ]
        );
    }

    #[test]
    fn secrets_never_print() {
        let jwt = "q8Vn2xR0tL5mZ7cW1bK9yH3dF6gJ4sPe";
        let files_key = "Zt4Lw9Qe1Rb7Yp3Xm6Kc2Nv8Hs5Dg0Ja";
        let config = parse(&[
            ("TRELLIS_JWT_SECRET", jwt),
            ("TRELLIS_FILES_SIGNING_KEY", files_key),
            ("TRELLIS_S3_BUCKET", "uploads"),
            ("TRELLIS_S3_ACCESS_KEY_ID", "AKIAEXAMPLE"),
            ("TRELLIS_S3_SECRET_ACCESS_KEY", "s3-secret-key"),
            ("CRON_SECRET", "cron-secret-0123456789"),
            ("SMTP_URL", "smtps://mailer:smtp-password@mail.example.com"),
            ("DATABASE_URL", "postgres://app:db-password@db/trellis"),
        ]);
        let printed = format!("{config:?}");
        for secret in [
            jwt,
            files_key,
            "s3-secret-key",
            "cron-secret-0123456789",
            "smtp-password",
            "db-password",
        ] {
            assert!(!printed.contains(secret), "{secret} leaked: {printed}");
        }
    }

    #[test]
    fn redis_urls_are_checked_and_their_password_redacted() {
        let config = parse(&[
            ("REDIS_URL", "redis://:hunter2@cache:6379/2"),
            ("TRELLIS_REDIS_PREFIX", "shop-a:"),
        ]);
        assert!(config.is_ok(), "{config:?}");
        if let Ok(c) = config {
            assert_eq!(c.redis.prefix, "shop-a:");
            let shown = format!("{:?}", c.redis);
            assert!(!shown.contains("hunter2"), "{shown}");
        }
        assert_eq!(
            keys(parse(&[("REDIS_URL", "http://cache:6379")])),
            ["REDIS_URL"]
        );
        assert_eq!(
            keys(parse(&[("REDIS_URL", "rediss://cache:6379")])),
            ["REDIS_URL"]
        );
        assert_eq!(
            keys(parse(&[("TRELLIS_REDIS_PREFIX", "a b")])),
            ["TRELLIS_REDIS_PREFIX"]
        );
    }

    #[test]
    fn database_password_is_redacted() {
        assert_eq!(
            redact_url("postgres://app:hunter2@db:5432/trellis"),
            "postgres://app:***@db:5432/trellis"
        );
        assert_eq!(redact_url("sqlite://./data/t.db"), "sqlite://./data/t.db");
    }

    #[test]
    fn a_notification_provider_needs_all_its_keys_and_keeps_its_secret() {
        assert_eq!(
            keys(parse(&[("WHATSAPP_PHONE_NUMBER_ID", "1055")])),
            vec!["WHATSAPP_ACCESS_TOKEN"]
        );
        assert_eq!(
            keys(parse(&[
                ("TWILIO_ACCOUNT_SID", "AC1"),
                ("TWILIO_AUTH_TOKEN", "tok"),
            ])),
            vec!["TWILIO_FROM"],
            "a sender is needed"
        );
        assert_eq!(
            keys(parse(&[
                ("TWILIO_ACCOUNT_SID", "AC1"),
                ("TWILIO_AUTH_TOKEN", "tok"),
                ("TWILIO_FROM", "+15550001111"),
                ("TWILIO_MESSAGING_SERVICE_SID", "MG1"),
            ])),
            vec!["TWILIO_FROM"],
            "but only one"
        );
        assert_eq!(
            keys(parse(&[(
                "FCM_SERVICE_ACCOUNT_FILE",
                "/nonexistent/key.json"
            )])),
            vec!["FCM_SERVICE_ACCOUNT_FILE"]
        );
        let config = parse(&[
            ("TWILIO_ACCOUNT_SID", "AC1"),
            ("TWILIO_AUTH_TOKEN", "twilio-secret-token"),
            ("TWILIO_MESSAGING_SERVICE_SID", "MG1"),
            ("WHATSAPP_PHONE_NUMBER_ID", "1055"),
            ("WHATSAPP_ACCESS_TOKEN", "whatsapp-secret-token"),
            ("TRELLIS_NOTIFY_MAX_ATTEMPTS", "4"),
        ])
        .unwrap();
        assert_eq!(config.notify.max_attempts, 4);
        assert!(config.notify.fcm.is_none(), "push only when configured");
        let printed = format!("{config:?}");
        for secret in ["twilio-secret-token", "whatsapp-secret-token"] {
            assert!(!printed.contains(secret), "{secret} leaked");
        }
    }
}
