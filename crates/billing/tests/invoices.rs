//! Invoice service tests on a fresh database (SQLite, or PostgreSQL when
//! TEST_DATABASE_URL is set): totals and rounding, gap-free numbering under
//! concurrency, the state machine, drafts from time (through a fake of the
//! kernel's `BillableTime` port: time tracking's side is tested over HTTP),
//! organization isolation, deletion and the overdue job.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, Statement, Value,
};
use sea_orm_migration::MigratorTrait;
use trellis_billing::{
    Billing, BillingDeps, Error,
    model::{
        ChangeInvoiceStatus, CreateInvoice, InvoiceFilter, InvoiceFromTime, InvoiceStatus,
        InvoiceStatusTarget, InvoiceView, NewInvoiceItem, UpdateInvoice, UpdateInvoiceItem,
    },
    plans::PlanCatalog,
};
use trellis_kernel::{
    PageRequest,
    clock::ManualClock,
    id::{OrgId, UserId},
    ports::{BillableClient, BillableTime, BillableTimeError, OrgAccess, OrgRole, UnbilledTime},
    testing::{TestDatabase, fresh_connection},
};
use uuid::Uuid;

/// Entries: (org, client, entry, the invoice it is billed on).
type Entries = Vec<(OrgId, Uuid, UnbilledTime, Option<Uuid>)>;

/// Time tracking, faked: clients and unbilled entries in memory.
#[derive(Default)]
struct FakeTime {
    clients: Mutex<HashMap<Uuid, (OrgId, BillableClient)>>,
    entries: Mutex<Entries>,
}

#[async_trait::async_trait]
impl BillableTime for FakeTime {
    async fn client(
        &self,
        _db: &DatabaseTransaction,
        access: &OrgAccess,
        client: Uuid,
    ) -> Result<BillableClient, BillableTimeError> {
        match self.clients.lock().unwrap().get(&client) {
            Some((org, c)) if *org == access.org_id() => Ok(c.clone()),
            _ => Err(BillableTimeError::ClientNotFound),
        }
    }

    async fn unbilled(
        &self,
        db: &DatabaseTransaction,
        access: &OrgAccess,
        client: Uuid,
        _from: NaiveDate,
        _to: NaiveDate,
    ) -> Result<Vec<UnbilledTime>, BillableTimeError> {
        self.client(db, access, client).await?;
        Ok(self
            .entries
            .lock()
            .unwrap()
            .iter()
            .filter(|(org, c, _, billed)| {
                *org == access.org_id() && *c == client && billed.is_none()
            })
            .map(|(_, _, e, _)| e.clone())
            .collect())
    }

    async fn mark_billed(
        &self,
        _db: &DatabaseTransaction,
        _access: &OrgAccess,
        ids: &[Uuid],
        invoice: Uuid,
    ) -> Result<u64, BillableTimeError> {
        let mut entries = self.entries.lock().unwrap();
        let mut n = 0;
        for (_, _, e, billed) in entries.iter_mut() {
            if ids.contains(&e.entry_id) {
                if billed.is_some() {
                    return Err(BillableTimeError::NotBillable);
                }
                *billed = Some(invoice);
                n += 1;
            }
        }
        Ok(n)
    }

    async fn release(
        &self,
        _db: &DatabaseTransaction,
        _access: &OrgAccess,
        invoice: Uuid,
    ) -> Result<u64, BillableTimeError> {
        let mut n = 0;
        for (_, _, _, billed) in self.entries.lock().unwrap().iter_mut() {
            if *billed == Some(invoice) {
                *billed = None;
                n += 1;
            }
        }
        Ok(n)
    }
}

struct World {
    db: DatabaseConnection,
    billing: Billing,
    clock: ManualClock,
    time: Arc<FakeTime>,
    _guard: TestDatabase,
}

