//! Professional profiles.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use moka::sync::Cache;

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, SqlErr,
};
use trellis_kernel::{
    Principal,
    id::{OrgId, UserId},
    types::Slug,
};
use validator::Validate;

use super::SchedulingDeps;
use crate::{
    entities::{offering, professional},
    error::{Error, Result},
    ids::ProfessionalId,
    model::{
        CreateProfessional, Professional, ProfessionalView, PublicProfessional, UpdateProfessional,
    },
    view,
};

/// Words that would clash with routes or confuse people. Scheduling's rule
/// (its routes, its booking links); the shape of a slug is `Slug`'s.
const RESERVED: &[&str] = &[
    "me", "admin", "api", "app", "booking", "docs", "help", "internal", "login", "logout", "new",
    "settings", "signup", "support", "trellis", "www",
];

/// Refuses a reserved slug.
pub fn check_reserved(slug: &Slug) -> Result<()> {
    if RESERVED.contains(&slug.as_str()) {
        return Err(Error::field("slug", "is reserved"));
    }
    Ok(())
}

/// Profiles.
#[derive(Debug, Clone)]
pub struct ProfessionalService {
    deps: Arc<SchedulingDeps>,
    by_user: Cache<UserId, Professional>,
    /// Bumped on every change, so a read that raced a change is not cached.
    generation: Arc<AtomicU64>,
}

/// How long a profile is served from memory. Every professional request
/// starts by resolving the caller's profile, so caching it saves a database
/// round trip per request. This instance forgets a profile as soon as it
/// changes it (and does not cache a read that raced the change); another
/// instance may serve the old one for at most this long.
pub const PROFILE_CACHE_TTL: Duration = Duration::from_secs(5);

impl ProfessionalService {
    pub(crate) fn new(deps: Arc<SchedulingDeps>) -> Self {
        Self {
            deps,
            by_user: Cache::builder()
                .max_capacity(10_000)
                .time_to_live(PROFILE_CACHE_TTL)
                .build(),
            generation: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Checks a new profile before anything is written (the gateway may
    /// create a personal organization for it in the same transaction).
    pub fn validate(&self, cmd: &CreateProfessional) -> Result<()> {
        cmd.validate()?;
        check_reserved(&cmd.slug)
    }

    /// Creates the caller's profile in `org`.
    pub async fn create(
        &self,
        db: &impl ConnectionTrait,
        caller: &Principal,
        org: OrgId,
        cmd: CreateProfessional,
    ) -> Result<ProfessionalView> {
        self.validate(&cmd)?;
        if professional::Entity::find()
            .filter(professional::Column::UserId.eq(caller.user_id))
            .one(db)
            .await?
            .is_some()
        {
            return Err(Error::ProfessionalExists);
        }
        let now = self.deps.clock.now();
        let created = professional::ActiveModel {
            id: Set(ProfessionalId::new()),
            user_id: Set(caller.user_id),
            org_id: Set(org),
            slug: Set(cmd.slug.into_string()),
            name: Set(cmd.name.trim().to_string()),
            bio: Set(cmd.bio),
            time_zone: Set(cmd.time_zone.name().to_string()),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(db)
        .await
        .map_err(|e| match e.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(detail)) if detail.contains("user") => {
                Error::ProfessionalExists
            }
            Some(SqlErr::UniqueConstraintViolation(_)) => Error::SlugTaken,
            _ => Error::Database(e),
        })?;
        Ok(view::professional(&created.into()))
    }

    /// The user's profile, or `ProfessionalNotFound` (served from a
    /// short-lived cache; see [`PROFILE_CACHE_TTL`]).
    pub async fn of_user(&self, db: &impl ConnectionTrait, user: UserId) -> Result<Professional> {
        if let Some(found) = self.by_user.get(&user) {
            return Ok(found);
        }
        let generation = self.generation.load(Ordering::Acquire);
        let found: Professional = self.row_of(db, user).await?.into();
        if self.generation.load(Ordering::Acquire) == generation {
            self.by_user.insert(user, found.clone());
        }
        Ok(found)
    }

    async fn row_of(&self, db: &impl ConnectionTrait, user: UserId) -> Result<professional::Model> {
        professional::Entity::find()
            .filter(professional::Column::UserId.eq(user))
            .one(db)
            .await?
            .ok_or(Error::ProfessionalNotFound)
    }

    /// A profile by slug.
    pub async fn by_slug(&self, db: &impl ConnectionTrait, slug: &str) -> Result<Professional> {
        professional::Entity::find()
            .filter(professional::Column::Slug.eq(slug))
            .one(db)
            .await?
            .map(Professional::from)
            .ok_or(Error::ProfessionalNotFound)
    }

    /// Changes the professional's profile.
    pub async fn update(
        &self,
        db: &impl ConnectionTrait,
        pro: &Professional,
        cmd: UpdateProfessional,
    ) -> Result<ProfessionalView> {
        if let Some(name) = &cmd.name
            && !(1..=200).contains(&name.trim().chars().count())
        {
            return Err(Error::field("name", "must be 1 to 200 characters"));
        }
        let mut row = self.row_of(db, pro.user_id).await?;
        if let Some(name) = cmd.name {
            row.name = name.trim().to_string();
        }
        cmd.bio.update_to(&mut row.bio);
        if let Some(tz) = cmd.time_zone {
            row.time_zone = tz.name().to_string();
        }
        row.updated_at = self.deps.clock.now();
        let mut active = row.into_active_model();
        for column in [
            professional::Column::Name,
            professional::Column::Bio,
            professional::Column::TimeZone,
            professional::Column::UpdatedAt,
        ] {
            active.reset(column);
        }
        let updated: Professional = active.update(db).await?.into();
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.by_user.invalidate(&updated.user_id);
        Ok(view::professional(&updated))
    }

    /// The public profile with its bookable services.
    pub async fn public(
        &self,
        db: &impl ConnectionTrait,
        slug: &str,
    ) -> Result<PublicProfessional> {
        let p = self.by_slug(db, slug).await?;
        let services = offering::Entity::find()
            .filter(offering::Column::ProfessionalId.eq(p.id))
            .filter(offering::Column::Active.eq(true))
            .order_by_asc(offering::Column::Name)
            .all(db)
            .await?;
        let standing = super::social::standing(db, &p).await?;
        Ok(PublicProfessional {
            slug: p.slug,
            name: p.name,
            bio: p.bio,
            time_zone: p.time_zone.name().to_string(),
            services: services.into_iter().map(view::service).collect(),
            rating_average: standing.rating_average,
            rating_count: standing.rating_count,
            follower_count: standing.follower_count,
        })
    }
}

#[cfg(test)]
mod tests {
    use trellis_kernel::types::Slug;

    use super::check_reserved;

    #[test]
    fn reserved_slugs_are_refused() {
        let check = |s: &str| check_reserved(&Slug::parse(s).expect("a slug shape"));
        assert!(check("ana-lima").is_ok());
        assert!(check("booking").is_err());
        assert!(check("www").is_err());
        // `me` is too short for a slug at all: Slug refuses it first.
        assert!(Slug::parse("me").is_err());
    }
}
