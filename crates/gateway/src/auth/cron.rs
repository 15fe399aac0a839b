//! The cron secret that guards `/internal/cron/*`, compared in constant time.

use poem::Request;
use poem_openapi::{
    SecurityScheme,
    auth::{ApiKey, Bearer},
};
use secrecy::ExposeSecret;
use subtle::ConstantTimeEq;

use super::state;
use crate::error::ApiError;

/// The cron secret in the `x-cron-secret` header.
#[derive(SecurityScheme)]
#[oai(
    ty = "api_key",
    key_name = "x-cron-secret",
    key_in = "header",
    checker = "verify_cron_header"
)]
pub struct CronSecretHeader(());

/// The cron secret as a bearer token (what most schedulers can send).
#[derive(SecurityScheme)]
#[oai(ty = "bearer", checker = "verify_cron_bearer")]
pub struct CronSecretBearer(());

/// A scheduler triggering a job: either form of the cron secret. poem-openapi
/// answers with the last scheme's error, so the header (the documented form)
/// comes last and its checker's answer (404 disabled, 401 wrong) is the one seen.
#[derive(SecurityScheme)]
pub enum CronAuth {
    /// `Authorization: Bearer <secret>`.
    Bearer(CronSecretBearer),
    /// `x-cron-secret: <secret>`.
    Header(CronSecretHeader),
}

async fn verify_cron_header(req: &Request, key: ApiKey) -> poem::Result<()> {
    check_cron_secret(
        state(req)?
            .config
            .jobs
            .cron_secret
            .as_ref()
            .map(ExposeSecret::expose_secret),
        &key.key,
    )
    .map_err(Into::into)
}

async fn verify_cron_bearer(req: &Request, bearer: Bearer) -> poem::Result<()> {
    check_cron_secret(
        state(req)?
            .config
            .jobs
            .cron_secret
            .as_ref()
            .map(ExposeSecret::expose_secret),
        &bearer.token,
    )
    .map_err(Into::into)
}

/// Compares a presented secret with the configured one in constant time.
/// With no secret configured the triggers do not exist (404).
pub fn check_cron_secret(configured: Option<&str>, presented: &str) -> Result<(), ApiError> {
    let Some(configured) = configured else {
        return Err(ApiError::not_found(
            "cron.disabled",
            "cron triggers are disabled: CRON_SECRET is not set",
        ));
    };
    if bool::from(configured.as_bytes().ct_eq(presented.as_bytes())) {
        Ok(())
    } else {
        Err(ApiError::unauthorized(
            "cron.invalid_secret",
            "the cron secret is wrong",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cron_secret_must_match_and_be_configured() {
        let secret = Some("0123456789abcdef-cron");
        assert!(check_cron_secret(secret, "0123456789abcdef-cron").is_ok());
        let wrong = check_cron_secret(secret, "0123456789abcdef-cro");
        assert_eq!(wrong.map_err(|e| e.status().as_u16()), Err(401));
        let disabled = check_cron_secret(None, "anything");
        assert_eq!(
            disabled.map_err(|e| e.code().to_string()),
            Err("cron.disabled".into())
        );
    }
}