fn t(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

/// Invoices tell clients, never owners: nobody is looked up.
struct NoOwners;

#[async_trait::async_trait]
impl trellis_kernel::ports::People for NoOwners {
    async fn recipients(
        &self,
        _db: &sea_orm::DatabaseTransaction,
        _users: &[trellis_kernel::id::UserId],
    ) -> Result<Vec<trellis_kernel::notify::Recipient>, sea_orm::DbErr> {
        Ok(Vec::new())
    }

    async fn staff(
        &self,
        _db: &sea_orm::DatabaseTransaction,
    ) -> Result<Vec<trellis_kernel::notify::Recipient>, sea_orm::DbErr> {
        Ok(Vec::new())
    }

    async fn org_owners(
        &self,
        _db: &sea_orm::DatabaseTransaction,
        _org: trellis_kernel::id::OrgId,
    ) -> Result<Vec<trellis_kernel::notify::Recipient>, sea_orm::DbErr> {
        Ok(Vec::new())
    }
}

async fn world() -> World {
    let (db, guard) = fresh_connection().await.unwrap();
    trellis_migration::Migrator::up(&db, None).await.unwrap();
    let clock = ManualClock::at(t("2026-11-23T12:00:00Z"));
    let time = Arc::new(FakeTime::default());
    let billing = Billing::new(BillingDeps {
        clock: Arc::new(clock.clone()),
        catalog: Arc::new(PlanCatalog::new("BRL".parse().unwrap(), |_| None)),
        billable_time: time.clone(),
        app_url: "https://app.example".into(),
        stripe: None,
        webhook_secret: None,
        urls: trellis_billing::stripe::ReturnUrls {
            success: "https://app.example/billing?checkout=success".into(),
            cancel: "https://app.example/billing?checkout=cancelled".into(),
            portal: "https://app.example/billing".into(),
        },
        people: Arc::new(NoOwners),
    });
    World {
        db,
        billing,
        clock,
        time,
        _guard: guard,
    }
}

impl World {
    fn p(&self, n: usize) -> String {
        if self.db.get_database_backend() == DbBackend::Postgres {
            format!("${n}")
        } else {
            format!("?{n}")
        }
    }

    async fn exec(&self, sql: &str, values: Vec<Value>) {
        self.db
            .execute_raw(Statement::from_sql_and_values(
                self.db.get_database_backend(),
                sql,
                values,
            ))
            .await
            .unwrap();
    }

    async fn count(&self, sql: &str) -> i64 {
        let row = self
            .db
            .query_one_raw(Statement::from_string(
                self.db.get_database_backend(),
                sql.to_owned(),
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get_by_index::<i64>(0).unwrap()
    }

    /// Notifications requested of these kinds.
    async fn notices(&self, kind: &str) -> i64 {
        self.count(&format!(
            "SELECT COUNT(*) FROM outbox_events WHERE kind = 'notification.requested' \
             AND payload LIKE '%{kind}%'"
        ))
        .await
    }

    async fn insert_row(&self, table: &str, columns: &str, literals: &str) -> Uuid {
        let id = Uuid::now_v7();
        let sql = format!(
            "INSERT INTO {table} (id, {columns}, created_at, updated_at) VALUES ({}, {literals}, {b}, {b})",
            self.p(1),
            b = self.p(2),
        );
        self.exec(&sql, vec![id.into(), Utc::now().into()]).await;
        id
    }

    /// An organization with an admin.
    async fn agency(&self) -> OrgAccess {
        let user = UserId(
            self.insert_row("users", "roles, is_anonymous", "'[]', false")
                .await,
        );
        let org = OrgId(self.insert_row("organizations", "name", "'Agency'").await);
        OrgAccess::assume(user, org, OrgRole::Admin)
    }

    /// An agency client of the caller's organization, in both the table
    /// (for the foreign key) and the fake.
    async fn client(&self, access: &OrgAccess, email: Option<&str>) -> Uuid {
        let id = Uuid::now_v7();
        let sql = format!(
            "INSERT INTO agency_clients (id, org_id, name, currency, archived, created_at, updated_at) \
             VALUES ({}, {}, 'Acme', 'BRL', false, {t}, {t})",
            self.p(1),
            self.p(2),
            t = self.p(3),
        );
        self.exec(
            &sql,
            vec![id.into(), access.org_id().0.into(), Utc::now().into()],
        )
        .await;
        self.time.clients.lock().unwrap().insert(
            id,
            (
                access.org_id(),
                BillableClient {
                    id,
                    name: "Acme".into(),
                    email: email.map(str::to_owned),
                    address: Some("1 Main St".into()),
                    currency: "BRL".into(),
                },
            ),
        );
        id
    }

    async fn draft(
        &self,
        access: &OrgAccess,
        client: Uuid,
        items: Vec<NewInvoiceItem>,
    ) -> InvoiceView {
        self.billing
            .invoices
            .create(&self.db, access, create(client, items))
            .await
            .unwrap()
    }

    async fn set(
        &self,
        access: &OrgAccess,
        invoice: &InvoiceView,
        status: InvoiceStatusTarget,
    ) -> Result<InvoiceView, Error> {
        self.billing
            .invoices
            .change_status(&self.db, access, invoice.id, ChangeInvoiceStatus { status })
            .await
    }
}

fn item(description: &str, quantity_milli: i64, unit_price_minor: i64) -> NewInvoiceItem {
    NewInvoiceItem {
        description: description.into(),
        quantity_milli,
        unit_price_minor,
    }
}

fn create(client: Uuid, items: Vec<NewInvoiceItem>) -> CreateInvoice {
    CreateInvoice {
        client_id: client,
        currency: None,
        issue_date: Some(day("2026-11-23")),
        due_date: Some(day("2026-12-23")),
        tax_bp: Some(1_000),
        notes: None,
        items,
    }
}

#[tokio::test]
async fn totals_are_recomputed_with_half_up_rounding_on_every_change() {
    let w = world().await;
    let admin = w.agency().await;
    let client = w.client(&admin, None).await;
    // 1.5 × 0.33 = 0.495 → 0.50; 1 × 123.45; tax 10% of 123.95 = 12.395 → 12.40
    let inv = w
        .draft(
            &admin,
            client,
            vec![item("Design", 1_500, 33), item("Hosting", 1_000, 12_345)],
        )
        .await;
    assert_eq!(inv.number, "INV-2026-0001");
    assert_eq!(inv.currency.as_str(), "BRL", "the client's currency");
    assert_eq!(
        inv.items.iter().map(|i| i.amount_minor).collect::<Vec<_>>(),
        [50, 12_345]
    );
    assert_eq!(
        (inv.subtotal_minor, inv.tax_minor, inv.total_minor),
        (12_395, 1_240, 13_635)
    );

    let inv = w
        .billing
        .invoices
        .add_item(&w.db, &admin, inv.id, item("Support", 250, 10_000))
        .await
        .unwrap();
    assert_eq!(inv.items.len(), 3);
    assert_eq!(inv.items[2].position, 3);
    assert_eq!(
        (inv.subtotal_minor, inv.tax_minor, inv.total_minor),
        (14_895, 1_490, 16_385)
    );

    let first = inv.items[0].id;
    let inv = w
        .billing
        .invoices
        .update_item(
            &w.db,
            &admin,
            inv.id,
            first,
            UpdateInvoiceItem {
                quantity_milli: Some(2_000),
                ..UpdateInvoiceItem::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(inv.items[0].amount_minor, 66);
    assert_eq!(inv.subtotal_minor, 14_911);

    let inv = w
        .billing
        .invoices
        .delete_item(&w.db, &admin, inv.id, first)
        .await
        .unwrap();
    assert_eq!(
        (inv.subtotal_minor, inv.tax_minor, inv.total_minor),
        (14_845, 1_485, 16_330)
    );

    let inv = w
        .billing
        .invoices
        .update(
            &w.db,
            &admin,
            inv.id,
            UpdateInvoice {
                tax_bp: Some(0),
                ..UpdateInvoice::default()
            },
        )
        .await
        .unwrap();
    assert_eq!((inv.tax_minor, inv.total_minor), (0, 14_845));

    // Fields are named before any work: a bad line, a due date before issue.
    let bad = w
        .billing
        .invoices
        .add_item(&w.db, &admin, inv.id, item("x", 0, 1))
        .await
        .unwrap_err();
    assert!(
        matches!(&bad, Error::Validation(f) if f[0].field == "quantity_milli"),
        "{bad:?}"
    );
    let mut cmd = create(client, vec![]);
    cmd.due_date = Some(day("2026-11-01"));
    let bad = w
        .billing
        .invoices
        .create(&w.db, &admin, cmd)
        .await
        .unwrap_err();
    assert!(
        matches!(&bad, Error::Validation(f) if f[0].field == "due_date"),
        "{bad:?}"
    );
    // An amount past i64 is a 422, never an overflow.
    let huge: Vec<_> = (0..200)
        .map(|_| item("big", 1_000_000_000, 100_000_000_000))
        .collect();
    let bad = w
        .billing
        .invoices
        .create(&w.db, &admin, create(client, huge))
        .await
        .unwrap_err();
    assert!(
        matches!(&bad, Error::Validation(f) if f[0].field == "items"),
        "{bad:?}"
    );
}

#[tokio::test]
async fn twenty_concurrent_creations_take_twenty_consecutive_numbers() {
    let w = Arc::new(world().await);
    let admin = w.agency().await;
    let client = w.client(&admin, None).await;
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let w = w.clone();
        tasks.push(tokio::spawn(async move {
            w.billing
                .invoices
                .create(&w.db, &admin, create(client, vec![]))
                .await
                .unwrap()
                .number
        }));
    }
    let mut numbers = Vec::new();
    for task in tasks {
        numbers.push(task.await.unwrap());
    }
    numbers.sort();
    let expected: Vec<_> = (1..=20).map(|n| format!("INV-2026-{n:04}")).collect();
    assert_eq!(numbers, expected);

    // Another organization and another year count from 1.
    let other = w.agency().await;
    let theirs = w.client(&other, None).await;
    assert_eq!(
        w.draft(&other, theirs, vec![]).await.number,
        "INV-2026-0001"
    );
    let mut next_year = create(client, vec![]);
    next_year.issue_date = Some(day("2027-01-02"));
    next_year.due_date = None;
    let inv = w
        .billing
        .invoices
        .create(&w.db, &admin, next_year)
        .await
        .unwrap();
    assert_eq!(inv.number, "INV-2027-0001");
    assert_eq!(inv.due_date, day("2027-02-01"), "30 days by default");
}

#[tokio::test]
async fn the_state_machine_refuses_every_other_move_and_sending_tells_the_client() {
    let w = world().await;
    let admin = w.agency().await;
    let client = w.client(&admin, Some("billing@acme.example")).await;
    let inv = w.draft(&admin, client, vec![]).await;

    let err = w
        .set(&admin, &inv, InvoiceStatusTarget::Paid)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidTransition {
                from: "draft",
                to: "paid"
            }
        ),
        "{err:?}"
    );
    let err = w
        .set(&admin, &inv, InvoiceStatusTarget::Sent)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Validation(f) if f[0].field == "status"),
        "an empty draft: {err:?}"
    );
    w.billing
        .invoices
        .add_item(&w.db, &admin, inv.id, item("Design", 1_000, 10_000))
        .await
        .unwrap();

    let sent = w
        .set(&admin, &inv, InvoiceStatusTarget::Sent)
        .await
        .unwrap();
    assert_eq!(sent.status, InvoiceStatus::Sent);
    assert!(sent.sent_at.is_some());
    assert_eq!(sent.bill_to.email.as_deref(), Some("billing@acme.example"));
    assert_eq!(w.notices("invoice_sent").await, 1);

    // Only drafts are editable.
    let err = w
        .billing
        .invoices
        .add_item(&w.db, &admin, inv.id, item("More", 1_000, 1))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotDraft), "{err:?}");
    let err = w
        .billing
        .invoices
        .update(&w.db, &admin, inv.id, UpdateInvoice::default())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotDraft), "{err:?}");
    let err = w
        .billing
        .invoices
        .delete(&w.db, &admin, inv.id)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotDraft), "{err:?}");
    let err = w
        .set(&admin, &inv, InvoiceStatusTarget::Sent)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidTransition { .. }), "{err:?}");

    let paid = w
        .set(&admin, &inv, InvoiceStatusTarget::Paid)
        .await
        .unwrap();
    assert_eq!(paid.status, InvoiceStatus::Paid);
    assert!(paid.paid_at.is_some());
    let err = w
        .set(&admin, &inv, InvoiceStatusTarget::Void)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidTransition {
                from: "paid",
                to: "void"
            }
        ),
        "{err:?}"
    );

    // A draft can be voided; void is final.
    let other = w.draft(&admin, client, vec![]).await;
    let void = w
        .set(&admin, &other, InvoiceStatusTarget::Void)
        .await
        .unwrap();
    assert_eq!(void.status, InvoiceStatus::Void);
    let err = w
        .set(&admin, &other, InvoiceStatusTarget::Sent)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidTransition { .. }), "{err:?}");

    // Members read but do not change.
    let member = OrgAccess::assume(UserId::new(), admin.org_id(), OrgRole::Member);
    let err = w
        .set(&member, &other, InvoiceStatusTarget::Void)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Access(_)), "{err:?}");
    let listed = w
        .billing
        .invoices
        .list(
            &w.db,
            &member,
            InvoiceFilter {
                status: Some(InvoiceStatus::Paid),
                client_id: None,
            },
            &PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(listed.items.len(), 1);
    assert_eq!(listed.items[0].id, inv.id);
}

