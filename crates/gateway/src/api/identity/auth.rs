//! `/api/v1/auth`: sign-up, sign-in, tokens, sessions, links and phone codes.

use poem::{Request, web::Data};
use poem_openapi::{OpenApi, param::Path, payload::Json};
use trellis_identity::model::{
    AuthTokens, LoginCommand, OtpRequestCommand, OtpSent, OtpVerifyCommand, PasswordResetConfirm,
    PasswordResetRequest, RefreshCommand, RegisterCommand, SessionView, UpgradeCommand,
    VerifyEmailCommand,
};
use trellis_kernel::{Page, id::SessionId};

use crate::api::{
    ApiTags,
    common::{Accepted, Created, NoContent, client_info},
    json::JsonResponse,
};
use crate::{
    auth::Caller,
    error::{Problems, status::*},
    state::AppState,
};

/// Authentication.
#[derive(Debug, Clone, Copy, Default)]
pub struct AuthApi;

#[OpenApi(prefix_path = "/api/v1/auth", tag = "ApiTags::Identity")]
impl AuthApi {
    /// Create an account with email and password; returns tokens and emails
    /// a verification link. 409 if the email is taken.
    #[oai(path = "/register", method = "post", operation_id = "register")]
    async fn register(
        &self,
        state: Data<&AppState>,
        req: &Request,
        body: Json<RegisterCommand>,
    ) -> Result<
        Created<AuthTokens>,
        Problems<{ RATE_LIMITED | JSON_BODY | UNPROCESSABLE | CONFLICT | DATABASE }>,
    > {
        let tokens = state
            .identity
            .accounts
            .register(&state.db, body.0, &client_info(req, &state))
            .await?;
        Ok(Created::Created(JsonResponse(tokens)))
    }

    /// Sign in. Any failure is the same 401, whether or not the email exists.
    #[oai(path = "/login", method = "post", operation_id = "login")]
    async fn login(
        &self,
        state: Data<&AppState>,
        req: &Request,
        body: Json<LoginCommand>,
    ) -> Result<
        JsonResponse<AuthTokens>,
        Problems<{ RATE_LIMITED | JSON_BODY | UNAUTHORIZED | FORBIDDEN | DATABASE }>,
    > {
        let tokens = state
            .identity
            .accounts
            .login(&state.db, body.0, &client_info(req, &state))
            .await?;
        Ok(JsonResponse(tokens))
    }

    /// Exchange a refresh token for new tokens. Each refresh token works
    /// once; presenting a used one again ends the whole session.
    #[oai(path = "/refresh", method = "post", operation_id = "refresh_tokens")]
    async fn refresh(
        &self,
        state: Data<&AppState>,
        body: Json<RefreshCommand>,
    ) -> Result<
        JsonResponse<AuthTokens>,
        Problems<
            { RATE_LIMITED | JSON_BODY | UNPROCESSABLE | UNAUTHORIZED | FORBIDDEN | DATABASE },
        >,
    > {
        let result = state
            .identity
            .sessions
            .refresh(&state.db, &body.0.refresh_token, None)
            .await;
        if matches!(result, Err(trellis_identity::Error::RefreshTokenReused)) {
            state.revocations.ended().await;
        }
        Ok(JsonResponse(result?))
    }

    /// End the session of the bearer token (its refresh token stops working).
    #[oai(path = "/logout", method = "post", operation_id = "logout")]
    async fn logout(
        &self,
        caller: Caller,
        state: Data<&AppState>,
    ) -> Result<NoContent, Problems<{ RATE_LIMITED | SIGNED_IN | DATABASE }>> {
        state.identity.sessions.logout(&state.db, &caller).await?;
        state.revocations.ended().await;
        Ok(NoContent::NoContent)
    }

