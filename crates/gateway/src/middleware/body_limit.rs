//! Refuses request bodies over the configured size with 413.
//!
//! poem's `SizeLimit` demands a `Content-Length` on every request (GETs
//! included) and trusts it; this one checks the header when present and
//! otherwise reads a chunked body with a cap, so neither path can exceed it.
//! One limit holds everywhere but on the routes given their own
//! ([`BodyLimit::route`]: uploads).

use poem::{
    Body, Endpoint, Middleware, Request, Result,
    error::ReadBodyError,
    http::{Method, header},
};

use crate::error::ApiError;

/// See the module docs.
#[derive(Debug, Clone)]
pub struct BodyLimit {
    max_bytes: usize,
    routes: Vec<(Method, &'static str, usize)>,
}

impl BodyLimit {
    /// Limits bodies to `max_bytes`.
    pub fn new(max_bytes: usize) -> Self {
        Self {
            max_bytes,
            routes: Vec::new(),
        }
    }

    /// Gives `method` on exactly `path` a limit of its own.
    pub fn route(mut self, method: Method, path: &'static str, max_bytes: usize) -> Self {
        self.routes.push((method, path, max_bytes));
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
    ApiError::new(
        poem::http::StatusCode::PAYLOAD_TOO_LARGE,
        "request.body_too_large",
        format!("the request body is larger than {max} bytes"),
    )
    .into()
}

impl<E: Endpoint> BodyLimitEndpoint<E> {
    fn limit_of(&self, req: &Request) -> usize {
        self.limits
            .routes
            .iter()
            .find(|(method, path, _)| req.method() == method && req.uri().path() == *path)
            .map_or(self.limits.max_bytes, |(_, _, max)| *max)
    }
}

impl<E: Endpoint> Endpoint for BodyLimitEndpoint<E> {
    type Output = E::Output;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        let max_bytes = self.limit_of(&req);
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        match declared {
            Some(len) if len > max_bytes as u64 => return Err(too_large(max_bytes)),
            Some(_) => {}
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
}