fn entry(project: Uuid, name: &str, seconds: i64, rate: Option<i64>) -> UnbilledTime {
    UnbilledTime {
        entry_id: Uuid::now_v7(),
        project_id: project,
        project_name: name.into(),
        seconds,
        rate_minor: rate,
        currency: "BRL".into(),
    }
}

#[tokio::test]
async fn a_draft_from_time_bills_it_per_project_and_rate_and_voiding_releases_it() {
    let w = world().await;
    let admin = w.agency().await;
    let client = w.client(&admin, None).await;
    let (site, app) = (Uuid::now_v7(), Uuid::now_v7());
    {
        let mut entries = w.time.entries.lock().unwrap();
        for e in [
            entry(site, "Website", 3_600, Some(10_000)),
            entry(site, "Website", 1_800, Some(10_000)),
            entry(site, "Website", 3_600, Some(15_000)),
            entry(app, "App", 5_400, Some(12_000)),
        ] {
            entries.push((admin.org_id(), client, e, None));
        }
    }
    let cmd = InvoiceFromTime {
        client_id: client,
        from: day("2026-11-01"),
        to: day("2026-11-30"),
        issue_date: None,
        due_date: None,
        tax_bp: None,
        notes: None,
    };
    let inv = w
        .billing
        .invoices
        .from_time(&w.db, &admin, cmd.clone())
        .await
        .unwrap();
    assert_eq!(inv.status, InvoiceStatus::Draft);
    assert_eq!(inv.issue_date, day("2026-11-23"), "today by default");
    let lines: Vec<_> = inv
        .items
        .iter()
        .map(|i| {
            (
                i.description.as_str(),
                i.quantity_milli,
                i.unit_price_minor,
                i.amount_minor,
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            ("Website, 2026-11-01 to 2026-11-30", 1_500, 10_000, 15_000),
            ("Website, 2026-11-01 to 2026-11-30", 1_000, 15_000, 15_000),
            ("App, 2026-11-01 to 2026-11-30", 1_500, 12_000, 18_000),
        ]
    );
    assert_eq!(inv.total_minor, 48_000);
    assert_eq!(
        (inv.period_from, inv.period_to),
        (Some(cmd.from), Some(cmd.to))
    );
    let billed = |w: &World| {
        w.time
            .entries
            .lock()
            .unwrap()
            .iter()
            .filter(|e| e.3 == Some(inv.id.0))
            .count()
    };
    assert_eq!(billed(&w), 4);

    // Nothing left to bill: 422 naming the period, and no number used up.
    let err = w
        .billing
        .invoices
        .from_time(&w.db, &admin, cmd.clone())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Validation(f) if f[0].field == "from" && f[0].message.contains("2026-11-30")),
        "{err:?}"
    );
    assert_eq!(
        w.draft(&admin, client, vec![]).await.number,
        "INV-2026-0002"
    );

    w.set(&admin, &inv, InvoiceStatusTarget::Void)
        .await
        .unwrap();
    assert_eq!(billed(&w), 0, "voiding released the time");
    let again = w
        .billing
        .invoices
        .from_time(&w.db, &admin, cmd)
        .await
        .unwrap();
    assert_eq!(again.number, "INV-2026-0003");
    assert_eq!(again.total_minor, 48_000);
}

