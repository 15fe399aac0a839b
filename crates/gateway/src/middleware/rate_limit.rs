//! Rate limiting, as one middleware driven by a table of route classes.
//!
//! Each request is classified ([`classify`]) into a [`RouteClass`] whose quota
//! (limit per window) is a runtime setting, and keyed by the user id when the
//! request carries a valid access token, by client IP otherwise (auth and
//! booking classes always by IP). `X-Forwarded-For` is believed only when the
//! peer is a configured trusted proxy. Counters sit behind [`RateLimitStore`]:
//! the in-process [`GovernorStore`] here, or, when `REDIS_URL` is set,
//! [`RedisStore`](super::rate_limit_redis::RedisStore), shared by every
//! instance.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use governor::{
    DefaultKeyedRateLimiter, Quota, RateLimiter,
    clock::{Clock as _, DefaultClock},
    middleware::StateInformationMiddleware,
};
use ipnet::IpNet;
use poem::{
    Endpoint, IntoResponse, Middleware, Request, Response, Result,
    http::{HeaderValue, Method, StatusCode, header},
    web::RemoteAddr,
};
use serde::{Deserialize, Serialize};
use trellis_kernel::{
    id::UserId,
    settings::{Setting, SettingDef},
};

use crate::{error::ApiError, state::AppState};

/// A limit: at most `limit` requests per `window_secs`, replenished smoothly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateQuota {
    /// Requests allowed in a window.
    pub limit: u32,
    /// The window, in seconds.
    pub window_secs: u32,
}

impl RateQuota {
    const fn new(limit: u32, window_secs: u32) -> Self {
        Self { limit, window_secs }
    }

    fn check(&self) -> Result<(), String> {
        if !(1..=1_000_000).contains(&self.limit) {
            return Err("limit must be between 1 and 1000000".into());
        }
        if !(1..=86_400).contains(&self.window_secs) {
            return Err("window_secs must be between 1 and 86400".into());
        }
        Ok(())
    }

    fn governor_quota(self) -> Option<Quota> {
        let limit = std::num::NonZeroU32::new(self.limit)?;
        Quota::with_period(Duration::from_secs(u64::from(self.window_secs)) / self.limit)
            .map(|q| q.allow_burst(limit))
    }
}

/// How a class keys its counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyBy {
    /// The user when signed in, else the client IP.
    UserOrIp,
    /// Always the client IP (anonymous flows, brute-force targets).
    Ip,
}

/// A group of routes sharing one quota.
#[derive(Debug)]
pub struct RouteClass {
    /// Short name, used in metrics and the counter key.
    pub name: &'static str,
    /// The runtime setting holding its quota.
    pub setting: &'static Setting<RateQuota>,
    /// How requests are keyed.
    pub key_by: KeyBy,
}

/// Declares a route class and the runtime setting holding its quota.
macro_rules! route_class {
    ($class:ident, $setting:ident, $name:literal, $limit:literal per $window:literal s, $key_by:expr, $desc:literal) => {
        /// Runtime setting: see its description.
        pub static $setting: Setting<RateQuota> = Setting {
            key: concat!("rate_limit.", $name),
            description: $desc,
            default: || RateQuota::new($limit, $window),
            validate: RateQuota::check,
        };
        static $class: RouteClass = RouteClass {
            name: $name,
            setting: &$setting,
            key_by: $key_by,
        };
    };
}

route_class!(CLASS_GENERAL, GENERAL, "general", 60 per 60 s, KeyBy::UserOrIp,
    "Any /api/v1 request, per user or IP");
route_class!(CLASS_BOOKING, BOOKING, "booking", 5 per 600 s, KeyBy::Ip,
    "Public bookings, per IP");
route_class!(CLASS_REGISTER, REGISTER, "register", 10 per 3600 s, KeyBy::Ip,
    "Account registrations, per IP");
route_class!(CLASS_LOGIN, LOGIN, "login", 10 per 300 s, KeyBy::Ip,
    "Sign-in attempts, per IP");
route_class!(CLASS_OTP, OTP, "otp", 10 per 3600 s, KeyBy::Ip,
    "Phone code requests and checks, per IP");
route_class!(CLASS_PASSWORD_RESET, PASSWORD_RESET, "password_reset", 5 per 3600 s, KeyBy::Ip,
    "Password reset requests, per IP");
route_class!(CLASS_ANONYMOUS, ANONYMOUS, "anonymous", 10 per 3600 s, KeyBy::Ip,
    "Anonymous user creation, per IP");
