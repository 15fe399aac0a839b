//! `/api/v1/files`: upload, download, signed links.

use poem::{
    Body, IntoResponse, Response,
    http::{StatusCode, header},
    web::Data,
};
use poem_openapi::{
    ApiResponse, Multipart, Object, OpenApi,
    param::{Path, Query},
    registry::{
        MetaHeader, MetaMediaType, MetaResponse, MetaResponses, MetaSchema, MetaSchemaRef, Registry,
    },
    types::{Type, multipart::Upload},
};
use serde::Serialize;
use trellis_kernel::Timestamp;
use trellis_messaging::{
    files::content_disposition,
    ids::FileId,
    model::{FileDownload, FileLink, FileView, NewFile},
};

use crate::api::{ApiTags, common::Created, json::JsonResponse};
use crate::{
    auth::{Caller, OptionalCaller},
    error::{ApiError, Problems, status::*},
    state::AppState,
};

/// The upload route, which alone takes bodies up to `TRELLIS_UPLOAD_LIMIT`.
pub const UPLOAD_PATH: &str = "/api/v1/files";

/// Files.
#[derive(Debug, Clone, Copy, Default)]
pub struct FilesApi;

/// An upload.
#[derive(Debug, Multipart)]
pub struct UploadFile {
    /// The file. Its part's `filename` names it (made safe); its part's
    /// `Content-Type`, if not `application/octet-stream`, must be what the
    /// bytes are.
    file: Upload,
}

/// A link that downloads the file without signing in until it expires.
#[derive(Debug, Clone, Object, Serialize)]
pub struct SignedFileUrl {
    /// The link, relative to the API's origin.
    pub url: String,
    /// When it stops working.
    pub expires_at: Timestamp,
}

impl From<FileLink> for SignedFileUrl {
    fn from(link: FileLink) -> Self {
        Self {
            url: format!(
                "{UPLOAD_PATH}/{}?expires={}&signature={}",
                link.file_id, link.expires, link.signature
            ),
            expires_at: link.expires_at.into(),
        }
    }
}

/// A download: the file's bytes with its own type, or a signed link.
pub enum Download {
    /// The bytes.
    File(FileDownload),
    /// A signed link (`?signed=true`).
    Link(JsonResponse<SignedFileUrl>),
}

impl ApiResponse for Download {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: vec![MetaResponse {
                description: "The file's bytes, typed as the file is (`*/*`: the type sniffed at upload), \
                              or with `signed=true` a signed link (JSON).",
                status: Some(200),
                status_range: None,
                content: vec![
                    MetaMediaType {
                        content_type: "application/json; charset=utf-8",
                        schema: SignedFileUrl::schema_ref(),
                    },
                    MetaMediaType {
                        content_type: "*/*",
                        schema: MetaSchemaRef::Inline(Box::new(MetaSchema::new_with_format(
                            "string", "binary",
                        ))),
                    },
                ],
                headers: vec![MetaHeader {
                    name: "Content-Disposition".to_string(),
                    description: Some(
                        "With the bytes: `attachment`, with the file's name as `filename*` (UTF-8) \
                         and an ASCII `filename`."
                            .to_string(),
                    ),
                    required: false,
                    deprecated: false,
                    schema: String::schema_ref(),
                }],
            }],
        }
    }

    fn register(registry: &mut Registry) {
        SignedFileUrl::register(registry);
    }
}

impl IntoResponse for Download {
    fn into_response(self) -> Response {
        match self {
            Self::Link(link) => link.into_response(),
            Self::File(download) => Response::builder()
                .status(StatusCode::OK)
                .content_type(download.file.content_type.as_str())
                .header(header::CONTENT_LENGTH, download.file.size_bytes)
                .header(
                    header::CONTENT_DISPOSITION,
                    content_disposition(&download.file.name),
                )
                // A user's file is never a page of ours: no scripts, no
                // caching outside the client.
                .header(
                    header::CONTENT_SECURITY_POLICY,
                    "default-src 'none'; sandbox",
                )
                .header(header::CACHE_CONTROL, "private, no-store")
                .body(Body::from_bytes_stream(download.body)),
        }
    }
}

#[OpenApi(tag = "ApiTags::Messaging")]
impl FilesApi {
    /// Upload a file (multipart, field `file`; the whole request body up to
    /// `TRELLIS_UPLOAD_LIMIT`, 413 beyond). Its type is sniffed from the
    /// bytes and must be on the allow-list (422 `file.type_not_allowed`)
    /// and match the part's declared type (422 `file.type_mismatch`).
    /// Attach it to messages by its id.
    #[oai(path = "/api/v1/files", method = "post", operation_id = "upload_file")]
    async fn upload(
        &self,
        caller: Caller,
        state: Data<&AppState>,
        form: UploadFile,
    ) -> Result<
        Created<FileView>,
        Problems<
            {
                RATE_LIMITED
                    | SIGNED_IN
                    | BAD_REQUEST
                    | PAYLOAD_TOO_LARGE
                    | UNSUPPORTED_MEDIA_TYPE
                    | UNPROCESSABLE
                    | DATABASE
            },
        >,
    > {
        let upload = NewFile {
            name: form.file.file_name().map(str::to_owned),
            declared_type: form.file.content_type().map(str::to_owned),
            bytes: form
                .file
                .into_vec()
                .await
                .map_err(ApiError::internal)?
                .into(),
        };
        let file = state
            .messaging
            .files
            .upload(&state.db, caller.user_id, upload)
            .await?;
        Ok(Created::Created(JsonResponse(file)))
    }

    /// Download a file: its owner, or a member of a room where a message
    /// carrying it was posted (anyone else: 404). With `signed=true`, a
    /// link instead (`{url, expires_at}`) that downloads it without a
    /// token until it expires (`TRELLIS_FILES_LINK_TTL`); such a link's
    /// `expires` and `signature` answer 403 `file.link_invalid` when they
    /// are not ours, `file.link_expired` once it has expired.
    #[oai(
        path = "/api/v1/files/:id",
        method = "get",
        operation_id = "download_file"
    )]
    async fn download(
        &self,
        caller: OptionalCaller,
        state: Data<&AppState>,
        id: Path<FileId>,
        /// `true`: answer a signed link instead of the bytes.
        signed: Query<Option<bool>>,
        /// A signed link's expiry (Unix seconds).
        expires: Query<Option<i64>>,
        /// A signed link's signature.
        signature: Query<Option<String>>,
    ) -> Result<
        Download,
        Problems<{ RATE_LIMITED | OPTIONAL_AUTH | PARAMS | FORBIDDEN | NOT_FOUND | DATABASE }>,
    > {
        let files = &state.messaging.files;
        if expires.0.is_some() || signature.0.is_some() {
            let (Some(expires), Some(signature)) = (expires.0, signature.0) else {
                return Err(ApiError::forbidden(
                    "file.link_invalid",
                    "a signed link carries both expires and signature",
                )
                .into());
            };
            let file = files
                .open_link(&state.db, id.0, expires, &signature)
                .await?;
            return Ok(Download::File(file));
        }
        let Some(caller) = caller.0 else {
            return Err(ApiError::unauthorized(
                "auth.missing_token",
                "this operation needs a bearer access token or a signed link",
            )
            .into());
        };
        Ok(if signed.0 == Some(true) {
            let link = files.link(&state.db, caller.user_id, id.0).await?;
            Download::Link(JsonResponse(link.into()))
        } else {
            Download::File(files.download(&state.db, caller.user_id, id.0).await?)
        })
    }
}
