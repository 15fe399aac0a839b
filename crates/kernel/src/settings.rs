//! Runtime settings: operator-tunable values kept in the `app_config` table.
//!
//! Deploy-fixed values (secrets, URLs, ports) live in the environment; values an
//! operator tunes while the service runs (rate limits, reminder lead time,
//! booking defaults) live here. Each domain declares its settings as typed
//! [`Setting`] statics with a default and a validation rule; the gateway
//! registers them all in a [`SettingsRegistry`] so `/internal/config` can list
//! and validate them. Reads go through a short-lived in-process cache: the
//! instance that writes sees its change at once, others within the TTL.

use crate::db::WriteTransaction;
use std::{
    collections::{BTreeMap, HashMap},
    fmt,
    sync::{Arc, PoisonError, RwLock},
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, DatabaseConnection, DbErr, EntityTrait, sea_query::OnConflict};
use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;

use crate::{clock::SharedClock, id::UserId};

/// The `app_config` table.
pub mod entity {
    use sea_orm::entity::prelude::*;

    use crate::id::UserId;

    /// One stored setting; absent keys take their declared default.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "app_config")]
    pub struct Model {
        /// Dotted key, such as `rate_limit.login`.
        #[sea_orm(primary_key, auto_increment = false)]
        pub key: String,
        /// The value as JSON.
        pub value: Json,
        /// When it was last changed.
        pub updated_at: DateTimeUtc,
        /// Who changed it, if a person did.
        pub updated_by: Option<UserId>,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A typed runtime setting, declared as a `static` by the domain that reads it.
pub struct Setting<T: 'static> {
    /// Dotted key, unique across the application.
    pub key: &'static str,
    /// One sentence for operators.
    pub description: &'static str,
    /// The value in force when none is stored.
    pub default: fn() -> T,
    /// Checks a proposed value; the message is shown to the operator.
    pub validate: fn(&T) -> Result<(), String>,
}

impl<T> fmt::Debug for Setting<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Setting").field("key", &self.key).finish()
    }
}

/// A setting seen without its type, for listing and validating JSON.
pub trait SettingDef: Send + Sync {
    /// The key.
    fn key(&self) -> &'static str;
    /// The description.
    fn description(&self) -> &'static str;
    /// The default, as JSON.
    fn default_json(&self) -> Value;
    /// Parses and validates a proposed JSON value.
    fn check(&self, value: &Value) -> Result<(), String>;
}

impl<T: Serialize + DeserializeOwned + Send + Sync> SettingDef for Setting<T> {
    fn key(&self) -> &'static str {
        self.key
    }
    fn description(&self) -> &'static str {
        self.description
    }
    fn default_json(&self) -> Value {
        serde_json::to_value((self.default)()).unwrap_or(Value::Null)
    }
    fn check(&self, value: &Value) -> Result<(), String> {
        let typed: T = serde_json::from_value(value.clone()).map_err(|e| e.to_string())?;
        (self.validate)(&typed)
    }
}

/// Every setting the application knows.
#[derive(Default)]
pub struct SettingsRegistry {
    defs: BTreeMap<&'static str, &'static dyn SettingDef>,
}

impl fmt::Debug for SettingsRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.defs.keys()).finish()
    }
}

impl SettingsRegistry {
    /// Adds settings; a key declared twice is a programming error caught at startup.
    pub fn register(&mut self, defs: &[&'static dyn SettingDef]) {
        for def in defs {
            let previous = self.defs.insert(def.key(), *def);
            assert!(previous.is_none(), "setting {} declared twice", def.key());
        }
    }

    /// Looks a setting up.
    pub fn get(&self, key: &str) -> Option<&'static dyn SettingDef> {
        self.defs.get(key).copied()
    }

    /// All settings, by key.
    pub fn iter(&self) -> impl Iterator<Item = &'static dyn SettingDef> + '_ {
        self.defs.values().copied()
    }
}

/// A setting as operators see it.
#[derive(Debug, Clone, PartialEq)]
pub struct SettingValue {
    /// The key.
    pub key: &'static str,
    /// What it does.
    pub description: &'static str,
    /// The value in force.
    pub value: Value,
    /// The declared default.
    pub default: Value,
    /// When it was last stored; `None` while the default is in force.
    pub updated_at: Option<DateTime<Utc>>,
    /// Who stored it.
    pub updated_by: Option<UserId>,
}

/// Why an update was refused.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// A key no module declares.
    #[error("unknown setting `{0}`")]
    UnknownKey(String),
    /// A value that does not parse or breaks its rule.
    #[error("invalid value for `{key}`: {reason}")]
    Invalid {
        /// The key.
        key: String,
        /// Why, for the operator.
        reason: String,
    },
    /// The database failed.
    #[error("settings could not be stored")]
    Database(#[from] DbErr),
}

type Snapshot = Arc<HashMap<String, entity::Model>>;

