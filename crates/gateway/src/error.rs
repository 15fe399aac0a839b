//! Every error becomes an RFC 9457 problem document.
//!
//! Handlers return `Result<_, Problems<S>>`: [`Problems`] documents exactly
//! the statuses `S` that operation can answer with (built from the
//! [`status`] building blocks), and wraps an [`ApiError`]. Everything poem
//! or poem-openapi rejects before a handler runs (malformed JSON, wrong
//! content type, unknown route, method not allowed, missing token) is
//! converted by [`into_problem_response`]; a value a kernel type refuses (a
//! body field, see `middleware::field_errors`, or a query parameter) is a
//! 422 naming it.
//! A 5xx never shows internal text: it logs the cause under an error id and
//! returns only that id.

use std::{borrow::Cow, error::Error as StdError, fmt};

use poem::{
    IntoResponse, Response,
    error::{MethodNotAllowedError, NotFoundError, ResponseError},
    http::{HeaderValue, StatusCode, header},
};
use poem_openapi::{
    ApiResponse, Object, OperationId,
    error::{
        AuthorizationError, ContentTypeError, ParseParamError, ParsePathError,
        ParseRequestPayloadError,
    },
    registry::{MetaMediaType, MetaResponse, MetaResponses, Registry},
    types::Type,
};
use trellis_kernel::{DomainError, ErrorKind, FieldError};
use uuid::Uuid;

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Object)]
pub struct Problem {
    /// A URI naming the kind of problem (`urn:trellis:problem:<code>`).
    #[oai(rename = "type")]
    pub problem_type: String,
    /// A short summary of the status.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What happened, for a person.
    #[oai(skip_serializing_if_is_none)]
    pub detail: Option<String>,
    /// Stable machine-readable code, such as `appointment.slot_taken`.
    pub code: String,
    /// Per-field problems of a rejected body.
    #[oai(skip_serializing_if_is_empty, default)]
    pub errors: Vec<FieldError>,
    /// For server faults: quote it when reporting; it finds the cause in our logs.
    #[oai(skip_serializing_if_is_none)]
    pub error_id: Option<String>,
}

/// An error on its way to the client.
pub struct ApiError {
    status: StatusCode,
    code: Cow<'static, str>,
    detail: Option<String>,
    errors: Vec<FieldError>,
    headers: Vec<(header::HeaderName, HeaderValue)>,
    source: Option<Box<dyn StdError + Send + Sync>>,
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiError")
            .field("status", &self.status)
            .field("code", &self.code)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.code, self.status)
    }
}

impl StdError for ApiError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn StdError + 'static))
    }
}

impl ApiError {
    /// An error with a status, a stable code and a message for people.
    pub fn new(
        status: StatusCode,
        code: impl Into<Cow<'static, str>>,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            status,
            code: code.into(),
            detail: Some(detail.into()),
            errors: Vec::new(),
            headers: Vec::new(),
            source: None,
        }
    }

    /// 401: the caller must sign in (again).
    pub fn unauthorized(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, detail)
            .with_header(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))
    }

    /// 403.
    pub fn forbidden(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, detail)
    }

    /// 404 for things that do not exist, or are not the caller's to see.
    pub fn not_found(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, detail)
    }

    /// 422 with per-field details.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let mut e = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "request.validation_failed",
            "some fields are invalid",
        );
        e.errors = errors;
        e
    }

    /// 422 from `validator`'s errors.
    pub fn from_validation(errors: &validator::ValidationErrors) -> Self {
        Self::validation(trellis_kernel::error::field_errors(errors))
    }

    /// 500: an unexpected fault. The cause is logged, never sent.
    pub fn internal(cause: impl StdError + Send + Sync + 'static) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "").with_source(cause)
    }

    /// 503: a dependency is unavailable.
    pub fn unavailable(code: &'static str, cause: impl StdError + Send + Sync + 'static) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, code, "").with_source(cause)
    }

    /// Adds a response header (such as `Retry-After`).
    pub fn with_header(mut self, name: header::HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    /// Keeps the cause for the logs.
    pub fn with_source(mut self, cause: impl StdError + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(cause));
        self
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The stable code.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// Builds the problem document; server faults are logged here, once.
    pub(crate) fn to_problem(&self) -> Problem {
        let status = self.status.as_u16();
        let title = self
            .status
            .canonical_reason()
            .unwrap_or("Error")
            .to_string();
        let (detail, error_id) = if self.status.is_server_error() {
            let error_id = Uuid::now_v7().to_string();
            tracing::error!(
                error_id = %error_id,
                status,
                code = %self.code,
                cause = %ErrorChain(self.source.as_deref()),
                "request failed"
            );
            (
                Some(
                    "something went wrong on our side; quote the error_id when reporting it"
                        .to_string(),
                ),
                Some(error_id),
            )
        } else {
            (self.detail.clone().filter(|d| !d.is_empty()), None)
        };
        Problem {
            problem_type: format!("urn:trellis:problem:{}", self.code),
            title,
            status,
            detail,
            code: self.code.to_string(),
            errors: self.errors.clone(),
            error_id,
        }
    }
}

