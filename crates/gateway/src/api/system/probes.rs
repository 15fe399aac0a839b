//! Liveness and readiness probes.

use poem::web::Data;
use poem_openapi::{Object, OpenApi, payload::Json};
use sea_orm_migration::MigratorTrait;
use trellis_migration::Migrator;

use crate::{
    api::ApiTags,
    error::{ApiError, Problems, status::*},
    state::AppState,
};

/// The process answers.
#[derive(Debug, Object)]
pub struct Health {
    /// Always `ok`.
    pub status: String,
    /// The server's version.
    pub version: String,
}

/// Everything a request needs is in place.
#[derive(Debug, Object)]
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
    async fn health(&self) -> Result<Json<Health>, Problems<0>> {
        Ok(Json(Health {
            status: "ok".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }))
    }

    /// Readiness: the database is reachable and every migration applied.
    #[oai(path = "/readyz", method = "get", operation_id = "ready")]
    async fn ready(
        &self,
        state: Data<&AppState>,
    ) -> Result<Json<Readiness>, Problems<{ UNAVAILABLE }>> {
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
        Ok(Json(Readiness {
            status: "ready".into(),
            database: "ok".into(),
            migrations: "ok".into(),
        }))
    }
}
