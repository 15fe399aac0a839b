//! Refuses request bodies over the configured size with 413.
//!
//! poem's `SizeLimit` demands a `Content-Length` on every request (GETs
//! included) and trusts it; this one checks the header when present and
//! otherwise reads a chunked body with a cap, so neither path can exceed it.

use poem::{Body, Endpoint, Middleware, Request, Result, error::ReadBodyError, http::header};

use crate::error::ApiError;

/// See the module docs.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit {
    max_bytes: usize,
}

impl BodyLimit {
    /// Limits bodies to `max_bytes`.
    pub fn new(max_bytes: usize) -> Self {
        Self { max_bytes }
    }
}

impl<E: Endpoint> Middleware<E> for BodyLimit {
    type Output = BodyLimitEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        BodyLimitEndpoint {
            inner: ep,
            max_bytes: self.max_bytes,
        }
    }
}

/// See [`BodyLimit`].
pub struct BodyLimitEndpoint<E> {
    inner: E,
    max_bytes: usize,
}

fn too_large(max: usize) -> poem::Error {
    ApiError::new(
        poem::http::StatusCode::PAYLOAD_TOO_LARGE,
        "request.body_too_large",
        format!("the request body is larger than {max} bytes"),
    )
    .into()
}

impl<E: Endpoint> Endpoint for BodyLimitEndpoint<E> {
    type Output = E::Output;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        match declared {
            Some(len) if len > self.max_bytes as u64 => return Err(too_large(self.max_bytes)),
            Some(_) => {}
            None if req.headers().contains_key(header::TRANSFER_ENCODING) => {
                let body = req.take_body();
                match body.into_bytes_limit(self.max_bytes).await {
                    Ok(bytes) => req.set_body(Body::from_bytes(bytes)),
                    Err(ReadBodyError::PayloadTooLarge) => return Err(too_large(self.max_bytes)),
                    Err(err) => return Err(err.into()),
                }
            }
            None => {}
        }
        self.inner.call(req).await
    }
}
