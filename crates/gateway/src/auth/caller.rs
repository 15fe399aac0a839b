//! The signed-in caller, required ([`Caller`]) or optional ([`OptionalCaller`]).

use std::ops::Deref;

use poem::{Request, RequestBody};
use poem_openapi::{ApiExtractor, ExtractParamOptions, SecurityScheme, auth::Bearer};
use trellis_kernel::Principal;

use super::{VerifiedPrincipal, state, verify_access_token};

/// A signed-in caller, proven by a bearer access token.
// Named `BearerAuth` in the spec, the name clients already generated code for.
#[derive(Debug, SecurityScheme)]
#[oai(
    rename = "BearerAuth",
    ty = "bearer",
    bearer_format = "JWT",
    checker = "check_bearer"
)]
pub struct Caller(pub Principal);

impl Deref for Caller {
    type Target = Principal;

    fn deref(&self) -> &Principal {
        &self.0
    }
}

async fn check_bearer(req: &Request, bearer: Bearer) -> poem::Result<Principal> {
    if let Some(VerifiedPrincipal(principal)) = req.data::<VerifiedPrincipal>() {
        return Ok(principal.clone());
    }
    Ok(verify_access_token(state(req)?, &bearer.token)?)
}

/// The caller of a public operation: `None` without an `Authorization`
/// header, the verified principal with one.
///
/// A token that is present but not valid (expired, tampered, its session
/// ended) is refused with 401 rather than treated as anonymous: the client
/// believes it is signed in and must learn otherwise, and an ended session
/// must never act as its user. In the spec the operation lists `BearerAuth`
/// and an empty requirement (authentication optional).
#[derive(Debug)]
pub struct OptionalCaller(pub Option<Principal>);

impl<'a> ApiExtractor<'a> for OptionalCaller {
    bearer_scheme!();

    fn has_security_fallback() -> bool {
        true
    }

    async fn from_request(
        req: &'a Request,
        body: &mut RequestBody,
        param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        if !req
            .headers()
            .contains_key(poem::http::header::AUTHORIZATION)
        {
            return Ok(Self(None));
        }
        let caller = Caller::from_request(req, body, param_opts).await?;
        Ok(Self(Some(caller.0)))
    }
}
