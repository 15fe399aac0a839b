//! `/api/v1/users/me`: the caller's own profile and password.

use poem::web::Data;
use poem_openapi::{OpenApi, payload::Json};
use trellis_identity::model::{ChangePasswordCommand, Profile, UpdateProfileCommand};

use crate::api::{ApiTags, common::NoContent, json::JsonResponse};
use crate::{
    auth::Caller,
    error::{Problems, status::*},
    state::AppState,
};

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
    ) -> Result<JsonResponse<Profile>, Problems<{ RATE_LIMITED | SIGNED_IN | NOT_FOUND | DATABASE }>>
    {
        Ok(JsonResponse(
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
    ) -> Result<
        JsonResponse<Profile>,
        Problems<{ RATE_LIMITED | SIGNED_IN | JSON_BODY | UNPROCESSABLE | NOT_FOUND | DATABASE }>,
    > {
        Ok(JsonResponse(
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
    ) -> Result<
        NoContent,
        Problems<
            {
                RATE_LIMITED
                    | SIGNED_IN
                    | JSON_BODY
                    | UNPROCESSABLE
                    | FORBIDDEN
                    | NOT_FOUND
                    | DATABASE
            },
        >,
    > {
        state
            .identity
            .accounts
            .change_password(&state.db, &caller, body.0)
            .await?;
        state.revocations.ended().await;
        Ok(NoContent::NoContent)
    }
}
