//! The `Idempotency-Key` store: a replayed request gets the first response.
//!
//! The gateway saves the response in the same transaction as the effect it
//! describes, so a key is either unused, or bound to a committed effect and
//! its response; a concurrent duplicate loses on the primary key and reads the
//! winner's response.

use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait, SqlErr};
use sha2::{Digest, Sha256};

use crate::clock::SharedClock;

/// The `idempotency_keys` table.
pub mod entity {
    use sea_orm::entity::prelude::*;

    /// A stored response.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "idempotency_keys")]
    pub struct Model {
        /// Which operation (and resource) the key belongs to.
        #[sea_orm(primary_key, auto_increment = false)]
        pub scope: String,
        /// The client's key.
        #[sea_orm(primary_key, auto_increment = false)]
        pub key: String,
        /// SHA-256 of the request body: a key reused for another request is refused.
        pub request_hash: String,
        /// HTTP status of the first response.
        pub status: i16,
        /// Body of the first response.
        pub body: String,
        /// When it was stored.
        pub created_at: DateTimeUtc,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A response stored for replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// HTTP status.
    pub status: u16,
    /// Body.
    pub body: String,
}

/// What a lookup found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// The key is unused.
    New,
    /// Same key, same request: replay this.
    Replay(Stored),
    /// Same key, different request.
    Mismatch,
}

/// The SHA-256 (hex) of a request body.
pub fn request_hash(body: &[u8]) -> String {
    Sha256::digest(body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Finds a stored response.
pub async fn lookup(
    db: &impl ConnectionTrait,
    scope: &str,
    key: &str,
    hash: &str,
) -> Result<Lookup, DbErr> {
    let found = entity::Entity::find_by_id((scope.to_string(), key.to_string()))
        .one(db)
        .await?;
    Ok(match found {
        None => Lookup::New,
        Some(row) if row.request_hash == hash => Lookup::Replay(Stored {
            status: u16::try_from(row.status).unwrap_or(200),
            body: row.body,
        }),
        Some(_) => Lookup::Mismatch,
    })
}

/// Stores a response; `Ok(false)` if another request stored one first.
pub async fn store(
    db: &impl ConnectionTrait,
    clock: &SharedClock,
    scope: &str,
    key: &str,
    hash: &str,
    response: &Stored,
) -> Result<bool, DbErr> {
    let row = entity::ActiveModel {
        scope: Set(scope.to_string()),
        key: Set(key.to_string()),
        request_hash: Set(hash.to_string()),
        status: Set(i16::try_from(response.status).unwrap_or(200)),
        body: Set(response.body.clone()),
        created_at: Set(clock.now()),
    };
    match entity::Entity::insert(row).exec_without_returning(db).await {
        Ok(_) => Ok(true),
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            Ok(false)
        }
        Err(err) => Err(err),
    }
}
