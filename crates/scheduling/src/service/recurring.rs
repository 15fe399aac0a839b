//! Recurring schedules: stored as a rule, materialized into appointments up
//! to a horizon by the job (and at creation). An occurrence whose time is
//! taken is skipped and reported, never forced in.

use std::sync::Arc;

use chrono::{Duration, NaiveDate};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, TransactionTrait, sea_query::Expr,
};
use trellis_kernel::{DomainError, ports::Limit};
use validator::Validate;

use super::{BookingService, ClientService, SchedulingDeps};
use crate::model::Professional;
use crate::{
    entities::{appointment, offering, professional, recurring_schedule},
    error::{Error, Result},
    ids::RecurringId,
    model::{
        CreateRecurringSchedule, Materialized, RecurringConflict, RecurringCreated, RecurringView,
    },
    recurrence::Recurrence,
    status::AppointmentStatus,
    view,
};

fn rule(s: &recurring_schedule::Model, pro: &Professional) -> Recurrence {
    Recurrence {
        zone: pro.time_zone,
        weekday: u8::try_from(s.weekday).unwrap_or(1),
        time: view::local_time(s.local_minute).wall_time(),
        interval_weeks: u32::try_from(s.interval_weeks).unwrap_or(1),
        starts_on: s.starts_on,
        until: s.until,
        count: s.occurrences.and_then(|c| u32::try_from(c).ok()),
    }
}

fn recurring_view(s: recurring_schedule::Model) -> RecurringView {
    RecurringView {
        id: s.id,
        client_id: s.client_id,
        service_id: s.service_id,
        weekday: u8::try_from(s.weekday).unwrap_or(1),
        time: view::local_time(s.local_minute).to_string(),
        interval_weeks: u32::try_from(s.interval_weeks).unwrap_or(1),
        starts_on: s.starts_on,
        until: s.until,
        count: s.occurrences.and_then(|c| u32::try_from(c).ok()),
        created_at: s.created_at.into(),
    }
}

/// Recurring schedules.
#[derive(Debug, Clone)]
pub struct RecurringService {
    deps: Arc<SchedulingDeps>,
    booking: BookingService,
    clients: ClientService,
}

impl RecurringService {
    pub(crate) fn new(
        deps: Arc<SchedulingDeps>,
        booking: BookingService,
        clients: ClientService,
    ) -> Self {
        Self {
            deps,
            booking,
            clients,
        }
    }

    /// Creates a schedule and materializes it up to `horizon_weeks` ahead.
    pub async fn create<C: ConnectionTrait + TransactionTrait>(
        &self,
        db: &C,
        pro: &Professional,
        cmd: CreateRecurringSchedule,
        horizon_weeks: u32,
    ) -> Result<RecurringCreated> {
        cmd.validate()?;
        if cmd.time.is_end_of_day() {
            return Err(Error::field("time", "must be before 24:00"));
        }
        let minute = cmd.time.minutes();
        if cmd.until.is_none() && cmd.count.is_none() {
            return Err(Error::field(
                "until",
                "give an end date (until) or a number of occurrences (count)",
            ));
        }
        if cmd.until.is_some_and(|u| u < cmd.starts_on) {
            return Err(Error::field("until", "must not be before starts_on"));
        }
        self.clients.row(db, pro, cmd.client_id).await?;
        offering::Entity::find_by_id(cmd.service_id)
            .filter(offering::Column::ProfessionalId.eq(pro.id))
            .one(db)
            .await?
            .ok_or(Error::ServiceNotFound)?;
        let in_force = recurring_schedule::Entity::find()
            .filter(recurring_schedule::Column::ProfessionalId.eq(pro.id))
            .filter(recurring_schedule::Column::CancelledAt.is_null())
            .count(db);
        self.deps
            .entitlements
            .limit(pro.org_id, Limit::RecurringSchedules)
            .await?
            .admits_counted(async { Ok::<_, Error>(in_force.await?) })
            .await?;
        let schedule = recurring_schedule::ActiveModel {
            id: Set(RecurringId::new()),
            professional_id: Set(pro.id),
            client_id: Set(cmd.client_id),
            service_id: Set(cmd.service_id),
            weekday: Set(i16::from(cmd.weekday)),
            local_minute: Set(minute),
            interval_weeks: Set(i32::try_from(cmd.interval_weeks.unwrap_or(1)).unwrap_or(1)),
            starts_on: Set(cmd.starts_on),
            until: Set(cmd.until),
            occurrences: Set(cmd.count.and_then(|c| i32::try_from(c).ok())),
            next_index: Set(0),
            created_at: Set(self.deps.clock.now()),
            cancelled_at: Set(None),
        }
        .insert(db)
        .await?;
        let materialized = self
            .materialize(db, pro, &schedule, self.horizon(pro, horizon_weeks))
            .await?;
        Ok(RecurringCreated {
            schedule: recurring_view(schedule),
            materialized,
        })
    }

