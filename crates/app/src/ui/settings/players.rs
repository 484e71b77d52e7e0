//! `/settings/players`: player groups (kind, name, switches, the group's path mappings) and
//! their players (address, credentials write-only), with a Test button per player.
//!
//! Forms become the API's `GroupInput` and `PlayerInput` through the same deserialisation as
//! the JSON routes, then go through `players::*`; the test calls the API's test handler, so the
//! page shows exactly what `POST /api/v1/players/{id}/test` answers.

use super::{MAX_NAME, MAX_PATH, MAX_SECRET, TestResult, port_field, secret_json, too_long};
use crate::catalogue::CatalogueError;
use crate::error::ApiPath;
use crate::players::{self, GroupInput, GroupKind, GroupView, PlayerInput, PlayerView};
use crate::routes::AppState;
use crate::ui::{Ui, UiError, is_htmx, render, render_html, render_with, see_other};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use serde_json::{Map, Value, json};

const PAGE: &str = "/settings/players";
/// Longest path-mapping text of a group (many lines of paths).
const MAX_MAPPINGS: usize = 16 * MAX_PATH;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(PAGE, get(list).post(create_group))
        .route("/settings/players/groups/{id}", get(group_page).post(update_group))
        .route("/settings/players/groups/{id}/delete", post(delete_group))
        .route("/settings/players/groups/{id}/players", post(add_player))
        .route("/settings/players/{id}", get(player_page).post(update_player))
        .route("/settings/players/{id}/delete", post(delete_player))
        .route("/settings/players/{id}/test", post(test_player))
}

/// The values of the group form, kept when the server refuses them.
#[derive(Debug, Deserialize)]
pub struct GroupForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
    enabled: Option<String>,
    skip_while_playing: Option<String>,
    /// One mapping per line: `Metarr path => player path`.
    #[serde(default)]
    mappings: String,
}

impl Default for GroupForm {
    fn default() -> GroupForm {
        GroupForm {
            kind: "kodi".to_owned(),
            name: String::new(),
            enabled: Some("on".to_owned()),
            skip_while_playing: None,
            mappings: String::new(),
        }
    }
}

impl GroupForm {
    fn of(group: &GroupView) -> GroupForm {
        GroupForm {
            kind: group.kind.to_owned(),
            name: group.name.clone(),
            enabled: group.enabled.then(|| "on".to_owned()),
            skip_while_playing: group.skip_while_playing.then(|| "on".to_owned()),
            mappings: group
                .path_mappings
                .iter()
                .map(|mapping| format!("{} => {}", mapping.local_path, mapping.remote_path))
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }

    fn input(&self) -> Result<GroupInput, String> {
        if let Some(reason) =
            too_long(&[("name", &self.name, MAX_NAME), ("path mappings", &self.mappings, MAX_MAPPINGS)])
        {
            return Err(reason);
        }
        let mut mappings = Vec::new();
        for (index, line) in self.mappings.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let Some((local, remote)) = line.split_once("=>") else {
                return Err(format!(
                    "path mappings, line {}: write each mapping as \"Metarr path => player path\"",
                    index + 1
                ));
            };
            if let Some(reason) = too_long(&[("Metarr path", local, MAX_PATH), ("player path", remote, MAX_PATH)]) {
                return Err(format!("path mappings, line {}: {reason}", index + 1));
            }
            mappings.push(json!({ "local_path": local.trim(), "remote_path": remote.trim() }));
        }
        let body = json!({
            "kind": self.kind.trim(),
            "name": self.name,
            "enabled": self.enabled.is_some(),
            "skip_while_playing": self.skip_while_playing.is_some(),
            "path_mappings": mappings,
        });
        serde_json::from_value(body).map_err(|err| err.to_string())
    }
}

/// The values of the player form. No `Debug`: it holds the typed secrets, which are never
/// shown again, not even when the form is refused.
#[derive(Default, Deserialize)]
pub struct PlayerForm {
    #[serde(default)]
    host: String,
    #[serde(default)]
    port: String,
    tls: Option<String>,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    clear_password: Option<String>,
    #[serde(default)]
    token: String,
    clear_token: Option<String>,
    #[serde(default)]
    tcp_port: String,
}

impl PlayerForm {
    fn of(player: &PlayerView) -> PlayerForm {
        PlayerForm {
            host: player.host.clone(),
            port: player.port.to_string(),
            tls: player.tls.then(|| "on".to_owned()),
            username: player.username.clone().unwrap_or_default(),
            tcp_port: player.tcp_port.map(|port| port.to_string()).unwrap_or_default(),
            ..PlayerForm::default()
        }
    }

