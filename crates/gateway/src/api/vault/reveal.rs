//! `/api/v1/orgs/{org_id}/credentials/{id}/reveal` and `/audit`: the one
//! response that carries a secret, and the trail every such response leaves.

use poem::{Request, web::Data};
use poem_openapi::{
    ApiResponse, OpenApi,
    param::{Path, Query},
};
use trellis_credentials_vault::{
    ids::CredentialId,
    model::{RevealContext, RevealView, RevealedSecret},
};
use trellis_kernel::{Page, id::OrgId};

use crate::api::{
    ApiTags,
    common::{client_info_parts, page},
    json::JsonResponse,
};
use crate::{
    auth::{OrgMember, role},
    error::{Problems, status::*},
    state::AppState,
};

/// A revealed secret, never to be cached.
#[derive(ApiResponse)]
pub enum Revealed {
    /// The secret; an audit row was written with it.
    #[oai(status = 200)]
    Ok(
        JsonResponse<RevealedSecret>,
        /// `no-store`: the secret must not be kept by caches.
        #[oai(header = "Cache-Control")]
        String,
    ),
}

/// Reveals and the audit trail.
#[derive(Debug, Clone, Copy, Default)]
pub struct RevealApi;

#[OpenApi(prefix_path = "/api/v1/orgs", tag = "ApiTags::Vault")]
impl RevealApi {
    /// The credential's secret and notes: the current version, or `version`
    /// (admins only for an older one). Owners and admins may reveal any
    /// credential; members only one they were granted (else 403
    /// `credential.reveal_forbidden`). Every reveal writes an audit row
    /// (who, when, version, address, user agent) in the same transaction.
    /// Rate limited (`rate_limit.reveal`). A stored secret that fails its
    /// integrity check is a 500 carrying only an `error_id`.
    #[oai(
        path = "/:org_id/credentials/:id/reveal",
        method = "post",
        operation_id = "reveal_credential"
    )]
    async fn reveal(
        &self,
        member: OrgMember<role::Member>,
        state: Data<&AppState>,
        req: &Request,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
        /// The credential.
        id: Path<CredentialId>,
        /// An older version to reveal (admins); the current one when absent.
        version: Query<Option<i32>>,
    ) -> Result<Revealed, Problems<{ RATE_LIMITED | ORG_MEMBER | PARAMS | FORBIDDEN | NOT_FOUND }>>
    {
        let (ip, user_agent) = client_info_parts(req, &state);
        let revealed = state
            .vault
            .reveals
            .reveal(
                &state.db,
                &member,
                id.0,
                version.0,
                RevealContext { ip, user_agent },
            )
            .await?;
        Ok(Revealed::Ok(JsonResponse(revealed), "no-store".into()))
    }

    /// Who revealed the credential, when, which version, from where;
    /// newest first (admins).
    #[oai(
        path = "/:org_id/credentials/:id/audit",
        method = "get",
        operation_id = "list_credential_reveals"
    )]
    async fn audit(
        &self,
        member: OrgMember<role::Admin>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
        /// The credential.
        id: Path<CredentialId>,
        /// Page size, 1 to 200 (default 50).
        limit: Query<Option<u64>>,
        /// From the previous page's `next_cursor`.
        cursor: Query<Option<String>>,
    ) -> Result<
        JsonResponse<Page<RevealView>>,
        Problems<{ RATE_LIMITED | ORG_ADMIN | PARAMS | NOT_FOUND | PAGED }>,
    > {
        let page = page(limit.0, cursor.0)?;
        Ok(JsonResponse(
            state
                .vault
                .reveals
                .audit(&state.db, &member, id.0, &page)
                .await?,
        ))
    }
}
