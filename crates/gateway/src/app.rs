//! Builds the application from its configuration and serves both listeners.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use poem::{
    Endpoint, EndpointExt, Response, Route, Server,
    http::{Method, StatusCode},
    listener::{Acceptor, Listener, TcpAcceptor, TcpListener},
    middleware::{CatchPanic, Cors},
    web::Data,
};
use sea_orm::{DatabaseConnection, DbErr};
use sea_orm_migration::MigratorTrait;
use tokio_util::sync::CancellationToken;
use trellis_assistant::{Assistant, AssistantDeps, provider::Provider};
use trellis_billing::{
    Billing, BillingDeps,
    plans::PlanCatalog,
    service::PlanEntitlements,
    stripe::{ReturnUrls, StripeApi},
};
use trellis_credentials_vault::{
    Vault, VaultDeps,
    crypto::{KeyRing, MasterKey},
    notices::RotationDueNotices,
};
use trellis_identity::{
    Identity, IdentityConfig, IdentityDeps,
    password::Passwords,
    service::{MembershipDirectory, PeopleDirectory},
};
use trellis_kernel::{
    SharedClock, SystemClock,
    auth::{TokenCodec, TokenSettings},
    db::DbOptions,
    outbox::{Dispatcher, RetryPolicy},
    ports::{Entitlements, Memberships, People},
    settings::{Settings, SettingsRegistry},
};
use trellis_messaging::{
    Messaging, MessagingDeps,
    files::{
        BlobStore, FileStorage, FilesConfig as FileLimits, LocalDiskStore, ObjectStoreBlobs,
        S3Settings,
    },
    notifications::{DeliveryPolicy, Notifications, NotificationsConfig},
    realtime::{InProcessBus, RealtimeBus},
};
use trellis_migration::Migrator;
use trellis_scheduling::{Scheduling, SchedulingDeps};
use trellis_time_tracking::{TimeTracking, TimeTrackingDeps};

use crate::{
    api,
    config::{BillingConfig, Config, FilesSigningKey, JwtSecret, redact_url},
    error::{ApiError, into_problem_response},
    events,
    middleware::{
        body_limit::BodyLimit,
        field_errors::FieldErrors,
        metrics::{Metrics, MetricsMiddleware},
        rate_limit::{self, GovernorStore, RateLimit, RateLimitStore},
        rate_limit_redis::RedisStore,
        request_id::{REQUEST_ID, RequestIdMiddleware},
        security_headers::security_headers,
    },
    notices::{NoticeQueue, Notices},
    realtime::{
        Sockets,
        redis_bus::{self, RedisBus},
    },
    revocations::Revocations,
    shared_caches,
    shared_redis::SharedRedis,
    state::AppState,
};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The database could not be opened.
    #[error("cannot open the database at {url}: {source}")]
    Database {
        /// The URL, password redacted.
        url: String,
        /// The cause.
        source: DbErr,
    },
    /// Migrations failed.
    #[error("migrations failed: {0}")]
    Migration(DbErr),
    /// A listener could not bind.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// A server stopped with an error.
    #[error("server error: {0}")]
    Serve(std::io::Error),
    /// A notification channel could not be set up.
    #[error("cannot set up notification delivery: {0}")]
    Notifications(String),
    /// The file store could not be set up.
    #[error("cannot set up file storage: {0}")]
    Files(String),
    /// The assistant's HTTP client could not be built.
    #[error("cannot set up the assistant: {0}")]
    Assistant(String),
    /// Stripe's client could not be built (a bad `STRIPE_API_BASE`).
    #[error("cannot set up Stripe: {0}")]
    Billing(String),
    /// The vault's master keys could not be loaded or made.
    #[error("cannot set up the vault's master keys: {0}")]
    Vault(String),
    /// The Redis client could not be made (the server being down is not
    /// this: an instance starts and fails open until Redis answers).
    #[error("cannot set up Redis: {0}")]
    Redis(String),
}

/// The name of the development key file, under `TRELLIS_DATA_DIR`.
pub const VAULT_KEY_FILE: &str = "vault-master-keys";

/// The plans on sale, priced in the configured currency.
fn plan_catalog(config: &BillingConfig) -> PlanCatalog {
    PlanCatalog::new(config.currency.clone(), |code| {
        config
            .prices
            .iter()
            .find(|(plan, _)| *plan == code)
            .map(|(_, price)| price.clone())
    })
}

