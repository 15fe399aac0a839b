//! `/api/v1/orgs/{org_id}/invoices`: invoices to the organization's agency
//! clients, their lines, their status and their PDF. Members read; admins
//! change. Every rule is the invoice service's.

use poem::{
    IntoResponse, Response,
    http::{StatusCode, header},
    web::Data,
};
use poem_openapi::{
    ApiResponse, OpenApi,
    param::{Path, Query},
    payload::Json,
    registry::{
        MetaHeader, MetaMediaType, MetaResponse, MetaResponses, MetaSchema, MetaSchemaRef, Registry,
    },
    types::Type,
};
use trellis_billing::{
    ids::{InvoiceId, InvoiceItemId},
    model::{
        ChangeInvoiceStatus, CreateInvoice, InvoiceFilter, InvoiceFromTime, InvoiceStatus,
        InvoiceView, NewInvoiceItem, UpdateInvoice, UpdateInvoiceItem,
    },
    service::InvoicePdf,
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

/// Invoices.
#[derive(Debug, Clone, Copy, Default)]
pub struct InvoicesApi;

/// An invoice as `application/pdf`.
pub struct PdfDocument(InvoicePdf);

impl ApiResponse for PdfDocument {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: vec![MetaResponse {
                description: "The invoice as an A4 PDF document.",
                status: Some(200),
                status_range: None,
                content: vec![MetaMediaType {
                    content_type: "application/pdf",
                    schema: MetaSchemaRef::Inline(Box::new(MetaSchema::new_with_format(
                        "string", "binary",
                    ))),
                }],
                headers: vec![MetaHeader {
                    name: "Content-Disposition".to_string(),
                    description: Some("`inline`, with the invoice number as the file name.".into()),
                    required: true,
                    deprecated: false,
                    schema: String::schema_ref(),
                }],
            }],
        }
    }

    fn register(_registry: &mut Registry) {}
}

impl IntoResponse for PdfDocument {
    fn into_response(self) -> Response {
        Response::builder()
            .status(StatusCode::OK)
            .content_type("application/pdf")
            .header(
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{}\"", self.0.file_name),
            )
            .header(header::CACHE_CONTROL, "private, no-store")
            .body(self.0.bytes)
    }
}