#[tokio::test]
async fn another_organizations_invoices_and_clients_are_not_found() {
    let w = world().await;
    let (mine, theirs) = (w.agency().await, w.agency().await);
    let my_client = w.client(&mine, None).await;
    let their_client = w.client(&theirs, None).await;
    let inv = w
        .draft(&mine, my_client, vec![item("Design", 1_000, 100)])
        .await;

    let err = w
        .billing
        .invoices
        .get(&w.db, &theirs, inv.id)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvoiceNotFound), "{err:?}");
    let err = w
        .set(&theirs, &inv, InvoiceStatusTarget::Void)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvoiceNotFound), "{err:?}");
    let err = w
        .billing
        .invoices
        .delete_item(&w.db, &theirs, inv.id, inv.items[0].id)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvoiceNotFound), "{err:?}");
    let err = w
        .billing
        .invoices
        .pdf(&w.db, &theirs, inv.id)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvoiceNotFound), "{err:?}");
    let err = w
        .billing
        .invoices
        .create(&w.db, &mine, create(their_client, vec![]))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ClientNotFound), "{err:?}");
    let listed = w
        .billing
        .invoices
        .list(
            &w.db,
            &theirs,
            InvoiceFilter::default(),
            &PageRequest::default(),
        )
        .await
        .unwrap();
    assert!(listed.items.is_empty());
    // An item of another invoice is not this invoice's.
    let second = w.draft(&mine, my_client, vec![]).await;
    let err = w
        .billing
        .invoices
        .delete_item(&w.db, &mine, second.id, inv.items[0].id)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ItemNotFound), "{err:?}");
}

