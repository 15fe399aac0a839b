//! `/api/v1/orgs/{org_id}/credentials/{id}/grants`: members an admin lets
//! reveal a credential.

use poem::web::Data;
use poem_openapi::{OpenApi, param::Path};
use trellis_credentials_vault::{ids::CredentialId, model::GrantView};
use trellis_kernel::id::{OrgId, UserId};

use crate::api::{ApiTags, common::NoContent, json::JsonResponse};
use crate::{
    auth::{OrgMember, role},
    error::{Problems, status::*},
    state::AppState,
};

/// Grants to reveal.
#[derive(Debug, Clone, Copy, Default)]
pub struct GrantsApi;

#[OpenApi(prefix_path = "/api/v1/orgs", tag = "ApiTags::Vault")]
impl GrantsApi {
    /// The members allowed to reveal the credential (admins; owners and
    /// admins need no grant).
    #[oai(
        path = "/:org_id/credentials/:id/grants",
        method = "get",
        operation_id = "list_credential_grants"
    )]
    async fn list(
        &self,
        member: OrgMember<role::Admin>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
        /// The credential.
        id: Path<CredentialId>,
    ) -> Result<
        JsonResponse<Vec<GrantView>>,
        Problems<{ RATE_LIMITED | ORG_ADMIN | PARAMS | NOT_FOUND }>,
    > {
        Ok(JsonResponse(
            state.vault.grants.list(&state.db, &member, id.0).await?,
        ))
    }

    /// Let a member reveal the credential (admins); granting twice keeps
    /// the first grant. 422 when the person is not a member.
    #[oai(
        path = "/:org_id/credentials/:id/grants/:user_id",
        method = "put",
        operation_id = "grant_credential"
    )]
    async fn grant(
        &self,
        member: OrgMember<role::Admin>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
        /// The credential.
        id: Path<CredentialId>,
        /// The member.
        user_id: Path<UserId>,
    ) -> Result<
        JsonResponse<GrantView>,
        Problems<{ RATE_LIMITED | ORG_ADMIN | PARAMS | NOT_FOUND | UNPROCESSABLE }>,
    > {
        Ok(JsonResponse(
            state
                .vault
                .grants
                .grant(&state.db, &member, id.0, user_id.0)
                .await?,
        ))
    }

    /// Withdraw a member's grant (admins); 404 `credential.grant_not_found`
    /// when there is none.
    #[oai(
        path = "/:org_id/credentials/:id/grants/:user_id",
        method = "delete",
        operation_id = "revoke_credential_grant"
    )]
    async fn revoke(
        &self,
        member: OrgMember<role::Admin>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
        /// The credential.
        id: Path<CredentialId>,
        /// The member.
        user_id: Path<UserId>,
    ) -> Result<NoContent, Problems<{ RATE_LIMITED | ORG_ADMIN | PARAMS | NOT_FOUND }>> {
        state
            .vault
            .grants
            .revoke(&state.db, &member, id.0, user_id.0)
            .await?;
        Ok(NoContent::NoContent)
    }
}