/// Stripe's client, when `STRIPE_SECRET_KEY` is set.
fn stripe_api(config: &BillingConfig) -> Result<Option<StripeApi>, StartupError> {
    let Some(key) = &config.stripe_secret_key else {
        tracing::info!("STRIPE_SECRET_KEY is not set: checkout and the billing portal answer 503");
        return Ok(None);
    };
    StripeApi::new(key, config.stripe_api_base.as_deref())
        .map(Some)
        .map_err(|e| StartupError::Billing(e.to_string()))
}

/// The assistant over scheduling, with its language model when one is
/// configured.
fn assistant(
    config: &Config,
    db: &DatabaseConnection,
    scheduling: &Scheduling,
    clock: &SharedClock,
) -> Result<Assistant, StartupError> {
    let provider = match &config.assistant.provider {
        Some(provider) => Some(
            Provider::new(provider.clone()).map_err(|e| StartupError::Assistant(e.to_string()))?,
        ),
        None => {
            tracing::info!("TRELLIS_AI_BASE_URL is not set: the assistant answers 503");
            None
        }
    };
    Ok(Assistant::new(AssistantDeps {
        clock: clock.clone(),
        desk: Arc::new(crate::desk::SchedulingDesk::new(
            db.clone(),
            scheduling.clone(),
            clock.clone(),
        )),
        provider,
    }))
}

/// Where Stripe sends people back to, in the app.
fn return_urls(app_url: &str) -> ReturnUrls {
    let app = app_url.trim_end_matches('/');
    ReturnUrls {
        success: format!("{app}/billing?checkout=success&session_id={{CHECKOUT_SESSION_ID}}"),
        cancel: format!("{app}/billing?checkout=cancelled"),
        portal: format!("{app}/billing"),
    }
}

/// The vault's master keys: `VAULT_MASTER_KEYS`, or outside production
/// (config refuses production without them) a key file under the data
/// directory, generated on first start. Losing that file loses every
/// secret stored with it: it is for development only.
fn vault_keys(config: &Config) -> Result<Arc<KeyRing>, StartupError> {
    if let Some(ring) = &config.vault.master_keys {
        tracing::info!(
            active = ring.active_id(),
            keys = ring.ids().count(),
            "vault master keys configured"
        );
        return Ok(ring.clone());
    }
    let path = config.data_dir.join(VAULT_KEY_FILE);
    let fail = |what: &str, e: &dyn std::fmt::Display| {
        StartupError::Vault(format!("{what} {}: {e}", path.display()))
    };
    let spec = match std::fs::read_to_string(&path) {
        Ok(spec) => zeroize::Zeroizing::new(spec),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = MasterKey::generate("dev1").map_err(|e| fail("generating", &e))?;
            std::fs::create_dir_all(&config.data_dir)
                .map_err(|e| fail("creating the directory of", &e))?;
            match write_private(&path, key.to_entry().as_bytes()) {
                Ok(()) => key.to_entry(),
                // Another process starting on the same directory won the race: use its key.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => zeroize::Zeroizing::new(
                    std::fs::read_to_string(&path).map_err(|e| fail("reading", &e))?,
                ),
                Err(e) => return Err(fail("writing", &e)),
            }
        }
        Err(e) => return Err(fail("reading", &e)),
    };
    let ring = KeyRing::parse(&spec).map_err(|e| fail("parsing", &e))?;
    tracing::warn!(
        file = %path.display(),
        "VAULT_MASTER_KEYS is not set: vault secrets are encrypted under a development key kept in this file. \
         Deleting it loses every stored secret. Set VAULT_MASTER_KEYS (`k1:$(openssl rand -base64 32)`) \
         outside development; production refuses to start without it."
    );
    Ok(Arc::new(ring))
}

/// Writes a new file readable by its owner only.
fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(bytes)
}

