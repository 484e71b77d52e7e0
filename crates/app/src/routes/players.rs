//! `/api/v1/player-groups` and `/api/v1/players`: media player groups, their players (secrets
//! write-only) and path mappings, and `/players/{id}/test` to check one player now.

use crate::error::{ApiJson, ApiPath, ApiQuery, AppError, NoQuery};
use crate::players::{self, GroupInput, GroupKind, GroupView, PlayerInput, PlayerView};
use crate::routes::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::routing;
use metarr_players::PlayerError;
use serde::Serialize;
use std::time::Duration;
use utoipa_axum::router::OpenApiRouter;

/// How long the test waits for each request.
const TEST_TIMEOUT: Duration = Duration::from_secs(5);

/// `{ "items": [...], "total": N }`.
#[derive(Debug, Serialize)]
pub struct GroupList {
    pub items: Vec<GroupView>,
    pub total: usize,
}

/// `GET /api/v1/player-groups`
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(NoQuery {}): ApiQuery<NoQuery>,
) -> Result<Json<GroupList>, AppError> {
    let items: Vec<GroupView> = players::list(&state.db).await?.iter().map(|g| g.view()).collect();
    Ok(Json(GroupList { total: items.len(), items }))
}

/// `POST /api/v1/player-groups`: 201 with the group.
pub async fn create(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<GroupInput>,
) -> Result<(StatusCode, [(header::HeaderName, String); 1], Json<GroupView>), AppError> {
    let group = players::create(&state.db, &input).await?;
    let location = format!("/api/v1/player-groups/{}", group.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(group.view())))
}

/// `GET /api/v1/player-groups/{id}`
pub async fn get_one(State(state): State<AppState>, ApiPath(id): ApiPath<i64>) -> Result<Json<GroupView>, AppError> {
    Ok(Json(players::get(&state.db, id).await?.view()))
}

/// `PUT /api/v1/player-groups/{id}`
pub async fn update(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<GroupInput>,
) -> Result<Json<GroupView>, AppError> {
    Ok(Json(players::update(&state.db, id, &input).await?.view()))
}

