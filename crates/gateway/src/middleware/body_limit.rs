//! Refuses request bodies over the configured size with 413.
//!
//! poem's `SizeLimit` demands a `Content-Length` on every request (GETs
//! included) and trusts it; this one checks the header when present and
//! otherwise reads a chunked body with a cap, so neither path can exceed it.
//! One limit holds everywhere but on the routes given their own
//! ([`BodyLimit::route`]: uploads).
//!
//! A route whose handler reads its body as a stream ([`BodyLimit::streamed`]:
//! CSV imports) is not buffered here: a chunked body is passed on behind a
//! counter that fails the read past the limit with [`BodyTooLarge`], which
//! the handler answers with 413 ([`is_too_large`]).

use std::{
    pin::Pin,
    task::{Context, Poll},
};

use bytes::Bytes;
use futures_util::{Stream, TryStreamExt};
use poem::{
    Body, Endpoint, Middleware, Request, Result,
    error::ReadBodyError,
    http::{Method, header},
};

use crate::error::ApiError;

/// A limit of its own for a method on a path template: `{name}` segments
/// match any one segment.
#[derive(Debug, Clone)]
struct RouteLimit {
    method: Method,
    template: &'static str,
    max_bytes: usize,
    streamed: bool,
}

impl RouteLimit {
    fn matches(&self, req: &Request) -> bool {
        if req.method() != self.method {
            return false;
        }
        let mut path = req.uri().path().split('/');
        let mut template = self.template.split('/');
        loop {
            match (template.next(), path.next()) {
                (None, None) => return true,
                (Some(t), Some(p)) if t.starts_with('{') && t.ends_with('}') && !p.is_empty() => {}
                (Some(t), Some(p)) if t == p => {}
                _ => return false,
            }
        }
    }
}

/// See the module docs.
#[derive(Debug, Clone)]
pub struct BodyLimit {
    max_bytes: usize,
    routes: Vec<RouteLimit>,
}

/// A streamed body went past its route's limit (the error inside the
/// `io::Error` its reader gets).
#[derive(Debug, thiserror::Error)]
#[error("the request body is larger than {max_bytes} bytes")]
pub struct BodyTooLarge {
    /// The limit.
    pub max_bytes: usize,
}

/// The limit a streamed body went past, if that is why reading it failed.
pub fn is_too_large(err: &std::io::Error) -> Option<usize> {
    err.get_ref()
        .and_then(|e| e.downcast_ref::<BodyTooLarge>())
        .map(|e| e.max_bytes)
}

/// The 413 a handler answers when its streamed body was too large.
pub fn too_large_error(max_bytes: usize) -> ApiError {
    ApiError::new(
        poem::http::StatusCode::PAYLOAD_TOO_LARGE,
        "request.body_too_large",
        format!("the request body is larger than {max_bytes} bytes"),
    )
}

/// A body stream that fails once more than `left` bytes have come.
struct Capped<S> {
    inner: S,
    left: usize,
    max_bytes: usize,
}

impl<S: Stream<Item = std::io::Result<Bytes>> + Unpin> Stream for Capped<S> {
    type Item = std::io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match Pin::new(&mut self.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                if chunk.len() > self.left {
                    let max_bytes = self.max_bytes;
                    self.left = 0;
                    return Poll::Ready(Some(Err(std::io::Error::other(BodyTooLarge {
                        max_bytes,
                    }))));
                }
                self.left -= chunk.len();
                Poll::Ready(Some(Ok(chunk)))
            }
            other => other,
        }
    }
}

impl BodyLimit {
    /// Limits bodies to `max_bytes`.
    pub fn new(max_bytes: usize) -> Self {
        Self {
            max_bytes,
            routes: Vec::new(),
        }
    }

    /// Gives `method` on `path` (a template: `{name}` segments match any
    /// one segment) a limit of its own.
    pub fn route(mut self, method: Method, path: &'static str, max_bytes: usize) -> Self {
        self.routes.push(RouteLimit {
            method,
            template: path,
            max_bytes,
            streamed: false,
        });
        self
    }

    /// Like [`route`](Self::route), for a handler that reads the body as a
    /// stream: a chunked body is capped as it is read, not buffered.
    pub fn streamed(mut self, method: Method, path: &'static str, max_bytes: usize) -> Self {
        self.routes.push(RouteLimit {
            method,
            template: path,
            max_bytes,
            streamed: true,
        });
        self
    }
}

impl<E: Endpoint> Middleware<E> for BodyLimit {
    type Output = BodyLimitEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        BodyLimitEndpoint {
            inner: ep,
            limits: self.clone(),
        }
    }
}

/// See [`BodyLimit`].
pub struct BodyLimitEndpoint<E> {
    inner: E,
    limits: BodyLimit,
}

