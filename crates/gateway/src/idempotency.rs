//! `Idempotency-Key` for POSTs that create bookings or money.
//!
//! The effect and the stored response commit in one transaction, so a replay
//! (same key, same body) gets the first response and never a second effect;
//! a concurrent duplicate loses on the key's primary key and replays the
//! winner's response; the same key with a different body is refused (422).

use poem_openapi::types::{ParseFromJSON, ToJSON};
use sea_orm::DatabaseTransaction;
use trellis_kernel::db::WriteTransaction;
use trellis_kernel::idempotency::{self, Lookup, Stored};

use crate::{error::ApiError, state::AppState};

/// The longest key accepted.
const MAX_KEY: usize = 255;

fn replay<T: ParseFromJSON>(stored: &Stored) -> Result<T, ApiError> {
    let value: serde_json::Value =
        serde_json::from_str(&stored.body).map_err(ApiError::internal)?;
    T::parse_from_json(Some(value))
        .map_err(|e| ApiError::internal(std::io::Error::other(e.into_message())))
}

/// Runs `effect` in a transaction, at most once per `(scope, key)`.
pub async fn once<T, F>(
    state: &AppState,
    scope: &str,
    key: Option<&str>,
    request: &impl ToJSON,
    effect: F,
) -> Result<T, ApiError>
where
    T: ToJSON + ParseFromJSON,
    F: AsyncFnOnce(&DatabaseTransaction) -> Result<T, ApiError>,
{
    let db = &state.db;
    let Some(key) = key else {
        let txn = db.begin_write().await.map_err(ApiError::internal)?;
        let result = effect(&txn).await?;
        txn.commit().await.map_err(ApiError::internal)?;
        return Ok(result);
    };
    if key.is_empty() || key.len() > MAX_KEY {
        return Err(ApiError::validation(vec![trellis_kernel::FieldError::new(
            "Idempotency-Key",
            "must be 1 to 255 characters",
        )]));
    }
    let hash = idempotency::request_hash(request.to_json_string().as_bytes());
    match idempotency::lookup(db, scope, key, &hash)
        .await
        .map_err(ApiError::internal)?
    {
        Lookup::Replay(stored) => return replay(&stored),
        Lookup::Mismatch => return Err(mismatch()),
        Lookup::New => {}
    }
    let txn = db.begin_write().await.map_err(ApiError::internal)?;
    let result = match effect(&txn).await {
        Ok(result) => result,
        Err(err) => {
            drop(txn);
            // A concurrent duplicate may have won while this one waited (and
            // failed, for instance on the slot it took): replay its response.
            return match idempotency::lookup(db, scope, key, &hash).await {
                Ok(Lookup::Replay(stored)) => replay(&stored),
                _ => Err(err),
            };
        }
    };
    let stored = Stored {
        status: 201,
        body: result.to_json_string(),
    };
    let first = idempotency::store(&txn, &state.clock, scope, key, &hash, &stored)
        .await
        .map_err(ApiError::internal)?;
    if !first {
        drop(txn);
        return match idempotency::lookup(db, scope, key, &hash)
            .await
            .map_err(ApiError::internal)?
        {
            Lookup::Replay(stored) => replay(&stored),
            _ => Err(mismatch()),
        };
    }
    txn.commit().await.map_err(ApiError::internal)?;
    Ok(result)
}

fn mismatch() -> ApiError {
    ApiError::new(
        poem::http::StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency.key_reused",
        "this Idempotency-Key was used for a different request",
    )
}
