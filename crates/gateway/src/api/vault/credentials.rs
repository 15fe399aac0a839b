//! `/api/v1/orgs/{org_id}/credentials`: credentials' metadata (never a
//! secret) and their versions.

use poem::web::Data;
use poem_openapi::{
    OpenApi,
    param::{Path, Query},
    payload::Json,
};
use trellis_credentials_vault::{
    ids::CredentialId,
    model::{
        CreateCredential, CredentialFilter, CredentialKind, CredentialVersionView, CredentialView,
        UpdateCredential,
    },
};
use trellis_kernel::{Page, id::OrgId};
use uuid::Uuid;

use crate::api::{
    ApiTags,
    common::{Created, NoContent, page},
    json::JsonResponse,
};
use crate::{
    auth::{OrgMember, role},
    error::{Problems, status::*},
    state::AppState,
};

/// Credentials.
#[derive(Debug, Clone, Copy, Default)]
pub struct CredentialsApi;

#[OpenApi(prefix_path = "/api/v1/orgs", tag = "ApiTags::Vault")]
impl CredentialsApi {
    /// The organization's credentials, oldest first (members): metadata
    /// only, never a secret. `q` searches name, username and URL (any
    /// case); `rotation_due=true` lists those past their rotation date.
    #[allow(clippy::too_many_arguments)] // one extractor per query parameter
    #[oai(
        path = "/:org_id/credentials",
        method = "get",
        operation_id = "list_credentials"
    )]
    async fn list(
        &self,
        member: OrgMember<role::Member>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
        /// Part of the name, username or URL.
        q: Query<Option<String>>,
        /// Only this kind.
        kind: Query<Option<CredentialKind>>,
        /// Only those with this tag.
        tag: Query<Option<String>>,
        /// Only those for this agency client.
        client_id: Query<Option<Uuid>>,
        /// Only those for this project.
        project_id: Query<Option<Uuid>>,
        /// `true`: only those past their rotation date; `false`: only the others.
        rotation_due: Query<Option<bool>>,
        /// Page size, 1 to 200 (default 50).
        limit: Query<Option<u64>>,
        /// From the previous page's `next_cursor`.
        cursor: Query<Option<String>>,
    ) -> Result<JsonResponse<Page<CredentialView>>, Problems<{ RATE_LIMITED | ORG_MEMBER | PAGED }>>
    {
        let page = page(limit.0, cursor.0)?;
        let filter = CredentialFilter {
            q: q.0,
            kind: kind.0,
            tag: tag.0,
            client_id: client_id.0,
            project_id: project_id.0,
            rotation_due: rotation_due.0,
        };
        Ok(JsonResponse(
            state
                .vault
                .credentials
                .list(&state.db, &member, filter, &page)
                .await?,
        ))
    }

    /// Store a credential (admins). Its `secret` and `notes` are encrypted
    /// before they are stored and are only ever returned by `reveal`. A
    /// `client_id` or `project_id` must be the organization's (a project
    /// alone links its client too).
    #[oai(
        path = "/:org_id/credentials",
        method = "post",
        operation_id = "create_credential"
    )]
    async fn create(
        &self,
        member: OrgMember<role::Admin>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
        body: Json<CreateCredential>,
    ) -> Result<
        Created<CredentialView>,
        Problems<{ RATE_LIMITED | ORG_ADMIN | JSON_BODY | UNPROCESSABLE }>,
    > {
        let created = state
            .vault
            .credentials
            .create(&state.db, &member, body.0)
            .await?;
        Ok(Created::Created(JsonResponse(created)))
    }

    /// One credential's metadata (members); 404 `credential.not_found` when
    /// it is not the organization's.
    #[oai(
        path = "/:org_id/credentials/:id",
        method = "get",
        operation_id = "get_credential"
    )]
    async fn get(
        &self,
        member: OrgMember<role::Member>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
        /// The credential.
        id: Path<CredentialId>,
    ) -> Result<
        JsonResponse<CredentialView>,
        Problems<{ RATE_LIMITED | ORG_MEMBER | PARAMS | NOT_FOUND }>,
    > {
        Ok(JsonResponse(
            state
                .vault
                .credentials
                .get(&state.db, &member, id.0)
                .await?,
        ))
    }

    /// Change a credential (admins): absent fields stay, `null` clears an
    /// optional one. A new `secret` (or new `notes`) makes a new version and
    /// keeps the old one; a new secret restarts the rotation clock.
    #[oai(
        path = "/:org_id/credentials/:id",
        method = "patch",
        operation_id = "update_credential"
    )]
    async fn update(
        &self,
        member: OrgMember<role::Admin>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
        /// The credential.
        id: Path<CredentialId>,
        body: Json<UpdateCredential>,
    ) -> Result<
        JsonResponse<CredentialView>,
        Problems<{ RATE_LIMITED | ORG_ADMIN | PARAMS | NOT_FOUND | JSON_BODY | UNPROCESSABLE }>,
    > {
        Ok(JsonResponse(
            state
                .vault
                .credentials
                .update(&state.db, &member, id.0, body.0)
                .await?,
        ))
    }

    /// Delete a credential with every version and grant (admins); its
    /// audit trail is kept.
    #[oai(
        path = "/:org_id/credentials/:id",
        method = "delete",
        operation_id = "delete_credential"
    )]
    async fn delete(
        &self,
        member: OrgMember<role::Admin>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
        /// The credential.
        id: Path<CredentialId>,
    ) -> Result<NoContent, Problems<{ RATE_LIMITED | ORG_ADMIN | PARAMS | NOT_FOUND }>> {
        state
            .vault
            .credentials
            .delete(&state.db, &member, id.0)
            .await?;
        Ok(NoContent::NoContent)
    }

    /// Every version of the credential's secret, newest first (admins): who
    /// set it and when, never what.
    #[oai(
        path = "/:org_id/credentials/:id/versions",
        method = "get",
        operation_id = "list_credential_versions"
    )]
    async fn versions(
        &self,
        member: OrgMember<role::Admin>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
        /// The credential.
        id: Path<CredentialId>,
    ) -> Result<
        JsonResponse<Vec<CredentialVersionView>>,
        Problems<{ RATE_LIMITED | ORG_ADMIN | PARAMS | NOT_FOUND }>,
    > {
        Ok(JsonResponse(
            state
                .vault
                .credentials
                .versions(&state.db, &member, id.0)
                .await?,
        ))
    }
}
