//! `/api/v1/orgs/{org_id}/import`, `/imports` and `/export`: CSV files of
//! clients, projects and time entries in, time entries out.
//!
//! The import reads its body as a stream (`text/csv`, or a multipart form
//! whose `file` part is the CSV), so memory does not grow with the file; it
//! alone takes bodies up to `TRELLIS_IMPORT_LIMIT` (413 beyond). The export
//! is written as it is read, a page of entries at a time. The columns and
//! their rules are `trellis_time_tracking::columns`.

use std::{
    pin::Pin,
    sync::{Arc, Mutex},
    task::{Context, Poll},
};

use chrono::{DateTime, SecondsFormat, Utc};
use futures_util::TryStreamExt;
use poem::{
    Body, FromRequest, IntoResponse, Request, RequestBody, Response,
    http::{StatusCode, header},
    web::Data,
};
use poem_openapi::{
    ApiRequest, ApiResponse, Multipart, OpenApi,
    param::{Path, Query},
    payload::{ParsePayload, Payload},
    registry::{
        MetaHeader, MetaMediaType, MetaResponse, MetaResponses, MetaSchema, MetaSchemaRef, Registry,
    },
    types::{Type, multipart::Upload},
};
use tokio::io::{AsyncRead, ReadBuf};
use trellis_kernel::{
    Page,
    id::{OrgId, UserId},
};
use trellis_time_tracking::{
    ids::{AgencyClientId, ImportId, ProjectId, TaskId},
    model::{ImportKind, ImportOptions, ImportReport, ImportSummary, TimeEntryFilter},
    service::CsvStream,
};

use crate::api::{ApiTags, common::page, json::JsonResponse};
use crate::{
    auth::{OrgMember, role},
    error::{ApiError, Problems, status::*},
    middleware::body_limit::{is_too_large, too_large_error},
    state::AppState,
};

/// The import route, which alone takes bodies up to `TRELLIS_IMPORT_LIMIT`,
/// read as a stream (a path template for the body limit).
pub const IMPORT_PATH: &str = "/api/v1/orgs/{org_id}/import";

/// CSV imports and the export of time entries.
#[derive(Debug, Clone, Copy, Default)]
pub struct CsvApi;

/// A CSV file as the whole request body, read as it arrives.
pub struct CsvFile(Body);

impl Payload for CsvFile {
    const CONTENT_TYPE: &'static str = "text/csv";

    fn check_content_type(content_type: &str) -> bool {
        content_type
            .split(';')
            .next()
            .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("text/csv"))
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema::new_with_format("string", "binary")))
    }
}

impl ParsePayload for CsvFile {
    const IS_REQUIRED: bool = true;

    async fn from_request(request: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        Ok(Self(Body::from_request(request, body).await?))
    }
}

/// A CSV file as the `file` part of a form (kept in a temporary file, not
/// in memory, until it is read).
#[derive(Debug, Multipart)]
pub struct CsvForm {
    /// The CSV file.
    file: Upload,
}

/// The file to import.
#[derive(ApiRequest)]
pub enum ImportBody {
    /// The CSV file itself (UTF-8).
    Csv(CsvFile),
    /// A form whose `file` part is the CSV file.
    Form(CsvForm),
}

/// Reads a body and keeps the first read error, so the handler can tell a
/// body over the limit (413) from the rest after the import has run.
struct Watched<R> {
    inner: R,
    too_large: Arc<Mutex<Option<usize>>>,
}

impl<R: AsyncRead + Unpin> AsyncRead for Watched<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Err(err)) = &polled
            && let Some(max) = is_too_large(err)
            && let Ok(mut seen) = self.too_large.lock()
        {
            *seen = Some(max);
        }
        polled
    }
}

/// An export: `text/csv`, written as it is read.
pub struct CsvExport {
    stream: CsvStream,
    file_name: String,
}

impl ApiResponse for CsvExport {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: vec![MetaResponse {
                description: "The entries as CSV (UTF-8, a header row, then one row per entry \
                              in start order), written as they are read: a failure part way \
                              ends the response early, without its last line.",
                status: Some(200),
                status_range: None,
                content: vec![MetaMediaType {
                    content_type: "text/csv; charset=utf-8",
                    schema: MetaSchemaRef::Inline(Box::new(MetaSchema::new_with_format(
                        "string", "binary",
                    ))),
                }],
                headers: vec![MetaHeader {
                    name: "Content-Disposition".to_string(),
                    description: Some(
                        "`attachment`, with a file name naming the range.".to_string(),
                    ),
                    required: true,
                    deprecated: false,
                    schema: String::schema_ref(),
                }],
            }],
        }
    }

    fn register(_registry: &mut Registry) {}
}

impl IntoResponse for CsvExport {
    fn into_response(self) -> Response {
        let body = self.stream.map_err(|err| {
            tracing::error!(error = ?err, "an export stopped part way");
            std::io::Error::other(err)
        });
        Response::builder()
            .status(StatusCode::OK)
            .content_type("text/csv; charset=utf-8")
            .header(
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", self.file_name),
            )
            .header(header::CACHE_CONTROL, "private, no-store")
            .body(Body::from_bytes_stream(body))
    }
}

fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
        .replace([':', '-'], "")
}

