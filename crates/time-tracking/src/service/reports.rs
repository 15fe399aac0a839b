//! The summary report: totals of stopped entries, grouped, summed by the
//! database.
//!
//! One `GROUP BY` query returns a row per group and currency (seconds,
//! billable seconds, billable amount); only those rows reach Rust, where
//! currencies are folded into each group and groups into the total. The
//! query sums by the entry's own column (its project, task or person) and
//! joins nothing: what those few ids stand for (a project's client, names
//! and titles, people through the `Memberships` port) is looked up
//! afterwards, for the groups alone, not joined to every entry.
//!
//! An entry belongs to the range, and to a day or week, by its start.
//! Days and weeks are the organization's local ones. Rather than work out
//! each entry's local day in SQL (SQLite has no time-zone database; on
//! PostgreSQL an expression per entry, and grouping by it, cost several
//! times the sums themselves), the range is cut in Rust into
//! [`calendar::Bucket`]s, runs of UTC instants on one local day or week,
//! exact across DST changes and for any offset; the query sums each
//! bucket's entries, found by the start's index range, by currency. On
//! PostgreSQL that is a `LATERAL` subquery per bucket (a join of the two
//! would be estimated at millions of rows, and planned and compiled, JIT
//! included, for them); SQLite has no `LATERAL`, and the plain join, with
//! the buckets first, does the same there.
//! Amounts follow [`crate::money`]: per entry, rounded half up, then summed.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    fmt::Write as _,
    sync::Arc,
};

use chrono::{DateTime, Duration, NaiveDate};
use chrono_tz::Tz;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryResult, QuerySelect,
    Statement, Value,
    sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement},
};
use trellis_kernel::{
    id::UserId,
    ports::{OrgAccess, Profile},
};
use uuid::Uuid;

use super::{TimeTrackingDeps, settings};
use crate::{
    calendar::{self, Bucket},
    entities::{agency_client, project, task, time_entry},
    error::{Error, Result},
    model::{GroupBy, MoneyAmount, SummaryGroup, SummaryReport, SummaryTotal},
    money::AMOUNT_SQL,
};

/// Ids per label lookup (a bounded `IN` list).
const LABEL_CHUNK: usize = 1_000;

/// The longest range one report may cover, in days.
pub const MAX_REPORT_DAYS: i64 = 3 * 366;

/// The sums of a query grouped by key and currency: seconds, billable
/// seconds, billable amount (entries with a rate).
const SECONDS_SQL: &str = "CAST(SUM(\"time_entries\".\"duration_seconds\") AS BIGINT)";
const BILLABLE_SECONDS_SQL: &str = "CAST(SUM(CASE WHEN \"time_entries\".\"billable\" \
     THEN \"time_entries\".\"duration_seconds\" ELSE 0 END) AS BIGINT)";

fn amount_sql() -> String {
    format!(
        "CAST(SUM(CASE WHEN \"time_entries\".\"billable\" \
         AND \"time_entries\".\"rate_minor\" IS NOT NULL \
         THEN {AMOUNT_SQL} ELSE 0 END) AS BIGINT)"
    )
}

/// Seconds, billable seconds and amount, and the currency, of a query
/// already grouped by the key.
fn add_sums(q: &mut SelectStatement) {
    q.column((time_entry::Entity, time_entry::Column::Currency))
        .expr_as(Expr::cust(SECONDS_SQL), Alias::new("seconds"))
        .expr_as(
            Expr::cust(BILLABLE_SECONDS_SQL),
            Alias::new("billable_seconds"),
        )
        .expr_as(Expr::cust(amount_sql()), Alias::new("amount_minor"))
        .group_by_col((time_entry::Entity, time_entry::Column::Currency));
}

/// One result row: a group's sums in one currency.
struct Row {
    /// The id summed by (a project for clients and projects), if any.
    id: Option<Uuid>,
    key: String,
    label: Option<String>,
    /// How groups are ordered: day number for days and weeks, else label.
    order: (i64, String),
    currency: String,
    seconds: i64,
    billable_seconds: i64,
    amount_minor: i64,
}

fn read_row(row: &QueryResult, group_by: GroupBy) -> Result<Row> {
    let (key, label, order) = match group_by {
        GroupBy::Day | GroupBy::Week => {
            let number: i64 = row.try_get("", "key_number")?;
            let date = if group_by == GroupBy::Day {
                calendar::day_date(number)
            } else {
                calendar::week_monday(number)
            };
            (date.to_string(), None, (number, String::new()))
        }
        _ => {
            let id: Option<Uuid> = row.try_get("", "key_id")?;
            let key = id.map_or_else(|| "none".to_string(), |id| id.to_string());
            (key, None, (0, String::new()))
        }
    };
    let id = match group_by {
        GroupBy::Day | GroupBy::Week => None,
        _ => row.try_get("", "key_id")?,
    };
    Ok(Row {
        id,
        key,
        label,
        order,
        currency: row.try_get("", "currency")?,
        seconds: row.try_get("", "seconds")?,
        billable_seconds: row.try_get("", "billable_seconds")?,
        amount_minor: row.try_get("", "amount_minor")?,
    })
}