impl<E: DomainError> From<E> for ApiError {
    fn from(err: E) -> Self {
        let kind = err.kind();
        let status =
            StatusCode::from_u16(kind.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let detail = if kind.is_server_fault() {
            String::new()
        } else {
            err.to_string()
        };
        let mut api = Self::new(status, err.code(), detail);
        api.errors = err.field_errors();
        if kind == ErrorKind::Unauthorized {
            api = api.with_header(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(wait) = err.retry_after() {
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            api = api.with_header(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
        }
        api.with_source(err)
    }
}

impl ResponseError for ApiError {
    fn status(&self) -> StatusCode {
        self.status
    }

    fn as_response(&self) -> Response {
        let mut resp = problem_response(&self.to_problem());
        for (name, value) in &self.headers {
            resp.headers_mut().insert(name.clone(), value.clone());
        }
        resp
    }
}

/// Writes a problem document as a response.
pub fn problem_response(problem: &Problem) -> Response {
    let body =
        serde_json::to_vec(&poem_openapi::types::ToJSON::to_json(problem)).unwrap_or_default();
    Response::builder()
        .status(StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .content_type(PROBLEM_JSON)
        .body(body)
}

/// Formats an error and its `source()` chain on one line.
struct ErrorChain<'a>(Option<&'a (dyn StdError + Send + Sync)>);

impl fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(err) = self.0 else {
            return f.write_str("(no cause recorded)");
        };
        write!(f, "{err}")?;
        let mut next = err.source();
        while let Some(cause) = next {
            write!(f, ": {cause}")?;
            next = cause.source();
        }
        Ok(())
    }
}

/// Converts any error that reached the edge into a problem response. Errors
/// we raised keep their code; poem's own errors get codes of their own; an
/// unrecognised error is a 500 with its cause logged.
pub fn into_problem_response(err: poem::Error) -> Response {
    let operation = err.data::<OperationId>().copied();
    let mut resp = if let Some(api) = err.downcast_ref::<ApiError>() {
        api.as_response()
    } else {
        classify(&err).as_response()
    };
    if let Some(operation) = operation {
        resp.set_data(operation);
    }
    resp
}

fn classify(err: &poem::Error) -> ApiError {
    use StatusCode as S;
    if err.is::<ParseRequestPayloadError>() {
        let detail = err.to_string().replace("parse request payload error: ", "");
        return ApiError::new(S::BAD_REQUEST, "request.invalid_body", detail);
    }
    if let Some(param) = err.downcast_ref::<ParseParamError>()
        && let Some(reason) = trellis_kernel::types::parse_failure(&param.reason)
    {
        // A kernel value type refused the parameter (`tz=Mars/Base`): a field
        // error like a refused body field, not a malformed request.
        return ApiError::validation(vec![FieldError::new(param.name, reason)]);
    }
    if err.is::<ParseParamError>() || err.is::<ParsePathError>() {
        return ApiError::new(S::BAD_REQUEST, "request.invalid_parameter", err.to_string());
    }
    if err.is::<ContentTypeError>() {
        return ApiError::new(
            S::UNSUPPORTED_MEDIA_TYPE,
            "request.unsupported_media_type",
            err.to_string(),
        );
    }
    if err.is::<AuthorizationError>() {
        return ApiError::unauthorized(
            "auth.missing_token",
            "this operation needs a bearer access token",
        );
    }
    if let Some(poem::error::WebSocketError::InvalidProtocol) =
        err.downcast_ref::<poem::error::WebSocketError>()
    {
        return ApiError::new(
            S::BAD_REQUEST,
            "request.not_websocket",
            "this route speaks WebSocket: send an upgrade request (Connection: Upgrade, \
             Upgrade: websocket, Sec-WebSocket-Version: 13, Sec-WebSocket-Key)",
        );
    }
    if err.is::<NotFoundError>() {
        return ApiError::not_found("route.not_found", "no such route");
    }
    if err.is::<MethodNotAllowedError>() {
        return ApiError::new(
            S::METHOD_NOT_ALLOWED,
            "route.method_not_allowed",
            "this route does not accept that method",
        );
    }
    let status = err.status();
    match status {
        S::PAYLOAD_TOO_LARGE => ApiError::new(
            status,
            "request.body_too_large",
            "the request body is too large",
        ),
        s if s.is_client_error() => {
            // poem's own client errors (bad headers, bad query strings): their text is safe.
            ApiError::new(s, "request.invalid", err.to_string())
        }
        _ => ApiError::new(S::INTERNAL_SERVER_ERROR, "internal", "")
            .with_source(std::io::Error::other(err.to_string())),
    }
}

/// Response metadata for a list of error statuses, all as problem documents.
pub fn problem_meta(statuses: &[u16]) -> MetaResponses {
    MetaResponses {
        responses: statuses
            .iter()
            .map(|status| MetaResponse {
                description: status_description(*status),
                status: Some(*status),
                status_range: None,
                content: vec![MetaMediaType {
                    content_type: PROBLEM_JSON,
                    schema: Problem::schema_ref(),
                }],
                headers: vec![],
            })
            .collect(),
    }
}

/// Registers the problem schema.
pub fn register_problem(registry: &mut Registry) {
    Problem::register(registry);
}

fn status_description(status: u16) -> &'static str {
    match status {
        400 => "The request is malformed (bad JSON, wrong types, bad parameters).",
        401 => "Missing, invalid or expired credentials.",
        403 => "Not allowed for the caller.",
        404 => "Not found, or not visible to the caller.",
        409 => "Conflicts with the current state.",
        413 => "The request body is too large.",
        415 => "The request body is not of a media type the operation takes.",
        422 => "A field or rule check failed; see `errors`.",
        429 => "Too many requests; see `Retry-After`.",
        500 => "A fault on our side; quote `error_id` when reporting it.",
        503 => "A dependency is unavailable; retry later.",
        _ => "Error.",
    }
}

/// The error type of an operation: the statuses `S` (a bitmask of
/// [`status`] constants) it documents, each answered with a problem
/// document, and 500, which every operation documents. It wraps an
/// [`ApiError`], from which every domain error converts.
///
/// The set is declared next to the operation, from named building blocks
/// that say where each status comes from:
///
/// ```ignore
/// use crate::error::{Problems, status::*};
///
/// async fn create(&self, pro: ProfessionalCaller, body: Json<CreateClient>)
///     -> Result<Created<ClientView>, Problems<{ RATE_LIMITED | PROFESSIONAL | JSON_BODY | UNPROCESSABLE | CONFLICT }>>
/// ```
///
/// List what the operation can answer, no more: what its extractors and
/// parameters refuse (see the building blocks), what the rate limiter and
/// body limit answer on its route, and the `kind()` of every domain error
/// its service can return. The black-box suite checks every response
/// against the spec, and `tests/tests/api/system/spec.rs` checks the rules
/// that follow from the spec alone.
#[derive(Debug)]
pub struct Problems<const S: u32>(pub ApiError);

/// The statuses of [`Problems`], one bit each, and the building blocks
/// handlers combine with `|`. 500 has no bit: it is always documented.
pub mod status {
    /// 400: the request is malformed.
    pub const BAD_REQUEST: u32 = 1 << 0;
    /// 401: missing, invalid or expired credentials.
    pub const UNAUTHORIZED: u32 = 1 << 1;
    /// 403: not allowed for the caller.
    pub const FORBIDDEN: u32 = 1 << 2;
    /// 404: not found, or not the caller's to see.
    pub const NOT_FOUND: u32 = 1 << 3;
    /// 409: conflicts with the current state.
    pub const CONFLICT: u32 = 1 << 4;
    /// 413: the body is over the body limit.
    pub const PAYLOAD_TOO_LARGE: u32 = 1 << 5;
    /// 415: the body is not `application/json`.
    pub const UNSUPPORTED_MEDIA_TYPE: u32 = 1 << 6;
    /// 422: a field or rule check failed (the handler or its service checks
    /// something; parsing alone never answers 422).
    pub const UNPROCESSABLE: u32 = 1 << 7;
    /// 429: too many requests.
    pub const TOO_MANY_REQUESTS: u32 = 1 << 8;
    /// 503: a dependency is unavailable.
    pub const UNAVAILABLE: u32 = 1 << 9;

