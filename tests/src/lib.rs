//! Black-box test harness: start the real gateway on port 0 against a fresh
//! database and talk to it over HTTP, as a frontend would.
//!
//! ```ignore
//! let app = TestApp::spawn().await;
//! let resp = app.get("/healthz").send().await?;
//! ```
//!
//! The database follows the environment (see `trellis_kernel::testing`): a
//! temporary SQLite file by default, a fresh PostgreSQL database when
//! `TEST_DATABASE_URL` is set.
//!
//! Every reply read through [`send`] or [`Reply::from`] is checked against
//! the committed OpenAPI spec ([`contract`]): a status, content type or body
//! the spec does not document fails the test that received it.

pub mod contract;
pub mod mail;
pub mod sse;

use std::{
    collections::HashMap,
    net::SocketAddr,
    panic::Location,
    path::PathBuf,
    sync::atomic::{AtomicU64, Ordering},
};

use reqwest::{Client, Method, RequestBuilder, Response};
use serde_json::Value;
use tokio_util::sync::CancellationToken;
use trellis_gateway::{App, Config, state::AppState};
use trellis_kernel::{
    Role,
    auth::Claims,
    id::{SessionId, UserId},
    testing::{TestDatabase, redis_or_skip},
};

/// The signing key every test gateway uses, so tests can forge tokens.
pub const TEST_JWT_SECRET: &str = "test-signing-key-0123456789-abcdefghijklmnop";

/// A password that passes the policy.
pub const PASSWORD: &str = "correct horse battery staple";

/// A unique email address for this test process (tests share an SMTP sink).
pub fn unique_email(name: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{name}.{}.{n}@example.com", uuid::Uuid::now_v7().simple())
}

/// A unique phone number (E.164) for this test process.
pub fn unique_phone() -> String {
    let n = uuid::Uuid::now_v7().as_u128() % 1_000_000_000;
    format!("+3519{n:09}")
}

