//! Revenue from completed appointments, by local day, week or month.

use chrono::{Datelike, Duration, NaiveDate};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::Expr,
};

use crate::model::Professional;
use crate::{
    entities::appointment,
    error::{Error, Result},
    model::{RevenueGroup, RevenuePeriod, RevenueReport},
    status::AppointmentStatus,
};

/// The first day of the period `day` falls in.
pub fn period_start(day: NaiveDate, group: RevenueGroup) -> NaiveDate {
    match group {
        RevenueGroup::Day => day,
        RevenueGroup::Week => day - Duration::days(i64::from(day.weekday().num_days_from_monday())),
        RevenueGroup::Month => day.with_day(1).unwrap_or(day),
    }
}

/// Sums completed appointments between two local dates (inclusive). The sums
/// per day and currency come from SQL; days are then folded into periods.
pub async fn revenue(
    db: &impl ConnectionTrait,
    pro: &Professional,
    from: NaiveDate,
    to: NaiveDate,
    group: RevenueGroup,
) -> Result<RevenueReport> {
    if to < from {
        return Err(Error::field("to", "must not be before from"));
    }
    if to - from > Duration::days(366 * 3) {
        return Err(Error::field("to", "the range may span at most three years"));
    }
    let days: Vec<(NaiveDate, String, i64, i64)> = appointment::Entity::find()
        .select_only()
        .column(appointment::Column::LocalDate)
        .column(appointment::Column::Currency)
        .column_as(Expr::cust("COUNT(*)"), "appointments")
        .column_as(Expr::cust("CAST(SUM(price_minor) AS BIGINT)"), "total")
        .filter(appointment::Column::ProfessionalId.eq(pro.id))
        .filter(appointment::Column::Status.eq(AppointmentStatus::Completed))
        .filter(appointment::Column::LocalDate.gte(from))
        .filter(appointment::Column::LocalDate.lte(to))
        .group_by(appointment::Column::LocalDate)
        .group_by(appointment::Column::Currency)
        .order_by_asc(appointment::Column::LocalDate)
        .order_by_asc(appointment::Column::Currency)
        .into_tuple()
        .all(db)
        .await?;
    let mut periods: Vec<RevenuePeriod> = Vec::new();
    for (day, currency, count, total) in days {
        let period = period_start(day, group).to_string();
        match periods
            .iter_mut()
            .find(|p| p.period == period && p.currency == currency)
        {
            Some(p) => {
                p.appointments += count;
                p.total_minor += total;
            }
            None => periods.push(RevenuePeriod {
                period,
                currency,
                appointments: count,
                total_minor: total,
            }),
        }
    }
    periods.sort_by(|a, b| (&a.period, &a.currency).cmp(&(&b.period, &b.currency)));
    Ok(RevenueReport {
        time_zone: pro.time_zone.name().to_string(),
        group,
        periods,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_start_on_monday_and_the_first() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap_or_default(); // a Sunday
        assert_eq!(period_start(d, RevenueGroup::Day), d);
        assert_eq!(
            period_start(d, RevenueGroup::Week).to_string(),
            "2026-11-16"
        );
        assert_eq!(
            period_start(d, RevenueGroup::Month).to_string(),
            "2026-11-01"
        );
    }
}