/// Where uploaded files go (an S3-compatible bucket when one is configured,
/// else the local disk) and the limits they are held to.
fn file_storage(config: &Config) -> Result<FileStorage, StartupError> {
    let files = &config.files;
    let blobs: Arc<dyn BlobStore> = match &files.s3 {
        Some(s3) => {
            tracing::info!(bucket = %s3.bucket, endpoint = ?s3.endpoint, "files are stored in S3");
            Arc::new(
                ObjectStoreBlobs::s3(&S3Settings {
                    bucket: s3.bucket.clone(),
                    endpoint: s3.endpoint.clone(),
                    region: s3.region.clone(),
                    access_key_id: s3.access_key_id.clone(),
                    secret_access_key: s3.secret_access_key.clone(),
                })
                .map_err(|e| StartupError::Files(e.to_string()))?,
            )
        }
        None => {
            tracing::info!(dir = %files.dir.display(), "files are stored on the local disk");
            Arc::new(LocalDiskStore::new(files.dir.clone()))
        }
    };
    if let FilesSigningKey::Generated(_) = files.signing_key {
        tracing::warn!(
            "TRELLIS_FILES_SIGNING_KEY is not set: signing file links with a random key generated at startup. \
             Links stop working when the process restarts, and instances cannot share them. \
             Set TRELLIS_FILES_SIGNING_KEY to a random value of at least 32 bytes \
             (for example `openssl rand -base64 48`)."
        );
    }
    Ok(FileStorage {
        blobs,
        config: FileLimits {
            max_bytes: files.upload_limit,
            allowed_types: files.upload_types.clone(),
            signing_key: files.signing_key.key().clone(),
            link_ttl: files.link_ttl,
        },
    })
}

/// Every runtime setting the application declares.
pub fn settings_registry() -> SettingsRegistry {
    let mut registry = SettingsRegistry::default();
    registry.register(&rate_limit::settings());
    registry.register(&crate::jobs::settings());
    registry.register(&trellis_assistant::settings::settings());
    registry
}

/// A built application, not yet listening.
pub struct App {
    state: AppState,
    /// The in-process counters when there is no Redis (their janitor runs
    /// with the server).
    governor: Option<Arc<GovernorStore>>,
    /// The notice queues of the features listening on other instances,
    /// taken when the server starts.
    listeners: Option<Listeners>,
}

/// The hub's queues, subscribed while building so that the subscriber
/// knows every channel when it starts.
struct Listeners {
    revocations: NoticeQueue,
    caches: shared_caches::Queues,
    /// The Redis realtime bus and its deliveries from other instances.
    realtime: Option<(RedisBus, NoticeQueue)>,
}

impl App {
    /// Opens the database, applies migrations (unless disabled) and wires services.
    pub async fn build(config: Config) -> Result<Self, StartupError> {
        Self::build_with_clock(config, SystemClock::shared()).await
    }