/// Polls `check` every 50 ms, for up to 15 s, until it answers `Some`.
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    for _ in 0..300 {
        if let Some(found) = check().await {
            return found;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

/// A Redis for a test: the server from the environment (see
/// `trellis_kernel::testing::redis_or_skip`) and a key prefix of the test's
/// own, so tests sharing the server never see each other's counters.
#[derive(Debug, Clone)]
pub struct TestRedis {
    /// `redis://...`
    pub url: String,
    /// `TRELLIS_REDIS_PREFIX` of this test's gateways.
    pub prefix: String,
}

impl TestRedis {
    /// The server and a fresh prefix, or `None` (the test skips) when no
    /// server is configured outside CI.
    pub fn for_test(test: &str) -> Option<Self> {
        redis_or_skip(test).map(|url| Self {
            url,
            prefix: format!("trellis-test:{}:", uuid::Uuid::now_v7().simple()),
        })
    }

    /// The configuration keys pointing a gateway at it.
    pub fn overrides(&self) -> [(&str, &str); 2] {
        [
            ("REDIS_URL", self.url.as_str()),
            ("TRELLIS_REDIS_PREFIX", self.prefix.as_str()),
        ]
    }
}

/// A running gateway with its own database.
pub struct TestApp {
    /// `http://127.0.0.1:<port>` of the public listener.
    pub public_url: String,
    /// `http://127.0.0.1:<port>` of the internal listener.
    pub internal_url: String,
    /// The public listener's address.
    pub public_addr: SocketAddr,
    /// An HTTP client (no redirects, no proxies).
    pub client: Client,
    /// The application's state (token codec, settings, database).
    pub state: AppState,
    /// Where this gateway's delivered emails appear.
    pub mail_dir: PathBuf,
    /// This gateway's development SMS outbox.
    pub sms_dir: PathBuf,
    shutdown: CancellationToken,
    server: tokio::task::JoinHandle<()>,
    clock: trellis_kernel::SharedClock,
    // Options only so that `crash_and_restart` can hand them on; a
    // sibling's database is its elder's.
    database: Option<TestDatabase>,
    data: Option<tempfile::TempDir>,
    database_url: String,
    overrides: Vec<(String, String)>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Where a test gateway keeps what outlives one process: its database and
/// its data directory.
struct Storage {
    /// `None` for a sibling, which uses another gateway's database.
    database: Option<TestDatabase>,
    database_url: String,
    data: tempfile::TempDir,
}

/// The configuration a test gateway starts from, plus `overrides`.
pub fn test_config(database_url: &str, overrides: &[(&str, &str)]) -> Result<Config, String> {
    let mut env: HashMap<String, String> = [
        ("TRELLIS_HTTP_ADDR", "127.0.0.1:0"),
        ("TRELLIS_INTERNAL_ADDR", "127.0.0.1:0"),
        ("TRELLIS_JWT_SECRET", TEST_JWT_SECRET),
        ("DATABASE_URL", database_url),
        ("TRELLIS_SETTINGS_CACHE_TTL", "1s"),
        ("TRELLIS_SHUTDOWN_TIMEOUT", "2s"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (k, v) in overrides {
        env.insert(k.to_string(), v.to_string());
    }
    Config::from_lookup(&|k| env.get(k).cloned()).map_err(|e| e.to_string())
}

impl TestApp {
    /// Starts a gateway with the default test configuration.
    pub async fn spawn() -> Self {
        Self::spawn_with(&[]).await
    }

    /// Starts a gateway with some configuration keys overridden.
    pub async fn spawn_with(overrides: &[(&str, &str)]) -> Self {
        Self::spawn_with_clock(overrides, trellis_kernel::SystemClock::shared()).await
    }

    /// Starts a gateway whose notion of "now" is `clock` (a `ManualClock` in tests).
    #[allow(clippy::expect_used)]
    pub async fn spawn_with_clock(
        overrides: &[(&str, &str)],
        clock: trellis_kernel::SharedClock,
    ) -> Self {
        let database = TestDatabase::create()
            .await
            .expect("create a test database");
        let data = tempfile::tempdir().expect("a data directory");
        let database_url = database.url().to_owned();
        let storage = Storage {
            database: Some(database),
            database_url,
            data,
        };
        Self::start(storage, overrides, clock).await
    }

    /// Starts a second gateway on this one's database, with its
    /// configuration (Redis and its prefix included) and clock, as a load
    /// balancer's other instance would be: what one writes the other reads,
    /// and with Redis they share rate limits. It has its own data directory
    /// and listeners. It must not outlive `self`, which owns the database.
    #[allow(clippy::expect_used)]
    pub async fn sibling(&self) -> Self {
        let storage = Storage {
            database: None,
            database_url: self.database_url.clone(),
            data: tempfile::tempdir().expect("a data directory"),
        };
        let overrides: Vec<(&str, &str)> = self
            .overrides
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        Self::start(storage, &overrides, self.clock.clone()).await
    }

    /// Kills this gateway the way a crash would (its task is aborted: no
    /// graceful shutdown, nothing in flight finishes) and leaves it dead.
    pub async fn crash(&mut self) {
        self.server.abort();
        let _ = (&mut self.server).await;
    }

    /// Kills this gateway the way a crash would (its task is aborted: no
    /// graceful shutdown, nothing in flight finishes) and starts a new one on
    /// the same database and data directory, with `overrides`.
    #[allow(clippy::expect_used)]
    pub async fn crash_and_restart(mut self, overrides: &[(&str, &str)]) -> Self {
        self.crash().await;
        let storage = Storage {
            database: self.database.take(),
            database_url: self.database_url.clone(),
            data: self.data.take().expect("a data directory"),
        };
        Self::start(storage, overrides, self.clock.clone()).await
    }

    #[allow(clippy::expect_used)]
    async fn start(
        storage: Storage,
        overrides: &[(&str, &str)],
        clock: trellis_kernel::SharedClock,
    ) -> Self {
        let Storage {
            database,
            database_url,
            data,
        } = storage;
        let data_dir = data.path().display().to_string();
        let sink = mail::smtp_sink();
        let mut env: Vec<(&str, &str)> = vec![("TRELLIS_DATA_DIR", &data_dir)];
        if let Some(sink) = sink {
            env.push(("SMTP_URL", &sink.url));
        }
        env.extend_from_slice(overrides);
        let config = test_config(&database_url, &env).expect("valid test configuration");
        let mail_dir = sink
            .map(|s| s.dir.clone())
            .unwrap_or_else(|| data.path().join("mail"));
        let sms_dir = data.path().join("sms");
        let bound = App::build_with_clock(config, clock.clone())
            .await
            .expect("build the app")
            .bind()
            .await
            .expect("bind listeners");
        let (public_addr, internal_addr) = (bound.public_addr, bound.internal_addr);
        contract::register_listener(public_addr, contract::Listener::Public);
        contract::register_listener(internal_addr, contract::Listener::Internal);
        let state = bound.state().clone();
        let shutdown = CancellationToken::new();
        let server = tokio::spawn({
            let shutdown = shutdown.clone();
            async move {
                if let Err(err) = bound.run(shutdown).await {
                    eprintln!("test gateway stopped with an error: {err}");
                }
            }
        });
        let client = Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .expect("an HTTP client");
        Self {
            public_url: format!("http://{public_addr}"),
            internal_url: format!("http://{internal_addr}"),
            public_addr,
            client,
            state,
            mail_dir,
            sms_dir,
            shutdown,
            server,
            clock,
            database,
            data: Some(data),
            database_url,
            overrides: overrides
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    /// A request to the public listener.
    pub fn request(&self, method: reqwest::Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.public_url))
    }

    /// GET on the public listener.
    pub fn get(&self, path: &str) -> RequestBuilder {
        self.request(reqwest::Method::GET, path)
    }

    /// POST with a JSON body on the public listener.
    pub fn post_json(&self, path: &str, body: &Value) -> RequestBuilder {
        self.request(reqwest::Method::POST, path).json(body)
    }

    /// A request to the internal listener.
    pub fn internal(&self, method: reqwest::Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.internal_url))
    }

    /// Signs an access token for a made-up user with `roles`.
    #[allow(clippy::expect_used)]
    pub fn token_for(&self, roles: &[Role]) -> String {
        self.state
            .tokens
            .issue(UserId::new(), SessionId::new(), roles, false)
            .expect("sign a token")
            .token
    }

    /// Signs arbitrary claims (expired, foreign audience...).
    #[allow(clippy::expect_used)]
    pub fn sign(&self, claims: &Claims) -> String {
        self.state.tokens.sign(claims).expect("sign claims")
    }

    /// A JSON request to the public listener with a bearer token.
    pub fn authed(&self, method: reqwest::Method, path: &str, token: &str) -> RequestBuilder {
        self.request(method, path).bearer_auth(token)
    }

    /// Registers a fresh account; returns the token response.
    #[allow(clippy::panic)]
    pub async fn register(&self, email: &str, password: &str) -> Value {
        let reply = send(self.post_json(
            "/api/v1/auth/register",
            &serde_json::json!({"email": email, "password": password, "name": "Test User"}),
        ))
        .await;
        assert_eq!(reply.status, 201, "register {email}: {}", reply.text);
        reply.body
    }

    /// Registers a fresh account and returns its access token.
    pub async fn access_token(&self, email: &str) -> String {
        let body = self.register(email, PASSWORD).await;
        body["access_token"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Waits for an email to `to` whose subject contains `subject`.
    #[allow(clippy::panic)]
    pub async fn mail(&self, to: &str, subject: &str) -> mail::Mail {
        mail::wait_for_mail(&self.mail_dir, to, subject)
            .await
            .unwrap_or_else(|| {
                panic!(
                    "no email {subject:?} to {to} in {}",
                    self.mail_dir.display()
                )
            })
    }

    /// The code of the first text to `phone` (waiting for it: texts are
    /// delivered from the notification queue, after the request answered).
    pub async fn sms_code(&self, phone: &str) -> String {
        self.nth_sms_code(phone, 1).await
    }

    /// The code of the `n`th text (from 1) to `phone`, waiting up to 10 s for it.
    #[allow(clippy::panic)]
    pub async fn nth_sms_code(&self, phone: &str, n: usize) -> String {
        mail::wait_for_code(&self.sms_dir, phone, n)
            .await
            .unwrap_or_else(|| {
                panic!(
                    "no text number {n} to {phone} in {}",
                    self.sms_dir.display()
                )
            })
    }

    /// Stops the gateway gracefully.
    pub fn shutdown(&self) {
        self.shutdown.cancel();
    }
}

/// A response read as JSON, with its status and headers kept.
#[derive(Debug)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// The headers.
    pub headers: reqwest::header::HeaderMap,
    /// The body as JSON (`Null` when empty or not JSON).
    pub body: Value,
    /// The body as text.
    pub text: String,
}

impl Reply {
    /// Reads the response to a `method` request, and checks that it keeps the
    /// contract of the committed spec (see [`contract`]): a response the spec
    /// does not document fails the test.
    #[track_caller]
    pub fn from(method: &Method, resp: Response) -> impl Future<Output = Self> + use<> {
        Self::read(method.clone(), resp, Location::caller())
    }

    async fn read(method: Method, resp: Response, caller: &'static Location<'static>) -> Self {
        let url = resp.url().clone();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        let reply = Self {
            status,
            headers,
            body,
            text,
        };
        let content_type = reply.header("content-type");
        contract::check_response(&method, &url, status, content_type, &reply.text, caller);
        reply
    }

    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts this is a problem document with `status` and `code`.
    #[track_caller]
    pub fn assert_problem(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "status of {}", self.text);
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "content type of {}",
            self.text
        );
        assert_eq!(self.body["code"], code, "code of {}", self.text);
        assert_eq!(self.body["status"], status, "status field of {}", self.text);
        assert!(self.body["title"].is_string(), "title of {}", self.text);
        assert!(self.body["type"].is_string(), "type of {}", self.text);
    }
}

/// Sends a request and reads the reply; a transport failure fails the test,
/// and so does a reply that breaks the committed spec (see [`contract`]).
#[allow(clippy::expect_used)]
#[track_caller]
pub fn send(request: RequestBuilder) -> impl Future<Output = Reply> + use<> {
    let caller = Location::caller();
    async move {
        let (client, request) = request.build_split();
        let request = request.expect("a well-formed request");
        let method = request.method().clone();
        let resp = client
            .execute(request)
            .await
            .expect("the request reaches the server");
        Reply::read(method, resp, caller).await
    }
}
