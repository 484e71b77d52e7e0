//! The movie page's enrichment: "Refresh metadata" (queues `enrich-metadata`), the
//! identification state beside the title, and the Identify section (TMDB's candidates for a
//! title and year, and "This one" to pick a film).
//!
//! Every request goes through the API's handlers (`routes::movies::enrich`, `matches` and
//! `identify`), so the page checks, refuses and enriches exactly as the API does. Provider
//! failures are shown with their message, which never holds a key (`metarr-providers` redacts
//! every URL before it reaches an error).

use super::movies::{Extras, movie_id, page_with};
use super::{Ui, UiError, render, render_html, wants_fragment};
use crate::catalogue::movies::{Identification, MatchCandidate, MovieDetail};
use crate::error::{ApiJson, ApiPath, ApiQuery, AppError};
use crate::routes::AppState;
use askama::Template;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde::Deserialize;

/// The enrichment routes of the movie page.
pub fn routes() -> Router<AppState> {
    Router::new().route("/movies/{id}/enrich", post(refresh)).route("/movies/{id}/identify", get(search).post(pick))
}

/// The identification state as the page shows it: a label and its badge's class.
pub fn state_badge(detail: &MovieDetail) -> (&'static str, &'static str) {
    identification_badge(detail.identification)
}

/// The badge of an identification state, a movie's or a series'.
pub fn identification_badge(identification: Option<Identification>) -> (&'static str, &'static str) {
    match identification {
        Some(Identification::Identified) => ("identified", "ok"),
        Some(Identification::NeedsIdentification) => ("needs identification", "warn"),
        Some(Identification::NotFound) => ("not found", "bad"),
        None => ("not enriched yet", "pending"),
    }
}

/// A candidate film as the Identify section lists it.
pub struct CandidateLine {
    pub tmdb_id: i64,
    pub title: String,
    /// The original title when it differs, else empty.
    pub original_title: String,
    pub year: String,
    pub overview: String,
    /// `87 %`.
    pub confidence: String,
}

impl CandidateLine {
    pub fn of(candidate: &MatchCandidate) -> CandidateLine {
        CandidateLine {
            tmdb_id: candidate.tmdb_id,
            title: candidate.title.clone(),
            original_title: candidate.original_title.clone().unwrap_or_default(),
            year: candidate.year.map(|year| year.to_string()).unwrap_or_default(),
            overview: candidate.overview.clone().unwrap_or_default(),
            confidence: format!("{:.0} %", (candidate.confidence * 100.0).clamp(0.0, 100.0)),
        }
    }
}

/// The Identify section: a search form (the movie's title and year unless the user typed
/// others), then the candidates (the stored ones of a movie that needs identification, or a
/// search's) each with a "This one" button. Also served alone to htmx after a search.
#[derive(Template)]
#[template(path = "movie_identify.html")]
pub struct IdentifyView {
    /// The page the section is on (`/movies/{id}`, `/series/{id}`): its forms go to `{base}/identify`.
    pub base: String,
    /// The section's element id (`movie-identify`, `series-identify`), htmx's target.
    pub section_id: &'static str,
    /// TMDB's path for a candidate's page (`movie`, `tv`).
    pub tmdb_path: &'static str,
    /// What the section identifies (`movie`, `series`).
    pub noun: &'static str,
    pub csrf: String,
    pub q: String,
    pub year: String,
    pub candidates: Vec<CandidateLine>,
    /// The candidates are a search's (else the stored ones, or none).
    pub searched: bool,
    pub error: Option<String>,
    /// The section starts open (a search, an error, or a movie waiting for the user's pick).
    pub open: bool,
}

impl IdentifyView {
    /// The section as the movie's stored state has it.
    pub fn of(detail: &MovieDetail, csrf: &str) -> IdentifyView {
        let needs = detail.identification == Some(Identification::NeedsIdentification);
        IdentifyView {
            base: format!("/movies/{}", detail.summary.id),
            section_id: "movie-identify",
            tmdb_path: "movie",
            noun: "movie",
            csrf: csrf.to_owned(),
            q: detail.summary.title.clone(),
            year: detail.summary.year.map(|year| year.to_string()).unwrap_or_default(),
            candidates: if needs {
                detail.match_candidates.iter().map(CandidateLine::of).collect()
            } else {
                Vec::new()
            },
            searched: false,
            error: None,
            open: needs,
        }
    }

    /// The section rendered for the page.
    pub fn html(&self) -> Result<String, UiError> {
        render_html(self)
    }
}

