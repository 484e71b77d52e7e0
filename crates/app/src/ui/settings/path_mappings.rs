//! `/settings/path-mappings`: *arr paths → Metarr paths (list, add, edit, delete) and the test
//! box that shows where a path lands, through `arr::mappings` and `arr::resolve` like the API.

use super::{MAX_PATH, too_long};
use crate::arr::mappings::{self, PathMapping, PathMappingInput};
use crate::arr::{self, Resolution};
use crate::catalogue::CatalogueError;
use crate::routes::AppState;
use crate::ui::{Ui, UiError, is_htmx, render, render_html, render_with, see_other};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

const PAGE: &str = "/settings/path-mappings";

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(PAGE, get(list).post(create))
        .route("/settings/path-mappings/test", post(test))
        .route("/settings/path-mappings/{id}", get(edit_page).post(update))
        .route("/settings/path-mappings/{id}/delete", post(delete))
}

/// The values of the add/edit form, kept when the server refuses them.
#[derive(Debug, Default, Deserialize)]
pub struct MappingForm {
    #[serde(default)]
    remote_path: String,
    #[serde(default)]
    local_path: String,
}

impl MappingForm {
    fn input(&self) -> PathMappingInput {
        PathMappingInput { remote_path: self.remote_path.clone(), local_path: self.local_path.clone() }
    }
}

/// The test box's form.
#[derive(Debug, Default, Deserialize)]
pub struct TestForm {
    #[serde(default)]
    path: String,
}

/// The test box's result block, also served alone to htmx.
#[derive(Template)]
#[template(path = "settings_mapping_test.html")]
struct TestBlock {
    path: String,
    error: Option<String>,
    resolution: Option<Resolution>,
}

#[derive(Template)]
#[template(path = "settings_path_mappings.html")]
struct MappingsPage {
    ui: Ui,
    section: &'static str,
    mappings: Vec<PathMapping>,
    form: MappingForm,
    error: Option<String>,
    test_path: String,
    /// The rendered test block.
    test: String,
}

#[derive(Template)]
#[template(path = "settings_path_mapping_edit.html")]
struct EditPage {
    ui: Ui,
    section: &'static str,
    id: i64,
    form: MappingForm,
    error: Option<String>,
}

async fn page(
    state: &AppState,
    ui: Ui,
    form: MappingForm,
    error: Option<String>,
    test: TestBlock,
    status: StatusCode,
) -> Result<Response, UiError> {
    let mappings = mappings::list(&state.db).await?;
    let page = MappingsPage {
        ui: ui.at("settings"),
        section: "path-mappings",
        mappings,
        form,
        error,
        test_path: test.path.clone(),
        test: render_html(&test)?,
    };
    Ok(render_with(status, &page))
}

fn no_test() -> TestBlock {
    TestBlock { path: String::new(), error: None, resolution: None }
}

/// `GET /settings/path-mappings`
pub async fn list(State(state): State<AppState>, ui: Ui) -> Result<Response, UiError> {
    page(&state, ui, MappingForm::default(), None, no_test(), StatusCode::OK).await
}

/// `POST /settings/path-mappings`: adds a mapping; a refused one shows the form again.
pub async fn create(State(state): State<AppState>, ui: Ui, Form(form): Form<MappingForm>) -> Result<Response, UiError> {
    match mappings::create(&state.db, &form.input()).await {
        Ok(_) => Ok(see_other(PAGE)),
        Err(CatalogueError::Invalid(message) | CatalogueError::Conflict(message)) => {
            page(&state, ui, form, Some(message), no_test(), StatusCode::BAD_REQUEST).await
        }
        Err(err) => Err(err.into()),
    }
}

/// `GET /settings/path-mappings/{id}`: the edit form.
pub async fn edit_page(State(state): State<AppState>, ui: Ui, Path(id): Path<i64>) -> Result<Response, UiError> {
    let mapping = mappings::get(&state.db, id).await?;
    let form = MappingForm { remote_path: mapping.remote_path, local_path: mapping.local_path };
    Ok(render(&EditPage { ui: ui.at("settings"), section: "path-mappings", id, form, error: None }))
}

/// `POST /settings/path-mappings/{id}`: saves the edit form.
pub async fn update(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<i64>,
    Form(form): Form<MappingForm>,
) -> Result<Response, UiError> {
    match mappings::update(&state.db, id, &form.input()).await {
        Ok(_) => Ok(see_other(PAGE)),
        Err(CatalogueError::Invalid(message) | CatalogueError::Conflict(message)) => Ok(render_with(
            StatusCode::BAD_REQUEST,
            &EditPage { ui: ui.at("settings"), section: "path-mappings", id, form, error: Some(message) },
        )),
        Err(err) => Err(err.into()),
    }
}

/// `POST /settings/path-mappings/{id}/delete`
pub async fn delete(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Response, UiError> {
    mappings::delete(&state.db, id).await?;
    Ok(see_other(PAGE))
}

/// `POST /settings/path-mappings/test`: where a path lands, as `POST /api/v1/path-mappings/test`
/// answers it. htmx gets the result block alone; a plain form gets the page with the result.
pub async fn test(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Form(form): Form<TestForm>,
) -> Result<Response, UiError> {
    let path = form.path.trim().to_owned();
    let refused = if path.is_empty() {
        Some("path must not be empty".to_owned())
    } else {
        too_long(&[("path", &path, MAX_PATH)])
    };
    let (block, status) = match refused {
        Some(reason) => (TestBlock { path: form.path, error: Some(reason), resolution: None }, StatusCode::BAD_REQUEST),
        None => {
            let resolution = arr::resolve(&state.db, &path, false).await?;
            (TestBlock { path, error: None, resolution: Some(resolution) }, StatusCode::OK)
        }
    };
    if is_htmx(&headers) {
        // htmx does not swap 4xx answers, and the block is where the reason must appear.
        return Ok(render(&block));
    }
    page(&state, ui, MappingForm::default(), None, block, status).await
}