    /// Every bit above.
    pub const ALL: u32 = (1 << 10) - 1;

    /// Each bit's status, in ascending order.
    pub(crate) const STATUSES: [(u32, u16); 10] = [
        (BAD_REQUEST, 400),
        (UNAUTHORIZED, 401),
        (FORBIDDEN, 403),
        (NOT_FOUND, 404),
        (CONFLICT, 409),
        (PAYLOAD_TOO_LARGE, 413),
        (UNSUPPORTED_MEDIA_TYPE, 415),
        (UNPROCESSABLE, 422),
        (TOO_MANY_REQUESTS, 429),
        (UNAVAILABLE, 503),
    ];

    /// A route the rate limiter classifies (every `/api/v1/` route, and
    /// `/internal/auth/login`): 429 `rate_limit.exceeded`.
    pub const RATE_LIMITED: u32 = TOO_MANY_REQUESTS;
    /// A JSON request body, before the handler runs: 400 malformed or wrong
    /// shape, 413 over the body limit, 415 not JSON. Add [`UNPROCESSABLE`]
    /// when the handler or its service checks the fields.
    pub const JSON_BODY: u32 = BAD_REQUEST | PAYLOAD_TOO_LARGE | UNSUPPORTED_MEDIA_TYPE;
    /// A typed path or query parameter (an id, a date, an enum, a number),
    /// or a required one: 400 `request.invalid_parameter`.
    pub const PARAMS: u32 = BAD_REQUEST;
    /// `?limit=&cursor=`: 400 when `limit` is not a number, 422 when it is
    /// out of range or the cursor is not ours.
    pub const PAGED: u32 = PARAMS | UNPROCESSABLE;
    /// The service reads or writes the database: 503 when it is unreachable
    /// or its pool is exhausted (other database faults are 500).
    pub const DATABASE: u32 = UNAVAILABLE;
    /// [`Caller`](crate::auth::Caller): 401.
    pub const SIGNED_IN: u32 = UNAUTHORIZED;
    /// [`OptionalCaller`](crate::auth::OptionalCaller): 401 for a token
    /// that is present but not valid.
    pub const OPTIONAL_AUTH: u32 = UNAUTHORIZED;
    /// [`StaffCaller`](crate::auth::StaffCaller): 401, 403.
    pub const STAFF: u32 = UNAUTHORIZED | FORBIDDEN;
    /// [`ProfessionalCaller`](crate::auth::ProfessionalCaller): 401, 404
    /// `professional.not_found`, and 503 from the profile lookup.
    pub const PROFESSIONAL: u32 = UNAUTHORIZED | NOT_FOUND | DATABASE;
    /// `OrgMember<role::Member>`: 401, 400 for an `org_id` that is not an
    /// id, 404 `org.not_found` for a non-member, 503 from the lookup.
    pub const ORG_MEMBER: u32 = UNAUTHORIZED | PARAMS | NOT_FOUND | DATABASE;
    /// `OrgMember<role::Admin>` or `OrgMember<role::Owner>`: [`ORG_MEMBER`]
    /// and 403 `org.role_required`.
    pub const ORG_ADMIN: u32 = ORG_MEMBER | FORBIDDEN;