    /// Like [`App::build`], with a clock of the caller's choosing (tests).
    pub async fn build_with_clock(
        config: Config,
        clock: SharedClock,
    ) -> Result<Self, StartupError> {
        // Before any HTTPS client is built (the S3 store's, tests' clients).
        trellis_messaging::files::install_tls_provider();
        let options = DbOptions {
            max_connections: config.database.max_connections,
            ..DbOptions::default()
        };
        let db = trellis_kernel::db::connect(&config.database.url, &options)
            .await
            .map_err(|source| StartupError::Database {
                url: redact_url(&config.database.url),
                source,
            })?;
        if config.database.auto_migrate {
            Migrator::up(&db, None)
                .await
                .map_err(StartupError::Migration)?;
        }
        if let JwtSecret::Generated(_) = config.auth.jwt_secret {
            tracing::warn!(
                "TRELLIS_JWT_SECRET is not set: signing tokens with a random key generated at startup. \
                 Tokens stop working when the process restarts, and instances cannot share them. \
                 Set TRELLIS_JWT_SECRET to a random value of at least 32 bytes \
                 (for example `openssl rand -base64 48`)."
            );
        }
        if config.jobs.cron_secret.is_none() {
            tracing::info!("CRON_SECRET is not set: /internal/cron/* triggers are disabled");
        }
        let tokens = TokenCodec::new(
            TokenSettings {
                secret: config.auth.jwt_secret.bytes().to_vec(),
                issuer: config.auth.jwt_issuer.clone(),
                audience: config.auth.jwt_audience.clone(),
                access_ttl: chrono::Duration::from_std(config.auth.access_token_ttl)
                    .unwrap_or(chrono::Duration::minutes(15)),
            },
            clock.clone(),
        );
        let settings = Settings::new(
            db.clone(),
            Arc::new(settings_registry()),
            clock.clone(),
            config.settings_cache_ttl,
        );
        let memberships: Arc<dyn Memberships> = Arc::new(MembershipDirectory::new(db.clone()));
        let time = TimeTracking::new(TimeTrackingDeps {
            clock: clock.clone(),
            memberships: memberships.clone(),
        });
        let people: Arc<dyn People> = Arc::new(PeopleDirectory);
        let billing = Billing::new(BillingDeps {
            clock: clock.clone(),
            catalog: Arc::new(plan_catalog(&config.billing)),
            stripe: stripe_api(&config.billing)?,
            webhook_secret: config.billing.stripe_webhook_secret.clone(),
            urls: return_urls(&config.mail.app_url),
            people: people.clone(),
            billable_time: Arc::new(crate::billable_time::TimeTrackingBillableTime::new(
                time.clone(),
            )),
            app_url: config.mail.app_url.trim_end_matches('/').to_owned(),
        });
        let entitlements: Arc<dyn Entitlements> = Arc::new(PlanEntitlements::new(
            db.clone(),
            billing.subscriptions.clone(),
        ));
        let identity = Identity::new(IdentityDeps {
            entitlements: entitlements.clone(),
            clock: clock.clone(),
            tokens: tokens.clone(),
            passwords: Passwords::new(),
            config: Arc::new(IdentityConfig {
                refresh_ttl: config.auth.refresh_token_ttl,
                reuse_grace: config.auth.refresh_reuse_grace,
                otp_cooldown: config.auth.otp_cooldown,
                otp_hourly_cap: config.auth.otp_hourly_cap,
                app_url: config.mail.app_url.clone(),
                sms_enabled: crate::notifications::sms_enabled(&config),
                ..IdentityConfig::default()
            }),
        });
        let redis = match &config.redis.url {
            Some(url) => Some(
                SharedRedis::new(url, &config.redis.prefix)
                    .map_err(|e| StartupError::Redis(e.to_string()))?,
            ),
            None => None,
        };
        let notices = Notices::new(redis.clone());
        // With Redis, realtime changes and presence cross instances.
        let redis_bus = redis
            .as_ref()
            .map(|redis| RedisBus::new(redis.clone(), notices.clone(), redis_bus::PRESENCE_TTL));
        let listeners = Listeners {
            revocations: notices.subscribe(crate::revocations::CHANNEL),
            caches: shared_caches::Queues::subscribe(&notices),
            realtime: redis_bus
                .clone()
                .map(|bus| (bus, notices.subscribe(redis_bus::CHANNEL))),
        };
        let revocations = Revocations::new(
            db.clone(),
            identity.sessions.clone(),
            clock.clone(),
            config.auth.access_token_ttl,
        )
        .with_notices(notices.clone());
        revocations.refresh().await;
        let scheduling = Scheduling::new(SchedulingDeps {
            clock: clock.clone(),
            entitlements: entitlements.clone(),
        });
        let assistant = assistant(&config, &db, &scheduling, &clock)?;
        let realtime: Arc<dyn RealtimeBus> = match redis_bus {
            Some(bus) => Arc::new(bus),
            None => Arc::new(InProcessBus::new()),
        };
        let messaging = Messaging::new(
            MessagingDeps {
                clock: clock.clone(),
                memberships: memberships.clone(),
                realtime: realtime.clone(),
            },
            file_storage(&config)?,
        );
        let vault = Vault::new(VaultDeps {
            clock: clock.clone(),
            entitlements: entitlements.clone(),
            memberships: memberships.clone(),
            keys: vault_keys(&config)?,
        });
        let instance_id = uuid::Uuid::now_v7();
        let notifications = Notifications::new(
            MessagingDeps {
                clock: clock.clone(),
                memberships: memberships.clone(),
                realtime: realtime.clone(),
            },
            people.clone(),
            crate::notifications::channels(&config)?,
            NotificationsConfig {
                app_url: config.mail.app_url.clone(),
                api_url: config.mail.public_url.clone(),
                unsubscribe_key: config.notify.unsubscribe_key.key().clone(),
                policy: {
                    let mut policy = DeliveryPolicy::default();
                    policy.retry.base_delay = config.notify.retry_base;
                    policy.retry.max_attempts = config.notify.max_attempts;
                    policy
                },
                holder: format!("gateway-{instance_id}"),
            },
        );
        let dispatcher = Dispatcher::new(
            events::subscribers(
                &notifications,
                Arc::new(RotationDueNotices::new(
                    people.clone(),
                    clock.clone(),
                    config.mail.app_url.clone(),
                )),
            ),
            RetryPolicy {
                base_delay: config.outbox.retry_base,
                max_attempts: config.outbox.max_attempts,
                ..RetryPolicy::default()
            },
            clock.clone(),
            format!("gateway-{instance_id}"),
        );
        let app_metrics = Arc::new(Metrics::new());
        let (rate_limits, governor): (Arc<dyn RateLimitStore>, _) = match &redis {
            Some(redis) => (
                Arc::new(RedisStore::new(redis.clone(), app_metrics.clone())),
                None,
            ),
            None => {
                let governor = Arc::new(GovernorStore::default());
                (governor.clone(), Some(governor))
            }
        };
        let sockets = Sockets::new(config.realtime);
        let state = AppState {
            config: Arc::new(config),
            memberships,
            db,
            clock,
            tokens,
            settings,
            metrics: app_metrics,
            identity,
            revocations,
            jobs: Arc::new(crate::jobs::registry(&scheduling, &vault, &billing, people)),
            scheduling,
            messaging,
            time,
            vault,
            billing,
            assistant,
            notifications,
            realtime,
            sockets,
            rate_limits,
            redis,
            notices,
            dispatcher: Arc::new(dispatcher),
            instance_id,
        };
        Ok(Self {
            state,
            governor,
            listeners: Some(listeners),
        })
    }