route_class!(CLASS_MESSAGE, MESSAGE, "message", 30 per 10 s, KeyBy::UserOrIp,
    "Chat messages sent, per user");
// Unauthenticated, so per IP; roomier than `general` because mail
// providers post one-click unsubscribes for many people from few addresses,
// and a refused one may never be sent again. The token is an HMAC: volume
// buys an attacker nothing.
route_class!(CLASS_UNSUBSCRIBE, UNSUBSCRIBE, "unsubscribe", 300 per 60 s, KeyBy::Ip,
    "Unsubscribe links followed (mail providers' one-click posts among them), per IP");
// Each reveal decrypts a secret and writes an audit row: a person needs a
// few a minute, a script draining the vault many more.
route_class!(CLASS_REVEAL, REVEAL, "reveal", 10 per 60 s, KeyBy::UserOrIp,
    "Vault credential reveals, per user");

// Each turn may make several paid model calls: a person chats a few times a
// minute, a script many more.
route_class!(CLASS_AICHAT, AICHAT, "aichat", 30 per 600 s, KeyBy::UserOrIp,
    "Assistant chat turns, per user");

/// Every rate-limit setting, for the settings registry.
pub fn settings() -> Vec<&'static dyn SettingDef> {
    vec![
        &GENERAL,
        &BOOKING,
        &REGISTER,
        &LOGIN,
        &OTP,
        &PASSWORD_RESET,
        &ANONYMOUS,
        &MESSAGE,
        &UNSUBSCRIBE,
        &REVEAL,
        &AICHAT,
    ]
}

/// The class table: the first matching `(method, path prefix)` wins; any other
/// `/api/v1` request is `general`; everything else (health, docs) is unlimited.
/// Routes with an id inside their path are in [`PATTERN_TABLE`].
static CLASS_TABLE: &[(Method, &str, &RouteClass)] = &[
    (Method::POST, "/api/v1/booking/", &CLASS_BOOKING),
    (Method::POST, "/api/v1/assistant/chat", &CLASS_AICHAT),
    (Method::POST, "/api/v1/auth/register", &CLASS_REGISTER),
    (Method::POST, "/api/v1/auth/login", &CLASS_LOGIN),
    (Method::POST, "/internal/auth/login", &CLASS_LOGIN),
    (Method::POST, "/api/v1/auth/otp/", &CLASS_OTP),
    (
        Method::POST,
        "/api/v1/auth/password-reset",
        &CLASS_PASSWORD_RESET,
    ),
    (Method::POST, "/api/v1/auth/anonymous", &CLASS_ANONYMOUS),
    (
        Method::POST,
        "/api/v1/notifications/unsubscribe",
        &CLASS_UNSUBSCRIBE,
    ),
];

/// Classes of routes with one id segment: `(method, prefix, suffix)`, the
/// segment between them being the id (`/api/v1/rooms/{id}/messages`).
static PATTERN_TABLE: &[(Method, &str, &str, &RouteClass)] =
    &[(Method::POST, "/api/v1/rooms/", "/messages", &CLASS_MESSAGE)];

/// Classes of routes with several id segments: `(method, segments)`, `*`
/// standing for one non-empty segment.
static SEGMENT_TABLE: &[(Method, &[&str], &RouteClass)] = &[(
    Method::POST,
    &["", "api", "v1", "orgs", "*", "credentials", "*", "reveal"],
    &CLASS_REVEAL,
)];

fn matches_segments(pattern: &[&str], path: &str) -> bool {
    let mut segments = path.split('/');
    pattern.iter().all(|p| {
        segments
            .next()
            .is_some_and(|s| if *p == "*" { !s.is_empty() } else { s == *p })
    }) && segments.next().is_none()
}

/// The class of a request, if it is limited at all.
pub fn classify(method: &Method, path: &str) -> Option<&'static RouteClass> {
    CLASS_TABLE
        .iter()
        .find(|(m, prefix, _)| m == method && path.starts_with(prefix))
        .map(|(_, _, class)| *class)
        .or_else(|| {
            PATTERN_TABLE
                .iter()
                .find(|(m, prefix, suffix, _)| {
                    m == method
                        && path
                            .strip_prefix(prefix)
                            .and_then(|rest| rest.strip_suffix(suffix))
                            .is_some_and(|id| !id.is_empty() && !id.contains('/'))
                })
                .map(|(_, _, _, class)| *class)
        })
        .or_else(|| {
            SEGMENT_TABLE
                .iter()
                .find(|(m, pattern, _)| m == method && matches_segments(pattern, path))
                .map(|(_, _, class)| *class)
        })
        .or_else(|| path.starts_with("/api/v1/").then_some(&CLASS_GENERAL))
}