#[tokio::test]
async fn only_the_latest_draft_can_be_deleted_so_numbers_stay_gap_free() {
    let w = world().await;
    let admin = w.agency().await;
    let client = w.client(&admin, None).await;
    let first = w.draft(&admin, client, vec![]).await;
    let second = w.draft(&admin, client, vec![item("x", 1_000, 1)]).await;
    let err = w
        .billing
        .invoices
        .delete(&w.db, &admin, first.id)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotDeletable), "{err:?}");
    w.billing
        .invoices
        .delete(&w.db, &admin, second.id)
        .await
        .unwrap();
    let err = w
        .billing
        .invoices
        .get(&w.db, &admin, second.id)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvoiceNotFound));
    assert_eq!(w.count("SELECT COUNT(*) FROM invoice_items").await, 0);
    // Its number is given back, and the first draft is now the latest.
    assert_eq!(
        w.draft(&admin, client, vec![]).await.number,
        "INV-2026-0002"
    );
}

#[tokio::test]
async fn the_overdue_job_marks_sent_invoices_past_due_once_and_tells_the_client_once() {
    let w = world().await;
    let admin = w.agency().await;
    let client = w.client(&admin, Some("billing@acme.example")).await;
    let mut invoices = Vec::new();
    for due in ["2026-11-30", "2026-12-10"] {
        let mut cmd = create(client, vec![item("Design", 1_000, 10_000)]);
        cmd.due_date = Some(day(due));
        let inv = w.billing.invoices.create(&w.db, &admin, cmd).await.unwrap();
        w.set(&admin, &inv, InvoiceStatusTarget::Sent)
            .await
            .unwrap();
        invoices.push(inv);
    }
    // A draft past due is not overdue: it was never sent.
    let mut draft = create(client, vec![]);
    draft.due_date = Some(day("2026-11-24"));
    w.billing
        .invoices
        .create(&w.db, &admin, draft)
        .await
        .unwrap();

    assert_eq!(
        w.billing.invoices.mark_overdue(&w.db).await.unwrap(),
        0,
        "none due yet"
    );
    w.clock.advance(Duration::days(8)); // 2026-12-01: the first is past due
    assert_eq!(w.billing.invoices.mark_overdue(&w.db).await.unwrap(), 1);
    assert_eq!(
        w.billing.invoices.mark_overdue(&w.db).await.unwrap(),
        0,
        "once"
    );
    assert_eq!(w.notices("invoice_overdue").await, 1);
    let first = w
        .billing
        .invoices
        .get(&w.db, &admin, invoices[0].id)
        .await
        .unwrap();
    assert_eq!(first.status, InvoiceStatus::Overdue);
    assert!(first.overdue_at.is_some());
    // Overdue can still be paid.
    let paid = w
        .set(&admin, &first, InvoiceStatusTarget::Paid)
        .await
        .unwrap();
    assert_eq!(paid.status, InvoiceStatus::Paid);
    let second = w
        .billing
        .invoices
        .get(&w.db, &admin, invoices[1].id)
        .await
        .unwrap();
    assert_eq!(second.status, InvoiceStatus::Sent);
}

#[tokio::test]
async fn the_pdf_is_a_pdf_with_the_number_and_totals_in_it() {
    let w = world().await;
    let admin = w.agency().await;
    let client = w.client(&admin, None).await;
    let items: Vec<_> = (0..30)
        .map(|i| item(&format!("Line {i} ação"), 1_500, 10_000))
        .collect();
    let inv = w.draft(&admin, client, items).await;
    let pdf = w.billing.invoices.pdf(&w.db, &admin, inv.id).await.unwrap();
    assert_eq!(pdf.file_name, "INV-2026-0001.pdf");
    assert!(pdf.bytes.starts_with(b"%PDF-"));
    let text = String::from_utf8_lossy(&pdf.bytes);
    assert!(
        text.contains("(INV-2026-0001)"),
        "the number is written as text"
    );
    assert!(
        text.contains("(4950.00 BRL)"),
        "the total: 30 × 150.00 + 10%"
    );
    assert!(text.contains("/Count 2"), "30 lines take two pages");
}