    /// The shared state (tests use it to mint tokens).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Wraps routes in the request pipeline (see `middleware`); `spec` is
    /// the OpenAPI document of the routes (its request schemas name fields).
    fn pipeline(&self, routes: Route, spec: &str) -> impl Endpoint<Output = Response> + use<> {
        let config = &self.state.config;
        let cors = (!config.http.cors_origins.is_empty()).then(|| {
            Cors::new()
                .allow_origins(config.http.cors_origins.iter().map(String::as_str))
                .allow_methods([
                    Method::GET,
                    Method::POST,
                    Method::PUT,
                    Method::PATCH,
                    Method::DELETE,
                ])
                .allow_headers([
                    "authorization",
                    "content-type",
                    "idempotency-key",
                    REQUEST_ID,
                ])
                .expose_headers([
                    REQUEST_ID,
                    "retry-after",
                    "ratelimit-limit",
                    "ratelimit-remaining",
                    "ratelimit-reset",
                    "ratelimit-policy",
                ])
                .allow_credentials(true)
                .max_age(600)
        });
        routes
            .with(FieldErrors::new(spec))
            .with(CatchPanic::new().with_handler(|_| {
                poem::error::ResponseError::as_response(&ApiError::internal(std::io::Error::other(
                    "handler panicked",
                )))
            }))
            .with(
                BodyLimit::new(config.http.body_limit)
                    .route(
                        Method::POST,
                        api::messaging::files::UPLOAD_PATH,
                        config.files.upload_limit,
                    )
                    .streamed(
                        Method::POST,
                        api::time::csv::IMPORT_PATH,
                        config.http.import_limit,
                    ),
            )
            .with(RateLimit::new(self.state.rate_limits.clone()))
            .catch_all_error(|err| async move { into_problem_response(err) })
            .with_if(cors.is_some(), cors.unwrap_or_default())
            .with(security_headers(config.http.hsts_max_age))
            .with(MetricsMiddleware(self.state.metrics.clone()))
            .with(RequestIdMiddleware)
            .data(self.state.clone())
    }

    /// The public listener's endpoint: `/api/v1`, probes, spec and Swagger UI.
    pub fn public_endpoint(&self) -> impl Endpoint<Output = Response> + use<> {
        let service = api::public_service();
        let spec = service.spec();
        let routes = Route::new()
            .at("/openapi.json", service.spec_endpoint())
            .at("/realtime.json", poem::get(realtime_schemas))
            .nest("/docs", service.swagger_ui())
            .nest("/", service);
        self.pipeline(routes, &spec)
    }