/// `POST /movies/{id}/enrich`: queues `enrich-metadata` as `POST /api/v1/movies/{id}/enrich`
/// does and shows the page with a notice; without a TMDB key the page says so (409).
pub async fn refresh(State(state): State<AppState>, ui: Ui, Path(id): Path<String>) -> Result<Response, UiError> {
    let id = movie_id(&id)?;
    match crate::routes::movies::enrich(State(state.clone()), ApiPath(id)).await {
        Ok((_, Json(job))) => {
            let notice = format!(
                "Metadata refresh queued (job {}): this page updates when the providers have answered.",
                job.id
            );
            page_with(&state, ui, id, StatusCode::OK, Extras { notice: Some(notice), ..Extras::default() }).await
        }
        Err(AppError::Conflict(message)) => {
            page_with(&state, ui, id, StatusCode::CONFLICT, Extras { error: Some(message), ..Extras::default() }).await
        }
        Err(err) => Err(err.into()),
    }
}

/// The search form as sent: text, so that a wrong year gets the page's own message.
#[derive(Debug, Default, Deserialize)]
pub struct SearchQuery {
    pub(super) q: Option<String>,
    pub(super) year: Option<String>,
}

/// A refusal the Identify section shows in place (with the status the API would answer);
/// anything else is the error page.
pub(super) fn shown_in_place(err: AppError) -> Result<(StatusCode, String), UiError> {
    match err {
        AppError::BadRequest(message) => Ok((StatusCode::BAD_REQUEST, message)),
        AppError::Conflict(message) => Ok((StatusCode::CONFLICT, message)),
        AppError::Upstream(message) => {
            Ok((StatusCode::BAD_GATEWAY, format!("TMDB did not answer usefully: {message}")))
        }
        other => Err(other.into()),
    }
}

/// The search form's year: empty for none; anything but a number is refused in place.
pub(super) fn search_year(text: &str) -> Result<Option<i32>, (StatusCode, String)> {
    match text.trim() {
        "" => Ok(None),
        text => text
            .parse::<i32>()
            .map(Some)
            .map_err(|_| (StatusCode::BAD_REQUEST, format!("the year is a number such as 1999, not {text:?}"))),
    }
}

/// `GET /movies/{id}/identify?q=&year=`: TMDB's candidates through
/// `GET /api/v1/movies/{id}/matches`. htmx gets the section alone (200 also for a refusal, as
/// htmx must swap it to show the reason); a plain form gets the page.
pub async fn search(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path(id): Path<String>,
    query: Result<Query<SearchQuery>, QueryRejection>,
) -> Result<Response, UiError> {
    let id = movie_id(&id)?;
    let Query(query) = query.map_err(|rejection| UiError::BadRequest(rejection.body_text()))?;
    let detail = crate::catalogue::movies::detail(&state.db, id).await?;
    let mut view = IdentifyView::of(&detail, &ui.csrf);
    view.open = true;
    view.q = query.q.clone().unwrap_or_default();
    view.year = query.year.clone().unwrap_or_default();
    let year = search_year(&view.year);
    let answer = match year {
        Ok(year) => {
            let asked = crate::routes::movies::MatchQuery { q: query.q, year };
            match crate::routes::movies::matches(State(state.clone()), ApiPath(id), ApiQuery(asked)).await {
                Ok(Json(list)) => Ok(list.items),
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
    page_with(&state, ui, id, status, Extras { identify: Some(view), ..Extras::default() }).await
}

/// The "This one" form.
#[derive(Debug, Default, Deserialize)]
pub struct PickForm {
    #[serde(default)]
    pub(super) tmdb_id: String,
}

/// `POST /movies/{id}/identify`: the user's pick through `POST /api/v1/movies/{id}/identify`,
/// which locks the TMDB id and enriches the movie at once; the page shows the result.
pub async fn pick(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
    form: Result<Form<PickForm>, FormRejection>,
) -> Result<Response, UiError> {
    let id = movie_id(&id)?;
    let Form(form) = form.map_err(|rejection| UiError::BadRequest(rejection.body_text()))?;
    let typed = form.tmdb_id.trim();
    let Ok(tmdb_id) = typed.parse::<i64>() else {
        return Err(UiError::BadRequest(format!("tmdb_id is a TMDB movie number, not {typed:?}")));
    };
    let input = crate::routes::movies::IdentifyInput { tmdb_id: Some(tmdb_id), imdb_id: None };
    match crate::routes::movies::identify(State(state.clone()), ApiPath(id), ApiJson(input)).await {
        Ok(Json(detail)) => {
            let notice = match detail.identification {
                Some(Identification::Identified) => {
                    format!("Identified as TMDB {tmdb_id}; the details below are TMDB's.")
                }
                _ => format!("TMDB {tmdb_id} is locked, but TMDB did not know it."),
            };
            page_with(&state, ui, id, StatusCode::OK, Extras { notice: Some(notice), ..Extras::default() }).await
        }
        Err(err) => {
            let (status, message) = shown_in_place(err)?;
            let detail = crate::catalogue::movies::detail(&state.db, id).await?;
            let mut view = IdentifyView::of(&detail, &ui.csrf);
            view.open = true;
            view.error = Some(message);
            page_with(&state, ui, id, status, Extras { identify: Some(view), ..Extras::default() }).await
        }
    }
}