    fn horizon(&self, pro: &Professional, weeks: u32) -> NaiveDate {
        self.deps
            .clock
            .now()
            .with_timezone(&pro.time_zone)
            .date_naive()
            + Duration::weeks(i64::from(weeks))
    }

    /// Books the schedule's occurrences up to `horizon`, skipping past ones
    /// and reporting taken ones.
    pub(crate) async fn materialize<C: ConnectionTrait + TransactionTrait>(
        &self,
        db: &C,
        pro: &Professional,
        schedule: &recurring_schedule::Model,
        horizon: NaiveDate,
    ) -> Result<Materialized> {
        let service = offering::Entity::find_by_id(schedule.service_id)
            .one(db)
            .await?
            .ok_or(Error::ServiceNotFound)?;
        let client = self.clients.row(db, pro, schedule.client_id).await?;
        let rule = rule(schedule, pro);
        let now = self.deps.clock.now();
        let mut report = Materialized::default();
        let mut index = u32::try_from(schedule.next_index).unwrap_or(0);
        while let (Some(date), Some(start)) = (rule.date(index), rule.start(index)) {
            if date > horizon {
                break;
            }
            index += 1;
            if start <= now {
                continue;
            }
            match self
                .booking
                .create_recurring(db, pro, schedule.id, &service, &client, start)
                .await
            {
                Ok(created) => report.created.push(created),
                Err(err @ (Error::SlotTaken | Error::SlotUnavailable(_))) => {
                    report.conflicts.push(RecurringConflict {
                        start_at: start.into(),
                        code: err.code().to_string(),
                    });
                }
                Err(err) => return Err(err),
            }
        }
        recurring_schedule::Entity::update_many()
            .col_expr(
                recurring_schedule::Column::NextIndex,
                Expr::value(i32::try_from(index).unwrap_or(i32::MAX)),
            )
            .filter(recurring_schedule::Column::Id.eq(schedule.id))
            .exec(db)
            .await?;
        Ok(report)
    }

    /// Materializes every active schedule (the job).
    pub async fn materialize_all<C: ConnectionTrait + TransactionTrait>(
        &self,
        db: &C,
        horizon_weeks: u32,
    ) -> Result<Materialized> {
        let schedules = recurring_schedule::Entity::find()
            .filter(recurring_schedule::Column::CancelledAt.is_null())
            .order_by_asc(recurring_schedule::Column::Id)
            .all(db)
            .await?;
        let mut total = Materialized::default();
        for schedule in schedules {
            let Some(pro) = professional::Entity::find_by_id(schedule.professional_id)
                .one(db)
                .await?
                .map(Professional::from)
            else {
                continue;
            };
            let report = self
                .materialize(db, &pro, &schedule, self.horizon(&pro, horizon_weeks))
                .await?;
            total.created.extend(report.created);
            total.conflicts.extend(report.conflicts);
        }
        Ok(total)
    }

    /// The professional's active schedules.
    pub async fn list(
        &self,
        db: &impl ConnectionTrait,
        pro: &Professional,
    ) -> Result<Vec<RecurringView>> {
        let rows = recurring_schedule::Entity::find()
            .filter(recurring_schedule::Column::ProfessionalId.eq(pro.id))
            .filter(recurring_schedule::Column::CancelledAt.is_null())
            .order_by_asc(recurring_schedule::Column::Id)
            .all(db)
            .await?;
        Ok(rows.into_iter().map(recurring_view).collect())
    }

    /// Deletes a schedule: its future appointments are cancelled, past ones stay.
    pub async fn delete(
        &self,
        db: &impl ConnectionTrait,
        pro: &Professional,
        id: RecurringId,
    ) -> Result<u64> {
        let schedule = recurring_schedule::Entity::find_by_id(id)
            .filter(recurring_schedule::Column::ProfessionalId.eq(pro.id))
            .filter(recurring_schedule::Column::CancelledAt.is_null())
            .one(db)
            .await?
            .ok_or(Error::RecurringNotFound)?;
        let now = self.deps.clock.now();
        let cancelled = appointment::Entity::update_many()
            .col_expr(
                appointment::Column::Status,
                Expr::value(AppointmentStatus::Cancelled.as_str()),
            )
            .col_expr(
                appointment::Column::CancelReason,
                Expr::value("recurring schedule deleted"),
            )
            .col_expr(appointment::Column::UpdatedAt, Expr::value(now))
            .filter(appointment::Column::RecurringScheduleId.eq(schedule.id))
            .filter(appointment::Column::Status.is_in(AppointmentStatus::ACTIVE))
            .filter(appointment::Column::StartAt.gt(now))
            .exec(db)
            .await?
            .rows_affected;
        let mut active: recurring_schedule::ActiveModel = schedule.into();
        active.cancelled_at = Set(Some(now));
        active.update(db).await?;
        Ok(cancelled)
    }
}