fn too_large(max: usize) -> poem::Error {
    too_large_error(max).into()
}

impl<E: Endpoint> BodyLimitEndpoint<E> {
    /// The route's limit, and whether its body is streamed.
    fn limit_of(&self, req: &Request) -> (usize, bool) {
        self.limits
            .routes
            .iter()
            .find(|r| r.matches(req))
            .map_or((self.limits.max_bytes, false), |r| {
                (r.max_bytes, r.streamed)
            })
    }
}

impl<E: Endpoint> Endpoint for BodyLimitEndpoint<E> {
    type Output = E::Output;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        let (max_bytes, streamed) = self.limit_of(&req);
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        match declared {
            Some(len) if len > max_bytes as u64 => return Err(too_large(max_bytes)),
            Some(_) => {}
            None if streamed && req.headers().contains_key(header::TRANSFER_ENCODING) => {
                let stream = req
                    .take_body()
                    .into_bytes_stream()
                    .map_err(std::io::Error::other);
                req.set_body(Body::from_bytes_stream(Capped {
                    inner: Box::pin(stream),
                    left: max_bytes,
                    max_bytes,
                }));
            }
            None if req.headers().contains_key(header::TRANSFER_ENCODING) => {
                let body = req.take_body();
                match body.into_bytes_limit(max_bytes).await {
                    Ok(bytes) => req.set_body(Body::from_bytes(bytes)),
                    Err(ReadBodyError::PayloadTooLarge) => return Err(too_large(max_bytes)),
                    Err(err) => return Err(err.into()),
                }
            }
            None => {}
        }
        self.inner.call(req).await
    }
}

#[cfg(test)]
mod tests {
    use poem::{EndpointExt, handler, http::StatusCode};

    use super::*;

    #[handler]
    fn accept(body: Vec<u8>) -> String {
        body.len().to_string()
    }

    async fn status(app: &impl Endpoint, path: &str, len: usize) -> StatusCode {
        let req = Request::builder()
            .method(Method::POST)
            .uri_str(path)
            .header(header::CONTENT_LENGTH, len)
            .body(vec![b'x'; len]);
        app.get_response(req).await.status()
    }

    #[tokio::test]
    async fn a_route_with_its_own_limit_keeps_the_others_at_the_global_one() {
        let app = poem::Route::new()
            .at("/upload", poem::post(accept))
            .at("/other", poem::post(accept))
            .with(BodyLimit::new(1024).route(Method::POST, "/upload", 4096));
        assert_eq!(status(&app, "/upload", 3000).await, StatusCode::OK);
        assert_eq!(status(&app, "/other", 1000).await, StatusCode::OK);
        assert_eq!(
            status(&app, "/other", 3000).await,
            StatusCode::PAYLOAD_TOO_LARGE
        );
        assert_eq!(
            status(&app, "/upload", 5000).await,
            StatusCode::PAYLOAD_TOO_LARGE
        );
    }

    #[handler]
    async fn stream(body: Body) -> String {
        use tokio::io::AsyncReadExt;
        let mut read = Vec::new();
        match body.into_async_read().read_to_end(&mut read).await {
            Ok(n) => n.to_string(),
            Err(err) => format!("too large: {:?}", is_too_large(&err)),
        }
    }

    #[tokio::test]
    async fn templates_match_segments_and_streamed_bodies_are_capped_as_read() {
        let app = poem::Route::new()
            .at("/orgs/:id/import", poem::post(stream))
            .at("/orgs/:id/other", poem::post(stream))
            .with(BodyLimit::new(1024).streamed(Method::POST, "/orgs/{id}/import", 4096));
        assert_eq!(status(&app, "/orgs/1/import", 3000).await, StatusCode::OK);
        assert_eq!(
            status(&app, "/orgs/1/import", 5000).await,
            StatusCode::PAYLOAD_TOO_LARGE
        );
        assert_eq!(
            status(&app, "/orgs/1/other", 3000).await,
            StatusCode::PAYLOAD_TOO_LARGE
        );
        let chunked = |len: usize| {
            let chunks = futures_util::stream::iter(
                std::iter::repeat_n(Bytes::from_static(&[b'x'; 1000]), len / 1000)
                    .map(Ok::<_, std::io::Error>),
            );
            Request::builder()
                .method(Method::POST)
                .uri_str("/orgs/1/import")
                .header(header::TRANSFER_ENCODING, "chunked")
                .body(Body::from_bytes_stream(chunks))
        };
        let small = app.get_response(chunked(3000)).await;
        assert_eq!(
            small.into_body().into_string().await.ok().as_deref(),
            Some("3000")
        );
        let large = app.get_response(chunked(6000)).await;
        assert_eq!(
            large.into_body().into_string().await.ok().as_deref(),
            Some("too large: Some(4096)")
        );
    }
}