/// Adds `amount` in `currency` to a list kept in currency order.
fn add_amount(amounts: &mut Vec<MoneyAmount>, currency: &str, amount: i64) {
    match amounts.iter_mut().find(|a| a.currency == currency) {
        Some(a) => a.amount_minor += amount,
        None => {
            amounts.push(MoneyAmount {
                currency: currency.to_string(),
                amount_minor: amount,
            });
            amounts.sort_by(|a, b| a.currency.cmp(&b.currency));
        }
    }
}

/// Refuses a backwards or too long range.
fn check_range(from: NaiveDate, to: NaiveDate) -> Result<()> {
    if to < from {
        return Err(Error::field("to", "must not be before from"));
    }
    if (to - from).num_days() >= MAX_REPORT_DAYS {
        return Err(Error::field(
            "to",
            format!("the range may span at most {MAX_REPORT_DAYS} days"),
        ));
    }
    Ok(())
}

/// The summary's query: a row per group (`key_id` or `key_number`) and
/// currency, with the sums of [`add_sums`].
fn summary_statement(
    backend: DbBackend,
    access: &OrgAccess,
    zone: Tz,
    from: NaiveDate,
    to: NaiveDate,
    group_by: GroupBy,
    billable: Option<bool>,
) -> Statement {
    let lo = calendar::local_midnight(zone, from);
    let hi = calendar::local_midnight(zone, to + Duration::days(1));
    // Sum by the entry's own column; what the ids stand for (a project's
    // client, names, titles) is looked up for the few groups afterwards,
    // not joined to every entry.
    let column = match group_by {
        GroupBy::Client | GroupBy::Project => time_entry::Column::ProjectId,
        GroupBy::User => time_entry::Column::UserId,
        GroupBy::Task => time_entry::Column::TaskId,
        GroupBy::Day | GroupBy::Week => {
            let spans = calendar::offset_spans(zone, lo, hi);
            let buckets = calendar::buckets(
                &spans,
                lo.timestamp(),
                hi.timestamp(),
                group_by == GroupBy::Week,
            );
            return bucket_statement(backend, access, &buckets, billable);
        }
    };
    let mut q = Query::select();
    q.from(time_entry::Entity)
        .and_where(Expr::col((time_entry::Entity, time_entry::Column::OrgId)).eq(access.org_id()))
        .and_where(Expr::col((time_entry::Entity, time_entry::Column::EndAt)).is_not_null())
        .and_where(Expr::col((time_entry::Entity, time_entry::Column::StartAt)).gte(lo))
        .and_where(Expr::col((time_entry::Entity, time_entry::Column::StartAt)).lt(hi));
    if let Some(billable) = billable {
        q.and_where(Expr::col((time_entry::Entity, time_entry::Column::Billable)).eq(billable));
    }
    q.expr_as(
        Expr::col((time_entry::Entity, column)),
        Alias::new("key_id"),
    )
    .group_by_col((time_entry::Entity, column));
    add_sums(&mut q);
    backend.build(&q)
}