    /// Create an anonymous user and sign it in (`anon: true`).
    #[oai(
        path = "/anonymous",
        method = "post",
        operation_id = "sign_in_anonymously"
    )]
    async fn anonymous(
        &self,
        state: Data<&AppState>,
        req: &Request,
    ) -> Result<Created<AuthTokens>, Problems<{ RATE_LIMITED | DATABASE }>> {
        let tokens = state
            .identity
            .accounts
            .anonymous(&state.db, &client_info(req, &state))
            .await?;
        Ok(Created::Created(JsonResponse(tokens)))
    }

    /// Attach email and password to the calling anonymous user. The user id
    /// stays the same, so everything it owns is kept.
    #[oai(path = "/upgrade", method = "post", operation_id = "upgrade_anonymous")]
    async fn upgrade(
        &self,
        caller: Caller,
        state: Data<&AppState>,
        body: Json<UpgradeCommand>,
    ) -> Result<
        JsonResponse<AuthTokens>,
        Problems<
            {
                RATE_LIMITED
                    | SIGNED_IN
                    | JSON_BODY
                    | UNPROCESSABLE
                    | NOT_FOUND
                    | CONFLICT
                    | DATABASE
            },
        >,
    > {
        Ok(JsonResponse(
            state
                .identity
                .accounts
                .upgrade(&state.db, &caller, body.0)
                .await?,
        ))
    }

    /// Email a password reset link, if the account exists. Always 202.
    #[oai(
        path = "/password-reset",
        method = "post",
        operation_id = "request_password_reset"
    )]
    async fn password_reset(
        &self,
        state: Data<&AppState>,
        body: Json<PasswordResetRequest>,
    ) -> Result<Accepted, Problems<{ RATE_LIMITED | JSON_BODY | DATABASE }>> {
        state
            .identity
            .links
            .request_reset(&state.db, body.0)
            .await?;
        Ok(Accepted::Accepted)
    }

    /// Set a new password with the token from a reset link; ends every session.
    #[oai(
        path = "/password-reset/confirm",
        method = "post",
        operation_id = "confirm_password_reset"
    )]
    async fn password_reset_confirm(
        &self,
        state: Data<&AppState>,
        body: Json<PasswordResetConfirm>,
    ) -> Result<NoContent, Problems<{ RATE_LIMITED | JSON_BODY | UNPROCESSABLE | DATABASE }>> {
        state
            .identity
            .links
            .confirm_reset(&state.db, body.0)
            .await?;
        state.revocations.ended().await;
        Ok(NoContent::NoContent)
    }

    /// Prove an email address with the token from the verification link.
    #[oai(path = "/verify-email", method = "post", operation_id = "verify_email")]
    async fn verify_email(
        &self,
        state: Data<&AppState>,
        body: Json<VerifyEmailCommand>,
    ) -> Result<NoContent, Problems<{ RATE_LIMITED | JSON_BODY | UNPROCESSABLE | DATABASE }>> {
        state.identity.links.verify_email(&state.db, body.0).await?;
        Ok(NoContent::NoContent)
    }

    /// Text a six-digit sign-in code to a phone (one per minute, a few per hour).
    #[oai(path = "/otp/request", method = "post", operation_id = "request_otp")]
    async fn otp_request(
        &self,
        state: Data<&AppState>,
        body: Json<OtpRequestCommand>,
    ) -> Result<
        JsonResponse<OtpSent>,
        Problems<{ RATE_LIMITED | JSON_BODY | UNPROCESSABLE | DATABASE | UNAVAILABLE }>,
    > {
        Ok(JsonResponse(
            state.identity.otp.request(&state.db, body.0).await?,
        ))
    }

    /// Sign in with a phone code, creating the user on first use. A code dies
    /// after five wrong tries.
    #[oai(path = "/otp/verify", method = "post", operation_id = "verify_otp")]
    async fn otp_verify(
        &self,
        state: Data<&AppState>,
        req: &Request,
        body: Json<OtpVerifyCommand>,
    ) -> Result<
        JsonResponse<AuthTokens>,
        Problems<
            {
                RATE_LIMITED
                    | JSON_BODY
                    | UNPROCESSABLE
                    | UNAUTHORIZED
                    | FORBIDDEN
                    | CONFLICT
                    | DATABASE
            },
        >,
    > {
        let tokens = state
            .identity
            .otp
            .verify(&state.db, body.0, &client_info(req, &state))
            .await?;
        Ok(JsonResponse(tokens))
    }

    /// The caller's active sessions (devices), newest first.
    #[oai(path = "/sessions", method = "get", operation_id = "list_sessions")]
    async fn sessions(
        &self,
        caller: Caller,
        state: Data<&AppState>,
    ) -> Result<JsonResponse<Page<SessionView>>, Problems<{ RATE_LIMITED | SIGNED_IN | DATABASE }>>
    {
        let items = state.identity.sessions.list(&state.db, &caller).await?;
        Ok(JsonResponse(Page {
            items,
            next_cursor: None,
        }))
    }

    /// End one of the caller's sessions.
    #[oai(
        path = "/sessions/:id",
        method = "delete",
        operation_id = "revoke_session"
    )]
    async fn revoke_session(
        &self,
        caller: Caller,
        state: Data<&AppState>,
        id: Path<SessionId>,
    ) -> Result<NoContent, Problems<{ RATE_LIMITED | SIGNED_IN | PARAMS | NOT_FOUND | DATABASE }>>
    {
        state
            .identity
            .sessions
            .revoke_own(&state.db, &caller, id.0)
            .await?;
        state.revocations.ended().await;
        Ok(NoContent::NoContent)
    }
}
