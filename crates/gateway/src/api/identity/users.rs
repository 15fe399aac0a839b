//! `/api/v1/users/me`: the caller's own profile and password.

use poem::web::Data;
use poem_openapi::{OpenApi, payload::Json};
use trellis_identity::model::{ChangePasswordCommand, Profile, UpdateProfileCommand};

use crate::api::{ApiTags, common::NoContent};
use crate::{auth::Caller, problems, state::AppState};

problems!(
    /// Errors of the profile operations.
    pub ProfileProblem => 400, 401, 403, 404, 409, 422, 429
);

/// The caller's account.
#[derive(Debug, Clone, Copy, Default)]
pub struct UsersApi;

#[OpenApi(prefix_path = "/api/v1/users/me", tag = "ApiTags::Identity")]
impl UsersApi {
    /// The caller's profile.
    #[oai(path = "/", method = "get", operation_id = "get_my_profile")]
    async fn me(
        &self,
        caller: Caller,
        state: Data<&AppState>,
    ) -> Result<Json<Profile>, ProfileProblem> {
        Ok(Json(
            state.identity.accounts.profile(&state.db, &caller).await?,
        ))
    }

    /// Change name, phone, locale or time zone: absent fields stay, `null` clears.
    #[oai(path = "/", method = "patch", operation_id = "update_my_profile")]
    async fn update(
        &self,
        caller: Caller,
        state: Data<&AppState>,
        body: Json<UpdateProfileCommand>,
    ) -> Result<Json<Profile>, ProfileProblem> {
        Ok(Json(
            state
                .identity
                .accounts
                .update_profile(&state.db, &caller, body.0)
                .await?,
        ))
    }

    /// Change the password (the current one is required); ends the other sessions.
    #[oai(
        path = "/password",
        method = "post",
        operation_id = "change_my_password"
    )]
    async fn change_password(
        &self,
        caller: Caller,
        state: Data<&AppState>,
        body: Json<ChangePasswordCommand>,
    ) -> Result<NoContent, ProfileProblem> {
        state
            .identity
            .accounts
            .change_password(&state.db, &caller, body.0)
            .await?;
        state.revocations.refresh().await;
        Ok(NoContent::NoContent)
    }
}
