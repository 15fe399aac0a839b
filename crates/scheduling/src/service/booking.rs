//! Slots and bookings.
//!
//! Every booking (public, by the professional, or a reschedule) runs in one
//! transaction that first touches the professional's row. That write takes
//! SQLite's single writer lock, and on PostgreSQL a row lock, so bookings of
//! one professional are checked and inserted one at a time: the check cannot
//! go stale before the insert. On PostgreSQL the exclusion constraint on
//! `appointments` backs this up at the database level.

use std::sync::Arc;
use trellis_kernel::db::WriteTransaction;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, TransactionSession, TransactionTrait, sea_query::Expr,
};
use trellis_kernel::{id::UserId, types::TimeZone};
use validator::Validate;

use super::{ClientService, SchedulingDeps};
use crate::model::Professional;
use crate::notices::{self, Notice};
use crate::{
    entities::{appointment, availability_rule, client, offering, professional, time_off},
    error::{Error, Result},
    ids::{AppointmentId, RecurringId, ServiceId},
    model::{AppointmentView, BookingCommand, CreateAppointment, SlotView, Slots},
    slots::{Interval, ServiceRules, SlotQuery, WeeklyRule, free_slots},
    status::AppointmentStatus,
    view,
};

/// The longest range one slots request may cover.
pub const MAX_SLOT_RANGE_DAYS: i64 = 62;

/// The engine's view of a service.
pub(crate) fn rules_of(s: &offering::Model) -> ServiceRules {
    ServiceRules {
        duration: Duration::minutes(i64::from(s.duration_minutes)),
        buffer_before: Duration::minutes(i64::from(s.buffer_before_minutes)),
        buffer_after: Duration::minutes(i64::from(s.buffer_after_minutes)),
        min_notice: Duration::minutes(i64::from(s.min_notice_minutes)),
        max_advance: Duration::days(i64::from(s.max_advance_days)),
        increment: Duration::minutes(i64::from(s.slot_increment_minutes)),
    }
}

fn weekly(rules: &[availability_rule::Model]) -> Vec<WeeklyRule> {
    rules
        .iter()
        .map(|r| WeeklyRule {
            weekday: u8::try_from(r.weekday).unwrap_or(1),
            start: view::local_time(r.start_minute).wall_time(),
            end: view::local_time(r.end_minute).wall_time(),
        })
        .collect()
}

/// True for PostgreSQL's exclusion-constraint violation on appointments.
fn is_overlap(err: &DbErr) -> bool {
    let text = err.to_string();
    text.contains("appointments_no_overlap") || text.contains("23P01")
}

/// What to check when placing an appointment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placement {
    /// Public booking: availability, notice and advance apply.
    Public,
    /// The professional decides their hours: only overlaps are refused.
    Professional,
}

/// What a new appointment is made of.
struct NewAppointment<'a> {
    service: &'a offering::Model,
    client: &'a client::Model,
    start: DateTime<Utc>,
    status: AppointmentStatus,
    notes: Option<String>,
    rescheduled_from: Option<AppointmentId>,
    recurring: Option<RecurringId>,
}

/// Slots and bookings.
#[derive(Debug, Clone)]
pub struct BookingService {
    deps: Arc<SchedulingDeps>,
    clients: ClientService,
}

impl BookingService {
    pub(crate) fn new(deps: Arc<SchedulingDeps>, clients: ClientService) -> Self {
        Self { deps, clients }
    }

    /// Busy intervals around `range`: active appointments (with their
    /// buffers), except `ignore`, and time off.
    async fn busy(
        &self,
        db: &impl ConnectionTrait,
        pro: &Professional,
        range: Interval,
        ignore: Option<AppointmentId>,
    ) -> Result<Vec<Interval>> {
        let mut query = appointment::Entity::find()
            .filter(appointment::Column::ProfessionalId.eq(pro.id))
            .filter(appointment::Column::Status.is_in(AppointmentStatus::ACTIVE))
            .filter(appointment::Column::BlockStart.lt(range.end))
            .filter(appointment::Column::BlockEnd.gt(range.start));
        if let Some(id) = ignore {
            query = query.filter(appointment::Column::Id.ne(id));
        }
        let mut busy: Vec<Interval> = query
            .all(db)
            .await?
            .into_iter()
            .map(|a| Interval::new(a.block_start, a.block_end))
            .collect();
        let off = time_off::Entity::find()
            .filter(time_off::Column::ProfessionalId.eq(pro.id))
            .filter(time_off::Column::StartAt.lt(range.end))
            .filter(time_off::Column::EndAt.gt(range.start))
            .all(db)
            .await?;
        busy.extend(off.into_iter().map(|t| Interval::new(t.start_at, t.end_at)));
        Ok(busy)
    }