/// The counter key of a signed-in user.
fn user_key(user: UserId) -> String {
    format!("u:{user}")
}

/// Counts one chat message sent on the realtime socket against the quota of
/// `POST /api/v1/rooms/{id}/messages` (`rate_limit.message`), under the same
/// per-user key: a client cannot double its quota by using both.
pub async fn count_socket_message(state: &AppState, user: UserId) -> Decision {
    let quota = state.settings.get(CLASS_MESSAGE.setting).await;
    if !state.config.http.rate_limits {
        return Decision {
            allowed: true,
            quota,
            remaining: quota.limit,
            reset_after: Duration::ZERO,
            retry_after: Duration::ZERO,
        };
    }
    let decision = state
        .rate_limits
        .hit(CLASS_MESSAGE.name, &user_key(user), quota)
        .await;
    if !decision.allowed {
        state.metrics.rate_limited(CLASS_MESSAGE.name);
    }
    decision
}

/// The outcome of counting one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// Whether the request may proceed.
    pub allowed: bool,
    /// The quota applied.
    pub quota: RateQuota,
    /// Requests left right now.
    pub remaining: u32,
    /// Until the quota is whole again.
    pub reset_after: Duration,
    /// Until the next request will be allowed (when refused).
    pub retry_after: Duration,
}

/// Where counters live.
#[async_trait::async_trait]
pub trait RateLimitStore: Send + Sync + 'static {
    /// Counts one request of `class` by `key` against `quota`.
    async fn hit(&self, class: &'static str, key: &str, quota: RateQuota) -> Decision;
}

type Limiter = DefaultKeyedRateLimiter<String, StateInformationMiddleware>;

/// In-process counters (GCRA, from `governor`): one limiter per class,
/// rebuilt when its quota setting changes.
#[derive(Default)]
pub struct GovernorStore {
    limiters: Mutex<HashMap<&'static str, (RateQuota, Arc<Limiter>)>>,
}

impl GovernorStore {
    fn limiter(&self, class: &'static str, quota: RateQuota) -> Option<Arc<Limiter>> {
        let mut limiters = self.limiters.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((q, limiter)) = limiters.get(class)
            && *q == quota
        {
            return Some(limiter.clone());
        }
        let limiter = Arc::new(
            RateLimiter::keyed(quota.governor_quota()?)
                .with_middleware::<StateInformationMiddleware>(),
        );
        limiters.insert(class, (quota, limiter.clone()));
        Some(limiter)
    }

