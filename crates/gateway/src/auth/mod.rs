//! Who is calling, and may they: resolved once, before a handler runs.
//!
//! [`verify_access_token`] is the only place an access token is checked
//! (signature, algorithm, issuer, audience, expiry and ended sessions); the
//! rate limiter and every extractor below go through it. Handlers take the
//! caller as an argument and never look anything up themselves:
//!
//! | extractor | for | fails with |
//! |---|---|---|
//! | [`Caller`] | any signed-in operation | 401 |
//! | [`OptionalCaller`] | public operations that know a signed-in caller | 401 for a bad token, never a silent anonymous |
//! | [`ProfessionalCaller`] | the caller's own scheduling data | 401, 404 `professional.not_found` |
//! | [`OrgMember<R>`] | `/orgs/{org_id}/...` routes | 401, 400 bad id, 404 not a member, 403 role too weak |
//! | [`StaffCaller`] | the operator's `/internal/*` operations | 401, 403 `auth.role_required` |
//! | [`CronAuth`] | `/internal/cron/*` | 404 disabled, 401 wrong secret |

/// The items every extractor built on [`Caller`] shares: it is the
/// `BearerAuth` security scheme in the spec, and nothing else.
macro_rules! bearer_scheme {
    () => {
        const TYPES: &'static [poem_openapi::ApiExtractorType] =
            &[poem_openapi::ApiExtractorType::SecurityScheme];

        type ParamType = ();
        type ParamRawType = ();

        fn register(registry: &mut poem_openapi::registry::Registry) {
            <$crate::auth::Caller as poem_openapi::ApiExtractor>::register(registry);
        }

        fn security_schemes() -> Vec<&'static str> {
            <$crate::auth::Caller as poem_openapi::ApiExtractor>::security_schemes()
        }
    };
}

mod caller;
mod cron;
mod org;
mod professional;
mod staff;

pub use caller::{Caller, OptionalCaller};
pub use cron::{CronAuth, check_cron_secret};
pub use org::{OrgMember, role};
pub use professional::ProfessionalCaller;
pub use staff::StaffCaller;

use chrono::{DateTime, Utc};
use poem::Request;
use poem_openapi::{SecurityScheme, auth::ApiKey};
use trellis_kernel::{Principal, auth::TokenError};

use crate::{error::ApiError, state::AppState};

/// The application state from request data (always there: the pipeline adds it).
pub(crate) fn state(req: &Request) -> Result<&AppState, ApiError> {
    req.data::<AppState>().ok_or_else(|| {
        ApiError::internal(std::io::Error::other("AppState missing from request data"))
    })
}

/// Verifies an access token: the one function every caller check uses.
///
/// The token's signature, algorithm, issuer, audience and expiry are checked
/// without the database; a token whose session has ended (logout,
/// revocation, deactivation) is refused through the in-memory list of
/// recently ended sessions.
pub fn verify_access_token(state: &AppState, token: &str) -> Result<Principal, ApiError> {
    verify_access_token_until(state, token).map(|(principal, _)| principal)
}

/// [`verify_access_token`], also telling when the token expires: a
/// connection that outlives a request (the realtime socket) ends then.
pub fn verify_access_token_until(
    state: &AppState,
    token: &str,
) -> Result<(Principal, DateTime<Utc>), ApiError> {
    let (principal, expires_at) = state.tokens.verify_with_expiry(token).map_err(|err| {
        let code = match err {
            TokenError::Expired => "auth.token_expired",
            TokenError::Invalid => "auth.invalid_token",
        };
        ApiError::unauthorized(code, err.to_string())
    })?;
    if state.revocations.is_revoked(principal.session_id) {
        return Err(ApiError::unauthorized(
            "auth.session_ended",
            "this session has ended; sign in again",
        ));
    }
    Ok((principal, expires_at))
}

/// A principal already verified by [`verify_access_token`] earlier in this
/// request (the rate limiter keys users by it), so the token is checked once.
#[derive(Debug, Clone)]
pub(crate) struct VerifiedPrincipal(pub Principal);

/// The refresh token of the control center, in an HttpOnly cookie.
#[derive(SecurityScheme)]
#[oai(ty = "api_key", key_name = "trellis_refresh", key_in = "cookie")]
pub struct RefreshCookie(pub ApiKey);
