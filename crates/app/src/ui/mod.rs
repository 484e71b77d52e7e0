//! The web UI: server-rendered pages (askama templates under `crates/app/templates`) with htmx,
//! assets embedded in the binary, sign-in for remote visitors, and CSRF protection.
//!
//! Pages call the same services as the API (`catalogue`, `jobs`, the queue), so they cannot skip a
//! check the API makes. Every page works without JavaScript: forms post and redirect; htmx only
//! makes the same requests without a full reload, and `app.js` turns WebSocket events into htmx
//! refreshes of the parts of a page that show live state.

pub mod artwork;
pub mod assets;
pub mod dashboard;
pub mod enrich;
pub mod jobs;
pub mod libraries;
pub mod movies;
pub mod publish;
pub mod session;
pub mod settings;
pub mod sign_in_limit;
pub mod tv;
pub mod tv_enrich;

use crate::catalogue::CatalogueError;
use crate::error::AppError;
use crate::routes::AppState;
use askama::Template;
use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};

/// Every UI route: the pages behind sign-in, and the few that must work before it.
pub fn router(state: AppState) -> Router<AppState> {
    let pages = Router::new()
        .route("/", get(dashboard::page))
        .route("/dashboard/running", get(dashboard::running))
        .route("/artwork/{sha256}", get(crate::routes::assets::get_one))
        .route("/ui/events", get(session::events))
        .route("/logout", post(session::logout))
        .merge(libraries::routes())
        .merge(movies::routes())
        .merge(tv::routes())
        .merge(artwork::routes())
        .merge(enrich::routes())
        .merge(jobs::routes())
        .merge(publish::routes())
        .merge(settings::routes())
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), session::require_user));
    let identified = Router::new()
        .route("/login", get(session::login_page).post(session::login))
        .route("/setup", get(session::setup_page).post(session::setup))
        .merge(pages)
        .layer(axum::middleware::from_fn_with_state(state, session::identify));
    // Static files need no visitor: kept out of `identify`, a page's dozen asset requests cost
    // no session lookup in the database.
    Router::new()
        .route("/static/{*path}", get(assets::static_file))
        .merge(identified)
        .layer(axum::middleware::map_response(security_headers))
}

/// What the layout of every page needs: the CSRF token for its forms, who is signed in, and
/// which navigation entry is current. Put in the request by [`session::identify`].
#[derive(Debug, Clone)]
pub struct Ui {
    pub csrf: String,
    /// `None` when the visitor was let in without signing in (a loopback client by default).
    pub user: Option<String>,
    /// The current navigation entry (`dashboard`, `libraries`, `movies`, `tv`, `jobs`, `settings`).
    pub nav: &'static str,
}

impl Ui {
    /// The same context with `nav` set, for a page's template.
    pub fn at(mut self, nav: &'static str) -> Ui {
        self.nav = nav;
        self
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Ui {
    type Rejection = UiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Ui, UiError> {
        parts.extensions.get::<Ui>().cloned().ok_or_else(|| UiError::Internal("UI context missing".into()))
    }
}

/// True when htmx made the request (it then wants a fragment, not a whole page).
pub fn is_htmx(headers: &HeaderMap) -> bool {
    headers.get("hx-request").is_some_and(|value| value == "true")
}

/// True when htmx swaps a region and wants the fragment alone. Boosted links and forms and
/// history restores also send `HX-Request`, but they want the whole page.
pub fn wants_fragment(headers: &HeaderMap) -> bool {
    is_htmx(headers) && !headers.contains_key("hx-boosted") && !headers.contains_key("hx-history-restore-request")
}

/// The same URL answers a page or a fragment, so caches must keep them apart (otherwise the
/// back button can show a bare fragment).
pub fn vary_on_htmx(mut response: Response) -> Response {
    response.headers_mut().append(header::VARY, HeaderValue::from_static("HX-Request"));
    response
}

/// Renders a template to a string, for a fragment inserted into a page with `|safe`.
pub fn render_html(template: &impl Template) -> Result<String, UiError> {
    template.render().map_err(|err| UiError::Internal(format!("rendering a page: {err}")))
}

/// Renders a template as an HTML response; a template that fails to render is a 500.
pub fn render(template: &impl Template) -> Response {
    render_with(StatusCode::OK, template)
}

/// Renders a template with the given status (a form shown again with its error answers 400).
pub fn render_with(status: StatusCode, template: &impl Template) -> Response {
    match render_html(template) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(err) => err.into_response(),
    }
}

/// The answer to a form that succeeded: back to a page (303, so the browser GETs it). htmx
/// follows it too and swaps in the page it lands on.
pub fn see_other(location: &str) -> Response {
    Redirect::to(location).into_response()
}

/// A failed UI request, shown as a small HTML page (or fragment for htmx) with the same
/// status the API would answer.
#[derive(Debug, thiserror::Error)]
pub enum UiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Forbidden(String),
    /// A provider failed; the message (without keys) is shown.
    #[error("{0}")]
    Upstream(String),
    #[error("{0}")]
    Internal(String),
}

impl From<AppError> for UiError {
    fn from(err: AppError) -> UiError {
        match err {
            AppError::BadRequest(message) | AppError::PayloadTooLarge(message) => UiError::BadRequest(message),
            AppError::NotFound(message) => UiError::NotFound(message),
            AppError::Conflict(message) => UiError::Conflict(message),
            AppError::Unauthorized => UiError::Forbidden("sign in first".into()),
            AppError::MethodNotAllowed => UiError::BadRequest("method not allowed".into()),
            AppError::Upstream(message) => UiError::Upstream(message),
            AppError::Internal(message) => UiError::Internal(message),
        }
    }
}

impl From<CatalogueError> for UiError {
    fn from(err: CatalogueError) -> UiError {
        AppError::from(err).into()
    }
}

impl From<metarr_queue::QueueError> for UiError {
    fn from(err: metarr_queue::QueueError) -> UiError {
        AppError::from(err).into()
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    reason: &'a str,
    message: &'a str,
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        let (status, message) = match &self {
            UiError::BadRequest(message) => (StatusCode::BAD_REQUEST, message.as_str()),
            UiError::NotFound(message) => (StatusCode::NOT_FOUND, message.as_str()),
            UiError::Conflict(message) => (StatusCode::CONFLICT, message.as_str()),
            UiError::Forbidden(message) => (StatusCode::FORBIDDEN, message.as_str()),
            UiError::Upstream(message) => (StatusCode::BAD_GATEWAY, message.as_str()),
            UiError::Internal(cause) => {
                tracing::error!(error = %cause, "UI request failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "Metarr failed; the cause is in its log.")
            }
        };
        let page = ErrorPage { status: status.as_u16(), reason: status.canonical_reason().unwrap_or(""), message };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, message.to_owned()).into_response(),
        }
    }
}

/// Headers every UI answer carries. The content security policy allows nothing but this
/// server: no page can load or send anything elsewhere, even if a movie's text held markup.
async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.entry(header::CONTENT_SECURITY_POLICY).or_insert(HeaderValue::from_static(
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; \
         form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ));
    headers.entry(header::X_FRAME_OPTIONS).or_insert(HeaderValue::from_static("DENY"));
    headers.entry(header::X_CONTENT_TYPE_OPTIONS).or_insert(HeaderValue::from_static("nosniff"));
    headers.entry(header::REFERRER_POLICY).or_insert(HeaderValue::from_static("same-origin"));
    response
}

/// Formats a time for a page: `2026-11-29 03:19` in UTC.
pub fn when(time: &chrono::DateTime<chrono::Utc>) -> String {
    time.format("%Y-%m-%d %H:%M").to_string()
}
