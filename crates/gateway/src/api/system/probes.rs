//! Liveness and readiness probes.

use poem::web::Data;
use poem_openapi::{Object, OpenApi};
use sea_orm_migration::MigratorTrait;
use serde::Serialize;
use trellis_migration::Migrator;

use crate::{
    api::{ApiTags, json::JsonResponse},
    error::{ApiError, Problems, status::*},
    state::AppState,
};

/// The process answers.
#[derive(Debug, Object, Serialize)]
pub struct Health {
    /// Always `ok`.
    pub status: String,
    /// The server's version.
    pub version: String,
}

/// Everything a request needs is in place.
#[derive(Debug, Object, Serialize)]
pub struct Readiness {
    /// `ready`.
    pub status: String,
    /// The database answers.
    pub database: String,
    /// Every migration is applied.
    pub migrations: String,
    /// Present only when `REDIS_URL` is set: `ok`, or `unreachable`. An
    /// unreachable Redis does not make the instance unready (it answers 200
    /// all the same): rate limits then fail open and revocations fall back
    /// to polling the database, so the instance still serves correctly.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redis: Option<String>,
}

/// Probes for load balancers and orchestrators.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemApi;

#[OpenApi(tag = "ApiTags::System")]
impl SystemApi {
    /// Liveness: the process is up. Touches nothing else.
    #[oai(path = "/healthz", method = "get", operation_id = "health")]
    // Only 500, which every route can answer: a panic is caught and answered as one.
    async fn health(&self) -> Result<JsonResponse<Health>, Problems<0>> {
        Ok(JsonResponse(Health {
            status: "ok".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }))
    }

    /// Readiness: the database is reachable and every migration applied.
    /// With Redis configured, also says whether Redis answers, without
    /// failing when it does not (the instance falls back and still serves).
    #[oai(path = "/readyz", method = "get", operation_id = "ready")]
    async fn ready(
        &self,
        state: Data<&AppState>,
    ) -> Result<JsonResponse<Readiness>, Problems<{ UNAVAILABLE }>> {
        state
            .db
            .ping()
            .await
            .map_err(|e| ApiError::unavailable("system.database_unreachable", e))?;
        let pending = Migrator::get_pending_migrations(&state.db)
            .await
            .map_err(|e| ApiError::unavailable("system.database_unreachable", e))?;
        if !pending.is_empty() {
            return Err(ApiError::new(
                poem::http::StatusCode::SERVICE_UNAVAILABLE,
                "system.migrations_pending",
                format!(
                    "{} migrations are not applied; run `trellis migrate up`",
                    pending.len()
                ),
            )
            .into());
        }
        let redis = match &state.redis {
            None => None,
            Some(redis) => Some(match redis.ping().await {
                Ok(()) => "ok".to_owned(),
                Err(err) => {
                    tracing::warn!(error = %err, "readiness: Redis is unreachable");
                    "unreachable".to_owned()
                }
            }),
        };
        Ok(JsonResponse(Readiness {
            status: "ready".into(),
            database: "ok".into(),
            migrations: "ok".into(),
            redis,
        }))
    }
}

#[cfg(test)]
mod tests {
    use trellis_kernel::testing::assert_same_json;

    use super::*;

    #[test]
    fn serde_writes_the_probes_as_to_json_does() {
        assert_same_json(&Health {
            status: "ok".into(),
            version: "0.1.0".into(),
        });
        assert_same_json(&Readiness {
            status: "ready".into(),
            database: "ok".into(),
            migrations: "ok".into(),
            redis: None,
        });
        assert_same_json(&Readiness {
            status: "ready".into(),
            database: "ok".into(),
            migrations: "ok".into(),
            redis: Some("unreachable".into()),
        });
    }
}