/// The query summing each bucket's entries by currency, numbered by the
/// bucket (`key_number`). The buckets are a `VALUES` list of bound
/// numbers and instants, so the text depends only on how many there are.
fn bucket_statement(
    backend: DbBackend,
    access: &OrgAccess,
    buckets: &[Bucket],
    billable: Option<bool>,
) -> Statement {
    let mut values: Vec<Value> = Vec::with_capacity(3 * buckets.len() + 2);
    let mut bind = |value: Value| {
        values.push(value);
        match backend {
            DbBackend::Postgres => format!("${}", values.len()),
            _ => "?".to_string(),
        }
    };
    let instant = |t: i64| Value::from(DateTime::from_timestamp(t, 0).unwrap_or_default());
    // A range no local day starts in (only a skipped day) still makes a
    // valid list: one empty bucket.
    let empty = [Bucket {
        number: 0,
        from: 0,
        to: 0,
    }];
    let buckets = if buckets.is_empty() { &empty } else { buckets };
    let mut list = String::new();
    for (i, bucket) in buckets.iter().enumerate() {
        let number = bind(bucket.number.into());
        let lo = bind(instant(bucket.from));
        let hi = bind(instant(bucket.to));
        let comma = if i == 0 { "" } else { ", " };
        let _ = write!(list, "{comma}({number}, {lo}, {hi})");
    }
    let org = bind(access.org_id().into());
    let mut filter = format!(
        "\"time_entries\".\"org_id\" = {org} \
         AND \"time_entries\".\"end_at\" IS NOT NULL \
         AND \"time_entries\".\"start_at\" >= \"buckets\".\"lo\" \
         AND \"time_entries\".\"start_at\" < \"buckets\".\"hi\""
    );
    if let Some(billable) = billable {
        let billable = bind(billable.into());
        let _ = write!(filter, " AND \"time_entries\".\"billable\" = {billable}");
    }
    let sums = format!(
        "{SECONDS_SQL} AS \"seconds\", {BILLABLE_SECONDS_SQL} AS \"billable_seconds\", \
         {} AS \"amount_minor\"",
        amount_sql()
    );
    let with = format!("WITH \"buckets\" (\"number\", \"lo\", \"hi\") AS (VALUES {list})");
    let key = "CAST(\"buckets\".\"number\" AS BIGINT) AS \"key_number\"";
    let sql = match backend {
        DbBackend::Postgres => format!(
            "{with} SELECT {key}, \"sums\".\"currency\", \"sums\".\"seconds\", \
             \"sums\".\"billable_seconds\", \"sums\".\"amount_minor\" \
             FROM \"buckets\" CROSS JOIN LATERAL (\
             SELECT \"time_entries\".\"currency\", {sums} FROM \"time_entries\" \
             WHERE {filter} GROUP BY \"time_entries\".\"currency\") AS \"sums\""
        ),
        // SQLite's CROSS JOIN keeps the buckets as the outer loop.
        _ => format!(
            "{with} SELECT {key}, \"time_entries\".\"currency\", {sums} \
             FROM \"buckets\" CROSS JOIN \"time_entries\" WHERE {filter} \
             GROUP BY \"buckets\".\"number\", \"time_entries\".\"currency\""
        ),
    };
    Statement::from_sql_and_values(backend, sql, values)
}

/// The summary report.
#[derive(Debug, Clone)]
pub struct ReportService {
    deps: Arc<TimeTrackingDeps>,
}

impl ReportService {
    pub(crate) fn new(deps: Arc<TimeTrackingDeps>) -> Self {
        Self { deps }
    }

    /// Totals of the organization's stopped entries starting between two
    /// local dates (inclusive) in its zone, grouped by `group_by`,
    /// optionally only billable (`Some(true)`) or non-billable entries.
    /// Running timers are left out until stopped. Any member may read it.
    #[tracing::instrument(skip_all, fields(org = %access.org_id(), ?group_by))]
    pub async fn summary(
        &self,
        db: &impl ConnectionTrait,
        access: &OrgAccess,
        from: NaiveDate,
        to: NaiveDate,
        group_by: GroupBy,
        billable: Option<bool>,
    ) -> Result<SummaryReport> {
        check_range(from, to)?;
        let zone = settings::read(db, access.org_id()).await?.zone;
        let statement = summary_statement(
            db.get_database_backend(),
            access,
            zone,
            from,
            to,
            group_by,
            billable,
        );
        let rows: Vec<Row> = db
            .query_all_raw(statement)
            .await?
            .iter()
            .map(|row| read_row(row, group_by))
            .collect::<Result<_>>()?;
        let rows = self.label(db, access, group_by, rows).await?;
        let mut groups: BTreeMap<((i64, String), String), SummaryGroup> = BTreeMap::new();
        let mut total = SummaryTotal {
            seconds: 0,
            billable_seconds: 0,
            amounts: Vec::new(),
        };
        for row in rows {
            let group = groups
                .entry((row.order, row.key.clone()))
                .or_insert_with(|| SummaryGroup {
                    key: row.key,
                    label: row.label,
                    email: None,
                    seconds: 0,
                    billable_seconds: 0,
                    amounts: Vec::new(),
                });
            group.seconds += row.seconds;
            group.billable_seconds += row.billable_seconds;
            total.seconds += row.seconds;
            total.billable_seconds += row.billable_seconds;
            if row.billable_seconds > 0 {
                add_amount(&mut group.amounts, &row.currency, row.amount_minor);
                add_amount(&mut total.amounts, &row.currency, row.amount_minor);
            }
        }
        let mut groups: Vec<SummaryGroup> = groups.into_values().collect();
        if group_by == GroupBy::User {
            self.label_people(&mut groups).await?;
        }
        Ok(SummaryReport {
            time_zone: zone.name().to_string(),
            from,
            to,
            group_by,
            groups,
            total,
        })
    }

