//! Prometheus metrics: requests by operation and status, latency, pool use.
//!
//! The `operation` label is the OpenAPI `operationId` (or `unmatched`), never
//! the raw path, so label cardinality stays bounded whatever clients send.
//! The registry belongs to the application, not the process, so several
//! gateways in one test process do not mix their numbers.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result};
use poem_openapi::OperationId;
use prometheus_client::{
    encoding::{EncodeLabelSet, text::encode},
    metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram},
    registry::Registry,
};
use sea_orm::DatabaseConnection;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    operation: &'static str,
    method: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LatencyLabels {
    operation: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LimitLabels {
    class: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CloseLabels {
    code: u16,
}

type LatencyFamily = Family<LatencyLabels, Histogram, fn() -> Histogram>;

/// The application's metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: LatencyFamily,
    pool: Family<PoolLabels, Gauge>,
    rate_limited: Family<LimitLabels, Counter>,
    rate_limit_fail_open: Family<LimitLabels, Counter>,
    sockets: Gauge,
    sockets_closed: Family<CloseLabels, Counter>,
    deliveries: Family<DeliveryLabels, Counter>,
    delivery_queue_age: Gauge<f64, std::sync::atomic::AtomicU64>,
}

/// A notification delivery attempt's labels.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DeliveryLabels {
    channel: &'static str,
    outcome: &'static str,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

fn latency_histogram() -> Histogram {
    // 0.5 ms … ~4 s: our targets live in the low milliseconds.
    Histogram::new([
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
    ])
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh registry with every metric registered.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("trellis");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency: LatencyFamily = Family::new_with_constructor(latency_histogram);
        let pool = Family::<PoolLabels, Gauge>::default();
        let rate_limited = Family::<LimitLabels, Counter>::default();
        let rate_limit_fail_open = Family::<LimitLabels, Counter>::default();
        let sockets = Gauge::default();
        let sockets_closed = Family::<CloseLabels, Counter>::default();
        let deliveries = Family::<DeliveryLabels, Counter>::default();
        let delivery_queue_age = Gauge::<f64, std::sync::atomic::AtomicU64>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by operation, method and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer HTTP requests, by operation",
            latency.clone(),
        );
        registry.register(
            "db_pool_connections",
            "Database pool connections, by state (in_use, idle)",
            pool.clone(),
        );
        registry.register(
            "rate_limited_requests",
            "Requests refused by a rate limit, by route class",
            rate_limited.clone(),
        );
        registry.register(
            "rate_limit_fail_open",
            "Requests let through unlimited because the shared rate-limit store (Redis) was unavailable, by route class",
            rate_limit_fail_open.clone(),
        );
        registry.register(
            "realtime_sockets",
            "Realtime sockets open (authenticated or not yet)",
            sockets.clone(),
        );
        registry.register(
            "realtime_sockets_closed",
            "Realtime sockets closed, by close code (1006: the connection broke)",
            sockets_closed.clone(),
        );
        registry.register(
            "notification_deliveries",
            "Notification delivery attempts, by channel and outcome (sent, retrying, dead)",
            deliveries.clone(),
        );
        registry.register(
            "notification_queue_age_seconds",
            "How long the oldest due notification delivery has waited past its time",
            delivery_queue_age.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            pool,
            rate_limited,
            rate_limit_fail_open,
            sockets,
            sockets_closed,
            deliveries,
            delivery_queue_age,
        }
    }

    /// Counts `n` delivery attempts on `channel` that ended in `outcome`.
    pub fn deliveries(&self, channel: &'static str, outcome: &'static str, n: u64) {
        self.deliveries
            .get_or_create(&DeliveryLabels { channel, outcome })
            .inc_by(n);
    }

    /// Sets the delivery queue's age.
    pub fn delivery_queue_age(&self, age: Duration) {
        self.delivery_queue_age.set(age.as_secs_f64());
    }

    /// Records one answered request.
    pub fn observe(&self, operation: &'static str, method: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                operation,
                method: method.to_string(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&LatencyLabels { operation })
            .observe(seconds);
    }

    /// Counts a refusal by the rate limiter.
    pub fn rate_limited(&self, class: &'static str) {
        self.rate_limited
            .get_or_create(&LimitLabels { class })
            .inc();
    }

    /// Counts a request let through unlimited because the shared counters
    /// could not be reached.
    pub fn rate_limit_failed_open(&self, class: &'static str) {
        self.rate_limit_fail_open
            .get_or_create(&LimitLabels { class })
            .inc();
    }

    /// How many requests of `class` failed open so far (for tests and
    /// diagnostics; Prometheus reads the same counter).
    pub fn rate_limit_fail_opens(&self, class: &'static str) -> u64 {
        self.rate_limit_fail_open
            .get_or_create(&LimitLabels { class })
            .get()
    }

    /// Counts a realtime socket in.
    pub fn socket_opened(&self) {
        self.sockets.inc();
    }

    /// Counts a realtime socket out, by its close code.
    pub fn socket_closed(&self, code: u16) {
        self.sockets.dec();
        self.sockets_closed
            .get_or_create(&CloseLabels { code })
            .inc();
    }

    /// Renders the Prometheus/OpenMetrics text, sampling the pool first.
    pub fn render(&self, db: &DatabaseConnection) -> String {
        let (in_use, idle) = trellis_kernel::db::pool_usage(db);
        self.pool
            .get_or_create(&PoolLabels { state: "in_use" })
            .set(i64::from(in_use));
        self.pool
            .get_or_create(&PoolLabels { state: "idle" })
            .set(i64::from(idle));
        let mut out = String::new();
        if encode(&mut out, &self.registry).is_err() {
            tracing::error!("metrics could not be encoded");
        }
        out
    }
}

/// Times every request and counts it by operation and status.
#[derive(Clone)]
pub struct MetricsMiddleware(pub Arc<Metrics>);

impl<E: Endpoint> Middleware<E> for MetricsMiddleware {
    type Output = MetricsEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        MetricsEndpoint {
            inner: ep,
            metrics: self.0.clone(),
        }
    }
}

/// See [`MetricsMiddleware`].
pub struct MetricsEndpoint<E> {
    inner: E,
    metrics: Arc<Metrics>,
}

impl<E: Endpoint> Endpoint for MetricsEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Self::Output> {
        let method = req.method().to_string();
        let started = Instant::now();
        let resp = match self.inner.call(req).await {
            Ok(resp) => resp.into_response(),
            Err(err) => crate::error::into_problem_response(err),
        };
        let operation = resp
            .data::<OperationId>()
            .map(|op| op.0)
            .unwrap_or("unmatched");
        self.metrics.observe(
            operation,
            &method,
            resp.status().as_u16(),
            started.elapsed().as_secs_f64(),
        );
        Ok(resp)
    }
}