    /// The internal listener's endpoint: control center, metrics, its own docs.
    pub fn internal_endpoint(&self) -> impl Endpoint<Output = Response> + use<> {
        let service = api::internal_service();
        let spec = service.spec();
        let routes = Route::new()
            .at("/openapi.json", service.spec_endpoint())
            .nest("/docs", service.swagger_ui())
            .at("/metrics", poem::get(metrics))
            .nest("/", service);
        self.pipeline(routes, &spec)
    }

    /// Binds both listeners (port 0 picks a free port).
    pub async fn bind(self) -> Result<BoundApp, StartupError> {
        let config = self.state.config.clone();
        let public = bind(config.listen.public).await?;
        let internal = bind(config.listen.internal).await?;
        Ok(BoundApp {
            public_addr: local_addr(&public, config.listen.public),
            internal_addr: local_addr(&internal, config.listen.internal),
            public,
            internal,
            app: self,
        })
    }
}

async fn bind(addr: SocketAddr) -> Result<TcpAcceptor, StartupError> {
    TcpListener::bind(addr)
        .into_acceptor()
        .await
        .map_err(|source| StartupError::Bind { addr, source })
}

fn local_addr(acceptor: &TcpAcceptor, fallback: SocketAddr) -> SocketAddr {
    acceptor
        .local_addr()
        .first()
        .and_then(|a| a.as_socket_addr().copied())
        .unwrap_or(fallback)
}

/// The realtime socket's frame schemas (`realtime::protocol::schemas_document`).
#[poem::handler]
fn realtime_schemas() -> Response {
    static DOCUMENT: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(crate::realtime::protocol::schemas_document);
    Response::builder()
        .status(StatusCode::OK)
        .content_type("application/json; charset=utf-8")
        .body(DOCUMENT.as_str())
}

#[poem::handler]
async fn metrics(state: Data<&AppState>) -> Response {
    // Sampled when scraped, like the pool: the delivery loop need not ask
    // the database for the queue's age on every pass.
    match state.notifications.worker.queue_age(&state.db).await {
        Ok(age) => state.metrics.delivery_queue_age(age),
        Err(err) => tracing::warn!(error = %err, "notification queue age unknown"),
    }
    Response::builder()
        .status(StatusCode::OK)
        .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
        .body(state.metrics.render(&state.db))
}

/// An application whose listeners are bound.
pub struct BoundApp {
    app: App,
    public: TcpAcceptor,
    internal: TcpAcceptor,
    /// Where the public listener listens.
    pub public_addr: SocketAddr,
    /// Where the internal listener listens.
    pub internal_addr: SocketAddr,
}

impl BoundApp {
    /// The shared state.
    pub fn state(&self) -> &AppState {
        &self.app.state
    }

