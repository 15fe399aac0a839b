//! Invoices to the organization's agency clients: drafts and their lines,
//! drafts from unbilled time, sending, payment, voiding, the PDF, and the
//! daily overdue pass.
//!
//! Every change runs in one write transaction whose first statement locks
//! the invoice row (an `UPDATE … RETURNING`), so concurrent changes to one
//! invoice queue, and the status checked is the status changed. Totals are
//! recomputed from the stored lines on every line or tax change
//! ([`invoice_math`](crate::invoice_math)).

mod numbering;
mod overdue;

use std::{collections::HashMap, sync::Arc};

use chrono::{Datelike, Duration, NaiveDate};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
    sea_query::Expr,
};
use trellis_kernel::{
    Page, PageRequest, Timestamp,
    contact::Email,
    db::WriteTransaction,
    notify::{self, InvoiceParams, Money, Notice, Recipient},
    ports::{OrgAccess, OrgRole},
    types::Currency,
};
use uuid::Uuid;
use validator::Validate;

use super::{BillingDeps, organization};
use crate::{
    entities::{invoice, invoice_item},
    error::{Error, Result},
    ids::{InvoiceId, InvoiceItemId},
    invoice_math::{self, TooLarge},
    model::{
        BillToView, ChangeInvoiceStatus, CreateInvoice, InvoiceFilter, InvoiceFromTime,
        InvoiceItemView, InvoiceStatus, InvoiceView, MAX_ITEMS, NewInvoiceItem, UpdateInvoice,
        UpdateInvoiceItem,
    },
    pdf::{self, InvoiceDocument},
};

/// Days from issue to due when no due date is given.
pub const DEFAULT_DUE_DAYS: i64 = 30;
/// The longest period an invoice from time covers, in days.
pub const MAX_PERIOD_DAYS: i64 = 366;

/// An invoice as a PDF document.
#[derive(Debug, Clone)]
pub struct InvoicePdf {
    /// `INV-2026-0001.pdf`.
    pub file_name: String,
    /// The document.
    pub bytes: Vec<u8>,
}

/// Invoices: reads for members, changes for admins.
#[derive(Debug, Clone)]
pub struct InvoiceService {
    deps: Arc<BillingDeps>,
}

/// Optional text: trimmed, blank is none.
fn optional_text(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// A required line description, trimmed.
fn description(field: &str, value: &str) -> Result<String> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > 500 {
        return Err(Error::field(field, "must be 1 to 500 characters"));
    }
    Ok(value.to_owned())
}

fn too_large(field: &'static str) -> impl Fn(TooLarge) -> Error {
    move |_| Error::field(field, "the invoice's amounts would be too large")
}

/// The issue and due dates, checked: due not before issue, a year a number
/// can carry.
fn dates(issue: NaiveDate, due: Option<NaiveDate>) -> Result<(NaiveDate, NaiveDate)> {
    if !(2000..=9999).contains(&issue.year()) {
        return Err(Error::field("issue_date", "must be between 2000 and 9999"));
    }
    let due = match due {
        Some(due) => due,
        None => issue
            .checked_add_signed(Duration::days(DEFAULT_DUE_DAYS))
            .ok_or_else(|| Error::field("issue_date", "is too far in the future"))?,
    };
    if due < issue {
        return Err(Error::field(
            "due_date",
            "must not be before the issue date",
        ));
    }
    Ok((issue, due))
}

/// A stored currency code (the client's), as a [`Currency`].
fn currency_of(field: &str, code: &str) -> Result<Currency> {
    Currency::parse(code).map_err(|e| Error::field(field, e))
}

/// The organization's invoice `id`, read.
async fn invoice_row(
    db: &impl ConnectionTrait,
    access: &OrgAccess,
    id: InvoiceId,
) -> Result<invoice::Model> {
    invoice::Entity::find_by_id(id)
        .filter(invoice::Column::OrgId.eq(access.org_id()))
        .one(db)
        .await?
        .ok_or(Error::InvoiceNotFound)
}

