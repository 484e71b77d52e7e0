//! `/settings/api-key`: the API key in force (masked, revealed on request) and "Regenerate",
//! which writes a new key file exactly like `metarr api-key --regenerate` and puts the new key
//! in force at once, so the old one stops working for every later request.

use crate::api_key::API_KEY_FILE;
use crate::routes::AppState;
use crate::ui::{Ui, UiError, render_with, see_other};
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use secrecy::ExposeSecret;
use serde::Deserialize;

const PAGE: &str = "/settings/api-key";
/// Characters of the key left visible when it is masked, so the user can tell keys apart.
const VISIBLE: usize = 4;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route(PAGE, get(page)).route("/settings/api-key/regenerate", post(regenerate))
}

#[derive(Template)]
#[template(path = "settings_api_key.html")]
struct ApiKeyPage {
    ui: Ui,
    section: &'static str,
    key: String,
    masked: String,
    /// The key comes from the configuration, which the UI cannot change.
    configured: bool,
    /// Where the generated key is kept.
    file: String,
    regenerated: bool,
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct RegeneratedQuery {
    #[serde(default)]
    regenerated: Option<String>,
}

fn mask(key: &str) -> String {
    let total = key.chars().count();
    let shown: String = key.chars().skip(total.saturating_sub(VISIBLE)).collect();
    format!("{}{shown}", "•".repeat(total.saturating_sub(VISIBLE)))
}

fn render_page(state: &AppState, ui: Ui, regenerated: bool, error: Option<String>, status: StatusCode) -> Response {
    let key = state.api_key.current().expose_secret().to_owned();
    let page = ApiKeyPage {
        ui: ui.at("settings"),
        section: "api-key",
        masked: mask(&key),
        key,
        configured: state.settings.api_key.is_some(),
        file: state.settings.data_dir.join(API_KEY_FILE).display().to_string(),
        regenerated,
        error,
    };
    let mut response = render_with(status, &page);
    // The page holds the key: no cache may keep it.
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `GET /settings/api-key`
pub async fn page(State(state): State<AppState>, ui: Ui, Query(query): Query<RegeneratedQuery>) -> Response {
    render_page(&state, ui, query.regenerated.is_some(), None, StatusCode::OK)
}

/// `POST /settings/api-key/regenerate`: refused (409) when the key comes from the configuration,
/// which only the user can change.
pub async fn regenerate(State(state): State<AppState>, ui: Ui) -> Result<Response, UiError> {
    if state.settings.api_key.is_some() {
        let message = "The API key is set by the configuration (METARR_API_KEY or api_key in metarr.toml); \
                       change it there and restart Metarr.";
        return Ok(render_page(&state, ui, false, Some(message.to_owned()), StatusCode::CONFLICT));
    }
    let data_dir = state.settings.data_dir.clone();
    let (key, path) = tokio::task::spawn_blocking(move || crate::api_key::regenerate(&data_dir))
        .await
        .map_err(|err| UiError::Internal(format!("regenerating the API key: {err}")))?
        .map_err(|err| UiError::Internal(metarr_errors::chain(&err)))?;
    crate::telemetry::register_secrets([key.expose_secret()]);
    state.api_key.replace(key);
    tracing::info!(path = %path.display(), "generated a new API key from the web UI; clients using the old one must be updated");
    Ok(see_other(&format!("{PAGE}?regenerated=1")))
}
