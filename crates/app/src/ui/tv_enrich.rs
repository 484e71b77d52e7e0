//! The series page's enrichment: "Refresh metadata" (queues `enrich-series`), the
//! identification state beside the title, and the Identify section (TMDB's candidate series for
//! a title and year, and "This one" to pick one), as the movie page has them.
//!
//! Every request goes through the API's handlers (`routes::series::enrich`, `matches` and
//! `identify`), so the page checks, refuses and enriches exactly as the API does; the Identify
//! section is the movie page's (`enrich::IdentifyView`), pointed at the series.

use super::enrich::{CandidateLine, IdentifyView, PickForm, SearchQuery, search_year, shown_in_place};
use super::tv::{Extras, series_id, series_view};
use super::{Ui, UiError, render, wants_fragment};
use crate::catalogue::movies::Identification;
use crate::catalogue::series::{self, SeriesDetail};
use crate::error::{ApiJson, ApiPath, ApiQuery, AppError};
use crate::routes::AppState;
use axum::Form;
use axum::Json;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value};

/// The series' Identify section as its stored state has it: the stored candidates of a series
/// that needs identification, open; else closed with the series' title and year to search.
pub fn identify_view(detail: &SeriesDetail, csrf: &str) -> IdentifyView {
    let needs = detail.identification == Some(Identification::NeedsIdentification);
    IdentifyView {
        base: format!("/series/{}", detail.summary.id),
        section_id: "series-identify",
        tmdb_path: "tv",
        noun: "series",
        csrf: csrf.to_owned(),
        q: detail.summary.title.clone(),
        year: detail.summary.year.map(|year| year.to_string()).unwrap_or_default(),
        candidates: if needs { detail.match_candidates.iter().map(CandidateLine::of).collect() } else { Vec::new() },
        searched: false,
        error: None,
        open: needs,
    }
}

/// `POST /series/{id}/enrich`: queues `enrich-series` as `POST /api/v1/series/{id}/enrich` does
/// and shows the page with a notice naming the job; without a TMDB key the page says so (409).
pub async fn refresh(State(state): State<AppState>, ui: Ui, Path(id): Path<String>) -> Result<Response, UiError> {
    let id = series_id(&id)?;
    match crate::routes::series::enrich(State(state.clone()), ApiPath(id)).await {
        Ok((_, Json(job))) => {
            let notice =
                format!("Metadata refresh queued (job {}): reload this page when the providers have answered.", job.id);
            series_view(&state, ui, id, StatusCode::OK, Extras { notice: Some(notice), ..Extras::default() }).await
        }
        Err(AppError::Conflict(message)) => {
            series_view(&state, ui, id, StatusCode::CONFLICT, Extras { error: Some(message), ..Extras::default() })
                .await
        }
        Err(err) => Err(err.into()),
    }
}

/// `GET /series/{id}/identify?q=&year=`: TMDB's candidates through
/// `GET /api/v1/series/{id}/matches`. htmx gets the section alone (200 also for a refusal, as
/// htmx must swap it to show the reason); a plain form gets the page.
pub async fn search(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path(id): Path<String>,
    query: Result<Query<SearchQuery>, QueryRejection>,
) -> Result<Response, UiError> {
    let id = series_id(&id)?;
    let Query(query) = query.map_err(|rejection| UiError::BadRequest(rejection.body_text()))?;
    let detail = series::detail(&state.db, id).await?;
    let mut view = identify_view(&detail, &ui.csrf);
    view.open = true;
    view.q = query.q.clone().unwrap_or_default();
    view.year = query.year.clone().unwrap_or_default();
    let answer = match search_year(&view.year) {
        Ok(year) => {
            let asked = crate::routes::series::MatchQuery { q: query.q, year };
            match crate::routes::series::matches(State(state.clone()), ApiPath(id), ApiQuery(asked)).await {
                Ok(Json(items)) => Ok(items),
                Err(err) => Err(shown_in_place(err)?),
            }
        }
        Err(refused) => Err(refused),
    };
    let status = match answer {
        Ok(items) => {
            view.candidates = items.iter().map(CandidateLine::of).collect();
            view.searched = true;
            StatusCode::OK
        }
        Err((status, message)) => {
            view.candidates.clear();
            view.error = Some(message);
            status
        }
    };
    if wants_fragment(&headers) {
        return Ok(render(&view));
    }
    series_view(&state, ui, id, status, Extras { identify: Some(view), ..Extras::default() }).await
}

/// `POST /series/{id}/identify`: the user's pick through `POST /api/v1/series/{id}/identify`,
/// which locks the TMDB id and queues `enrich-series`; the page names the job.
pub async fn pick(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
    form: Result<Form<PickForm>, FormRejection>,
) -> Result<Response, UiError> {
    let id = series_id(&id)?;
    let Form(form) = form.map_err(|rejection| UiError::BadRequest(rejection.body_text()))?;
    let typed = form.tmdb_id.trim();
    let Ok(tmdb_id) = typed.parse::<i64>() else {
        return Err(UiError::BadRequest(format!("tmdb_id is a TMDB series number, not {typed:?}")));
    };
    let body = Map::from_iter([("tmdb_id".to_owned(), Value::from(tmdb_id))]);
    match crate::routes::series::identify(State(state.clone()), ApiPath(id), ApiJson(body)).await {
        Ok((_, Json(job))) => {
            let notice = format!(
                "TMDB {tmdb_id} is locked; its details are being fetched (job {}): reload this page when it has run.",
                job.id
            );
            series_view(&state, ui, id, StatusCode::OK, Extras { notice: Some(notice), ..Extras::default() }).await
        }
        Err(err) => {
            let (status, message) = shown_in_place(err)?;
            let detail = series::detail(&state.db, id).await?;
            let mut view = identify_view(&detail, &ui.csrf);
            view.open = true;
            view.error = Some(message);
            series_view(&state, ui, id, status, Extras { identify: Some(view), ..Extras::default() }).await
        }
    }
}