    /// Forgets keys whose counters have fully replenished (bounded memory).
    pub fn purge_idle(&self) {
        let limiters = self.limiters.lock().unwrap_or_else(PoisonError::into_inner);
        for (_, limiter) in limiters.values() {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

#[async_trait::async_trait]
impl RateLimitStore for GovernorStore {
    async fn hit(&self, class: &'static str, key: &str, quota: RateQuota) -> Decision {
        let period = Duration::from_secs(u64::from(quota.window_secs)) / quota.limit.max(1);
        let Some(limiter) = self.limiter(class, quota) else {
            return Decision {
                allowed: true,
                quota,
                remaining: quota.limit,
                reset_after: Duration::ZERO,
                retry_after: Duration::ZERO,
            };
        };
        match limiter.check_key(&key.to_string()) {
            Ok(snapshot) => {
                let remaining = snapshot.remaining_burst_capacity();
                Decision {
                    allowed: true,
                    quota,
                    remaining,
                    reset_after: period * quota.limit.saturating_sub(remaining),
                    retry_after: Duration::ZERO,
                }
            }
            Err(not_until) => {
                let retry_after = not_until.wait_time_from(DefaultClock::default().now());
                Decision {
                    allowed: false,
                    quota,
                    remaining: 0,
                    reset_after: period * quota.limit,
                    retry_after,
                }
            }
        }
    }
}

/// Finds the client's address. The peer is the client unless it is a trusted
/// proxy, in which case `X-Forwarded-For` is walked from the right (the part
/// our own proxies appended) to the first address that is not a trusted proxy.
pub fn client_ip(
    peer: Option<IpAddr>,
    forwarded_for: Option<&str>,
    trusted: &[IpNet],
) -> Option<IpAddr> {
    let peer = peer?;
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let Some(header) = forwarded_for else {
        return Some(peer);
    };
    let mut client = peer;
    for hop in header.rsplit(',') {
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !is_trusted(&ip) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    Some(client)
}

/// The rate-limiting middleware.
#[derive(Clone)]
pub struct RateLimit {
    store: Arc<dyn RateLimitStore>,
}

impl RateLimit {
    /// Limits requests with counters in `store`.
    pub fn new(store: Arc<dyn RateLimitStore>) -> Self {
        Self { store }
    }
}

impl<E: Endpoint> Middleware<E> for RateLimit {
    type Output = RateLimitEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        RateLimitEndpoint {
            inner: ep,
            store: self.store.clone(),
        }
    }
}

/// See [`RateLimit`].
pub struct RateLimitEndpoint<E> {
    inner: E,
    store: Arc<dyn RateLimitStore>,
}

fn peer_ip(req: &Request) -> Option<IpAddr> {
    let RemoteAddr(addr) = req.remote_addr();
    addr.as_socket_addr().map(|a| a.ip())
}

fn set_headers(resp: &mut Response, decision: &Decision) {
    let headers = resp.headers_mut();
    let secs = |d: Duration| d.as_secs() + u64::from(d.subsec_nanos() > 0);
    let pairs = [
        ("ratelimit-limit", decision.quota.limit.to_string()),
        ("ratelimit-remaining", decision.remaining.to_string()),
        ("ratelimit-reset", secs(decision.reset_after).to_string()),
        (
            "ratelimit-policy",
            format!("{};w={}", decision.quota.limit, decision.quota.window_secs),
        ),
    ];
    for (name, value) in pairs {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
}

impl<E: Endpoint> Endpoint for RateLimitEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        let Some(state) = req.data::<AppState>().cloned() else {
            return self.inner.call(req).await.map(IntoResponse::into_response);
        };
        let class = match classify(req.method(), req.uri().path()) {
            Some(class) if state.config.http.rate_limits => class,
            _ => return self.inner.call(req).await.map(IntoResponse::into_response),
        };
        let user = match class.key_by {
            KeyBy::Ip => None,
            KeyBy::UserOrIp => req
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                // The realtime socket's token rides in its subprotocols.
                .or_else(|| crate::realtime::protocol_token(req.headers()))
                .and_then(|token| crate::auth::verify_access_token(&state, token).ok()),
        };
        let user = user.map(|principal| {
            let id = principal.user_id;
            // Verified once per request: the `Caller` extractors reuse it.
            req.set_data(crate::auth::VerifiedPrincipal(principal));
            id
        });
        let key = match user {
            Some(user) => user_key(user),
            None => {
                let forwarded = req
                    .headers()
                    .get("x-forwarded-for")
                    .and_then(|v| v.to_str().ok());
                match client_ip(peer_ip(&req), forwarded, &state.config.http.trusted_proxies) {
                    Some(ip) => format!("ip:{ip}"),
                    None => "ip:unknown".to_string(),
                }
            }
        };
        let quota = state.settings.get(class.setting).await;
        let decision = self.store.hit(class.name, &key, quota).await;
        if !decision.allowed {
            state.metrics.rate_limited(class.name);
            let retry =
                decision.retry_after.as_secs() + u64::from(decision.retry_after.subsec_nanos() > 0);
            let mut resp = poem::error::ResponseError::as_response(
                &ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limit.exceeded",
                    format!(
                        "too many requests: at most {} per {} s; retry in {} s",
                        quota.limit,
                        quota.window_secs,
                        retry.max(1)
                    ),
                )
                .with_header(header::RETRY_AFTER, HeaderValue::from(retry.max(1))),
            );
            set_headers(&mut resp, &decision);
            return Ok(resp);
        }
        let mut resp = match self.inner.call(req).await {
            Ok(resp) => resp.into_response(),
            Err(err) => crate::error::into_problem_response(err),
        };
        set_headers(&mut resp, &decision);
        Ok(resp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))
    }

