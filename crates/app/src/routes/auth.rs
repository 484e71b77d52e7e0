//! API key middleware: `X-Api-Key` header or `apikey` query parameter, compared in constant time.

use crate::error::AppError;
use crate::routes::AppState;
use axum::extract::{Query, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use std::collections::HashMap;

/// Header carrying the key, as Radarr names it.
pub const API_KEY_HEADER: &str = "x-api-key";
/// Query parameter carrying the key, for clients that cannot set headers (WebSocket in browsers).
pub const API_KEY_PARAM: &str = "apikey";

/// Lets the request through only with the right key; answers 401 otherwise.
pub async fn require_api_key(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Result<Response, AppError> {
    if has_api_key(&state, request.headers(), request.uri()) {
        Ok(next.run(request).await)
    } else {
        Err(AppError::Unauthorized)
    }
}

/// Whether the request carries the right key, in the header or the query.
pub fn has_api_key(state: &AppState, headers: &axum::http::HeaderMap, uri: &axum::http::Uri) -> bool {
    let from_header = headers.get(API_KEY_HEADER).map(|value| value.as_bytes().to_vec());
    let presented = match from_header {
        Some(key) => Some(key),
        None => Query::<HashMap<String, String>>::try_from_uri(uri)
            .ok()
            .and_then(|Query(params)| params.get(API_KEY_PARAM).map(|key| key.as_bytes().to_vec())),
    };
    presented.is_some_and(|key| state.api_key.matches(&key))
}
