//! `/settings/backups`: the backups of the data directory's `backups/` folder, newest first,
//! each downloadable, and "Back up now" (the `scheduled-backup` job).

use crate::routes::AppState;
use crate::ui::{Ui, UiError, render, see_other};
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings/backups", get(page))
        .route("/settings/backups/now", post(back_up_now))
        .route("/settings/backups/{name}", get(download))
}

/// One backup as the page lists it.
pub struct BackupLine {
    pub name: String,
    pub size: String,
    pub created_at: String,
}

#[derive(Template)]
#[template(path = "settings_backups.html")]
struct BackupsPage {
    ui: Ui,
    section: &'static str,
    folder: String,
    keep: usize,
    backups: Vec<BackupLine>,
}

/// `GET /settings/backups`
pub async fn page(State(state): State<AppState>, ui: Ui) -> Result<Response, UiError> {
    let list = crate::routes::backups::list_of(&state)?;
    let backups = list
        .items
        .into_iter()
        .map(|backup| BackupLine {
            size: format!("{:.1} MiB", backup.size as f64 / 1_048_576.0),
            created_at: crate::ui::when(&backup.created_at),
            name: backup.name,
        })
        .collect();
    Ok(render(&BackupsPage {
        ui: ui.at("settings"),
        section: "backups",
        folder: list.folder,
        keep: crate::jobs::backup::KEEP,
        backups,
    }))
}

/// `POST /settings/backups/now`: queues a backup and goes to its job.
pub async fn back_up_now(State(state): State<AppState>) -> Result<Response, UiError> {
    let enqueued = state.queue.enqueue(crate::jobs::backup::backup_job()).await?;
    Ok(see_other(&format!("/jobs/{}", enqueued.job.id)))
}

/// `GET /settings/backups/{name}`: the file.
pub async fn download(State(state): State<AppState>, Path(name): Path<String>) -> Result<Response, UiError> {
    Ok(crate::routes::backups::open(&state, &name).await?)
}
