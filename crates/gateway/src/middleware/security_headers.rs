//! Headers that make browsers safer with every response.

use std::time::Duration;

use poem::middleware::SetHeader;

/// `nosniff`, frame denial, a strict referrer policy, and HSTS when configured
/// (only behind TLS, which a proxy terminates; hence opt-in).
pub fn security_headers(hsts_max_age: Option<Duration>) -> SetHeader {
    let headers = SetHeader::new()
        .overriding("x-content-type-options", "nosniff")
        .overriding("x-frame-options", "DENY")
        .overriding("referrer-policy", "no-referrer")
        .overriding("cross-origin-opener-policy", "same-origin");
    match hsts_max_age {
        Some(age) => headers.overriding(
            "strict-transport-security",
            format!("max-age={}; includeSubDomains", age.as_secs()),
        ),
        None => headers,
    }
}
