//! `GET /api/v1/openapi.json`: the API described from its own code, and what every operation shares.
//!
//! Each handler carries its description (`#[utoipa::path]`) and is registered through
//! `utoipa_axum::routes!`, which adds the route and its description together, so a route cannot
//! be served without being described. What is common to whole groups of operations is added
//! here, from the same structure the router is built from: the key that every route behind
//! the key middleware needs, and the error answers (docs/openapi.md).

use crate::error::ErrorBody;
use crate::routes::AppState;
use axum::http::header;
use axum::response::IntoResponse;
use std::sync::LazyLock;
use utoipa::OpenApi;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{ContentBuilder, Ref, RefOr};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The security scheme of the `X-Api-Key` header.
const KEY_HEADER: &str = "api_key";
/// The security scheme of the `apikey` query parameter (as Radarr and Sonarr take it).
const KEY_QUERY: &str = "apikey_query";
/// HTTP Basic credentials, which only the *arr webhook receivers accept.
const BASIC: &str = "basic";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Metarr API",
        description = "Metarr's HTTP API: libraries and scans, movies and TV series with their metadata \
            and artwork, publishing into the library, the job queue, schedules, players, notifications \
            and the system's state. Every route but `/health`, this document and the two *arr webhook \
            receivers needs the API key, in the `X-Api-Key` header or the `apikey` query parameter. \
            Errors are `{ \"error\": { \"code\", \"message\" } }`: a 4xx is the client's mistake, a 5xx \
            Metarr's."
    ),
    components(schemas(ErrorBody)),
    tags(
        (name = "system", description = "Health, status, logs, backups and this document"),
        (name = "jobs", description = "The durable job queue"),
        (name = "schedules", description = "Recurring jobs"),
        (name = "events", description = "Live events over a WebSocket"),
        (name = "libraries", description = "Library folders"),
        (name = "scans", description = "Scans of the libraries' folders: their phase and counts"),
        (name = "movies", description = "Movies: metadata, locks, identification and enrichment"),
        (name = "series", description = "TV series, seasons and episodes"),
        (name = "artwork", description = "Artwork candidates, choices, uploads and previews"),
        (name = "publish", description = "Writing NFOs and artwork into the library, the recycle bin and verification"),
        (name = "providers", description = "Metadata providers: TMDB, Fanart.tv, OMDb"),
        (name = "players", description = "Player groups and players that are told what changed"),
        (name = "notifications", description = "Discord, Pushover and email notifications"),
        (name = "webhooks", description = "Radarr and Sonarr webhooks and the log of what they sent"),
        (name = "path-mappings", description = "Translating *arr paths into Metarr's")
    )
)]
struct ApiDoc;

/// The whole document, built from the routers `app` serves.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, mut protected) = super::protected_routes().split_for_parts();
    for operation in operations_mut(&mut protected) {
        operation.security = Some(key_requirements());
        add_answer(operation, "401", "No API key, or a wrong one");
    }
    let (_, public) = super::public_routes().split_for_parts();
    let (_, metrics) = crate::metrics::routes().split_for_parts();
    let mut document = ApiDoc::openapi().nest("/api/v1", public.merge_from(protected)).merge_from(metrics);
    let components = document.components.get_or_insert_with(Default::default);
    components
        .security_schemes
        .insert(KEY_HEADER.to_owned(), RefOr::T(SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-Api-Key")))));
    components
        .security_schemes
        .insert(KEY_QUERY.to_owned(), RefOr::T(SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::new("apikey")))));
    components.security_schemes.insert(
        BASIC.to_owned(),
        RefOr::T(SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Basic).build())),
    );
    let paths: Vec<String> = document.paths.paths.keys().cloned().collect();
    for path in paths {
        let item = document.paths.paths.get_mut(&path).expect("the key was just read");
        for operation in item_operations_mut(item) {
            add_shared_answers(&path, operation);
            tidy(operation);
        }
    }
    document
}

/// The document as served: built once, on first request.
pub fn document_json() -> &'static str {
    static JSON: LazyLock<String> =
        LazyLock::new(|| document().to_pretty_json().expect("an OpenAPI document always serialises"));
    JSON.as_str()
}

/// Either way of giving the key.
fn key_requirements() -> Vec<SecurityRequirement> {
    vec![
        SecurityRequirement::new(KEY_HEADER, Vec::<String>::new()),
        SecurityRequirement::new(KEY_QUERY, Vec::<String>::new()),
    ]
}

fn operations_mut(document: &mut utoipa::openapi::OpenApi) -> impl Iterator<Item = &mut Operation> {
    document.paths.paths.values_mut().flat_map(item_operations_mut)
}

fn item_operations_mut(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch]
        .into_iter()
        .filter_map(Option::as_mut)
}

/// Answers any operation of its kind can give, whatever its handler says: a path parameter
/// that names nothing (404) or does not parse (400), a body that does not parse (400) or is too
/// large (413), and Metarr's own failure (500).
fn add_shared_answers(path: &str, operation: &mut Operation) {
    if path.contains('{') {
        add_answer(operation, "400", "A parameter or the body is malformed");
        add_answer(operation, "404", "Nothing has this id or name");
    }
    if operation.request_body.is_some() {
        add_answer(operation, "400", "A parameter or the body is malformed");
        add_answer(operation, "413", "The body is larger than the route accepts");
    }
    if operation.parameters.as_ref().is_some_and(|parameters| !parameters.is_empty()) {
        add_answer(operation, "400", "A parameter or the body is malformed");
    }
    add_answer(operation, "500", "Metarr failed; the server log has the cause");
}

/// What the derive leaves for the document to say: operation ids unique across modules (the
/// handler's name, as `list`, prefixed with its tag), a summary on one line (doc comments wrap),
/// and a description on every answer (OpenAPI 3.1 requires one).
fn tidy(operation: &mut Operation) {
    if let (Some(tag), Some(id)) = (operation.tags.as_ref().and_then(|tags| tags.first()), &operation.operation_id) {
        operation.operation_id = Some(format!("{}_{id}", tag.replace('-', "_")));
    }
    if let Some(summary) = &mut operation.summary {
        *summary = summary.split_whitespace().collect::<Vec<_>>().join(" ");
    }
    for (status, answer) in &mut operation.responses.responses {
        if let RefOr::T(answer) = answer
            && answer.description.is_empty()
        {
            let reason = status.parse::<u16>().ok().and_then(|code| axum::http::StatusCode::from_u16(code).ok());
            answer.description = reason.and_then(|code| code.canonical_reason()).unwrap_or("Answer").to_owned();
        }
    }
}

/// Adds an error answer unless the handler's description already has one for that status.
fn add_answer(operation: &mut Operation, status: &str, description: &str) {
    operation.responses.responses.entry(status.to_owned()).or_insert_with(|| RefOr::T(error_answer(description)));
}

/// An answer whose body is the error body.
fn error_answer(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content("application/json", ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build())
        .build()
}

/// This document's own route.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(serve))
}

/// The OpenAPI 3.1 document describing every route of this API. Needs no key: it is the same
/// for every installation and holds nothing of the user's.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "system",
    operation_id = "openapi",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json", body = Object))
)]
pub async fn serve() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], document_json())
}