    /// The API input for a player of a group of `kind`: a Kodi player signs in with a username
    /// and password and has a notification port; the others have a token.
    fn input(&self, kind: GroupKind) -> Result<PlayerInput, String> {
        if let Some(reason) = too_long(&[
            ("host", &self.host, MAX_NAME),
            ("username", &self.username, MAX_NAME),
            ("password", &self.password, MAX_SECRET),
            ("token", &self.token, MAX_SECRET),
        ]) {
            return Err(reason);
        }
        let mut body = Map::new();
        body.insert("host".into(), json!(self.host));
        body.insert("port".into(), json!(port_field("port", &self.port)?));
        body.insert("tls".into(), json!(self.tls.is_some()));
        if kind == GroupKind::Kodi {
            body.insert("username".into(), json!(self.username));
            if let Some(password) = secret_json(&self.password, self.clear_password.is_some()) {
                body.insert("password".into(), password);
            }
            if let Some(tcp_port) = port_field("notification port", &self.tcp_port)? {
                body.insert("tcp_port".into(), json!(tcp_port));
            }
        } else if let Some(token) = secret_json(&self.token, self.clear_token.is_some()) {
            body.insert("token".into(), token);
        }
        serde_json::from_value(Value::Object(body)).map_err(|err| err.to_string())
    }
}

/// A player as a page shows it: whether its secrets are set, never what they are.
pub struct PlayerLine {
    pub view: PlayerView,
    pub password_set: bool,
    pub token_set: bool,
    /// The rendered test-result slot.
    pub test: String,
}

/// A group with its players, as a page shows it.
pub struct GroupCard {
    pub view: GroupView,
    pub kodi: bool,
    pub players: Vec<PlayerLine>,
}

fn is_set(secret: &Value) -> bool {
    secret.as_str() == Some("set")
}

fn test_slot(player_id: i64) -> String {
    format!("player-{player_id}-test")
}

impl GroupCard {
    /// The card of a group; `tested` is a test result to show in its player's slot.
    fn of(view: GroupView, tested: Option<&(i64, TestResult)>) -> Result<GroupCard, UiError> {
        let mut players = Vec::with_capacity(view.players.len());
        for player in &view.players {
            let test = match tested {
                Some((id, result)) if *id == player.id => render_html(&result)?,
                _ => render_html(&TestResult::empty(test_slot(player.id)))?,
            };
            players.push(PlayerLine {
                view: player.clone(),
                password_set: is_set(&player.password),
                token_set: is_set(&player.token),
                test,
            });
        }
        Ok(GroupCard { kodi: view.kind == GroupKind::Kodi.as_str(), view, players })
    }
}

#[derive(Template)]
#[template(path = "settings_players.html")]
struct PlayersPage {
    ui: Ui,
    section: &'static str,
    groups: Vec<GroupCard>,
    form: GroupForm,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "settings_player_group.html")]
struct GroupPage {
    ui: Ui,
    section: &'static str,
    group: GroupCard,
    form: GroupForm,
    error: Option<String>,
    player_form: PlayerForm,
    player_error: Option<String>,
    kodi: bool,
    /// The add-player form has no stored secrets.
    password_set: bool,
    token_set: bool,
    default_port: u16,
}

#[derive(Template)]
#[template(path = "settings_player_edit.html")]
struct PlayerPage {
    ui: Ui,
    section: &'static str,
    group: GroupView,
    kodi: bool,
    player_id: i64,
    player_form: PlayerForm,
    password_set: bool,
    token_set: bool,
    error: Option<String>,
    default_port: u16,
}

fn kind_of(view: &GroupView) -> Result<GroupKind, UiError> {
    GroupKind::parse(view.kind).ok_or_else(|| UiError::Internal(format!("unknown player group kind {}", view.kind)))
}

/// A refused input as the form's error; anything else is the page's error.
fn as_form_error<T>(result: Result<T, CatalogueError>) -> Result<Result<T, String>, UiError> {
    match result {
        Ok(value) => Ok(Ok(value)),
        Err(CatalogueError::Invalid(message) | CatalogueError::Conflict(message)) => Ok(Err(message)),
        Err(err) => Err(err.into()),
    }
}

async fn list_page(
    state: &AppState,
    ui: Ui,
    form: GroupForm,
    error: Option<String>,
    tested: Option<(i64, TestResult)>,
    status: StatusCode,
) -> Result<Response, UiError> {
    let mut groups = Vec::new();
    for group in players::list(&state.db).await? {
        groups.push(GroupCard::of(group.view(), tested.as_ref())?);
    }
    Ok(render_with(status, &PlayersPage { ui: ui.at("settings"), section: "players", groups, form, error }))
}

/// `GET /settings/players`
pub async fn list(State(state): State<AppState>, ui: Ui) -> Result<Response, UiError> {
    list_page(&state, ui, GroupForm::default(), None, None, StatusCode::OK).await
}

/// `POST /settings/players`: adds a group, then shows it so its players can be added.
pub async fn create_group(
    State(state): State<AppState>,
    ui: Ui,
    Form(form): Form<GroupForm>,
) -> Result<Response, UiError> {
    let created = match form.input() {
        Ok(input) => as_form_error(players::create(&state.db, &input).await)?,
        Err(reason) => Err(reason),
    };
    match created {
        Ok(group) => Ok(see_other(&format!("/settings/players/groups/{}#add-player", group.id))),
        Err(message) => list_page(&state, ui, form, Some(message), None, StatusCode::BAD_REQUEST).await,
    }
}

/// What the group page shows besides the stored group: a refused form with its reason.
#[derive(Default)]
struct Refused {
    group_form: Option<GroupForm>,
    group_error: Option<String>,
    player_form: PlayerForm,
    player_error: Option<String>,
}