    async fn active_service(
        &self,
        db: &impl ConnectionTrait,
        pro: &Professional,
        id: ServiceId,
    ) -> Result<offering::Model> {
        offering::Entity::find_by_id(id)
            .filter(offering::Column::ProfessionalId.eq(pro.id))
            .filter(offering::Column::Active.eq(true))
            .one(db)
            .await?
            .ok_or(Error::ServiceNotFound)
    }

    /// Free start times of a service between two dates of `display` (inclusive).
    pub async fn slots(
        &self,
        db: &impl ConnectionTrait,
        pro: &Professional,
        service: ServiceId,
        from: NaiveDate,
        to: NaiveDate,
        display: Option<TimeZone>,
    ) -> Result<Slots> {
        let display_zone: Tz = display.map_or(pro.time_zone, TimeZone::tz);
        if to < from {
            return Err(Error::field("to", "must not be before from"));
        }
        if to - from >= Duration::days(MAX_SLOT_RANGE_DAYS) {
            return Err(Error::field(
                "to",
                format!("the range may span at most {MAX_SLOT_RANGE_DAYS} days"),
            ));
        }
        let service = self.active_service(db, pro, service).await?;
        let start = crate::slots::resolve(display_zone, from, chrono::NaiveTime::MIN);
        let end =
            crate::slots::resolve(display_zone, to + Duration::days(1), chrono::NaiveTime::MIN);
        let range = Interval::new(start, end);
        let rules = availability_rule::Entity::find()
            .filter(availability_rule::Column::ProfessionalId.eq(pro.id))
            .all(db)
            .await?;
        let service_rules = rules_of(&service);
        let busy = self
            .busy(
                db,
                pro,
                Interval::new(
                    range.start - service_rules.buffer_after - service_rules.duration,
                    range.end + service_rules.buffer_before + service_rules.duration,
                ),
                None,
            )
            .await?;
        let weekly = weekly(&rules);
        let slots = free_slots(&SlotQuery {
            zone: pro.time_zone,
            rules: &weekly,
            busy: &busy,
            service: service_rules,
            now: self.deps.clock.now(),
            range,
        });
        Ok(Slots {
            time_zone: display_zone.name().to_string(),
            slots: slots
                .into_iter()
                .map(|s| SlotView {
                    start_at: s.start.into(),
                    end_at: s.end.into(),
                    local_start: s
                        .start
                        .with_timezone(&display_zone)
                        .format("%Y-%m-%dT%H:%M%:z")
                        .to_string(),
                })
                .collect(),
        })
    }

    /// Serializes bookings of one professional (see the module docs).
    async fn lock(db: &impl ConnectionTrait, pro: &Professional) -> Result<()> {
        professional::Entity::update_many()
            .col_expr(
                professional::Column::UpdatedAt,
                Expr::col(professional::Column::UpdatedAt),
            )
            .filter(professional::Column::Id.eq(pro.id))
            .exec(db)
            .await?;
        Ok(())
    }

    /// Checks that an appointment of `service` can start at `start`.
    async fn check_place(
        &self,
        db: &impl ConnectionTrait,
        pro: &Professional,
        service: &offering::Model,
        start: DateTime<Utc>,
        placement: Placement,
        ignore: Option<AppointmentId>,
    ) -> Result<()> {
        let rules = rules_of(service);
        let block = rules.block(start);
        let busy = self.busy(db, pro, block, ignore).await?;
        if busy.iter().any(|b| b.overlaps(&block)) {
            return Err(Error::SlotTaken);
        }
        if placement == Placement::Professional {
            return Ok(());
        }
        let now = self.deps.clock.now();
        if start < now + rules.min_notice {
            return Err(Error::SlotUnavailable("it is too soon"));
        }
        if start > now + rules.max_advance {
            return Err(Error::SlotUnavailable("it is too far ahead"));
        }
        let weekly_rules = availability_rule::Entity::find()
            .filter(availability_rule::Column::ProfessionalId.eq(pro.id))
            .all(db)
            .await?;
        let weekly = weekly(&weekly_rules);
        let offered = free_slots(&SlotQuery {
            zone: pro.time_zone,
            rules: &weekly,
            busy: &busy,
            service: rules,
            now,
            range: Interval::new(start, start + Duration::seconds(1)),
        });
        if offered.first().map(|s| s.start) != Some(start) {
            return Err(Error::SlotUnavailable(
                "it is not one of the offered start times",
            ));
        }
        Ok(())
    }

