//! The services a professional offers.

use std::sync::Arc;

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    ModelTrait, QueryFilter, QueryOrder,
};
use validator::Validate;

use super::SchedulingDeps;
use crate::model::Professional;
use crate::{
    entities::offering,
    error::{Error, Result},
    ids::ServiceId,
    model::{CreateService, ServiceView, UpdateService},
    view,
};

/// Services offered.
#[derive(Debug, Clone)]
pub struct CatalogService {
    deps: Arc<SchedulingDeps>,
}

impl CatalogService {
    pub(crate) fn new(deps: Arc<SchedulingDeps>) -> Self {
        Self { deps }
    }

    /// The professional's services, by name.
    pub async fn list(
        &self,
        db: &impl ConnectionTrait,
        pro: &Professional,
    ) -> Result<Vec<ServiceView>> {
        let rows = offering::Entity::find()
            .filter(offering::Column::ProfessionalId.eq(pro.id))
            .order_by_asc(offering::Column::Name)
            .all(db)
            .await?;
        Ok(rows.into_iter().map(view::service).collect())
    }

    /// Offers a service.
    pub async fn create(
        &self,
        db: &impl ConnectionTrait,
        pro: &Professional,
        cmd: CreateService,
    ) -> Result<ServiceView> {
        cmd.validate()?;
        let now = self.deps.clock.now();
        let row = offering::ActiveModel {
            id: Set(ServiceId::new()),
            professional_id: Set(pro.id),
            name: Set(cmd.name.trim().to_string()),
            duration_minutes: Set(cmd.duration_minutes),
            price_minor: Set(cmd.price_minor),
            currency: Set(cmd.currency.into_string()),
            buffer_before_minutes: Set(cmd.buffer_before_minutes.unwrap_or(0)),
            buffer_after_minutes: Set(cmd.buffer_after_minutes.unwrap_or(0)),
            min_notice_minutes: Set(cmd.min_notice_minutes.unwrap_or(60)),
            max_advance_days: Set(cmd.max_advance_days.unwrap_or(60)),
            slot_increment_minutes: Set(cmd.slot_increment_minutes.unwrap_or(cmd.duration_minutes)),
            requires_confirmation: Set(cmd.requires_confirmation.unwrap_or(false)),
            cancellation_notice_minutes: Set(cmd.cancellation_notice_minutes.unwrap_or(24 * 60)),
            active: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(db)
        .await?;
        Ok(view::service(row))
    }

    /// One of the professional's services.
    pub(crate) async fn get(
        &self,
        db: &impl ConnectionTrait,
        pro: &Professional,
        id: ServiceId,
    ) -> Result<offering::Model> {
        offering::Entity::find_by_id(id)
            .filter(offering::Column::ProfessionalId.eq(pro.id))
            .one(db)
            .await?
            .ok_or(Error::ServiceNotFound)
    }

    /// Changes a service (existing appointments keep their price).
    pub async fn update(
        &self,
        db: &impl ConnectionTrait,
        pro: &Professional,
        id: ServiceId,
        cmd: UpdateService,
    ) -> Result<ServiceView> {
        cmd.validate()?;
        let mut row = self.get(db, pro, id).await?;
        if let Some(v) = cmd.name {
            row.name = v.trim().to_string();
        }
        macro_rules! set {
            ($($field:ident),*) => {$( if let Some(v) = cmd.$field { row.$field = v; } )*};
        }
        set!(
            duration_minutes,
            price_minor,
            buffer_before_minutes,
            buffer_after_minutes,
            min_notice_minutes,
            max_advance_days,
            slot_increment_minutes,
            requires_confirmation,
            cancellation_notice_minutes,
            active
        );
        if let Some(c) = cmd.currency {
            row.currency = c.into_string();
        }
        row.updated_at = self.deps.clock.now();
        let mut active = row.into_active_model();
        for column in [
            offering::Column::Name,
            offering::Column::DurationMinutes,
            offering::Column::PriceMinor,
            offering::Column::Currency,
            offering::Column::BufferBeforeMinutes,
            offering::Column::BufferAfterMinutes,
            offering::Column::MinNoticeMinutes,
            offering::Column::MaxAdvanceDays,
            offering::Column::SlotIncrementMinutes,
            offering::Column::RequiresConfirmation,
            offering::Column::CancellationNoticeMinutes,
            offering::Column::Active,
            offering::Column::UpdatedAt,
        ] {
            active.reset(column);
        }
        Ok(view::service(active.update(db).await?))
    }

    /// Removes a service that has no appointments; one with history is
    /// deactivated instead, so past appointments keep their service.
    pub async fn delete(
        &self,
        db: &impl ConnectionTrait,
        pro: &Professional,
        id: ServiceId,
    ) -> Result<()> {
        let row = self.get(db, pro, id).await?;
        let used = crate::entities::appointment::Entity::find()
            .filter(crate::entities::appointment::Column::ServiceId.eq(id))
            .one(db)
            .await?
            .is_some();
        if used {
            let mut active = row.into_active_model();
            active.active = Set(false);
            active.updated_at = Set(self.deps.clock.now());
            active.update(db).await?;
        } else {
            row.delete(db).await?;
        }
        Ok(())
    }
}
