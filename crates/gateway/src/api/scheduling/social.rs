//! Follows and reviews of professionals.

use poem::web::Data;
use poem_openapi::{
    OpenApi,
    param::{Path, Query},
    payload::Json,
};
use trellis_kernel::Page;
use trellis_scheduling::model::{CreateReview, FollowView, ReviewView};

use crate::api::{
    ApiTags,
    common::{Created, NoContent, page},
    json::JsonResponse,
};
use crate::{
    auth::Caller,
    error::{Problems, status::*},
    state::AppState,
};

/// Follows and reviews.
#[derive(Debug, Clone, Copy, Default)]
pub struct SocialApi;

#[OpenApi(tag = "ApiTags::Scheduling")]
impl SocialApi {
    /// Follow a professional (again is harmless).
    #[oai(
        path = "/api/v1/professionals/:slug/follow",
        method = "post",
        operation_id = "follow_professional"
    )]
    async fn follow(
        &self,
        caller: Caller,
        state: Data<&AppState>,
        slug: Path<String>,
    ) -> Result<NoContent, Problems<{ RATE_LIMITED | SIGNED_IN | NOT_FOUND | DATABASE }>> {
        let pro = state
            .scheduling
            .professionals
            .by_slug(&state.db, &slug.0)
            .await?;
        state
            .scheduling
            .social
            .follow(&state.db, &caller, &pro)
            .await?;
        Ok(NoContent::NoContent)
    }

    /// Stop following a professional.
    #[oai(
        path = "/api/v1/professionals/:slug/follow",
        method = "delete",
        operation_id = "unfollow_professional"
    )]
    async fn unfollow(
        &self,
        caller: Caller,
        state: Data<&AppState>,
        slug: Path<String>,
    ) -> Result<NoContent, Problems<{ RATE_LIMITED | SIGNED_IN | NOT_FOUND | DATABASE }>> {
        let pro = state
            .scheduling
            .professionals
            .by_slug(&state.db, &slug.0)
            .await?;
        state
            .scheduling
            .social
            .unfollow(&state.db, &caller, &pro)
            .await?;
        Ok(NoContent::NoContent)
    }

    /// The professionals the caller follows.
    #[oai(
        path = "/api/v1/users/me/following",
        method = "get",
        operation_id = "list_my_following"
    )]
    async fn following(
        &self,
        caller: Caller,
        state: Data<&AppState>,
        /// Page size, 1 to 200 (default 50).
        limit: Query<Option<u64>>,
        /// From the previous page's `next_cursor`.
        cursor: Query<Option<String>>,
    ) -> Result<
        JsonResponse<Page<FollowView>>,
        Problems<{ RATE_LIMITED | SIGNED_IN | PAGED | DATABASE }>,
    > {
        let page = page(limit.0, cursor.0)?;
        Ok(JsonResponse(
            state
                .scheduling
                .social
                .following(&state.db, &caller, &page)
                .await?,
        ))
    }

    /// A professional's reviews, newest first.
    #[oai(
        path = "/api/v1/professionals/:slug/reviews",
        method = "get",
        operation_id = "list_reviews"
    )]
    async fn reviews(
        &self,
        state: Data<&AppState>,
        slug: Path<String>,
        /// Page size, 1 to 200 (default 50).
        limit: Query<Option<u64>>,
        /// From the previous page's `next_cursor`.
        cursor: Query<Option<String>>,
    ) -> Result<
        JsonResponse<Page<ReviewView>>,
        Problems<{ RATE_LIMITED | PAGED | NOT_FOUND | DATABASE }>,
    > {
        let pro = state
            .scheduling
            .professionals
            .by_slug(&state.db, &slug.0)
            .await?;
        let page = page(limit.0, cursor.0)?;
        Ok(JsonResponse(
            state
                .scheduling
                .social
                .reviews(&state.db, &pro, &page)
                .await?,
        ))
    }

    /// Review a completed appointment (its client only; one review each).
    #[oai(
        path = "/api/v1/professionals/:slug/reviews",
        method = "post",
        operation_id = "create_review"
    )]
    async fn review(
        &self,
        caller: Caller,
        state: Data<&AppState>,
        slug: Path<String>,
        body: Json<CreateReview>,
    ) -> Result<
        Created<ReviewView>,
        Problems<
            {
                RATE_LIMITED
                    | SIGNED_IN
                    | JSON_BODY
                    | UNPROCESSABLE
                    | FORBIDDEN
                    | NOT_FOUND
                    | CONFLICT
                    | DATABASE
            },
        >,
    > {
        let pro = state
            .scheduling
            .professionals
            .by_slug(&state.db, &slug.0)
            .await?;
        Ok(Created::Created(JsonResponse(
            state
                .scheduling
                .social
                .review(&state.db, &caller, &pro, body.0)
                .await?,
        )))
    }
}
