//! `/settings/logs`: the log filter in force with a form to change it (or go back to the
//! start-up filter), and the recent lines of this process with a level filter, through the
//! same calls as `/api/v1/system/logging` and `/api/v1/system/logs`.

use super::too_long;
use crate::log_settings::{self, LoggingView};
use crate::routes::AppState;
use crate::routes::logs::LogsQuery;
use crate::telemetry::{LEVEL_NAMES, LogLine, MAX_FILTER_CHARS, RING_CAPACITY, level_name};
use crate::ui::{Ui, UiError, render_with, see_other};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

const PAGE: &str = "/settings/logs";
/// Lines the page shows unless asked otherwise: a screenful of context, quick to render.
const PAGE_LIMIT: usize = 500;
/// The limits offered by the page's select.
const LIMITS: &[usize] = &[100, 500, 1000, RING_CAPACITY];

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(PAGE, get(page))
        .route("/settings/logs/level", post(set_level))
        .route("/settings/logs/reset", post(reset))
}

/// One line as the page shows it.
pub struct LineRow {
    pub time: String,
    pub level: &'static str,
    pub line: String,
}

impl LineRow {
    fn of(line: LogLine) -> LineRow {
        LineRow { time: line.time.format("%H:%M:%S%.3f").to_string(), level: level_name(line.level), line: line.line }
    }
}

#[derive(Template)]
#[template(path = "settings_logs.html")]
struct LogsPage {
    ui: Ui,
    section: &'static str,
    logging: LoggingView,
    /// What the filter field shows: the filter in force, or the refused text.
    typed: String,
    error: Option<String>,
    saved: bool,
    levels: &'static [&'static str],
    limits: &'static [usize],
    /// The level filter of the lines shown (empty: every level).
    shown_level: String,
    shown_limit: usize,
    lines: Vec<LineRow>,
    /// Lines in the ring that match the level filter.
    total: usize,
    capacity: usize,
}

/// The page's query: the lines' filter, and whether a change was just saved.
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    level: Option<String>,
    limit: Option<String>,
    saved: Option<String>,
}

async fn render_page(
    state: &AppState,
    ui: Ui,
    query: PageQuery,
    refused: Option<(String, String)>,
    status: StatusCode,
) -> Result<Response, UiError> {
    let logging = log_settings::view(&state.db, &state.logs, state.settings.log_format).await?;
    let lines_query = LogsQuery {
        limit: Some(query.limit.clone().unwrap_or_else(|| PAGE_LIMIT.to_string())),
        level: query.level.clone(),
        after: None,
    };
    let ring_query = lines_query.ring_query().map_err(UiError::from)?;
    let (lines, total) = state.logs.ring().recent(ring_query);
    let (typed, error) = match refused {
        Some((typed, error)) => (typed, Some(error)),
        None => (logging.level.clone(), None),
    };
    let page = LogsPage {
        ui: ui.at("settings"),
        section: "logs",
        logging,
        typed,
        error,
        saved: query.saved.is_some(),
        levels: LEVEL_NAMES,
        limits: LIMITS,
        shown_level: ring_query.min_level.map(level_name).unwrap_or_default().to_owned(),
        shown_limit: ring_query.limit,
        lines: lines.into_iter().map(LineRow::of).collect(),
        total,
        capacity: state.logs.ring().capacity(),
    };
    Ok(render_with(status, &page))
}

/// `GET /settings/logs?level=&limit=`: a level or limit the page does not take is a 400 saying so.
pub async fn page(State(state): State<AppState>, ui: Ui, Query(query): Query<PageQuery>) -> Result<Response, UiError> {
    render_page(&state, ui, query, None, StatusCode::OK).await
}

/// The filter form.
#[derive(Debug, Deserialize)]
pub struct LevelForm {
    #[serde(default)]
    level: String,
}

/// `POST /settings/logs/level`: a refused filter is shown again with the reason, and nothing changes.
pub async fn set_level(
    State(state): State<AppState>,
    ui: Ui,
    Form(form): Form<LevelForm>,
) -> Result<Response, UiError> {
    let refused = match too_long(&[("level", &form.level, MAX_FILTER_CHARS)]) {
        Some(reason) => Some(reason),
        None => match log_settings::change(&state.db, &state.logs, Some(&form.level)).await {
            Ok(()) => None,
            Err(crate::catalogue::CatalogueError::Invalid(message)) => Some(message),
            Err(err) => return Err(err.into()),
        },
    };
    match refused {
        None => Ok(see_other(&format!("{PAGE}?saved=1"))),
        Some(message) => {
            let typed: String = form.level.chars().take(MAX_FILTER_CHARS).collect();
            render_page(&state, ui, PageQuery::default(), Some((typed, message)), StatusCode::BAD_REQUEST).await
        }
    }
}

/// `POST /settings/logs/reset`: back to the start-up filter, and nothing stored.
pub async fn reset(State(state): State<AppState>) -> Result<Response, UiError> {
    log_settings::change(&state.db, &state.logs, None).await?;
    Ok(see_other(&format!("{PAGE}?saved=1")))
}
