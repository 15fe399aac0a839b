//! Request ids and access logs.
//!
//! A client's `x-request-id` is kept when it looks like an id (so a trace can
//! cross services), otherwise a UUID v7 is generated. The id is echoed in the
//! response and recorded on a span that wraps the whole request, so every log
//! line the request causes carries it.

use std::time::Instant;

use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result, http::HeaderValue};
use tracing::Instrument;
use uuid::Uuid;

/// The header carrying the request id.
pub const REQUEST_ID: &str = "x-request-id";

/// The request id of the current request, as request data.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Assigns request ids and logs each request once it is answered.
#[derive(Debug, Default, Clone, Copy)]
pub struct RequestIdMiddleware;

impl<E: Endpoint> Middleware<E> for RequestIdMiddleware {
    type Output = RequestIdEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        RequestIdEndpoint { inner: ep }
    }
}

/// See [`RequestIdMiddleware`].
pub struct RequestIdEndpoint<E> {
    inner: E,
}

/// Accepts a client-supplied id only if it is short and plain.
fn acceptable(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

impl<E: Endpoint> Endpoint for RequestIdEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        let id = req
            .headers()
            .get(REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .filter(|v| acceptable(v))
            .map(String::from)
            .unwrap_or_else(|| Uuid::now_v7().to_string());
        let span = tracing::info_span!(
            "request",
            request_id = %id,
            method = %req.method(),
            path = %req.uri().path(),
        );
        req.set_data(RequestId(id.clone()));
        let started = Instant::now();
        async move {
            let result = self.inner.call(req).await;
            let mut resp = match result {
                Ok(resp) => resp.into_response(),
                Err(err) => crate::error::into_problem_response(err),
            };
            if let Ok(value) = HeaderValue::from_str(&id) {
                resp.headers_mut().insert(REQUEST_ID, value);
            }
            let status = resp.status().as_u16();
            let latency_ms = started.elapsed().as_secs_f64() * 1_000.0;
            if status >= 500 {
                tracing::warn!(status, latency_ms, "answered");
            } else {
                tracing::info!(status, latency_ms, "answered");
            }
            Ok(resp)
        }
        .instrument(span)
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::acceptable;

    #[test]
    fn only_plain_short_ids_are_reused() {
        assert!(acceptable("0193f1b2-7c1e-7aaa-9f00-1234567890ab"));
        assert!(acceptable("trace:abc.123_x"));
        assert!(!acceptable(""));
        assert!(!acceptable("has space"));
        assert!(!acceptable("new\nline"));
        assert!(!acceptable(&"x".repeat(129)));
    }
}
