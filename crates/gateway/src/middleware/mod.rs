//! The request pipeline, outermost first:
//! request id + access log → metrics → problem conversion → security headers
//! → CORS → rate limit → body limit → field errors → routes.

pub mod body_limit;
pub mod field_errors;
pub mod metrics;
pub mod rate_limit;
pub mod rate_limit_redis;
pub mod request_id;
pub mod security_headers;
