//! `/api/v1/professionals/me/clients`: a professional's clients and notes.

use poem::web::Data;
use poem_openapi::{
    OpenApi,
    param::{Path, Query},
    payload::Json,
};
use trellis_kernel::Page;
use trellis_scheduling::{
    ids::ClientId,
    model::{ClientView, CreateClient, CreateNote, NoteView, UpdateClient},
};

use crate::api::{
    ApiTags,
    common::{Created, NoContent, page},
    json::JsonResponse,
};
use crate::{
    auth::ProfessionalCaller,
    error::{Problems, status::*},
    state::AppState,
};

/// Clients.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClientsApi;

#[OpenApi(
    prefix_path = "/api/v1/professionals/me/clients",
    tag = "ApiTags::Scheduling"
)]
impl ClientsApi {
    /// Clients, searched by name, phone or email.
    #[oai(path = "/", method = "get", operation_id = "list_my_clients")]
    async fn list(
        &self,
        pro: ProfessionalCaller,
        state: Data<&AppState>,
        /// Part of a name, phone or email.
        q: Query<Option<String>>,
        /// Page size, 1 to 200 (default 50).
        limit: Query<Option<u64>>,
        /// From the previous page's `next_cursor`.
        cursor: Query<Option<String>>,
    ) -> Result<JsonResponse<Page<ClientView>>, Problems<{ RATE_LIMITED | PROFESSIONAL | PAGED }>>
    {
        let page = page(limit.0, cursor.0)?;
        Ok(JsonResponse(
            state
                .scheduling
                .clients
                .search(&state.db, &pro, q.0.as_deref(), &page)
                .await?,
        ))
    }

    /// Add a client (403 `plan.limit_reached` over the plan's limit).
    #[oai(path = "/", method = "post", operation_id = "create_client")]
    async fn create(
        &self,
        pro: ProfessionalCaller,
        state: Data<&AppState>,
        body: Json<CreateClient>,
    ) -> Result<
        Created<ClientView>,
        Problems<
            { RATE_LIMITED | PROFESSIONAL | JSON_BODY | UNPROCESSABLE | FORBIDDEN | CONFLICT },
        >,
    > {
        Ok(Created::Created(JsonResponse(
            state
                .scheduling
                .clients
                .create(&state.db, &pro, body.0)
                .await?,
        )))
    }

    /// One client.
    #[oai(path = "/:id", method = "get", operation_id = "get_client")]
    async fn get(
        &self,
        pro: ProfessionalCaller,
        state: Data<&AppState>,
        id: Path<ClientId>,
    ) -> Result<JsonResponse<ClientView>, Problems<{ RATE_LIMITED | PROFESSIONAL | PARAMS }>> {
        Ok(JsonResponse(
            state.scheduling.clients.get(&state.db, &pro, id.0).await?,
        ))
    }

    /// Change a client.
    #[oai(path = "/:id", method = "patch", operation_id = "update_client")]
    async fn update(
        &self,
        pro: ProfessionalCaller,
        state: Data<&AppState>,
        id: Path<ClientId>,
        body: Json<UpdateClient>,
    ) -> Result<
        JsonResponse<ClientView>,
        Problems<{ RATE_LIMITED | PROFESSIONAL | PARAMS | JSON_BODY | UNPROCESSABLE | CONFLICT }>,
    > {
        Ok(JsonResponse(
            state
                .scheduling
                .clients
                .update(&state.db, &pro, id.0, body.0)
                .await?,
        ))
    }

    /// Remove a client with their notes and appointments.
    #[oai(path = "/:id", method = "delete", operation_id = "delete_client")]
    async fn delete(
        &self,
        pro: ProfessionalCaller,
        state: Data<&AppState>,
        id: Path<ClientId>,
    ) -> Result<NoContent, Problems<{ RATE_LIMITED | PROFESSIONAL | PARAMS }>> {
        state
            .scheduling
            .clients
            .delete(&state.db, &pro, id.0)
            .await?;
        Ok(NoContent::NoContent)
    }

    /// Notes about a client, newest first.
    #[oai(
        path = "/:id/notes",
        method = "get",
        operation_id = "list_client_notes"
    )]
    async fn notes(
        &self,
        pro: ProfessionalCaller,
        state: Data<&AppState>,
        id: Path<ClientId>,
    ) -> Result<JsonResponse<Vec<NoteView>>, Problems<{ RATE_LIMITED | PROFESSIONAL | PARAMS }>>
    {
        Ok(JsonResponse(
            state
                .scheduling
                .clients
                .notes(&state.db, &pro, id.0)
                .await?,
        ))
    }

    /// Write a note about a client.
    #[oai(
        path = "/:id/notes",
        method = "post",
        operation_id = "create_client_note"
    )]
    async fn add_note(
        &self,
        pro: ProfessionalCaller,
        state: Data<&AppState>,
        id: Path<ClientId>,
        body: Json<CreateNote>,
    ) -> Result<
        Created<NoteView>,
        Problems<{ RATE_LIMITED | PROFESSIONAL | PARAMS | JSON_BODY | UNPROCESSABLE }>,
    > {
        Ok(Created::Created(JsonResponse(
            state
                .scheduling
                .clients
                .add_note(&state.db, &pro, id.0, body.0)
                .await?,
        )))
    }
}
