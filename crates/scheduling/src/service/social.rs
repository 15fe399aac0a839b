//! Follows and reviews.

use std::sync::Arc;

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, SqlErr, sea_query::Expr,
};
use trellis_kernel::{Page, PageRequest, Principal};
use validator::Validate;

use super::SchedulingDeps;
use crate::model::Professional;
use crate::{
    entities::{appointment, client, follow, professional, review},
    error::{Error, Result},
    ids::ProfessionalId,
    model::{CreateReview, FollowView, ReviewView},
    status::AppointmentStatus,
};

/// Rating and follower numbers of a profile.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Standing {
    /// Average rating, `None` without reviews.
    pub rating_average: Option<f64>,
    /// Reviews.
    pub rating_count: u64,
    /// Followers.
    pub follower_count: u64,
}

/// Follows and reviews.
#[derive(Debug, Clone)]
pub struct SocialService {
    deps: Arc<SchedulingDeps>,
}

impl SocialService {
    pub(crate) fn new(deps: Arc<SchedulingDeps>) -> Self {
        Self { deps }
    }

    /// Follows a professional (following twice is harmless).
    pub async fn follow(
        &self,
        db: &impl ConnectionTrait,
        caller: &Principal,
        pro: &Professional,
    ) -> Result<()> {
        let row = follow::ActiveModel {
            user_id: Set(caller.user_id),
            professional_id: Set(pro.id),
            created_at: Set(self.deps.clock.now()),
        };
        match follow::Entity::insert(row).exec_without_returning(db).await {
            Ok(_) => Ok(()),
            Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Stops following (not following is harmless).
    pub async fn unfollow(
        &self,
        db: &impl ConnectionTrait,
        caller: &Principal,
        pro: &Professional,
    ) -> Result<()> {
        follow::Entity::delete_by_id((caller.user_id, pro.id))
            .exec(db)
            .await?;
        Ok(())
    }

    /// Whom the caller follows, most recent first.
    pub async fn following(
        &self,
        db: &impl ConnectionTrait,
        caller: &Principal,
        page: &PageRequest,
    ) -> Result<Page<FollowView>> {
        let after: Option<ProfessionalId> = page
            .key()
            .map_err(|e| Error::field("cursor", e.to_string()))?;
        let mut query = follow::Entity::find().filter(follow::Column::UserId.eq(caller.user_id));
        if let Some(after) = after {
            query = query.filter(follow::Column::ProfessionalId.gt(after));
        }
        let rows = query
            .order_by_asc(follow::Column::ProfessionalId)
            .limit(page.fetch_limit())
            .all(db)
            .await?;
        let ids: Vec<ProfessionalId> = rows.iter().map(|f| f.professional_id).collect();
        let pros = professional::Entity::find()
            .filter(professional::Column::Id.is_in(ids))
            .all(db)
            .await?;
        let joined: Vec<(follow::Model, professional::Model)> = rows
            .into_iter()
            .filter_map(|f| {
                pros.iter()
                    .find(|p| p.id == f.professional_id)
                    .cloned()
                    .map(|p| (f, p))
            })
            .collect();
        Ok(Page::from_rows(
            joined,
            page,
            |(f, _)| f.professional_id,
            |(f, p)| FollowView {
                slug: p.slug,
                name: p.name,
                followed_at: f.created_at.into(),
            },
        ))
    }

    /// Reviews a completed appointment of the caller's, once.
    pub async fn review(
        &self,
        db: &impl ConnectionTrait,
        caller: &Principal,
        pro: &Professional,
        cmd: CreateReview,
    ) -> Result<ReviewView> {
        cmd.validate()?;
        let appointment = appointment::Entity::find_by_id(cmd.appointment_id)
            .filter(appointment::Column::ProfessionalId.eq(pro.id))
            .one(db)
            .await?
            .ok_or(Error::AppointmentNotFound)?;
        let is_client = client::Entity::find_by_id(appointment.client_id)
            .one(db)
            .await?
            .is_some_and(|c| c.user_id == Some(caller.user_id));
        if !is_client {
            return Err(Error::AppointmentNotFound);
        }
        if appointment.status != AppointmentStatus::Completed {
            return Err(Error::ReviewNotAllowed);
        }
        let row = review::ActiveModel {
            id: Set(uuid::Uuid::now_v7()),
            professional_id: Set(pro.id),
            appointment_id: Set(appointment.id),
            user_id: Set(caller.user_id),
            rating: Set(cmd.rating),
            text: Set(cmd.text),
            created_at: Set(self.deps.clock.now()),
        }
        .insert(db)
        .await
        .map_err(|e| match e.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => Error::ReviewExists,
            _ => Error::Database(e),
        })?;
        Ok(ReviewView {
            id: row.id,
            rating: row.rating,
            text: row.text,
            created_at: row.created_at.into(),
        })
    }

    /// A professional's reviews, newest first.
    pub async fn reviews(
        &self,
        db: &impl ConnectionTrait,
        pro: &Professional,
        page: &PageRequest,
    ) -> Result<Page<ReviewView>> {
        let before: Option<uuid::Uuid> = page
            .key()
            .map_err(|e| Error::field("cursor", e.to_string()))?;
        let mut query = review::Entity::find().filter(review::Column::ProfessionalId.eq(pro.id));
        if let Some(before) = before {
            query = query.filter(review::Column::Id.lt(before));
        }
        let rows = query
            .order_by_desc(review::Column::Id)
            .limit(page.fetch_limit())
            .all(db)
            .await?;
        Ok(Page::from_rows(
            rows,
            page,
            |r| r.id,
            |r| ReviewView {
                id: r.id,
                rating: r.rating,
                text: r.text,
                created_at: r.created_at.into(),
            },
        ))
    }
}

/// Rating average and count, and follower count, computed in SQL.
pub async fn standing(db: &impl ConnectionTrait, pro: &Professional) -> Result<Standing> {
    let (count, sum): (i64, Option<i64>) = review::Entity::find()
        .select_only()
        .column_as(Expr::cust("COUNT(*)"), "count")
        .column_as(Expr::cust("CAST(SUM(rating) AS BIGINT)"), "sum")
        .filter(review::Column::ProfessionalId.eq(pro.id))
        .into_tuple()
        .one(db)
        .await?
        .unwrap_or((0, None));
    let followers = follow::Entity::find()
        .filter(follow::Column::ProfessionalId.eq(pro.id))
        .count(db)
        .await?;
    let average = sum
        .filter(|_| count > 0)
        .map(|s| ((s as f64 / count as f64) * 100.0).round() / 100.0);
    Ok(Standing {
        rating_average: average,
        rating_count: u64::try_from(count).unwrap_or(0),
        follower_count: followers,
    })
}