#[OpenApi(prefix_path = "/api/v1/orgs", tag = "ApiTags::Billing")]
impl InvoicesApi {
    /// The organization's invoices, newest first (members), with their
    /// lines; filtered by status and client.
    #[allow(clippy::too_many_arguments)] // one extractor per query parameter
    #[oai(
        path = "/:org_id/invoices",
        method = "get",
        operation_id = "list_invoices"
    )]
    async fn list(
        &self,
        member: OrgMember<role::Member>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
        /// Only in this status.
        status: Query<Option<InvoiceStatus>>,
        /// Only to this agency client.
        client_id: Query<Option<Uuid>>,
        /// Page size, 1 to 200 (default 50).
        limit: Query<Option<u64>>,
        /// From the previous page's `next_cursor`.
        cursor: Query<Option<String>>,
    ) -> Result<JsonResponse<Page<InvoiceView>>, Problems<{ RATE_LIMITED | ORG_MEMBER | PAGED }>>
    {
        let page = page(limit.0, cursor.0)?;
        let filter = InvoiceFilter {
            status: status.0,
            client_id: client_id.0,
        };
        Ok(JsonResponse(
            state
                .billing
                .invoices
                .list(&state.db, &member, filter, &page)
                .await?,
        ))
    }

    /// Create a draft invoice for one of the organization's agency clients
    /// (admins). Its number (`INV-<year of issue>-0001`, per organization,
    /// without gaps) is taken now; the currency defaults to the client's,
    /// the due date to 30 days after issue. 404 `agency_client.not_found`
    /// for a client that is not the organization's.
    #[oai(
        path = "/:org_id/invoices",
        method = "post",
        operation_id = "create_invoice"
    )]
    async fn create(
        &self,
        member: OrgMember<role::Admin>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
        body: Json<CreateInvoice>,
    ) -> Result<
        Created<InvoiceView>,
        Problems<{ RATE_LIMITED | ORG_ADMIN | JSON_BODY | UNPROCESSABLE }>,
    > {
        let created = state
            .billing
            .invoices
            .create(&state.db, &member, body.0)
            .await?;
        Ok(Created::Created(JsonResponse(created)))
    }

    /// Create a draft from the client's unbilled billable time between two
    /// dates (admins): one line per project and hourly rate, and that time
    /// marked billed in the same transaction. No such time is 422 naming
    /// the period; time billed meanwhile is 409 `time_entry.not_billable`.
    #[oai(
        path = "/:org_id/invoices/from-time",
        method = "post",
        operation_id = "create_invoice_from_time"
    )]
    async fn create_from_time(
        &self,
        member: OrgMember<role::Admin>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
        body: Json<InvoiceFromTime>,
    ) -> Result<
        Created<InvoiceView>,
        Problems<{ RATE_LIMITED | ORG_ADMIN | JSON_BODY | UNPROCESSABLE | CONFLICT }>,
    > {
        let created = state
            .billing
            .invoices
            .from_time(&state.db, &member, body.0)
            .await?;
        Ok(Created::Created(JsonResponse(created)))
    }

    /// One invoice with its lines (members).
    #[oai(
        path = "/:org_id/invoices/:id",
        method = "get",
        operation_id = "get_invoice"
    )]
    async fn get(
        &self,
        member: OrgMember<role::Member>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
        /// The invoice.
        id: Path<InvoiceId>,
    ) -> Result<
        JsonResponse<InvoiceView>,
        Problems<{ RATE_LIMITED | ORG_MEMBER | PARAMS | NOT_FOUND }>,
    > {
        Ok(JsonResponse(
            state.billing.invoices.get(&state.db, &member, id.0).await?,
        ))
    }

    /// Change a draft (admins): absent fields stay, `null` clears `notes`.
    /// 409 `invoice.not_draft` once sent.
    #[oai(
        path = "/:org_id/invoices/:id",
        method = "patch",
        operation_id = "update_invoice"
    )]
    async fn update(
        &self,
        member: OrgMember<role::Admin>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
        /// The invoice.
        id: Path<InvoiceId>,
        body: Json<UpdateInvoice>,
    ) -> Result<
        JsonResponse<InvoiceView>,
        Problems<
            {
                RATE_LIMITED | ORG_ADMIN | PARAMS | NOT_FOUND | JSON_BODY | UNPROCESSABLE | CONFLICT
            },
        >,
    > {
        Ok(JsonResponse(
            state
                .billing
                .invoices
                .update(&state.db, &member, id.0, body.0)
                .await?,
        ))
    }

    /// Delete a draft (admins), releasing any time on it. Only the draft
    /// with its year's latest number can be deleted, so numbers stay
    /// gap-free: another draft is 409 `invoice.not_deletable` (void it
    /// instead); a sent invoice is 409 `invoice.not_draft`.
    #[oai(
        path = "/:org_id/invoices/:id",
        method = "delete",
        operation_id = "delete_invoice"
    )]
    async fn delete(
        &self,
        member: OrgMember<role::Admin>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
        /// The invoice.
        id: Path<InvoiceId>,
    ) -> Result<NoContent, Problems<{ RATE_LIMITED | ORG_ADMIN | PARAMS | NOT_FOUND | CONFLICT }>>
    {
        state
            .billing
            .invoices
            .delete(&state.db, &member, id.0)
            .await?;
        Ok(NoContent::NoContent)
    }

    /// Move an invoice on (admins): `sent` (from draft, with at least one
    /// line: the client is emailed `invoice_sent`), `paid` (from sent or
    /// overdue) or `void` (from draft, sent or overdue: its time is
    /// unbilled again). Paid and void are final; any other move is 409
    /// `invoice.invalid_transition`.
    #[oai(
        path = "/:org_id/invoices/:id/status",
        method = "post",
        operation_id = "change_invoice_status"
    )]
    async fn change_status(
        &self,
        member: OrgMember<role::Admin>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
        /// The invoice.
        id: Path<InvoiceId>,
        body: Json<ChangeInvoiceStatus>,
    ) -> Result<
        JsonResponse<InvoiceView>,
        Problems<
            {
                RATE_LIMITED | ORG_ADMIN | PARAMS | NOT_FOUND | JSON_BODY | UNPROCESSABLE | CONFLICT
            },
        >,
    > {
        Ok(JsonResponse(
            state
                .billing
                .invoices
                .change_status(&state.db, &member, id.0, body.0)
                .await?,
        ))
    }

    /// Add a line to a draft (admins): answers the invoice with its new
    /// totals. 409 `invoice.not_draft` once sent.
    #[oai(
        path = "/:org_id/invoices/:id/items",
        method = "post",
        operation_id = "add_invoice_item"
    )]
    async fn add_item(
        &self,
        member: OrgMember<role::Admin>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
        /// The invoice.
        id: Path<InvoiceId>,
        body: Json<NewInvoiceItem>,
    ) -> Result<
        Created<InvoiceView>,
        Problems<
            {
                RATE_LIMITED | ORG_ADMIN | PARAMS | NOT_FOUND | JSON_BODY | UNPROCESSABLE | CONFLICT
            },
        >,
    > {
        let invoice = state
            .billing
            .invoices
            .add_item(&state.db, &member, id.0, body.0)
            .await?;
        Ok(Created::Created(JsonResponse(invoice)))
    }

    /// Change a line of a draft (admins): answers the invoice.
    #[oai(
        path = "/:org_id/invoices/:id/items/:item_id",
        method = "patch",
        operation_id = "update_invoice_item"
    )]
    #[allow(clippy::too_many_arguments)] // one extractor per path parameter
    async fn update_item(
        &self,
        member: OrgMember<role::Admin>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
        /// The invoice.
        id: Path<InvoiceId>,
        /// The line.
        item_id: Path<InvoiceItemId>,
        body: Json<UpdateInvoiceItem>,
    ) -> Result<
        JsonResponse<InvoiceView>,
        Problems<
            {
                RATE_LIMITED | ORG_ADMIN | PARAMS | NOT_FOUND | JSON_BODY | UNPROCESSABLE | CONFLICT
            },
        >,
    > {
        Ok(JsonResponse(
            state
                .billing
                .invoices
                .update_item(&state.db, &member, id.0, item_id.0, body.0)
                .await?,
        ))
    }

    /// Remove a line from a draft (admins): answers the invoice.
    #[oai(
        path = "/:org_id/invoices/:id/items/:item_id",
        method = "delete",
        operation_id = "delete_invoice_item"
    )]
    async fn delete_item(
        &self,
        member: OrgMember<role::Admin>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
        /// The invoice.
        id: Path<InvoiceId>,
        /// The line.
        item_id: Path<InvoiceItemId>,
    ) -> Result<
        JsonResponse<InvoiceView>,
        Problems<{ RATE_LIMITED | ORG_ADMIN | PARAMS | NOT_FOUND | CONFLICT }>,
    > {
        Ok(JsonResponse(
            state
                .billing
                .invoices
                .delete_item(&state.db, &member, id.0, item_id.0)
                .await?,
        ))
    }

    /// The invoice as a PDF (members), in any status.
    #[oai(
        path = "/:org_id/invoices/:id/pdf",
        method = "get",
        operation_id = "invoice_pdf"
    )]
    async fn pdf(
        &self,
        member: OrgMember<role::Member>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
        /// The invoice.
        id: Path<InvoiceId>,
    ) -> Result<PdfDocument, Problems<{ RATE_LIMITED | ORG_MEMBER | PARAMS | NOT_FOUND }>> {
        Ok(PdfDocument(
            state.billing.invoices.pdf(&state.db, &member, id.0).await?,
        ))
    }
}
