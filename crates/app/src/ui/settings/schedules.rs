//! `/settings/schedules`: each schedule's cron expression and switch with its next and last
//! run, an edit form, and "Run now", through the same queue calls as the schedules API.
//! A library's `file-scan:<id>` schedule names its library.

use super::{MAX_NAME, too_long};
use crate::catalogue::libraries;
use crate::ids::LibraryId;
use crate::jobs::file_scan::FileScanSchedule;
use crate::routes::AppState;
use crate::ui::{Ui, UiError, render_with, see_other, when};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::Utc;
use metarr_queue::Schedule;
use serde::Deserialize;
use std::collections::HashMap;

const PAGE: &str = "/settings/schedules";

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(PAGE, get(page))
        .route("/settings/schedules/{name}", post(update))
        .route("/settings/schedules/{name}/run", post(run_now))
}

/// A schedule as the page shows it.
pub struct ScheduleCard {
    pub name: String,
    pub kind: String,
    pub cron: String,
    pub enabled: bool,
    /// When it fires next, formatted; empty when disabled.
    pub next_run: String,
    /// The last slot that fired, formatted; empty when it never fired.
    pub last_run: String,
    pub last_job_id: Option<metarr_queue::JobId>,
    /// The library a file-scan schedule scans: its id and name.
    pub library: Option<(LibraryId, String)>,
    pub error: Option<String>,
}

impl ScheduleCard {
    fn of(schedule: Schedule, library_names: &HashMap<LibraryId, String>) -> ScheduleCard {
        let next_run = if schedule.enabled {
            metarr_queue::schedule::parse(&schedule.cron)
                .ok()
                .and_then(|cron| metarr_queue::schedule::next_after(&cron, Utc::now()))
                .map(|next| when(&next))
                .unwrap_or_default()
        } else {
            String::new()
        };
        let library = FileScanSchedule::parse(&schedule.name).map(|of| {
            let name = library_names.get(&of.library_id).cloned().unwrap_or_else(|| format!("#{}", of.library_id));
            (of.library_id, name)
        });
        ScheduleCard {
            library,
            next_run,
            last_run: schedule.last_slot.as_ref().map(when).unwrap_or_default(),
            last_job_id: schedule.last_job_id,
            name: schedule.name,
            kind: schedule.kind,
            cron: schedule.cron,
            enabled: schedule.enabled,
            error: None,
        }
    }
}

#[derive(Template)]
#[template(path = "settings_schedules.html")]
struct SchedulesPage {
    ui: Ui,
    section: &'static str,
    schedules: Vec<ScheduleCard>,
    /// The job "Run now" just enqueued.
    enqueued: Option<i64>,
}

#[derive(Debug, Deserialize)]
pub struct EnqueuedQuery {
    job: Option<i64>,
}

/// The edit form of one schedule.
#[derive(Debug, Deserialize)]
pub struct ScheduleForm {
    #[serde(default)]
    cron: String,
    enabled: Option<String>,
}

async fn render_page(
    state: &AppState,
    ui: Ui,
    enqueued: Option<i64>,
    refused: Option<(&str, ScheduleForm, String)>,
    status: StatusCode,
) -> Result<Response, UiError> {
    let library_names: HashMap<LibraryId, String> =
        libraries::list(&state.db).await?.into_iter().map(|library| (library.id, library.name)).collect();
    let mut schedules: Vec<ScheduleCard> =
        state.queue.schedules().await?.into_iter().map(|schedule| ScheduleCard::of(schedule, &library_names)).collect();
    if let Some((name, form, error)) = refused
        && let Some(card) = schedules.iter_mut().find(|card| card.name == name)
    {
        card.cron = form.cron;
        card.enabled = form.enabled.is_some();
        card.error = Some(error);
    }
    Ok(render_with(status, &SchedulesPage { ui: ui.at("settings"), section: "schedules", schedules, enqueued }))
}

/// `GET /settings/schedules`
pub async fn page(
    State(state): State<AppState>,
    ui: Ui,
    Query(query): Query<EnqueuedQuery>,
) -> Result<Response, UiError> {
    render_page(&state, ui, query.job, None, StatusCode::OK).await
}

/// `POST /settings/schedules/{name}`: a cron expression that does not parse is shown again with
/// the reason, and nothing changes.
pub async fn update(
    State(state): State<AppState>,
    ui: Ui,
    Path(name): Path<String>,
    Form(form): Form<ScheduleForm>,
) -> Result<Response, UiError> {
    let refused = match too_long(&[("cron", &form.cron, MAX_NAME)]) {
        Some(reason) => Some(reason),
        None => match state.queue.update_schedule(&name, form.cron.trim(), form.enabled.is_some()).await {
            Ok(_) => None,
            Err(err) => match UiError::from(err) {
                UiError::BadRequest(message) => Some(message),
                other => return Err(other),
            },
        },
    };
    match refused {
        None => Ok(see_other(PAGE)),
        Some(message) => render_page(&state, ui, None, Some((&name, form, message)), StatusCode::BAD_REQUEST).await,
    }
}

/// `POST /settings/schedules/{name}/run`: enqueues the schedule's job now and names it.
pub async fn run_now(State(state): State<AppState>, Path(name): Path<String>) -> Result<Response, UiError> {
    let enqueued = state.queue.run_schedule_now(&name).await?;
    Ok(see_other(&format!("{PAGE}?job={}", enqueued.job.id)))
}