    /// Serves until `shutdown` is cancelled, then lets in-flight requests
    /// finish (up to the configured shutdown timeout).
    pub async fn run(mut self, shutdown: CancellationToken) -> Result<(), StartupError> {
        let timeout = self.app.state.config.listen.shutdown_timeout;
        tracing::info!(
            public = %self.public_addr,
            internal = %self.internal_addr,
            database = %redact_url(&self.app.state.config.database.url),
            redis = %self
                .app
                .state
                .config
                .redis
                .url
                .as_deref()
                .map_or_else(|| "none: rate limits per instance".into(), redact_url),
            "trellis is listening"
        );
        let janitor = self
            .app
            .governor
            .clone()
            .map(|store| tokio::spawn(purge_rate_limits(store, shutdown.clone())));
        let revocations = tokio::spawn(self.app.state.revocations.clone().poll(shutdown.clone()));
        let mut realtime_tasks = Vec::new();
        let (revocation_notices, cache_notices) = match self.app.listeners.take() {
            Some(listeners) => {
                if let Some((bus, queue)) = listeners.realtime {
                    realtime_tasks.push(tokio::spawn(bus.clone().listen(queue, shutdown.clone())));
                    realtime_tasks.push(tokio::spawn(bus.keep_presence(shutdown.clone())));
                }
                (
                    Some(tokio::spawn(
                        self.app
                            .state
                            .revocations
                            .clone()
                            .listen(listeners.revocations, shutdown.clone()),
                    )),
                    Some(tokio::spawn(shared_caches::listen(
                        listeners.caches,
                        self.app.state.notices.origin().to_owned(),
                        self.app.state.settings.clone(),
                        self.app.state.billing.subscriptions.clone(),
                        shutdown.clone(),
                    ))),
                )
            }
            None => (None, None),
        };
        let notices = tokio::spawn(self.app.state.notices.clone().listen(shutdown.clone()));
        let reminders = tokio::spawn(crate::jobs::scheduler(
            self.app.state.clone(),
            shutdown.clone(),
        ));
        let events = tokio::spawn(events::run(
            self.app.state.clone(),
            self.app.state.dispatcher.clone(),
            self.app.state.config.outbox.poll,
            shutdown.clone(),
        ));
        let deliveries = tokio::spawn(crate::notifications::run(
            self.app.state.db.clone(),
            self.app.state.notifications.worker.clone(),
            self.app.state.metrics.clone(),
            self.app.state.config.notify.poll,
            shutdown.clone(),
        ));
        let public = Server::new_with_acceptor(self.public).run_with_graceful_shutdown(
            self.app.public_endpoint(),
            shutdown.clone().cancelled_owned(),
            Some(timeout),
        );
        let internal = Server::new_with_acceptor(self.internal).run_with_graceful_shutdown(
            self.app.internal_endpoint(),
            shutdown.clone().cancelled_owned(),
            Some(timeout),
        );
        // Upgraded sockets outlive their HTTP connection, so the servers do
        // not wait for them: they close (1001) on the same signal.
        let sockets = self.app.state.sockets.clone();
        let closing = tokio::spawn({
            let sockets = sockets.clone();
            let shutdown = shutdown.clone();
            async move {
                shutdown.cancelled().await;
                sockets.shut_down();
            }
        });
        let result = tokio::try_join!(public, internal);
        shutdown.cancel();
        let _ = closing.await;
        if !sockets.closed(timeout).await {
            tracing::warn!(
                open = sockets.open(),
                "realtime sockets still open after the shutdown timeout"
            );
        }
        if let Some(janitor) = janitor {
            let _ = janitor.await;
        }
        let _ = revocations.await;
        let _ = notices.await;
        for task in [revocation_notices, cache_notices].into_iter().flatten() {
            let _ = task.await;
        }
        for task in realtime_tasks {
            let _ = task.await;
        }
        let _ = reminders.await;
        let _ = events.await;
        let _ = deliveries.await;
        self.app.state.db.close_by_ref().await.ok();
        tracing::info!("trellis stopped");
        result.map(|_| ()).map_err(StartupError::Serve)
    }
}

async fn purge_rate_limits(store: Arc<GovernorStore>, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tick.tick() => store.purge_idle(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_master_keys_development_keeps_one_generated_key_in_a_private_file() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let data = dir.path().join("data");
        let data_dir = data.display().to_string();
        let lookup = |key: &str| (key == "TRELLIS_DATA_DIR").then(|| data_dir.clone());
        let config = Config::from_lookup(&lookup).unwrap_or_else(|e| panic!("{e}"));
        assert!(config.vault.master_keys.is_none());

        let first = vault_keys(&config).unwrap_or_else(|e| panic!("{e}"));
        let file = data.join(VAULT_KEY_FILE);
        let written = std::fs::read_to_string(&file).unwrap_or_default();
        assert!(written.starts_with("dev1:"), "an id:base64 entry");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).map(|m| m.permissions().mode() & 0o777);
            assert_eq!(mode.ok(), Some(0o600));
        }
        // A restart reads the same key back.
        let again = vault_keys(&config).unwrap_or_else(|e| panic!("{e}"));
        let org = trellis_kernel::id::OrgId::new();
        let data_key = trellis_credentials_vault::crypto::DataKey::generate();
        let (id, wrapped) = first.wrap(org, &data_key).unwrap_or_else(|e| panic!("{e}"));
        assert!(again.unwrap(org, &id, &wrapped).is_ok());
        assert_eq!(std::fs::read_to_string(&file).unwrap_or_default(), written);
    }
}
