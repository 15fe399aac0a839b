//! The caller as a professional: their profile, resolved before the handler.

use std::ops::Deref;

use poem::{Request, RequestBody};
use poem_openapi::{ApiExtractor, ExtractParamOptions};
use trellis_kernel::Principal;
use trellis_scheduling::model::Professional;

use super::{Caller, state};
use crate::error::ApiError;

/// A signed-in caller who has a professional profile.
///
/// Fails with 401 like [`Caller`], then 404 `professional.not_found` when
/// the caller has no profile. The profile comes from a short-lived cache
/// (see `trellis_scheduling::service::ProfessionalService::of_user`), so
/// most requests do not read it from the database.
#[derive(Debug)]
pub struct ProfessionalCaller {
    /// Who is calling.
    pub caller: Principal,
    /// Their professional profile.
    pub professional: Professional,
}

impl Deref for ProfessionalCaller {
    type Target = Professional;

    fn deref(&self) -> &Professional {
        &self.professional
    }
}

impl<'a> ApiExtractor<'a> for ProfessionalCaller {
    bearer_scheme!();

    async fn from_request(
        req: &'a Request,
        body: &mut RequestBody,
        param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        let Caller(caller) = Caller::from_request(req, body, param_opts).await?;
        let state = state(req)?;
        let professional = state
            .scheduling
            .professionals
            .of_user(&state.db, caller.user_id)
            .await
            .map_err(ApiError::from)?;
        Ok(Self {
            caller,
            professional,
        })
    }
}
