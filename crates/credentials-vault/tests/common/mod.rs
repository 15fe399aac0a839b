//! A world for vault service tests: a fresh database (SQLite, or
//! PostgreSQL when TEST_DATABASE_URL is set), migrated; the services on a
//! manual clock with a key ring the test chooses; memberships the test
//! sets; users, organizations, agency clients and projects inserted as rows
//! (other domains' tables, whose services these tests do not link).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement, Value};
use sea_orm_migration::MigratorTrait;
use trellis_credentials_vault::{
    Vault, VaultDeps,
    crypto::{KeyRing, MasterKey},
    ids::CredentialId,
    model::{CreateCredential, CredentialKind, CredentialView, RevealContext, RevealedSecret},
};
use trellis_kernel::{
    clock::ManualClock,
    id::{OrgId, UserId},
    ports::{Memberships, OrgAccess, OrgRole},
    testing::{TestDatabase, fresh_connection},
};
use uuid::Uuid;

/// Memberships the test sets, shared with the services.
#[derive(Default)]
pub struct Orgs(Mutex<HashMap<(UserId, OrgId), OrgRole>>);

#[async_trait::async_trait]
impl Memberships for Orgs {
    async fn role_of(&self, user: UserId, org: OrgId) -> Result<Option<OrgRole>, DbErr> {
        Ok(self.0.lock().unwrap().get(&(user, org)).copied())
    }
}

pub struct World {
    pub db: DatabaseConnection,
    pub vault: Vault,
    pub clock: ManualClock,
    pub orgs: Arc<Orgs>,
    pub guard: TestDatabase,
}

