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
        Ok(JsonResponse(Readiness {
            status: "ready".into(),
            database: "ok".into(),
            migrations: "ok".into(),
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
        });
    }
}