    /// The one query [`Self::summary`] sends for these arguments, as it
    /// sends it: for `EXPLAIN` (the summary benchmark prints its plans).
    pub async fn summary_query(
        &self,
        db: &impl ConnectionTrait,
        access: &OrgAccess,
        from: NaiveDate,
        to: NaiveDate,
        group_by: GroupBy,
        billable: Option<bool>,
    ) -> Result<Statement> {
        check_range(from, to)?;
        let zone = settings::read(db, access.org_id()).await?.zone;
        Ok(summary_statement(
            db.get_database_backend(),
            access,
            zone,
            from,
            to,
            group_by,
            billable,
        ))
    }

    /// Gives rows summed by a project or task their group's key and label
    /// (a project's client, the project's name, the task's title), looked
    /// up for the distinct ids only.
    async fn label(
        &self,
        db: &impl ConnectionTrait,
        access: &OrgAccess,
        group_by: GroupBy,
        mut rows: Vec<Row>,
    ) -> Result<Vec<Row>> {
        if !matches!(group_by, GroupBy::Client | GroupBy::Project | GroupBy::Task) {
            return Ok(rows);
        }
        let ids: Vec<Uuid> = rows
            .iter()
            .filter_map(|r| r.id)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let org = access.org_id();
        // Per summed id: the group's key and label.
        let mut found: HashMap<Uuid, (String, String)> = HashMap::new();
        for chunk in ids.chunks(LABEL_CHUNK) {
            let chunk = chunk.iter().copied();
            match group_by {
                GroupBy::Task => {
                    let titles: Vec<(Uuid, String)> = task::Entity::find()
                        .select_only()
                        .column(task::Column::Id)
                        .column(task::Column::Title)
                        .filter(task::Column::OrgId.eq(org))
                        .filter(task::Column::Id.is_in(chunk))
                        .into_tuple()
                        .all(db)
                        .await?;
                    for (id, title) in titles {
                        found.insert(id, (id.to_string(), title));
                    }
                }
                GroupBy::Project => {
                    let names: Vec<(Uuid, String)> = project::Entity::find()
                        .select_only()
                        .column(project::Column::Id)
                        .column(project::Column::Name)
                        .filter(project::Column::OrgId.eq(org))
                        .filter(project::Column::Id.is_in(chunk))
                        .into_tuple()
                        .all(db)
                        .await?;
                    for (id, name) in names {
                        found.insert(id, (id.to_string(), name));
                    }
                }
                _ => {
                    let clients: Vec<(Uuid, Uuid)> = project::Entity::find()
                        .select_only()
                        .column(project::Column::Id)
                        .column(project::Column::ClientId)
                        .filter(project::Column::OrgId.eq(org))
                        .filter(project::Column::Id.is_in(chunk))
                        .into_tuple()
                        .all(db)
                        .await?;
                    let names: HashMap<Uuid, String> = agency_client::Entity::find()
                        .select_only()
                        .column(agency_client::Column::Id)
                        .column(agency_client::Column::Name)
                        .filter(agency_client::Column::OrgId.eq(org))
                        .filter(
                            agency_client::Column::Id
                                .is_in(clients.iter().map(|(_, c)| *c).collect::<BTreeSet<_>>()),
                        )
                        .into_tuple::<(Uuid, String)>()
                        .all(db)
                        .await?
                        .into_iter()
                        .collect();
                    for (project, client) in clients {
                        if let Some(name) = names.get(&client) {
                            found.insert(project, (client.to_string(), name.clone()));
                        }
                    }
                }
            }
        }
        for row in &mut rows {
            if let Some((key, label)) = row.id.and_then(|id| found.get(&id)) {
                row.key.clone_from(key);
                row.order = (0, label.clone());
                row.label = Some(label.clone());
            }
        }
        Ok(rows)
    }

    /// Labels people's groups with their names (else their emails) and
    /// emails, then orders them by label as other groups are.
    async fn label_people(&self, groups: &mut [SummaryGroup]) -> Result<()> {
        let users: Vec<UserId> = groups.iter().filter_map(|g| g.key.parse().ok()).collect();
        let profiles: HashMap<String, Profile> = self
            .deps
            .memberships
            .profiles(&users)
            .await
            .map_err(Error::Database)?
            .into_iter()
            .map(|p| (p.user_id.to_string(), p))
            .collect();
        for group in groups.iter_mut() {
            if let Some(profile) = profiles.get(&group.key) {
                let email = profile.email.as_ref().map(|e| e.as_str().to_string());
                group.label = profile.name.clone().or_else(|| email.clone());
                group.email = email;
            }
        }
        groups.sort_by(|a, b| (&a.label, &a.key).cmp(&(&b.label, &b.key)));
        Ok(())
    }
}