/// An instant from RFC 3339 text.
pub fn t(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

/// A ring of these keys, the first active.
pub fn ring(keys: &[&MasterKey]) -> Arc<KeyRing> {
    let spec: Vec<String> = keys.iter().map(|k| k.to_entry().to_string()).collect();
    Arc::new(KeyRing::parse(&spec.join(",")).unwrap())
}

pub async fn world(keys: Arc<KeyRing>) -> World {
    let (db, guard) = fresh_connection().await.unwrap();
    trellis_migration::Migrator::up(&db, None).await.unwrap();
    let clock = ManualClock::at(t("2026-11-23T12:00:00Z"));
    let orgs = Arc::new(Orgs::default());
    let mut world = World {
        db,
        vault: Vault::new(VaultDeps {
            entitlements: std::sync::Arc::new(trellis_kernel::ports::Unlimited),
            clock: Arc::new(clock.clone()),
            memberships: orgs.clone(),
            keys: keys.clone(),
        }),
        clock,
        orgs,
        guard,
    };
    world.rekey(keys);
    world
}

pub fn ctx() -> RevealContext {
    RevealContext {
        ip: Some("203.0.113.7".into()),
        user_agent: Some("vault-test/1.0".into()),
    }
}

pub fn new_credential(name: &str, secret: &str, notes: Option<&str>) -> CreateCredential {
    CreateCredential {
        name: name.into(),
        kind: CredentialKind::Login,
        username: Some("ops@acme.example".into()),
        url: Some("https://admin.acme.example".into()),
        tags: vec!["hosting".into()],
        client_id: None,
        project_id: None,
        secret: secret.into(),
        notes: notes.map(String::from),
        rotate_after_days: None,
    }
}

impl World {
    /// The same database seen through services with another key ring (a
    /// restart with another `VAULT_MASTER_KEYS`).
    pub fn rekey(&mut self, keys: Arc<KeyRing>) {
        self.vault = Vault::new(VaultDeps {
            entitlements: std::sync::Arc::new(trellis_kernel::ports::Unlimited),
            clock: Arc::new(self.clock.clone()),
            memberships: self.orgs.clone(),
            keys,
        });
    }

    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    /// `?1` / `$1`.
    pub fn p(&self, n: usize) -> String {
        if self.backend() == DbBackend::Postgres {
            format!("${n}")
        } else {
            format!("?{n}")
        }
    }

    pub async fn exec(&self, sql: &str, values: Vec<Value>) {
        self.db
            .execute_raw(Statement::from_sql_and_values(self.backend(), sql, values))
            .await
            .unwrap();
    }

    /// Inserts a row with a fresh id and `created_at = updated_at = now`.
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

    pub async fn user(&self) -> UserId {
        UserId(
            self.insert_row("users", "roles, is_anonymous", "'[]', false")
                .await,
        )
    }

    pub async fn org(&self) -> OrgId {
        OrgId(self.insert_row("organizations", "name", "'agency'").await)
    }

    /// A new user, member of `org` with `role`, and their access.
    pub async fn member(&self, org: OrgId, role: OrgRole) -> OrgAccess {
        let user = self.user().await;
        self.orgs.0.lock().unwrap().insert((user, org), role);
        OrgAccess::assume(user, org, role)
    }

    /// An organization with an admin.
    pub async fn agency(&self) -> OrgAccess {
        let org = self.org().await;
        self.member(org, OrgRole::Admin).await
    }

    /// An agency client of `org` (time tracking's table).
    pub async fn agency_client(&self, org: OrgId) -> Uuid {
        let id = Uuid::now_v7();
        let sql = format!(
            "INSERT INTO agency_clients (id, org_id, name, currency, archived, created_at, updated_at) \
             VALUES ({}, {}, 'Acme', 'EUR', false, {t}, {t})",
            self.p(1),
            self.p(2),
            t = self.p(3),
        );
        self.exec(&sql, vec![id.into(), org.0.into(), Utc::now().into()])
            .await;
        id
    }

    /// A project of `client` in `org` (time tracking's table).
    pub async fn project(&self, org: OrgId, client: Uuid) -> Uuid {
        let id = Uuid::now_v7();
        let sql = format!(
            "INSERT INTO projects (id, org_id, client_id, name, status, billable, created_at, updated_at) \
             VALUES ({}, {}, {}, 'Website', 'active', true, {t}, {t})",
            self.p(1),
            self.p(2),
            self.p(3),
            t = self.p(4),
        );
        self.exec(
            &sql,
            vec![id.into(), org.0.into(), client.into(), Utc::now().into()],
        )
        .await;
        id
    }

    pub async fn store(&self, access: &OrgAccess, cmd: CreateCredential) -> CredentialView {
        self.vault
            .credentials
            .create(&self.db, access, cmd)
            .await
            .unwrap()
    }

    pub async fn reveal(
        &self,
        access: &OrgAccess,
        id: CredentialId,
        version: Option<i32>,
    ) -> Result<RevealedSecret, trellis_credentials_vault::Error> {
        self.vault
            .reveals
            .reveal(&self.db, access, id, version, ctx())
            .await
    }

    /// Every byte column of the vault's tables, raw.
    pub async fn raw_ciphertexts(&self) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for (table, columns) in [
            ("credential_versions", "secret_ciphertext, notes_ciphertext"),
            ("vault_org_keys", "wrapped_key, wrapped_key"),
        ] {
            let rows = self
                .db
                .query_all_raw(Statement::from_string(
                    self.backend(),
                    format!("SELECT {columns} FROM {table}"),
                ))
                .await
                .unwrap();
            for row in rows {
                for i in 0..2 {
                    if let Ok(Some(bytes)) = row.try_get_by_index::<Option<Vec<u8>>>(i) {
                        out.push(bytes);
                    }
                }
            }
        }
        out
    }

    /// Every text column of the vault's credential table, raw.
    pub async fn raw_texts(&self) -> Vec<String> {
        let rows = self
            .db
            .query_all_raw(Statement::from_string(
                self.backend(),
                "SELECT name, kind, username, url, tags FROM credentials".to_owned(),
            ))
            .await
            .unwrap();
        let mut out = Vec::new();
        for row in rows {
            for i in 0..5 {
                if let Ok(Some(text)) = row.try_get_by_index::<Option<String>>(i) {
                    out.push(text);
                }
            }
        }
        out
    }
}

/// True if `needle` occurs in `hay`.
pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}