#[OpenApi(prefix_path = "/api/v1/orgs", tag = "ApiTags::Time")]
impl CsvApi {
    /// Import a CSV file of clients, projects or time entries (admins): the
    /// body is the file (`text/csv`), or a form whose `file` part is. The
    /// columns are documented in the README; a header with unknown,
    /// repeated or missing columns is refused (422, field `header`).
    ///
    /// Every row is checked as the single operation would check it. With
    /// `dry_run=true` nothing is written; otherwise the valid rows are, in
    /// one transaction, or with `all_or_nothing=true` none if any row
    /// fails. The report lists each refused row (its line and column) and
    /// is kept in the import history. A body over `TRELLIS_IMPORT_LIMIT`
    /// is 413 and writes nothing: at once when its length says so, else
    /// once read that far (the history then keeps it as `aborted`; a form
    /// sent that way is 400, its part unreadable).
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/:org_id/import", method = "post", operation_id = "import_csv")]
    async fn import(
        &self,
        member: OrgMember<role::Admin>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
        /// What the file holds: `clients`, `projects` or `time_entries`.
        kind: Query<ImportKind>,
        /// Check every row and write nothing (default false).
        dry_run: Query<Option<bool>>,
        /// Write nothing if any row fails (default false: the valid rows are written).
        all_or_nothing: Query<Option<bool>>,
        body: ImportBody,
    ) -> Result<
        JsonResponse<ImportReport>,
        Problems<{ RATE_LIMITED | ORG_ADMIN | JSON_BODY | UNPROCESSABLE | CONFLICT }>,
    > {
        let options = ImportOptions {
            kind: kind.0,
            dry_run: dry_run.0.unwrap_or(false),
            all_or_nothing: all_or_nothing.0.unwrap_or(false),
        };
        let too_large = Arc::new(Mutex::new(None));
        let input: Box<dyn AsyncRead + Unpin + Send> = match body {
            ImportBody::Csv(CsvFile(body)) => Box::new(body.into_async_read()),
            ImportBody::Form(form) => Box::new(form.file.into_async_read()),
        };
        let input = Watched {
            inner: input,
            too_large: too_large.clone(),
        };
        let report = state
            .time
            .csv
            .import(&state.db, &member, options, input)
            .await;
        if let Some(max) = too_large.lock().ok().and_then(|seen| *seen) {
            return Err(too_large_error(max).into());
        }
        Ok(JsonResponse(report?))
    }

    /// The organization's imports, newest first, without their error
    /// reports (admins).
    #[oai(
        path = "/:org_id/imports",
        method = "get",
        operation_id = "list_imports"
    )]
    async fn list(
        &self,
        member: OrgMember<role::Admin>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
        /// Page size, 1 to 200 (default 50).
        limit: Query<Option<u64>>,
        /// From the previous page's `next_cursor`.
        cursor: Query<Option<String>>,
    ) -> Result<JsonResponse<Page<ImportSummary>>, Problems<{ RATE_LIMITED | ORG_ADMIN | PAGED }>>
    {
        let page = page(limit.0, cursor.0)?;
        Ok(JsonResponse(
            state.time.csv.imports(&state.db, &member, &page).await?,
        ))
    }

    /// One import with its error report (admins); 404 `time_import.not_found`
    /// when it is not the organization's.
    #[oai(
        path = "/:org_id/imports/:id",
        method = "get",
        operation_id = "get_import"
    )]
    async fn get(
        &self,
        member: OrgMember<role::Admin>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
        /// The import.
        id: Path<ImportId>,
    ) -> Result<
        JsonResponse<ImportReport>,
        Problems<{ RATE_LIMITED | ORG_ADMIN | PARAMS | NOT_FOUND }>,
    > {
        Ok(JsonResponse(
            state
                .time
                .csv
                .import_report(&state.db, &member, id.0)
                .await?,
        ))
    }

    /// The organization's stopped time entries starting in `[from, to)`,
    /// as CSV (members): the columns a time-entry import reads, so the file
    /// imports back as it is. Text a spreadsheet would take for a formula
    /// (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) is
    /// written with a leading `'`, which the import removes. Running timers
    /// are left out; 422 naming `to` when it is not after `from`.
    #[allow(clippy::too_many_arguments)]
    #[oai(
        path = "/:org_id/export",
        method = "get",
        operation_id = "export_time_entries"
    )]
    async fn export(
        &self,
        member: OrgMember<role::Member>,
        state: Data<&AppState>,
        /// The organization.
        #[oai(name = "org_id")]
        _org_id: Path<OrgId>,
        /// Entries starting at or after this instant.
        from: Query<DateTime<Utc>>,
        /// Entries starting before this instant.
        to: Query<DateTime<Utc>>,
        /// Only this member's entries.
        user_id: Query<Option<UserId>>,
        /// Only this project's entries.
        project_id: Query<Option<ProjectId>>,
        /// Only entries on this client's projects.
        client_id: Query<Option<AgencyClientId>>,
        /// Only this task's entries.
        task_id: Query<Option<TaskId>>,
        /// `true`: only billable entries; `false`: only non-billable ones.
        billable: Query<Option<bool>>,
    ) -> Result<CsvExport, Problems<{ RATE_LIMITED | ORG_MEMBER | PARAMS | UNPROCESSABLE }>> {
        let filter = TimeEntryFilter {
            user_id: user_id.0,
            project_id: project_id.0,
            client_id: client_id.0,
            task_id: task_id.0,
            billable: billable.0,
            from: Some(from.0),
            to: Some(to.0),
            running: Some(false),
        };
        let stream = state
            .time
            .csv
            .export_time_entries(state.db.clone(), &member, filter)
            .map_err(ApiError::from)?;
        Ok(CsvExport {
            stream,
            file_name: format!("time-entries-{}-{}.csv", stamp(from.0), stamp(to.0)),
        })
    }
}