/// `DELETE /api/v1/player-groups/{id}`: the group and its players.
pub async fn delete(State(state): State<AppState>, ApiPath(id): ApiPath<i64>) -> Result<StatusCode, AppError> {
    players::delete(&state.db, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/player-groups/{id}/players`: 201 with the player.
pub async fn add_player(
    State(state): State<AppState>,
    ApiPath(group_id): ApiPath<i64>,
    ApiJson(input): ApiJson<PlayerInput>,
) -> Result<(StatusCode, Json<PlayerView>), AppError> {
    let player = players::add_player(&state.db, group_id, input).await?;
    Ok((StatusCode::CREATED, Json(player.view())))
}

/// `PUT /api/v1/players/{id}`
pub async fn update_player(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<PlayerInput>,
) -> Result<Json<PlayerView>, AppError> {
    Ok(Json(players::update_player(&state.db, id, input).await?.view()))
}

/// `DELETE /api/v1/players/{id}`
pub async fn delete_player(State(state): State<AppState>, ApiPath(id): ApiPath<i64>) -> Result<StatusCode, AppError> {
    players::delete_player(&state.db, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The answer of a player test.
#[derive(Debug, Serialize)]
pub struct TestOutcome {
    pub ok: bool,
    pub message: String,
    pub product: Option<String>,
    pub version: Option<String>,
    /// For Kodi: whether its notification socket answered, so refreshes can be confirmed;
    /// `null` for the other products and when the player did not answer.
    pub notifications: Option<bool>,
}

impl TestOutcome {
    fn failed(kind: GroupKind, err: &PlayerError) -> TestOutcome {
        let message = match err {
            PlayerError::Refused { player } => format!(
                "{player}: connection refused; is the player running, and is its web server (remote control over \
                 HTTP) enabled on this port?"
            ),
            PlayerError::Timeout { player, timeout } => format!(
                "{player}: no answer within {} s; check the host and port, and that no firewall drops the connection",
                timeout.as_secs()
            ),
            PlayerError::Unauthorized { player } => {
                format!("{player}: authentication failed (HTTP 401); fix the username and password or the token")
            }
            PlayerError::NotKodi { player, detail } => {
                format!("{player}: something answers, but it is not Kodi's JSON-RPC interface ({detail})")
            }
            PlayerError::WrongProduct { player, expected, detail } => {
                format!("{player}: something answers, but it is not a {expected} server ({detail})")
            }
            PlayerError::Http { player, status: status @ (404 | 405) } => format!(
                "{player}: something answers (HTTP {status}), but it is not {}; is this the right port?",
                product_name(kind)
            ),
            other => other.to_string(),
        };
        TestOutcome { ok: false, message, product: None, version: None, notifications: None }
    }
}

fn product_name(kind: GroupKind) -> &'static str {
    match kind {
        GroupKind::Kodi => "Kodi's JSON-RPC interface",
        GroupKind::Jellyfin => "a Jellyfin server",
        GroupKind::Plex => "a Plex Media Server",
    }
}

/// `POST /api/v1/players/{id}/test`: 200 with `{ok, message, product, version}` whether or not
/// the player answered; the message says what to fix.
pub async fn test(State(state): State<AppState>, ApiPath(id): ApiPath<i64>) -> Result<Json<TestOutcome>, AppError> {
    let (player, kind) = players::get_player(&state.db, id).await?;
    let outcome = match kind {
        GroupKind::Kodi => {
            let result = async {
                let client = player.kodi(TEST_TIMEOUT)?;
                client.ping().await?;
                let version = client.version().await?;
                // The socket is optional: without it refreshes work, only unconfirmed.
                let socket = client.subscribe().await.map(|subscribed| subscribed.map(drop));
                Ok::<_, PlayerError>((version, socket))
            }
            .await;
            match result {
                Ok((version, socket)) => {
                    let notifications = match &socket {
                        Some(Ok(())) => format!(
                            "; its notification socket answers on port {}, so refreshes are confirmed",
                            player.tcp_port.unwrap_or(players::KODI_DEFAULT_TCP_PORT)
                        ),
                        Some(Err(err)) => format!(
                            "; its notification socket does not answer ({err}), so refreshes stay unconfirmed: \
                             in Kodi's Settings > Services > Control turn on \"Allow remote control from \
                             applications on this system\" (and \"on other systems\" when Kodi runs elsewhere), \
                             or fix the notification port (tcp_port)"
                        ),
                        None => String::new(),
                    };
                    TestOutcome {
                        ok: true,
                        message: format!(
                            "{} {} answers at {}:{} (JSON-RPC API {}){notifications}",
                            version.name, version.version, player.host, player.port, version.api_version
                        ),
                        product: Some(version.name),
                        version: Some(version.version),
                        notifications: socket.map(|socket| socket.is_ok()),
                    }
                }
                Err(err) => TestOutcome::failed(kind, &err),
            }
        }
        GroupKind::Jellyfin => {
            let result = async { player.jellyfin(TEST_TIMEOUT)?.info().await }.await;
            match result {
                Ok(info) => TestOutcome {
                    ok: true,
                    message: format!(
                        "{} {} ({}) answers at {}:{}; the token is checked on the first refresh",
                        info.product_name, info.version, info.server_name, player.host, player.port
                    ),
                    product: Some(info.product_name),
                    version: Some(info.version),
                    notifications: None,
                },
                Err(err) => TestOutcome::failed(kind, &err),
            }
        }
        GroupKind::Plex => {
            let result = async {
                let client = player.plex(TEST_TIMEOUT)?;
                let identity = client.identity().await?;
                // The identity is public; listing the sections proves the token.
                let sections = client.sections().await?;
                Ok::<_, PlayerError>((identity, sections.len()))
            }
            .await;
            match result {
                Ok((identity, sections)) => TestOutcome {
                    ok: true,
                    message: format!(
                        "Plex Media Server {} answers at {}:{} with {sections} library section(s)",
                        identity.version, player.host, player.port
                    ),
                    product: Some("Plex Media Server".to_owned()),
                    version: Some(identity.version),
                    notifications: None,
                },
                Err(err) => TestOutcome::failed(kind, &err),
            }
        }
    };
    Ok(Json(outcome))
}

/// This module's routes (`/api/v1`-relative), each registered with its OpenAPI description.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/player-groups", routing::get(list).post(create))
        .route("/player-groups/{id}", routing::get(get_one).put(update).delete(delete))
        .route("/player-groups/{id}/players", routing::post(add_player))
        .route("/players/{id}", routing::put(update_player).delete(delete_player))
        .route("/players/{id}/test", routing::post(test))
}