/// The organization's invoice `id`, locked for the rest of the transaction
/// (its first write), as it is now.
async fn lock(
    txn: &DatabaseTransaction,
    access: &OrgAccess,
    id: InvoiceId,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<invoice::Model> {
    invoice::Entity::update_many()
        .col_expr(invoice::Column::UpdatedAt, Expr::value(now))
        .filter(invoice::Column::Id.eq(id))
        .filter(invoice::Column::OrgId.eq(access.org_id()))
        .exec_with_returning(txn)
        .await?
        .into_iter()
        .next()
        .ok_or(Error::InvoiceNotFound)
}

/// [`lock`], refusing anything but a draft (409 `invoice.not_draft`).
async fn lock_draft(
    txn: &DatabaseTransaction,
    access: &OrgAccess,
    id: InvoiceId,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<invoice::Model> {
    let row = lock(txn, access, id, now).await?;
    if row.status != InvoiceStatus::Draft {
        return Err(Error::NotDraft);
    }
    Ok(row)
}

/// The lines of these invoices, in order.
async fn items_of(
    db: &impl ConnectionTrait,
    invoices: &[InvoiceId],
) -> Result<HashMap<InvoiceId, Vec<invoice_item::Model>>> {
    let mut out: HashMap<InvoiceId, Vec<invoice_item::Model>> = HashMap::new();
    for chunk in invoices.chunks(500) {
        let rows = invoice_item::Entity::find()
            .filter(invoice_item::Column::InvoiceId.is_in(chunk.iter().copied()))
            .order_by_asc(invoice_item::Column::Position)
            .order_by_asc(invoice_item::Column::Id)
            .all(db)
            .await?;
        for row in rows {
            out.entry(row.invoice_id).or_default().push(row);
        }
    }
    Ok(out)
}

fn item_view(row: invoice_item::Model) -> InvoiceItemView {
    InvoiceItemView {
        id: row.id,
        position: row.position,
        description: row.description,
        quantity_milli: row.quantity_milli,
        unit_price_minor: row.unit_price_minor,
        amount_minor: row.amount_minor,
        project_id: row.project_id,
    }
}

fn view(row: invoice::Model, items: Vec<invoice_item::Model>) -> Result<InvoiceView> {
    Ok(InvoiceView {
        id: row.id,
        number: row.number,
        client_id: row.client_id,
        status: row.status,
        currency: currency_of("currency", &row.currency)?,
        issue_date: row.issue_date,
        due_date: row.due_date,
        tax_bp: row.tax_bp,
        subtotal_minor: row.subtotal_minor,
        tax_minor: row.tax_minor,
        total_minor: row.total_minor,
        notes: row.notes,
        bill_to: BillToView {
            name: row.bill_to_name,
            email: row.bill_to_email,
            address: row.bill_to_address,
        },
        period_from: row.period_from,
        period_to: row.period_to,
        sent_at: row.sent_at.map(Timestamp::from),
        overdue_at: row.overdue_at.map(Timestamp::from),
        paid_at: row.paid_at.map(Timestamp::from),
        voided_at: row.voided_at.map(Timestamp::from),
        items: items.into_iter().map(item_view).collect(),
        created_at: row.created_at.into(),
        updated_at: row.updated_at.into(),
    })
}

/// A line to insert.
struct Line {
    description: String,
    quantity_milli: i64,
    unit_price_minor: i64,
    project_id: Option<Uuid>,
}

impl InvoiceService {
    pub(crate) fn new(deps: Arc<BillingDeps>) -> Self {
        Self { deps }
    }

    fn today(&self) -> NaiveDate {
        self.deps.clock.now().date_naive()
    }

    /// Inserts a draft numbered in `txn` with these lines; returns it with them.
    #[allow(clippy::too_many_arguments)] // the draft's fields, checked by the callers
    async fn insert_draft(
        &self,
        txn: &DatabaseTransaction,
        access: &OrgAccess,
        client: &trellis_kernel::ports::BillableClient,
        currency: &Currency,
        (issue_date, due_date): (NaiveDate, NaiveDate),
        tax_bp: i32,
        notes: Option<String>,
        period: Option<(NaiveDate, NaiveDate)>,
    ) -> Result<invoice::Model> {
        let org = access.org_id();
        let year = issue_date.year();
        let seq = numbering::next(txn, org, year).await?;
        let now = self.deps.clock.now();
        let row = invoice::ActiveModel {
            id: Set(InvoiceId::new()),
            org_id: Set(org),
            client_id: Set(client.id),
            number: Set(numbering::format(year, seq)),
            year: Set(year),
            seq: Set(seq),
            status: Set(InvoiceStatus::Draft),
            currency: Set(currency.as_str().to_owned()),
            issue_date: Set(issue_date),
            due_date: Set(due_date),
            tax_bp: Set(tax_bp),
            subtotal_minor: Set(0),
            tax_minor: Set(0),
            total_minor: Set(0),
            notes: Set(notes),
            bill_to_name: Set(client.name.clone()),
            bill_to_email: Set(client.email.clone()),
            bill_to_address: Set(client.address.clone()),
            period_from: Set(period.map(|p| p.0)),
            period_to: Set(period.map(|p| p.1)),
            sent_at: Set(None),
            overdue_at: Set(None),
            paid_at: Set(None),
            voided_at: Set(None),
            created_by: Set(Some(access.user_id())),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(txn)
        .await?;
        Ok(row)
    }

    /// Appends lines to a draft (positions after the last).
    async fn insert_lines(
        &self,
        txn: &DatabaseTransaction,
        row: &invoice::Model,
        lines: Vec<Line>,
    ) -> Result<()> {
        if lines.is_empty() {
            return Ok(());
        }
        let (last, count): (Option<i32>, i64) = invoice_item::Entity::find()
            .select_only()
            .column_as(invoice_item::Column::Position.max(), "last")
            .column_as(invoice_item::Column::Id.count(), "count")
            .filter(invoice_item::Column::InvoiceId.eq(row.id))
            .into_tuple()
            .one(txn)
            .await?
            .unwrap_or((None, 0));
        let last = last.unwrap_or(0);
        if u64::try_from(count)
            .unwrap_or(u64::MAX)
            .saturating_add(lines.len() as u64)
            > MAX_ITEMS as u64
        {
            return Err(Error::field(
                "items",
                format!("an invoice has at most {MAX_ITEMS} items"),
            ));
        }
        let now = self.deps.clock.now();
        let mut models = Vec::with_capacity(lines.len());
        for (i, line) in lines.into_iter().enumerate() {
            let amount = invoice_math::line_amount(line.quantity_milli, line.unit_price_minor)
                .map_err(too_large("items"))?;
            models.push(invoice_item::ActiveModel {
                id: Set(InvoiceItemId::new()),
                invoice_id: Set(row.id),
                org_id: Set(row.org_id),
                position: Set(last + 1 + i32::try_from(i).unwrap_or(i32::MAX - last - 1)),
                description: Set(line.description),
                quantity_milli: Set(line.quantity_milli),
                unit_price_minor: Set(line.unit_price_minor),
                amount_minor: Set(amount),
                project_id: Set(line.project_id),
                created_at: Set(now),
                updated_at: Set(now),
            });
        }
        invoice_item::Entity::insert_many(models).exec(txn).await?;
        Ok(())
    }

    /// Recomputes a draft's totals from its stored lines at `row.tax_bp`,
    /// stores them, and returns the invoice's view.
    async fn retotal(&self, txn: &DatabaseTransaction, row: invoice::Model) -> Result<InvoiceView> {
        let items = items_of(txn, &[row.id])
            .await?
            .remove(&row.id)
            .unwrap_or_default();
        let totals = invoice_math::totals(items.iter().map(|i| i.amount_minor), row.tax_bp)
            .map_err(too_large("items"))?;
        let mut active = row.into_active_model();
        active.subtotal_minor = Set(totals.subtotal_minor);
        active.tax_minor = Set(totals.tax_minor);
        active.total_minor = Set(totals.total_minor);
        active.updated_at = Set(self.deps.clock.now());
        let row = active.update(txn).await?;
        view(row, items)
    }

    /// Creates a draft for one of the organization's agency clients (admins),
    /// numbered now; 404 `agency_client.not_found` for another's client.
    #[tracing::instrument(skip_all, fields(org = %access.org_id()))]
    pub async fn create(
        &self,
        db: &DatabaseConnection,
        access: &OrgAccess,
        cmd: CreateInvoice,
    ) -> Result<InvoiceView> {
        access.require(OrgRole::Admin)?;
        cmd.validate()?;
        let dates = dates(cmd.issue_date.unwrap_or_else(|| self.today()), cmd.due_date)?;
        let tax_bp = cmd.tax_bp.unwrap_or(0);
        let mut lines = Vec::with_capacity(cmd.items.len());
        for (i, item) in cmd.items.iter().enumerate() {
            lines.push(Line {
                description: description(&format!("items[{i}].description"), &item.description)?,
                quantity_milli: item.quantity_milli,
                unit_price_minor: item.unit_price_minor,
                project_id: None,
            });
        }
        let txn = db.begin_write().await?;
        let client = self
            .deps
            .billable_time
            .client(&txn, access, cmd.client_id)
            .await?;
        let currency = match cmd.currency {
            Some(c) => c,
            None => currency_of("currency", &client.currency)?,
        };
        let notes = optional_text(cmd.notes.as_deref());
        let row = self
            .insert_draft(&txn, access, &client, &currency, dates, tax_bp, notes, None)
            .await?;
        self.insert_lines(&txn, &row, lines).await?;
        let view = self.retotal(&txn, row).await?;
        txn.commit().await?;
        tracing::info!(invoice = %view.id.0, number = %view.number, "invoice created");
        Ok(view)
    }

    /// Creates a draft from the client's unbilled billable time in a period
    /// (admins) and marks that time billed, in one transaction: one line per
    /// project and hourly rate, its quantity the hours in thousandths.
    /// Without any such time it is a 422 naming the period.
    #[tracing::instrument(skip_all, fields(org = %access.org_id()))]
    pub async fn from_time(
        &self,
        db: &DatabaseConnection,
        access: &OrgAccess,
        cmd: InvoiceFromTime,
    ) -> Result<InvoiceView> {
        access.require(OrgRole::Admin)?;
        cmd.validate()?;
        if cmd.to < cmd.from {
            return Err(Error::field("to", "must not be before from"));
        }
        if (cmd.to - cmd.from).num_days() >= MAX_PERIOD_DAYS {
            return Err(Error::field(
                "to",
                format!("a period covers at most {MAX_PERIOD_DAYS} days"),
            ));
        }
        let dates = dates(cmd.issue_date.unwrap_or_else(|| self.today()), cmd.due_date)?;
        let tax_bp = cmd.tax_bp.unwrap_or(0);
        let port = &self.deps.billable_time;
        let txn = db.begin_write().await?;
        let client = port.client(&txn, access, cmd.client_id).await?;
        let entries = port
            .unbilled(&txn, access, client.id, cmd.from, cmd.to)
            .await?;
        if entries.is_empty() {
            return Err(Error::field(
                "from",
                format!(
                    "the client has no unbilled billable time from {} to {}",
                    cmd.from, cmd.to
                ),
            ));
        }
        let mut currencies: Vec<&str> = entries.iter().map(|e| e.currency.as_str()).collect();
        currencies.sort_unstable();
        currencies.dedup();
        let currency = match currencies.as_slice() {
            [one] => currency_of("client_id", one)?,
            _ => {
                return Err(Error::field(
                    "client_id",
                    "the period's time is in more than one currency",
                ));
            }
        };
        // One line per (project, rate), in order of first appearance.
        let mut order: Vec<(Uuid, Option<i64>)> = Vec::new();
        let mut groups: HashMap<(Uuid, Option<i64>), (String, i64)> = HashMap::new();
        for entry in &entries {
            let key = (entry.project_id, entry.rate_minor);
            let group = groups.entry(key).or_insert_with(|| {
                order.push(key);
                (entry.project_name.clone(), 0)
            });
            group.1 = group.1.saturating_add(entry.seconds);
        }
        let mut lines = Vec::with_capacity(order.len());
        for key in order {
            let (name, seconds) = groups.remove(&key).unwrap_or_default();
            let name: String = name.chars().take(440).collect();
            lines.push(Line {
                description: format!("{name}, {} to {}", cmd.from, cmd.to),
                quantity_milli: invoice_math::hours_milli(seconds).map_err(too_large("to"))?,
                unit_price_minor: std::cmp::max(key.1.unwrap_or(0), 0),
                project_id: Some(key.0),
            });
        }
        let notes = optional_text(cmd.notes.as_deref());
        let row = self
            .insert_draft(
                &txn,
                access,
                &client,
                &currency,
                dates,
                tax_bp,
                notes,
                Some((cmd.from, cmd.to)),
            )
            .await?;
        self.insert_lines(&txn, &row, lines).await?;
        let entry_ids: Vec<Uuid> = entries.iter().map(|e| e.entry_id).collect();
        port.mark_billed(&txn, access, &entry_ids, row.id.0).await?;
        let view = self.retotal(&txn, row).await?;
        txn.commit().await?;
        tracing::info!(
            invoice = %view.id.0,
            number = %view.number,
            entries = entry_ids.len(),
            "invoice created from time"
        );
        Ok(view)
    }

    /// One invoice with its lines (members).
    pub async fn get(
        &self,
        db: &impl ConnectionTrait,
        access: &OrgAccess,
        id: InvoiceId,
    ) -> Result<InvoiceView> {
        let row = invoice_row(db, access, id).await?;
        let items = items_of(db, &[id]).await?.remove(&id).unwrap_or_default();
        view(row, items)
    }

    /// The organization's invoices, newest first (members), filtered.
    pub async fn list(
        &self,
        db: &impl ConnectionTrait,
        access: &OrgAccess,
        filter: InvoiceFilter,
        page: &PageRequest,
    ) -> Result<Page<InvoiceView>> {
        use invoice::Column as C;
        let mut select = invoice::Entity::find().filter(C::OrgId.eq(access.org_id()));
        if let Some(status) = filter.status {
            select = select.filter(C::Status.eq(status));
        }
        if let Some(client) = filter.client_id {
            select = select.filter(C::ClientId.eq(client));
        }
        let after: Option<InvoiceId> = page
            .key()
            .map_err(|e| Error::field("cursor", e.to_string()))?;
        if let Some(last) = after {
            select = select.filter(C::Id.lt(last));
        }
        let rows = select
            .order_by_desc(C::Id)
            .limit(page.fetch_limit())
            .all(db)
            .await?;
        let ids: Vec<_> = rows.iter().map(|r| r.id).collect();
        let mut items = items_of(db, &ids).await?;
        let views = rows
            .into_iter()
            .map(|r| {
                let lines = items.remove(&r.id).unwrap_or_default();
                view(r, lines)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Page::from_rows(views, page, |v| v.id, |v| v))
    }

    /// Changes a draft (admins); 409 `invoice.not_draft` otherwise. The
    /// issue date stays in the year of the number.
    #[tracing::instrument(skip_all, fields(org = %access.org_id(), invoice = %id.0))]
    pub async fn update(
        &self,
        db: &DatabaseConnection,
        access: &OrgAccess,
        id: InvoiceId,
        cmd: UpdateInvoice,
    ) -> Result<InvoiceView> {
        access.require(OrgRole::Admin)?;
        cmd.validate()?;
        if let Some(notes) = cmd.notes.value()
            && notes.chars().count() > 2000
        {
            return Err(Error::field("notes", "must be at most 2000 characters"));
        }
        let txn = db.begin_write().await?;
        let row = lock_draft(&txn, access, id, self.deps.clock.now()).await?;
        let issue = cmd.issue_date.unwrap_or(row.issue_date);
        if issue.year() != row.year {
            return Err(Error::field(
                "issue_date",
                format!(
                    "must stay in {}, the year of the invoice's number",
                    row.year
                ),
            ));
        }
        let (issue, due) = dates(issue, Some(cmd.due_date.unwrap_or(row.due_date)))?;
        let mut notes = row.notes.clone();
        cmd.notes.update_to(&mut notes);
        let mut active = row.into_active_model();
        active.issue_date = Set(issue);
        active.due_date = Set(due);
        active.notes = Set(optional_text(notes.as_deref()));
        if let Some(tax_bp) = cmd.tax_bp {
            active.tax_bp = Set(tax_bp);
        }
        if let Some(currency) = cmd.currency {
            active.currency = Set(currency.as_str().to_owned());
        }
        let row = active.update(&txn).await?;
        let view = self.retotal(&txn, row).await?;
        txn.commit().await?;
        Ok(view)
    }

    /// Deletes a draft (admins), releasing any time on it. Only the draft
    /// holding its year's latest number can go, so numbers stay gap-free:
    /// any other draft is 409 `invoice.not_deletable` (void it instead),
    /// and a sent one 409 `invoice.not_draft`.
    #[tracing::instrument(skip_all, fields(org = %access.org_id(), invoice = %id.0))]
    pub async fn delete(
        &self,
        db: &DatabaseConnection,
        access: &OrgAccess,
        id: InvoiceId,
    ) -> Result<()> {
        access.require(OrgRole::Admin)?;
        let txn = db.begin_write().await?;
        let row = lock_draft(&txn, access, id, self.deps.clock.now()).await?;
        if !numbering::give_back(&txn, row.org_id, row.year, row.seq).await? {
            return Err(Error::NotDeletable);
        }
        self.deps.billable_time.release(&txn, access, id.0).await?;
        invoice_item::Entity::delete_many()
            .filter(invoice_item::Column::InvoiceId.eq(id))
            .exec(&txn)
            .await?;
        invoice::Entity::delete_by_id(id).exec(&txn).await?;
        txn.commit().await?;
        tracing::info!(number = %row.number, "draft invoice deleted");
        Ok(())
    }

    /// Moves an invoice along `draft → sent → (overdue →) paid`, or voids
    /// it (admins); any other move is 409 `invoice.invalid_transition`.
    /// Sending needs a line and tells the client (`invoice_sent`) in the
    /// same transaction; voiding releases the time billed on it.
    #[tracing::instrument(skip_all, fields(org = %access.org_id(), invoice = %id.0))]
    pub async fn change_status(
        &self,
        db: &DatabaseConnection,
        access: &OrgAccess,
        id: InvoiceId,
        cmd: ChangeInvoiceStatus,
    ) -> Result<InvoiceView> {
        access.require(OrgRole::Admin)?;
        let to = InvoiceStatus::from(cmd.status);
        let now = self.deps.clock.now();
        let txn = db.begin_write().await?;
        let row = lock(&txn, access, id, now).await?;
        if !row.status.can_become(to) {
            return Err(Error::InvalidTransition {
                from: row.status.as_str(),
                to: to.as_str(),
            });
        }
        let items = items_of(&txn, &[id]).await?.remove(&id).unwrap_or_default();
        let mut active = row.clone().into_active_model();
        active.status = Set(to);
        match to {
            InvoiceStatus::Sent => {
                if items.is_empty() {
                    return Err(Error::field("status", "add an item before sending"));
                }
                // The client as billed: its details now, kept with the invoice.
                let client = self
                    .deps
                    .billable_time
                    .client(&txn, access, row.client_id)
                    .await?;
                active.bill_to_name = Set(client.name);
                active.bill_to_email = Set(client.email);
                active.bill_to_address = Set(client.address);
                active.sent_at = Set(Some(now));
            }
            InvoiceStatus::Paid => active.paid_at = Set(Some(now)),
            InvoiceStatus::Void => {
                active.voided_at = Set(Some(now));
                self.deps.billable_time.release(&txn, access, id.0).await?;
            }
            InvoiceStatus::Draft | InvoiceStatus::Overdue => {}
        }
        let row = active.update(&txn).await?;
        if to == InvoiceStatus::Sent {
            let told = self.tell_client(&txn, &row, false).await?;
            tracing::info!(told, "invoice sent");
        }
        txn.commit().await?;
        view(row, items)
    }

    /// Requests `invoice_sent` (or `invoice_overdue`) to the invoice's
    /// client on `txn`; false when the client has no usable email.
    async fn tell_client(
        &self,
        txn: &DatabaseTransaction,
        row: &invoice::Model,
        overdue: bool,
    ) -> Result<bool> {
        let Some(email) = row
            .bill_to_email
            .as_deref()
            .and_then(|e| Email::parse(e).ok())
        else {
            return Ok(false);
        };
        let params = InvoiceParams {
            issuer_name: organization::name(txn, row.org_id)
                .await?
                .unwrap_or_default(),
            number: row.number.clone(),
            amount: Money {
                amount_minor: row.total_minor,
                currency: currency_of("currency", &row.currency)?,
            },
            due_on: row.due_date,
            link: format!("{}/invoices/{}", self.deps.app_url, row.id.0),
        };
        let recipient = Recipient {
            user_id: None,
            name: row.bill_to_name.clone(),
            email: Some(email),
            phone: None,
            locale: None,
            time_zone: None,
        };
        let notice = if overdue {
            Notice::InvoiceOverdue(params)
        } else {
            Notice::InvoiceSent(params)
        };
        notify::request(txn, &self.deps.clock, row.id.0, recipient, notice).await?;
        Ok(true)
    }

    /// Adds a line to a draft (admins); returns the invoice with new totals.
    #[tracing::instrument(skip_all, fields(org = %access.org_id(), invoice = %id.0))]
    pub async fn add_item(
        &self,
        db: &DatabaseConnection,
        access: &OrgAccess,
        id: InvoiceId,
        cmd: NewInvoiceItem,
    ) -> Result<InvoiceView> {
        access.require(OrgRole::Admin)?;
        cmd.validate()?;
        let line = Line {
            description: description("description", &cmd.description)?,
            quantity_milli: cmd.quantity_milli,
            unit_price_minor: cmd.unit_price_minor,
            project_id: None,
        };
        let txn = db.begin_write().await?;
        let row = lock_draft(&txn, access, id, self.deps.clock.now()).await?;
        self.insert_lines(&txn, &row, vec![line]).await?;
        let view = self.retotal(&txn, row).await?;
        txn.commit().await?;
        Ok(view)
    }

    /// Changes a line of a draft (admins); returns the invoice.
    #[tracing::instrument(skip_all, fields(org = %access.org_id(), invoice = %id.0))]
    pub async fn update_item(
        &self,
        db: &DatabaseConnection,
        access: &OrgAccess,
        id: InvoiceId,
        item: InvoiceItemId,
        cmd: UpdateInvoiceItem,
    ) -> Result<InvoiceView> {
        access.require(OrgRole::Admin)?;
        cmd.validate()?;
        let new_description = cmd
            .description
            .as_deref()
            .map(|d| description("description", d))
            .transpose()?;
        let txn = db.begin_write().await?;
        let row = lock_draft(&txn, access, id, self.deps.clock.now()).await?;
        let line = invoice_item::Entity::find_by_id(item)
            .filter(invoice_item::Column::InvoiceId.eq(id))
            .one(&txn)
            .await?
            .ok_or(Error::ItemNotFound)?;
        let quantity = cmd.quantity_milli.unwrap_or(line.quantity_milli);
        let price = cmd.unit_price_minor.unwrap_or(line.unit_price_minor);
        let amount =
            invoice_math::line_amount(quantity, price).map_err(too_large("quantity_milli"))?;
        let mut active = line.into_active_model();
        if let Some(d) = new_description {
            active.description = Set(d);
        }
        active.quantity_milli = Set(quantity);
        active.unit_price_minor = Set(price);
        active.amount_minor = Set(amount);
        active.updated_at = Set(self.deps.clock.now());
        active.update(&txn).await?;
        let view = self.retotal(&txn, row).await?;
        txn.commit().await?;
        Ok(view)
    }

    /// Removes a line from a draft (admins); returns the invoice.
    #[tracing::instrument(skip_all, fields(org = %access.org_id(), invoice = %id.0))]
    pub async fn delete_item(
        &self,
        db: &DatabaseConnection,
        access: &OrgAccess,
        id: InvoiceId,
        item: InvoiceItemId,
    ) -> Result<InvoiceView> {
        access.require(OrgRole::Admin)?;
        let txn = db.begin_write().await?;
        let row = lock_draft(&txn, access, id, self.deps.clock.now()).await?;
        let deleted = invoice_item::Entity::delete_many()
            .filter(invoice_item::Column::Id.eq(item))
            .filter(invoice_item::Column::InvoiceId.eq(id))
            .exec(&txn)
            .await?;
        if deleted.rows_affected == 0 {
            return Err(Error::ItemNotFound);
        }
        let view = self.retotal(&txn, row).await?;
        txn.commit().await?;
        Ok(view)
    }

    /// The invoice as a PDF (members).
    pub async fn pdf(
        &self,
        db: &impl ConnectionTrait,
        access: &OrgAccess,
        id: InvoiceId,
    ) -> Result<InvoicePdf> {
        let invoice = self.get(db, access, id).await?;
        let issuer = organization::name(db, access.org_id())
            .await?
            .unwrap_or_default();
        let file_name = format!("{}.pdf", invoice.number);
        let bytes = pdf::render(&InvoiceDocument {
            issuer: &issuer,
            invoice: &invoice,
        });
        Ok(InvoicePdf { file_name, bytes })
    }
}
