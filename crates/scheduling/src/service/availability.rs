//! Weekly working hours and time off.

use std::sync::Arc;
use trellis_kernel::db::WriteTransaction;

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, ModelTrait,
    QueryFilter, QueryOrder, TransactionSession, TransactionTrait,
};
use trellis_kernel::FieldError;
use uuid::Uuid;
use validator::Validate;

use super::SchedulingDeps;
use crate::model::Professional;
use crate::{
    entities::{availability_rule, time_off},
    error::{Error, Result},
    ids::TimeOffId,
    model::{Availability, AvailabilityRule, CreateTimeOff, TimeOffView},
    view,
};

/// Checks weekly rules: valid weekdays, a start before `24:00` and before
/// the end, no two intervals of one weekday overlapping. (Times are
/// `LocalTime`s, parsed with the request.)
pub fn parse_rules(rules: &[AvailabilityRule]) -> Result<Vec<(i16, i32, i32)>> {
    let mut errors = Vec::new();
    let mut parsed = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        let at = |f: &str| format!("rules[{i}].{f}");
        if !(1..=7).contains(&rule.weekday) {
            errors.push(FieldError::new(
                at("weekday"),
                "must be 1 (Monday) to 7 (Sunday)",
            ));
        }
        let (start, end) = (rule.start.minutes(), rule.end.minutes());
        if rule.start.is_end_of_day() {
            errors.push(FieldError::new(at("start"), "must be before 24:00"));
        } else if start >= end {
            errors.push(FieldError::new(at("end"), "must be after start"));
        } else {
            parsed.push((i, i16::from(rule.weekday), start, end));
        }
    }
    let mut sorted = parsed.clone();
    sorted.sort_by_key(|(_, day, s, _)| (*day, *s));
    for pair in sorted.windows(2) {
        let ((_, d1, _, e1), (i2, d2, s2, _)) = (pair[0], pair[1]);
        if d1 == d2 && s2 < e1 {
            errors.push(FieldError::new(
                format!("rules[{i2}]"),
                "overlaps another interval of the same weekday",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    Ok(parsed.into_iter().map(|(_, d, s, e)| (d, s, e)).collect())
}

/// Working hours and time off.
#[derive(Debug, Clone)]
pub struct AvailabilityService {
    deps: Arc<SchedulingDeps>,
}

impl AvailabilityService {
    pub(crate) fn new(deps: Arc<SchedulingDeps>) -> Self {
        Self { deps }
    }

    /// The weekly rules, by weekday and start.
    pub(crate) async fn rules(
        &self,
        db: &impl ConnectionTrait,
        pro: &Professional,
    ) -> Result<Vec<availability_rule::Model>> {
        Ok(availability_rule::Entity::find()
            .filter(availability_rule::Column::ProfessionalId.eq(pro.id))
            .order_by_asc(availability_rule::Column::Weekday)
            .order_by_asc(availability_rule::Column::StartMinute)
            .all(db)
            .await?)
    }

    /// The weekly rules as the API shows them.
    pub async fn get(&self, db: &impl ConnectionTrait, pro: &Professional) -> Result<Availability> {
        let rules = self.rules(db, pro).await?;
        Ok(Availability {
            rules: rules
                .into_iter()
                .map(|r| AvailabilityRule {
                    weekday: u8::try_from(r.weekday).unwrap_or(1),
                    start: view::local_time(r.start_minute),
                    end: view::local_time(r.end_minute),
                })
                .collect(),
            time_zone: Some(pro.time_zone.name().to_string()),
        })
    }

    /// Replaces the weekly rules as a whole.
    pub async fn replace<C: ConnectionTrait + TransactionTrait>(
        &self,
        db: &C,
        pro: &Professional,
        rules: Vec<AvailabilityRule>,
    ) -> Result<Availability> {
        let parsed = parse_rules(&rules)?;
        let txn = db.begin_write().await?;
        availability_rule::Entity::delete_many()
            .filter(availability_rule::Column::ProfessionalId.eq(pro.id))
            .exec(&txn)
            .await?;
        for (weekday, start, end) in parsed {
            availability_rule::ActiveModel {
                id: Set(Uuid::now_v7()),
                professional_id: Set(pro.id),
                weekday: Set(weekday),
                start_minute: Set(start),
                end_minute: Set(end),
            }
            .insert(&txn)
            .await?;
        }
        txn.commit().await?;
        self.get(db, pro).await
    }

    /// Time off from now on, by start.
    pub async fn time_off(
        &self,
        db: &impl ConnectionTrait,
        pro: &Professional,
    ) -> Result<Vec<TimeOffView>> {
        let rows = time_off::Entity::find()
            .filter(time_off::Column::ProfessionalId.eq(pro.id))
            .filter(time_off::Column::EndAt.gt(self.deps.clock.now()))
            .order_by_asc(time_off::Column::StartAt)
            .all(db)
            .await?;
        Ok(rows.into_iter().map(view::time_off).collect())
    }

    /// Blocks a period.
    pub async fn add_time_off(
        &self,
        db: &impl ConnectionTrait,
        pro: &Professional,
        cmd: CreateTimeOff,
    ) -> Result<TimeOffView> {
        cmd.validate()?;
        if cmd.end_at <= cmd.start_at {
            return Err(Error::field("end_at", "must be after start_at"));
        }
        if cmd.end_at - cmd.start_at > chrono::Duration::days(366) {
            return Err(Error::field("end_at", "must be within a year of start_at"));
        }
        let row = time_off::ActiveModel {
            id: Set(TimeOffId::new()),
            professional_id: Set(pro.id),
            start_at: Set(cmd.start_at),
            end_at: Set(cmd.end_at),
            reason: Set(cmd.reason),
            created_at: Set(self.deps.clock.now()),
        }
        .insert(db)
        .await?;
        Ok(view::time_off(row))
    }

    /// Removes a period off.
    pub async fn remove_time_off(
        &self,
        db: &impl ConnectionTrait,
        pro: &Professional,
        id: TimeOffId,
    ) -> Result<()> {
        let row = time_off::Entity::find_by_id(id)
            .filter(time_off::Column::ProfessionalId.eq(pro.id))
            .one(db)
            .await?
            .ok_or(Error::TimeOffNotFound)?;
        row.delete(db).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(weekday: u8, start: &str, end: &str) -> AvailabilityRule {
        AvailabilityRule {
            weekday,
            start: start.parse().expect("a wall time"),
            end: end.parse().expect("a wall time"),
        }
    }

    #[test]
    fn rules_must_be_sane_and_not_overlap() {
        assert!(
            parse_rules(&[
                rule(1, "09:00", "12:00"),
                rule(1, "13:00", "18:00"),
                rule(7, "22:00", "24:00")
            ])
            .is_ok()
        );
        let fields = |r: Result<Vec<(i16, i32, i32)>>| match r {
            Err(Error::Validation(errors)) => {
                errors.into_iter().map(|e| e.field).collect::<Vec<_>>()
            }
            _ => vec![],
        };
        assert_eq!(
            fields(parse_rules(&[rule(8, "09:00", "10:00")])),
            ["rules[0].weekday"]
        );
        assert_eq!(
            fields(parse_rules(&[rule(1, "12:00", "09:00")])),
            ["rules[0].end"]
        );
        assert_eq!(
            fields(parse_rules(&[rule(1, "24:00", "24:00")])),
            ["rules[0].start"]
        );
        assert_eq!(
            fields(parse_rules(&[
                rule(2, "09:00", "12:00"),
                rule(2, "11:00", "13:00")
            ])),
            ["rules[1]"]
        );
    }
}