    /// The mask of a list of statuses (500 is implied and ignored); an
    /// unknown status fails to compile.
    pub const fn of(statuses: &[u16]) -> u32 {
        let mut mask = 0;
        let mut i = 0;
        while i < statuses.len() {
            let status = statuses[i];
            i += 1;
            if status == 500 {
                continue;
            }
            let mut found = false;
            let mut j = 0;
            while j < STATUSES.len() {
                if STATUSES[j].1 == status {
                    mask |= STATUSES[j].0;
                    found = true;
                }
                j += 1;
            }
            assert!(found, "a status Problems cannot document");
        }
        mask
    }

    /// The statuses of a mask, ascending, with 500.
    pub fn list(mask: u32) -> Vec<u16> {
        let mut statuses: Vec<u16> = STATUSES
            .iter()
            .filter(|(bit, _)| mask & bit != 0)
            .map(|(_, status)| *status)
            .collect();
        statuses.push(500);
        statuses.sort_unstable();
        statuses
    }
}

impl<const S: u32> Problems<S> {
    /// The statuses this type documents, ascending (500 included).
    pub fn statuses() -> Vec<u16> {
        const { assert!(S & !status::ALL == 0, "unknown status bit") };
        status::list(S)
    }
}

impl<const S: u32> ApiResponse for Problems<S> {
    fn meta() -> MetaResponses {
        problem_meta(&Self::statuses())
    }

