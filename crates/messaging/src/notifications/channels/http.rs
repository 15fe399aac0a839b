//! What the HTTP channels share: one way to build a client (bounded
//! timeouts, no redirects, ring as the TLS provider) and one reading of a
//! provider's answer, so WhatsApp, Twilio and FCM fail the same way for the
//! same reason.
//!
//! The reading: 2xx is accepted; 408, 429 and 5xx are worth another try, no
//! sooner than the provider's `Retry-After`; any other status is a refusal
//! for good; a timeout or a connection that never happened is worth another
//! try. Reasons are short and never carry a credential or a URL.

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::{StatusCode, header::RETRY_AFTER};

use super::{ConfigError, SendError};

/// The longest `Retry-After` honoured: a provider asking for more is
/// retried after this anyway (the delivery worker bounds attempts).
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// How much of a provider's error body a reason keeps.
const MAX_REASON_CHARS: usize = 200;

/// Timeouts of one provider's client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpConfig {
    /// Establishing the connection (TCP and TLS).
    pub connect_timeout: Duration,
    /// The whole request, from sending to the last byte of the answer.
    pub timeout: Duration,
}

impl Default for HttpConfig {
    /// 5 s to connect, 15 s in all: a provider slower than that is better
    /// retried later than waited on by a delivery worker.
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(15),
        }
    }
}

/// A client with `config`'s timeouts. Redirects are not followed: an API
/// answering with one is misconfigured, and a redirect must not carry the
/// credentials elsewhere.
pub fn client(channel: &'static str, config: HttpConfig) -> Result<reqwest::Client, ConfigError> {
    crate::files::install_tls_provider();
    reqwest::Client::builder()
        .connect_timeout(config.connect_timeout)
        .timeout(config.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("trellis/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| ConfigError::new(channel, "http client", e.without_url().to_string()))
}

/// A base URL without its trailing slashes, so paths can be appended.
pub(crate) fn trim_base(base: &str) -> String {
    base.trim_end_matches('/').to_string()
}

/// A provider's non-2xx answer, read once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Its status.
    pub status: StatusCode,
    /// Its `Retry-After`, capped at [`MAX_RETRY_AFTER`].
    pub retry_after: Option<Duration>,
    /// Its body (for providers whose errors need a closer look).
    pub body: String,
}

impl Failure {
    /// True for the statuses worth another try: 408, 429 and 5xx.
    pub fn is_retryable(&self) -> bool {
        self.status == StatusCode::REQUEST_TIMEOUT
            || self.status == StatusCode::TOO_MANY_REQUESTS
            || self.status.is_server_error()
    }

    /// The short reason: `provider status: message`, the message taken from
    /// the body (a JSON error's `message` when there is one), truncated.
    pub fn reason(&self, provider: &str) -> String {
        let detail = error_message(&self.body);
        if detail.is_empty() {
            format!("{provider} {}", self.status.as_u16())
        } else {
            format!("{provider} {}: {detail}", self.status.as_u16())
        }
    }

    /// The [`SendError`] it means.
    pub fn into_error(self, provider: &str) -> SendError {
        let reason = self.reason(provider);
        if self.is_retryable() {
            SendError::Retry {
                reason,
                after: self.retry_after,
            }
        } else {
            SendError::Rejected(reason)
        }
    }
}

/// The response itself when it is a 2xx, or its [`Failure`] (body read).
pub async fn check(response: reqwest::Response) -> Result<reqwest::Response, Failure> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let retry_after = response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, Utc::now()));
    // A body cut short by a timeout still leaves the status to go on.
    let body = response.text().await.unwrap_or_default();
    Err(Failure {
        status,
        retry_after,
        body,
    })
}

/// [`check`], mapped straight to a [`SendError`].
pub async fn classify(
    provider: &str,
    response: reqwest::Response,
) -> Result<reqwest::Response, SendError> {
    check(response).await.map_err(|f| f.into_error(provider))
}

/// A request that got no answer: a timeout or a failed connection is worth
/// another try; a request that could not even be built is a refusal.
pub fn transport_error(provider: &str, error: reqwest::Error) -> SendError {
    if error.is_builder() {
        return SendError::Rejected(format!("{provider}: cannot build the request"));
    }
    let what = if error.is_timeout() {
        "timed out".to_string()
    } else if error.is_connect() {
        "cannot connect".to_string()
    } else {
        // Without the URL: it can hold account identifiers.
        truncate(&error.without_url().to_string())
    };
    SendError::Retry {
        reason: format!("{provider}: {what}"),
        after: None,
    }
}

/// Reads a `Retry-After` value: delta-seconds or an HTTP-date (a date in
/// the past means now), capped at [`MAX_RETRY_AFTER`].
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    let wait = if let Ok(seconds) = value.parse::<u64>() {
        Duration::from_secs(seconds)
    } else {
        let at = DateTime::parse_from_rfc2822(value)
            .ok()?
            .with_timezone(&Utc);
        (at - now).to_std().unwrap_or(Duration::ZERO)
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

/// The human part of an error body: `error.message` (Google, Meta),
/// `message` (Twilio), `error_description` (OAuth), else the text itself;
/// whitespace collapsed and truncated.
fn error_message(body: &str) -> String {
    let text = match serde_json::from_str::<serde_json::Value>(body) {
        Ok(json) => [
            json.pointer("/error/message"),
            json.get("message"),
            json.get("error_description"),
            json.get("error"),
        ]
        .into_iter()
        .flatten()
        .find_map(|v| v.as_str())
        .map(str::to_string)
        .unwrap_or_else(|| body.to_string()),
        Err(_) => body.to_string(),
    };
    truncate(&text.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// At most [`MAX_REASON_CHARS`] characters, with an ellipsis when cut.
pub(crate) fn truncate(text: &str) -> String {
    match text.char_indices().nth(MAX_REASON_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(status: u16, body: &str) -> Failure {
        Failure {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::IM_A_TEAPOT),
            retry_after: None,
            body: body.into(),
        }
    }

    #[test]
    fn retry_after_is_seconds_or_a_date_and_capped() {
        let now = DateTime::parse_from_rfc3339("2015-10-21T07:27:00Z")
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("86400", now), Some(MAX_RETRY_AFTER));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
    }

    #[test]
    fn statuses_split_into_retry_and_rejected() {
        for status in [408, 429, 500, 502, 503] {
            assert!(
                matches!(failure(status, "").into_error("p"), SendError::Retry { .. }),
                "{status}"
            );
        }
        for status in [400, 401, 403, 404, 422] {
            assert!(
                matches!(failure(status, "").into_error("p"), SendError::Rejected(_)),
                "{status}"
            );
        }
    }

    #[test]
    fn reasons_come_from_the_body_and_stay_short() {
        let google = r#"{"error":{"code":400,"message":"Invalid  JSON\npayload","status":"INVALID_ARGUMENT"}}"#;
        assert_eq!(
            failure(400, google).reason("fcm"),
            "fcm 400: Invalid JSON payload"
        );
        let twilio = r#"{"code":21211,"message":"The 'To' number is not valid.","status":400}"#;
        assert_eq!(
            failure(400, twilio).reason("twilio"),
            "twilio 400: The 'To' number is not valid."
        );
        assert_eq!(failure(404, "").reason("x"), "x 404");
        let long = "é".repeat(500);
        let reason = failure(400, &long).reason("x");
        assert_eq!(
            reason.chars().count(),
            "x 400: ".len() + MAX_REASON_CHARS + 1
        );
    }
}
