//! `GET /api/v1/assets/{sha256}`: the bytes of a cached artwork file.
//!
//! The only names served are 64 lowercase hex digits that the `assets` table knows, joined to the
//! cache root with [`cache::path_for`]; nothing the client sends ever becomes a path by itself, so
//! no request can reach a file outside the cache. Content never changes under a hash, hence the
//! year-long `immutable` cache header and the hash as `ETag`.

use crate::cache;
use crate::catalogue::movies;
use crate::error::{AppError, ErrorBody};
use crate::routes::AppState;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// A file's bytes in an answer, in the OpenAPI document: a binary string of the answer's
/// content type (an image, mostly), not JSON.
pub struct Binary;

impl utoipa::PartialSchema for Binary {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .description(Some("The file's bytes, of the answer's content type"))
            .into()
    }
}

impl utoipa::ToSchema for Binary {}

/// Browsers and proxies may keep an asset for a year: its name is its content.
pub const CACHE_CONTROL: &str = "public, max-age=31536000, immutable";

/// The bytes of a cached artwork file, named by their SHA-256.
///
/// 200 with the bytes, 304 when `If-None-Match` already has them, 404 for a malformed or
/// unknown hash or a file gone from the cache. The content never changes under a hash: the
/// answer may be kept for a year.
#[utoipa::path(
    get,
    path = "/assets/{sha256}",
    tag = "artwork",
    operation_id = "get_asset",
    params(
        ("sha256" = String, Path, description = "The file's SHA-256, 64 lowercase hex digits", pattern = "^[0-9a-f]{64}$"),
        ("If-None-Match" = Option<String>, Header, description = "ETags the client has; `*` matches any"),
    ),
    responses(
        (status = 200, description = "The file's bytes, typed by its extension",
            content(
                (Binary = "image/jpeg"), (Binary = "image/png"), (Binary = "image/webp"), (Binary = "image/gif"),
                (Binary = "image/bmp"), (Binary = "image/avif"), (Binary = "application/xml"),
                (Binary = "application/octet-stream"),
            ),
            headers(
                ("ETag" = String, description = "The hash, quoted"),
                ("Cache-Control" = String, description = "`public, max-age=31536000, immutable`"),
            )),
        (status = 304, description = "`If-None-Match` already has this file",
            headers(
                ("ETag" = String, description = "The hash, quoted"),
                ("Cache-Control" = String, description = "`public, max-age=31536000, immutable`"),
            )),
        (status = 404, description = "A malformed or unknown hash, or a file gone from the cache", body = ErrorBody),
    )
)]
pub async fn get_one(
    State(state): State<AppState>,
    sha256: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    // A segment that is not even valid UTF-8 is no more a hash than `..` is: both are 404.
    let Ok(Path(sha256)) = sha256 else {
        return Err(not_found());
    };
    if !cache::is_sha256(&sha256) {
        return Err(not_found());
    }
    let Some(ext) = movies::asset_ext(&state.db, &sha256).await? else {
        return Err(not_found());
    };
    // The extension comes from our own table, but it is still joined into a path: refuse anything
    // but what `cache::clean_ext` produces rather than trust the row.
    if ext.is_empty() || ext.len() > 8 || !ext.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()) {
        return Err(AppError::Internal(format!("asset {sha256} has an unusable extension {ext:?}")));
    }
    let etag = HeaderValue::from_str(&format!("\"{sha256}\"")).expect("hex digits are a valid header value");
    let common = [(header::ETAG, etag.clone()), (header::CACHE_CONTROL, HeaderValue::from_static(CACHE_CONTROL))];
    if headers.get(header::IF_NONE_MATCH).is_some_and(|value| matches_etag(value, &sha256)) {
        return Ok((StatusCode::NOT_MODIFIED, common).into_response());
    }
    let cache_root = state.settings.data_dir.join("cache");
    let path = cache::path_for(&cache_root, &sha256, &ext);
    // Artwork is at most a few megabytes, so it is read whole rather than streamed.
    let bytes = match tokio::fs::read(&path).await {
        Ok(bytes) => bytes,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Err(not_found()),
        Err(err) => return Err(AppError::Internal(format!("reading {}: {err}", path.display()))),
    };
    let content_type = HeaderValue::from_static(cache::content_type(&ext));
    Ok((StatusCode::OK, common, [(header::CONTENT_TYPE, content_type)], bytes).into_response())
}

fn not_found() -> AppError {
    AppError::NotFound("no such asset".into())
}

/// True when an `If-None-Match` list holds this hash's ETag (or `*`).
fn matches_etag(value: &HeaderValue, sha256: &str) -> bool {
    let Ok(text) = value.to_str() else {
        return false;
    };
    text.split(',').map(str::trim).any(|tag| {
        let tag = tag.strip_prefix("W/").unwrap_or(tag);
        tag == "*" || tag.trim_matches('"') == sha256
    })
}

/// This module's routes (`/api/v1`-relative), each registered with its OpenAPI description.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_one))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_accepts_lists_weak_tags_and_star() {
        let hash = "a".repeat(64);
        assert!(matches_etag(&HeaderValue::from_str(&format!("\"{hash}\"")).expect("header"), &hash));
        assert!(matches_etag(&HeaderValue::from_str(&format!("\"x\", W/\"{hash}\"")).expect("header"), &hash));
        assert!(matches_etag(&HeaderValue::from_static("*"), &hash));
        assert!(!matches_etag(&HeaderValue::from_static("\"other\""), &hash));
    }
}