    async fn insert(
        &self,
        db: &impl ConnectionTrait,
        pro: &Professional,
        new: NewAppointment<'_>,
    ) -> Result<appointment::Model> {
        let NewAppointment {
            service,
            client,
            start,
            status,
            notes,
            rescheduled_from,
            recurring,
        } = new;
        let rules = rules_of(service);
        let block = rules.block(start);
        let now = self.deps.clock.now();
        appointment::ActiveModel {
            id: Set(AppointmentId::new()),
            professional_id: Set(pro.id),
            service_id: Set(service.id),
            client_id: Set(client.id),
            start_at: Set(start),
            end_at: Set(start + rules.duration),
            block_start: Set(block.start),
            block_end: Set(block.end),
            status: Set(status),
            price_minor: Set(service.price_minor),
            currency: Set(service.currency.clone()),
            notes: Set(notes),
            cancel_reason: Set(None),
            rescheduled_from: Set(rescheduled_from),
            recurring_schedule_id: Set(recurring),
            reminder_sent_at: Set(None),
            local_date: Set(Some(start.with_timezone(&pro.time_zone).date_naive())),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(db)
        .await
        .map_err(|e| {
            if is_overlap(&e) {
                Error::SlotTaken
            } else {
                Error::Database(e)
            }
        })
    }

    /// A public booking: finds or creates the client, checks the slot and
    /// creates the appointment (`pending` if the service needs confirmation).
    #[tracing::instrument(skip_all, fields(professional = %pro.slug))]
    pub async fn book<C: ConnectionTrait + TransactionTrait>(
        &self,
        db: &C,
        pro: &Professional,
        cmd: BookingCommand,
        booker: Option<UserId>,
    ) -> Result<AppointmentView> {
        cmd.validate()?;
        super::clients::require_contact(cmd.client.phone.as_ref(), cmd.client.email.as_ref())?;
        // Before the transaction: see `ClientService::allowance`.
        let allowance = self.clients.allowance(pro).await?;
        let txn = db.begin_write().await?;
        Self::lock(&txn, pro).await?;
        let service = self.active_service(&txn, pro, cmd.service_id).await?;
        self.check_place(&txn, pro, &service, cmd.start_at, Placement::Public, None)
            .await?;
        let client = self
            .clients
            .find_or_create_row(
                &txn,
                pro,
                &cmd.client.name,
                cmd.client.phone.as_ref(),
                cmd.client.email.as_ref(),
                booker,
                &allowance,
            )
            .await?;
        let status = if service.requires_confirmation {
            AppointmentStatus::Pending
        } else {
            AppointmentStatus::Confirmed
        };
        let created = self
            .insert(
                &txn,
                pro,
                NewAppointment {
                    service: &service,
                    client: &client,
                    start: cmd.start_at,
                    status,
                    notes: cmd.notes,
                    rescheduled_from: None,
                    recurring: None,
                },
            )
            .await?;
        let clock = &self.deps.clock;
        notices::record(
            &txn,
            clock,
            Notice::Booked,
            &created,
            pro,
            &service,
            &client,
        )
        .await?;
        txn.commit().await?;
        Ok(view::appointment(created))
    }

    /// An appointment the professional creates for one of their clients.
    pub async fn create_for_client<C: ConnectionTrait + TransactionTrait>(
        &self,
        db: &C,
        pro: &Professional,
        cmd: CreateAppointment,
    ) -> Result<AppointmentView> {
        cmd.validate()?;
        let txn = db.begin_write().await?;
        Self::lock(&txn, pro).await?;
        let service = offering::Entity::find_by_id(cmd.service_id)
            .filter(offering::Column::ProfessionalId.eq(pro.id))
            .one(&txn)
            .await?
            .ok_or(Error::ServiceNotFound)?;
        let client = self.clients.row(&txn, pro, cmd.client_id).await?;
        self.check_place(
            &txn,
            pro,
            &service,
            cmd.start_at,
            Placement::Professional,
            None,
        )
        .await?;
        let created = self
            .insert(
                &txn,
                pro,
                NewAppointment {
                    service: &service,
                    client: &client,
                    start: cmd.start_at,
                    status: AppointmentStatus::Confirmed,
                    notes: cmd.notes,
                    rescheduled_from: None,
                    recurring: None,
                },
            )
            .await?;
        let clock = &self.deps.clock;
        notices::record(
            &txn,
            clock,
            Notice::Booked,
            &created,
            pro,
            &service,
            &client,
        )
        .await?;
        txn.commit().await?;
        Ok(view::appointment(created))
    }

    /// One occurrence of a recurring schedule (overlaps refused, hours not enforced).
    pub(crate) async fn create_recurring<C: ConnectionTrait + TransactionTrait>(
        &self,
        db: &C,
        pro: &Professional,
        schedule: RecurringId,
        service: &offering::Model,
        client: &client::Model,
        start: DateTime<Utc>,
    ) -> Result<AppointmentView> {
        let txn = db.begin_write().await?;
        Self::lock(&txn, pro).await?;
        self.check_place(&txn, pro, service, start, Placement::Professional, None)
            .await?;
        let new = NewAppointment {
            service,
            client,
            start,
            status: AppointmentStatus::Confirmed,
            notes: None,
            rescheduled_from: None,
            recurring: Some(schedule),
        };
        let created = self.insert(&txn, pro, new).await?;
        txn.commit().await?;
        Ok(view::appointment(created))
    }

    /// Moves an appointment: a new one at `start`, linked to the old, which
    /// becomes `rescheduled`. The old slot does not block the new one.
    pub async fn reschedule<C: ConnectionTrait + TransactionTrait>(
        &self,
        db: &C,
        pro: &Professional,
        id: AppointmentId,
        start: DateTime<Utc>,
    ) -> Result<AppointmentView> {
        let txn = db.begin_write().await?;
        Self::lock(&txn, pro).await?;
        let old = appointment::Entity::find_by_id(id)
            .filter(appointment::Column::ProfessionalId.eq(pro.id))
            .one(&txn)
            .await?
            .ok_or(Error::AppointmentNotFound)?;
        if !old.status.is_active() {
            return Err(Error::transition(
                old.status,
                AppointmentStatus::Rescheduled,
            ));
        }
        let service = offering::Entity::find_by_id(old.service_id)
            .one(&txn)
            .await?
            .ok_or(Error::ServiceNotFound)?;
        let client = client::Entity::find_by_id(old.client_id)
            .one(&txn)
            .await?
            .ok_or(Error::ClientNotFound)?;
        self.check_place(
            &txn,
            pro,
            &service,
            start,
            Placement::Professional,
            Some(old.id),
        )
        .await?;
        // Free the old range first: on PostgreSQL the exclusion constraint
        // would otherwise see the two overlap.
        let now = self.deps.clock.now();
        appointment::Entity::update_many()
            .col_expr(
                appointment::Column::Status,
                Expr::value(AppointmentStatus::Rescheduled.as_str()),
            )
            .col_expr(appointment::Column::UpdatedAt, Expr::value(now))
            .filter(appointment::Column::Id.eq(old.id))
            .exec(&txn)
            .await?;
        let new = NewAppointment {
            service: &service,
            client: &client,
            start,
            status: old.status,
            notes: old.notes.clone(),
            rescheduled_from: Some(old.id),
            recurring: None,
        };
        let mut created = self.insert(&txn, pro, new).await?;
        // The client keeps the price they booked at.
        if created.price_minor != old.price_minor || created.currency != old.currency {
            let mut active: appointment::ActiveModel = created.into();
            active.price_minor = Set(old.price_minor);
            active.currency = Set(old.currency.clone());
            created = active.update(&txn).await?;
        }
        let (clock, notice) = (&self.deps.clock, Notice::Rescheduled { from: old.start_at });
        notices::record(&txn, clock, notice, &created, pro, &service, &client).await?;
        txn.commit().await?;
        Ok(view::appointment(created))
    }
}
