//! An organization's time settings, and the lock every time-entry write
//! takes on them.

use std::sync::Arc;
use trellis_kernel::db::WriteTransaction;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, EntityTrait, TransactionSession, TransactionTrait,
    sea_query::OnConflict,
};
use trellis_kernel::{
    id::OrgId,
    ports::{OrgAccess, OrgRole},
    types::TimeZone,
};

use super::TimeTrackingDeps;
use crate::{
    calendar,
    entities::time_settings,
    error::{Error, Result},
    model::{RoundingRule, TimeSettingsView, UpdateTimeSettings},
    rounding,
};

/// The rules as services use them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Settings {
    pub zone: Tz,
    pub allow_overlaps: bool,
    pub lock_date: Option<NaiveDate>,
    pub rounding: Option<RoundingRule>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            zone: Tz::UTC,
            allow_overlaps: false,
            lock_date: None,
            rounding: None,
        }
    }
}

impl Settings {
    fn from_row(row: &time_settings::Model) -> Self {
        let rounding = match (row.rounding_mode, row.rounding_minutes) {
            (Some(mode), Some(minutes)) => u32::try_from(minutes)
                .ok()
                .filter(|m| rounding::valid_grid(*m))
                .map(|minutes| RoundingRule { mode, minutes }),
            _ => None,
        };
        Self {
            // Validated when stored; UTC if a zone were ever retired.
            zone: TimeZone::parse(&row.time_zone).map_or(Tz::UTC, TimeZone::tz),
            allow_overlaps: row.allow_overlaps,
            lock_date: row.lock_date,
            rounding,
        }
    }

    /// The first instant that is not locked: the lock date's local midnight.
    pub fn locked_before(&self) -> Option<DateTime<Utc>> {
        self.lock_date
            .map(|day| calendar::local_midnight(self.zone, day))
    }

    /// True if an entry starting at `start` is read-only for `access`.
    pub fn is_locked(&self, access: &OrgAccess, start: DateTime<Utc>) -> bool {
        !access.at_least(OrgRole::Admin) && self.locked_before().is_some_and(|lock| start < lock)
    }

    fn view(&self) -> TimeSettingsView {
        TimeSettingsView {
            time_zone: self.zone.name().to_string(),
            allow_overlaps: self.allow_overlaps,
            lock_date: self.lock_date,
            rounding: self.rounding,
        }
    }
}

/// Takes the organization's time lock and returns its settings.
///
/// An upsert of the organization's `time_settings` row (created with the
/// defaults on first use): it is the first statement of every transaction
/// that writes time entries, so that transaction writes before it reads
/// (SQLite's `SQLITE_BUSY` rule), and on PostgreSQL it holds the row lock
/// until commit. Writes of one organization's entries and changes to its
/// settings therefore happen one at a time: an overlap check cannot go
/// stale before its insert, and an entry cannot slip in under a lock date
/// being set.
pub(crate) async fn lock(
    db: &impl ConnectionTrait,
    org: OrgId,
    now: DateTime<Utc>,
) -> Result<Settings> {
    let row = time_settings::Entity::insert(time_settings::ActiveModel {
        org_id: Set(org),
        time_zone: Set(Tz::UTC.name().to_string()),
        allow_overlaps: Set(false),
        lock_date: Set(None),
        rounding_mode: Set(None),
        rounding_minutes: Set(None),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(time_settings::Column::OrgId)
            .update_column(time_settings::Column::OrgId)
            .to_owned(),
    )
    .exec_with_returning(db)
    .await?;
    Ok(Settings::from_row(&row))
}

/// The settings, without locking (for reads such as reports).
pub(crate) async fn read(db: &impl ConnectionTrait, org: OrgId) -> Result<Settings> {
    Ok(time_settings::Entity::find_by_id(org)
        .one(db)
        .await?
        .map(|row| Settings::from_row(&row))
        .unwrap_or_default())
}

/// Time settings: the zone, overlaps, the lock date and rounding.
#[derive(Debug, Clone)]
pub struct TimeSettingsService {
    deps: Arc<TimeTrackingDeps>,
}

impl TimeSettingsService {
    pub(crate) fn new(deps: Arc<TimeTrackingDeps>) -> Self {
        Self { deps }
    }

    /// The organization's settings (the defaults until an admin sets them).
    pub async fn get(
        &self,
        db: &impl ConnectionTrait,
        access: &OrgAccess,
    ) -> Result<TimeSettingsView> {
        Ok(read(db, access.org_id()).await?.view())
    }

    /// Changes the settings (admins). Entries already written keep their
    /// rounding; the new rule applies to what is written next.
    #[tracing::instrument(skip_all, fields(org = %access.org_id()))]
    pub async fn update<C: ConnectionTrait + TransactionTrait>(
        &self,
        db: &C,
        access: &OrgAccess,
        cmd: UpdateTimeSettings,
    ) -> Result<TimeSettingsView> {
        if !access.at_least(OrgRole::Admin) {
            return Err(Error::admin_required());
        }
        if let Some(rule) = cmd.rounding.value()
            && !rounding::valid_grid(rule.minutes)
        {
            return Err(Error::field(
                "rounding.minutes",
                "must divide an hour: 1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30 or 60",
            ));
        }
        let now = self.deps.clock.now();
        let txn = db.begin_write().await?;
        let mut settings = lock(&txn, access.org_id(), now).await?;
        if let Some(zone) = cmd.time_zone {
            settings.zone = zone.tz();
        }
        if let Some(allow) = cmd.allow_overlaps {
            settings.allow_overlaps = allow;
        }
        cmd.lock_date.update_to(&mut settings.lock_date);
        cmd.rounding.update_to(&mut settings.rounding);
        time_settings::Entity::update(time_settings::ActiveModel {
            org_id: Set(access.org_id()),
            time_zone: Set(settings.zone.name().to_string()),
            allow_overlaps: Set(settings.allow_overlaps),
            lock_date: Set(settings.lock_date),
            rounding_mode: Set(settings.rounding.map(|r| r.mode)),
            rounding_minutes: Set(settings
                .rounding
                .map(|r| i32::try_from(r.minutes).unwrap_or(60))),
            updated_at: Set(now),
        })
        .exec(&txn)
        .await?;
        txn.commit().await?;
        Ok(settings.view())
    }
}
