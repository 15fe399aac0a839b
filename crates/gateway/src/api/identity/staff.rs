//! `/internal/auth` and `/internal/users`: the control center (internal listener).

use poem::web::Data;
use poem_openapi::{
    ApiResponse, OpenApi,
    param::{Path, Query},
    payload::Json,
};
use trellis_identity::{
    Error as IdentityError,
    model::{AccessToken, LoginCommand, StaffUserPatch, StaffUserView},
    service::SessionService,
};
use trellis_kernel::{Page, Role, id::UserId};

use crate::api::{
    ApiTags,
    common::{client_info, page},
    json::JsonResponse,
};
use crate::{
    auth::{RefreshCookie, StaffCaller},
    error::{Problems, status::*},
    state::AppState,
};

/// The refresh cookie's name.
pub const REFRESH_COOKIE: &str = "trellis_refresh";

/// A control-center sign-in: the access token in the body, the refresh token
/// in an HttpOnly, Secure, SameSite=Strict cookie scoped to `/internal/auth`.
#[derive(ApiResponse)]
pub enum StaffSignedIn {
    /// Signed in.
    #[oai(status = 200)]
    Ok(
        JsonResponse<AccessToken>,
        /// Sets the `trellis_refresh` cookie.
        #[oai(header = "Set-Cookie")]
        String,
    ),
}

fn cookie(token: &str, max_age: std::time::Duration) -> String {
    format!(
        "{REFRESH_COOKIE}={token}; HttpOnly; Secure; SameSite=Strict; Path=/internal/auth; Max-Age={}",
        max_age.as_secs()
    )
}

/// The control center.
#[derive(Debug, Clone, Copy, Default)]
pub struct StaffApi;

#[OpenApi(tag = "ApiTags::Identity")]
impl StaffApi {
    /// Staff sign-in. Non-staff credentials get the same 401 as wrong ones.
    #[oai(
        path = "/internal/auth/login",
        method = "post",
        operation_id = "staff_login"
    )]
    async fn login(
        &self,
        state: Data<&AppState>,
        req: &poem::Request,
        body: Json<LoginCommand>,
    ) -> Result<
        StaffSignedIn,
        Problems<{ RATE_LIMITED | JSON_BODY | UNAUTHORIZED | FORBIDDEN | DATABASE }>,
    > {
        let tokens = state
            .identity
            .accounts
            .staff_login(&state.db, &body.0, &client_info(req, &state))
            .await?;
        let (access, refresh) = SessionService::split_for_cookie(tokens);
        Ok(StaffSignedIn::Ok(
            JsonResponse(access),
            cookie(&refresh, state.config.auth.refresh_token_ttl),
        ))
    }

    /// Rotate the control center's refresh cookie and get a new access token.
    #[oai(
        path = "/internal/auth/refresh",
        method = "post",
        operation_id = "staff_refresh"
    )]
    async fn refresh(
        &self,
        state: Data<&AppState>,
        refresh: RefreshCookie,
    ) -> Result<StaffSignedIn, Problems<{ UNAUTHORIZED | FORBIDDEN | UNPROCESSABLE | DATABASE }>>
    {
        let result = state
            .identity
            .sessions
            .refresh(&state.db, &refresh.0.key, Some(Role::Staff))
            .await;
        if matches!(result, Err(IdentityError::RefreshTokenReused)) {
            state.revocations.ended().await;
        }
        let (access, refresh) = SessionService::split_for_cookie(result?);
        Ok(StaffSignedIn::Ok(
            JsonResponse(access),
            cookie(&refresh, state.config.auth.refresh_token_ttl),
        ))
    }

    /// Search users by email or name (staff).
    #[oai(
        path = "/internal/users",
        method = "get",
        operation_id = "search_users"
    )]
    async fn users(
        &self,
        _staff: StaffCaller,
        state: Data<&AppState>,
        /// Part of an email or name, case-insensitive.
        q: Query<Option<String>>,
        /// Page size, 1 to 200 (default 50).
        limit: Query<Option<u64>>,
        /// From the previous page's `next_cursor`.
        cursor: Query<Option<String>>,
    ) -> Result<JsonResponse<Page<StaffUserView>>, Problems<{ STAFF | PAGED | DATABASE }>> {
        let page = page(limit.0, cursor.0)?;
        Ok(JsonResponse(
            state
                .identity
                .staff
                .search(&state.db, q.0.as_deref(), &page)
                .await?,
        ))
    }

    /// Change a user's global roles (admins) or deactivate them (staff):
    /// deactivation ends every session at once and refuses sign-in.
    #[oai(
        path = "/internal/users/:id",
        method = "patch",
        operation_id = "update_user"
    )]
    async fn update_user(
        &self,
        caller: StaffCaller,
        state: Data<&AppState>,
        id: Path<UserId>,
        body: Json<StaffUserPatch>,
    ) -> Result<
        JsonResponse<StaffUserView>,
        Problems<{ STAFF | PARAMS | JSON_BODY | NOT_FOUND | DATABASE }>,
    > {
        let user = state
            .identity
            .staff
            .update(&state.db, &caller, id.0, body.0)
            .await?;
        state.revocations.ended().await;
        Ok(JsonResponse(user))
    }
}