async fn group_view(
    state: &AppState,
    ui: Ui,
    id: i64,
    refused: Refused,
    status: StatusCode,
) -> Result<Response, UiError> {
    let view = players::get(&state.db, id).await?.view();
    let kind = kind_of(&view)?;
    let form = refused.group_form.unwrap_or_else(|| GroupForm::of(&view));
    let page = GroupPage {
        ui: ui.at("settings"),
        section: "players",
        group: GroupCard::of(view, None)?,
        form,
        error: refused.group_error,
        player_form: refused.player_form,
        player_error: refused.player_error,
        kodi: kind == GroupKind::Kodi,
        password_set: false,
        token_set: false,
        default_port: kind.default_port(),
    };
    Ok(render_with(status, &page))
}

/// `GET /settings/players/groups/{id}`: the group's form, its players, and the add-player form.
pub async fn group_page(State(state): State<AppState>, ui: Ui, Path(id): Path<i64>) -> Result<Response, UiError> {
    group_view(&state, ui, id, Refused::default(), StatusCode::OK).await
}

/// `POST /settings/players/groups/{id}`: saves the group's settings.
pub async fn update_group(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<i64>,
    Form(form): Form<GroupForm>,
) -> Result<Response, UiError> {
    let updated = match form.input() {
        Ok(input) => as_form_error(players::update(&state.db, id, &input).await)?,
        Err(reason) => Err(reason),
    };
    match updated {
        Ok(_) => Ok(see_other(PAGE)),
        Err(message) => {
            let refused = Refused { group_form: Some(form), group_error: Some(message), ..Refused::default() };
            group_view(&state, ui, id, refused, StatusCode::BAD_REQUEST).await
        }
    }
}

/// `POST /settings/players/groups/{id}/delete`: the group and its players.
pub async fn delete_group(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Response, UiError> {
    players::delete(&state.db, id).await?;
    Ok(see_other(PAGE))
}

/// `POST /settings/players/groups/{id}/players`: adds a player to the group.
pub async fn add_player(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<i64>,
    Form(form): Form<PlayerForm>,
) -> Result<Response, UiError> {
    let kind = kind_of(&players::get(&state.db, id).await?.view())?;
    let added = match form.input(kind) {
        Ok(input) => as_form_error(players::add_player(&state.db, id, input).await)?,
        Err(reason) => Err(reason),
    };
    match added {
        Ok(_) => Ok(see_other(PAGE)),
        Err(message) => {
            let refused = Refused { player_form: form, player_error: Some(message), ..Refused::default() };
            group_view(&state, ui, id, refused, StatusCode::BAD_REQUEST).await
        }
    }
}

async fn player_view(
    state: &AppState,
    ui: Ui,
    id: i64,
    form: Option<PlayerForm>,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, UiError> {
    let (player, kind) = players::get_player(&state.db, id).await?;
    let player = player.view();
    let group = players::get(&state.db, player.group_id).await?.view();
    let page = PlayerPage {
        ui: ui.at("settings"),
        section: "players",
        group,
        kodi: kind == GroupKind::Kodi,
        player_id: id,
        player_form: form.unwrap_or_else(|| PlayerForm::of(&player)),
        password_set: is_set(&player.password),
        token_set: is_set(&player.token),
        error,
        default_port: kind.default_port(),
    };
    Ok(render_with(status, &page))
}

/// `GET /settings/players/{id}`: the player's form.
pub async fn player_page(State(state): State<AppState>, ui: Ui, Path(id): Path<i64>) -> Result<Response, UiError> {
    player_view(&state, ui, id, None, None, StatusCode::OK).await
}

/// `POST /settings/players/{id}`: saves the player; empty secret fields keep the stored ones.
pub async fn update_player(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<i64>,
    Form(form): Form<PlayerForm>,
) -> Result<Response, UiError> {
    let (_, kind) = players::get_player(&state.db, id).await?;
    let updated = match form.input(kind) {
        Ok(input) => as_form_error(players::update_player(&state.db, id, input).await)?,
        Err(reason) => Err(reason),
    };
    match updated {
        Ok(_) => Ok(see_other(PAGE)),
        Err(message) => player_view(&state, ui, id, Some(form), Some(message), StatusCode::BAD_REQUEST).await,
    }
}

/// `POST /settings/players/{id}/delete`
pub async fn delete_player(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Response, UiError> {
    players::delete_player(&state.db, id).await?;
    Ok(see_other(PAGE))
}

/// `POST /settings/players/{id}/test`: asks the player now. htmx gets the result alone, in the
/// player's slot; a plain form gets the page with the result next to the player.
pub async fn test_player(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, UiError> {
    let outcome = crate::routes::players::test(State(state.clone()), ApiPath(id)).await?.0;
    let result = TestResult { slot: test_slot(id), ok: Some(outcome.ok), message: outcome.message };
    if is_htmx(&headers) {
        return Ok(render(&result));
    }
    list_page(&state, ui, GroupForm::default(), None, Some((id, result)), StatusCode::OK).await
}