/// Reads and writes runtime settings, with a short-lived cache.
#[derive(Clone)]
pub struct Settings {
    db: DatabaseConnection,
    registry: Arc<SettingsRegistry>,
    clock: SharedClock,
    ttl: Duration,
    cache: Arc<RwLock<Cache>>,
}

/// The cached snapshot, and a generation bumped by every invalidation, so a
/// load that began before a change cannot store its stale result after it.
#[derive(Default)]
struct Cache {
    generation: u64,
    entry: Option<(Instant, Snapshot)>,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("registry", &self.registry)
            .field("ttl", &self.ttl)
            .finish()
    }
}

impl Settings {
    /// A settings store; `ttl` bounds how stale another instance's change may be.
    pub fn new(
        db: DatabaseConnection,
        registry: Arc<SettingsRegistry>,
        clock: SharedClock,
        ttl: Duration,
    ) -> Self {
        Self {
            db,
            registry,
            clock,
            ttl,
            cache: Arc::new(RwLock::new(Cache::default())),
        }
    }

    /// The registry behind this store.
    pub fn registry(&self) -> &SettingsRegistry {
        &self.registry
    }

    /// The value in force for `setting`. A stored value that no longer parses
    /// (after a type change) or a database outage falls back to the default,
    /// with a warning, rather than failing the request that asked.
    pub async fn get<T: Serialize + DeserializeOwned + Send + Sync>(
        &self,
        setting: &'static Setting<T>,
    ) -> T {
        let snapshot = match self.snapshot().await {
            Ok(snapshot) => snapshot,
            Err(err) => {
                tracing::warn!(key = setting.key, error = %err, "settings unavailable, using default");
                return (setting.default)();
            }
        };
        match snapshot.get(setting.key) {
            Some(row) => serde_json::from_value(row.value.clone()).unwrap_or_else(|err| {
                tracing::warn!(key = setting.key, error = %err, "stored setting unreadable, using default");
                (setting.default)()
            }),
            None => (setting.default)(),
        }
    }

    /// Every registered setting with the value in force.
    pub async fn list(&self) -> Result<Vec<SettingValue>, DbErr> {
        let snapshot = self.load().await?;
        Ok(self
            .registry
            .iter()
            .map(|def| {
                let row = snapshot.get(def.key());
                SettingValue {
                    key: def.key(),
                    description: def.description(),
                    value: row
                        .map(|r| r.value.clone())
                        .unwrap_or_else(|| def.default_json()),
                    default: def.default_json(),
                    updated_at: row.map(|r| r.updated_at),
                    updated_by: row.and_then(|r| r.updated_by),
                }
            })
            .collect())
    }

    /// Validates every change, then stores them all in one transaction, or none.
    pub async fn update(
        &self,
        changes: BTreeMap<String, Value>,
        by: Option<UserId>,
    ) -> Result<Vec<SettingValue>, SettingsError> {
        for (key, value) in &changes {
            let def = self
                .registry
                .get(key)
                .ok_or_else(|| SettingsError::UnknownKey(key.clone()))?;
            def.check(value).map_err(|reason| SettingsError::Invalid {
                key: key.clone(),
                reason,
            })?;
        }
        let now = self.clock.now();
        let txn = self.db.begin_write().await?;
        for (key, value) in changes {
            let row = entity::ActiveModel {
                key: Set(key),
                value: Set(value),
                updated_at: Set(now),
                updated_by: Set(by),
            };
            entity::Entity::insert(row)
                .on_conflict(
                    OnConflict::column(entity::Column::Key)
                        .update_columns([
                            entity::Column::Value,
                            entity::Column::UpdatedAt,
                            entity::Column::UpdatedBy,
                        ])
                        .to_owned(),
                )
                .exec_without_returning(&txn)
                .await?;
        }
        txn.commit().await?;
        self.invalidate();
        Ok(self.list().await?)
    }

    /// Forgets the cache so the next read goes to the database.
    pub fn invalidate(&self) {
        let mut cache = self.cache.write().unwrap_or_else(PoisonError::into_inner);
        cache.generation += 1;
        cache.entry = None;
    }

    async fn snapshot(&self) -> Result<Snapshot, DbErr> {
        {
            let cache = self.cache.read().unwrap_or_else(PoisonError::into_inner);
            if let Some((loaded, snapshot)) = cache.entry.as_ref()
                && loaded.elapsed() < self.ttl
            {
                return Ok(snapshot.clone());
            }
        }
        self.load().await
    }

    async fn load(&self) -> Result<Snapshot, DbErr> {
        let started = self
            .cache
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .generation;
        let rows = entity::Entity::find().all(&self.db).await?;
        let snapshot: Snapshot = Arc::new(rows.into_iter().map(|r| (r.key.clone(), r)).collect());
        let mut cache = self.cache.write().unwrap_or_else(PoisonError::into_inner);
        if cache.generation == started {
            cache.entry = Some((Instant::now(), snapshot.clone()));
        }
        Ok(snapshot)
    }
}
