//! Response shapes and request helpers shared by every API module.

use poem::Request;
use poem_openapi::{ApiResponse, types::ToJSON};
use serde::Serialize;
use trellis_identity::model::ClientInfo;
use trellis_kernel::PageRequest;

use crate::{
    api::json::JsonResponse, error::ApiError, middleware::rate_limit::client_ip, state::AppState,
};

/// 201 with the created resource.
#[derive(ApiResponse)]
pub enum Created<T: ToJSON + Serialize> {
    /// Created.
    #[oai(status = 201)]
    Created(JsonResponse<T>),
}

/// 204: done, nothing to show.
#[derive(ApiResponse)]
pub enum NoContent {
    /// Done.
    #[oai(status = 204)]
    NoContent,
}

/// 202: accepted for processing.
#[derive(ApiResponse)]
pub enum Accepted {
    /// Accepted.
    #[oai(status = 202)]
    Accepted,
}

/// Who is calling, for the sessions list: user agent and client address.
pub fn client_info(req: &Request, state: &AppState) -> ClientInfo {
    let (ip, user_agent) = client_info_parts(req, state);
    ClientInfo { user_agent, ip }
}

/// The client address (behind trusted proxies, the forwarded one) and its
/// `User-Agent` (up to 512 characters).
pub fn client_info_parts(req: &Request, state: &AppState) -> (Option<String>, Option<String>) {
    let user_agent = req
        .headers()
        .get(poem::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|ua| ua.chars().take(512).collect());
    let peer = req.remote_addr().as_socket_addr().map(|a| a.ip());
    let forwarded = req
        .headers()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok());
    (
        client_ip(peer, forwarded, &state.config.http.trusted_proxies).map(|ip| ip.to_string()),
        user_agent,
    )
}

/// `?limit=&cursor=` into a page request (422 when out of range).
pub fn page(limit: Option<u64>, cursor: Option<String>) -> Result<PageRequest, ApiError> {
    PageRequest::parse(limit, cursor).map_err(ApiError::from)
}
