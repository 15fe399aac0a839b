//! `/internal/vault`: master-key rotation, for staff.

use poem::web::Data;
use poem_openapi::OpenApi;
use trellis_credentials_vault::{model::RotationReport, service::ROTATION_BATCH};

use crate::{
    api::{ApiTags, json::JsonResponse},
    auth::StaffCaller,
    error::{Problems, status::*},
    state::AppState,
};

/// The vault's master keys.
#[derive(Debug, Clone, Copy, Default)]
pub struct VaultKeysApi;

#[OpenApi(prefix_path = "/internal/vault", tag = "ApiTags::Vault")]
impl VaultKeysApi {
    /// Re-wrap every organization's data key under the active master key
    /// (the first of `VAULT_MASTER_KEYS`), in batches of 100, each committed
    /// on its own. Safe to interrupt and to call again: it resumes where it
    /// stopped. When it answers `remaining: 0` and `unknown_key: 0`, the
    /// older master keys can be removed from the environment and every
    /// secret still decrypts.
    #[oai(
        path = "/rotate-key",
        method = "post",
        operation_id = "rotate_vault_key"
    )]
    async fn rotate(
        &self,
        _staff: StaffCaller,
        state: Data<&AppState>,
    ) -> Result<JsonResponse<RotationReport>, Problems<{ STAFF | DATABASE }>> {
        Ok(JsonResponse(
            state
                .vault
                .keys
                .rotate(&state.db, ROTATION_BATCH, None)
                .await?,
        ))
    }
}