    #[test]
    fn routes_fall_into_their_class() {
        let name = |m: Method, p: &str| classify(&m, p).map(|c| c.name);
        assert_eq!(name(Method::POST, "/api/v1/booking/ana"), Some("booking"));
        assert_eq!(
            name(Method::GET, "/api/v1/booking/ana/slots"),
            Some("general")
        );
        assert_eq!(name(Method::POST, "/api/v1/auth/login"), Some("login"));
        assert_eq!(name(Method::POST, "/api/v1/assistant/chat"), Some("aichat"));
        assert_eq!(
            name(Method::GET, "/api/v1/assistant/conversations"),
            Some("general")
        );
        assert_eq!(
            name(Method::POST, "/api/v1/auth/password-reset/confirm"),
            Some("password_reset")
        );
        assert_eq!(name(Method::POST, "/api/v1/auth/otp/verify"), Some("otp"));
        assert_eq!(name(Method::GET, "/api/v1/orgs"), Some("general"));
        assert_eq!(name(Method::GET, "/healthz"), None);
        assert_eq!(name(Method::GET, "/docs"), None);
        let room = "/api/v1/rooms/0193f1b2-7c1e-7aaa-9f00-1234567890ab";
        assert_eq!(
            name(Method::POST, &format!("{room}/messages")),
            Some("message")
        );
        assert_eq!(
            name(Method::GET, &format!("{room}/messages")),
            Some("general")
        );
        assert_eq!(name(Method::POST, &format!("{room}/read")), Some("general"));
        assert_eq!(
            name(Method::POST, "/api/v1/rooms//messages"),
            Some("general")
        );
        assert_eq!(
            name(Method::POST, "/api/v1/rooms/a/b/messages"),
            Some("general")
        );
        let credential = "/api/v1/orgs/0193f1b2-7c1e-7aaa-9f00-1234567890ab/credentials/0193f1b2-7c1e-7aaa-9f00-1234567890ac";
        assert_eq!(
            name(Method::POST, &format!("{credential}/reveal")),
            Some("reveal")
        );
        assert_eq!(
            name(Method::GET, &format!("{credential}/reveal")),
            Some("general")
        );
        assert_eq!(name(Method::GET, credential), Some("general"));
        for path in [
            "/api/v1/orgs//credentials/x/reveal",
            "/api/v1/orgs/o/credentials//reveal",
            "/api/v1/orgs/o/credentials/x/reveal/more",
        ] {
            assert_eq!(name(Method::POST, path), Some("general"), "{path}");
        }
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let trusted: Vec<IpNet> = vec![
            "10.0.0.0/8"
                .parse()
                .unwrap_or_else(|_| IpNet::from(ip("10.0.0.1"))),
        ];
        let xff = Some("203.0.113.9, 198.51.100.7, 10.0.0.5");
        // An untrusted peer cannot claim another address.
        assert_eq!(
            client_ip(Some(ip("198.51.100.1")), xff, &trusted),
            Some(ip("198.51.100.1"))
        );
        // A trusted proxy: the rightmost untrusted hop is the client.
        assert_eq!(
            client_ip(Some(ip("10.0.0.2")), xff, &trusted),
            Some(ip("198.51.100.7"))
        );
        // Garbage stops the walk at the last good hop.
        assert_eq!(
            client_ip(Some(ip("10.0.0.2")), Some("junk, 10.0.0.9"), &trusted),
            Some(ip("10.0.0.9"))
        );
        // No trusted proxies configured: the header is ignored.
        assert_eq!(
            client_ip(Some(ip("10.0.0.2")), xff, &[]),
            Some(ip("10.0.0.2"))
        );
    }

    #[tokio::test]
    async fn governor_store_refuses_over_quota_and_reports_remaining() {
        let store = GovernorStore::default();
        let quota = RateQuota::new(3, 60);
        let mut remaining = Vec::new();
        for _ in 0..3 {
            let d = store.hit("t", "k", quota).await;
            assert!(d.allowed);
            remaining.push(d.remaining);
        }
        assert_eq!(remaining, vec![2, 1, 0]);
        let refused = store.hit("t", "k", quota).await;
        assert!(!refused.allowed);
        assert!(
            refused.retry_after > Duration::from_secs(15)
                && refused.retry_after <= Duration::from_secs(20)
        );
        // Other keys and a changed quota start afresh.
        assert!(store.hit("t", "other", quota).await.allowed);
        assert!(store.hit("t", "k", RateQuota::new(10, 60)).await.allowed);
    }

    #[test]
    fn quota_rules() {
        assert!(RateQuota::new(0, 60).check().is_err());
        assert!(RateQuota::new(5, 0).check().is_err());
        assert!(RateQuota::new(5, 600).check().is_ok());
    }
}