    fn register(registry: &mut Registry) {
        register_problem(registry);
    }
}

impl<const S: u32> From<ApiError> for Problems<S> {
    fn from(err: ApiError) -> Self {
        Self(err)
    }
}

impl<const S: u32, E: DomainError> From<E> for Problems<S> {
    fn from(err: E) -> Self {
        Self(ApiError::from(err))
    }
}

impl<const S: u32> From<Problems<S>> for poem::Error {
    fn from(err: Problems<S>) -> Self {
        poem::Error::from(err.0)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        problem_response(&self)
    }
}

#[cfg(test)]
mod tests {
    use poem_openapi::ApiResponse;

    use super::{Problems, status::*};

    fn documented<const S: u32>() -> Vec<u16> {
        Problems::<S>::meta()
            .responses
            .iter()
            .filter_map(|r| r.status)
            .collect()
    }

    #[test]
    fn a_mask_documents_its_statuses_in_order_and_always_500() {
        assert_eq!(documented::<0>(), [500]);
        assert_eq!(documented::<{ UNAVAILABLE }>(), [500, 503]);
        assert_eq!(
            documented::<{ RATE_LIMITED | SIGNED_IN | JSON_BODY | UNPROCESSABLE | CONFLICT }>(),
            [400, 401, 409, 413, 415, 422, 429, 500]
        );
        // Building blocks overlap freely.
        assert_eq!(
            documented::<{ ORG_ADMIN | ORG_MEMBER | PAGED | DATABASE }>(),
            [400, 401, 403, 404, 422, 500, 503]
        );
        assert_eq!(documented::<{ ALL }>().len(), 11);
    }

    #[test]
    fn status_lists_become_masks() {
        assert_eq!(of(&[401, 404]), UNAUTHORIZED | NOT_FOUND);
        assert_eq!(of(&[500]), 0);
        assert_eq!(list(of(&[503, 400])), [400, 500, 503]);
    }

    #[test]
    fn problems_keep_the_error() {
        let err: Problems<{ NOT_FOUND }> =
            super::ApiError::not_found("thing.not_found", "no such thing").into();
        assert_eq!(err.0.code(), "thing.not_found");
        let poem_err = poem::Error::from(err);
        assert_eq!(poem_err.status().as_u16(), 404);
    }
}
