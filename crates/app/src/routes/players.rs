//! `/api/v1/player-groups` and `/api/v1/players`: media player groups, their players (secrets
//! write-only) and path mappings, and `/players/{id}/test` to check one player now.

use crate::error::{ApiJson, ApiPath, ApiQuery, AppError, ErrorBody, NoQuery};
use crate::players::{self, GroupInput, GroupKind, GroupView, PlayerInput, PlayerView};
use crate::routes::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use metarr_players::PlayerError;
use serde::Serialize;
use std::time::Duration;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// How long the test waits for each request.
const TEST_TIMEOUT: Duration = Duration::from_secs(5);

/// `{ "items": [...], "total": N }`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct GroupList {
    pub items: Vec<GroupView>,
    pub total: usize,
}

/// Every player group with its players and path mappings.
///
/// Secrets are masked: `"set"` or `null`.
#[utoipa::path(
    get,
    path = "/player-groups",
    tag = "players",
    responses(
        (status = 200, body = GroupList),
        (status = 400, description = "An unknown query parameter", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(NoQuery {}): ApiQuery<NoQuery>,
) -> Result<Json<GroupList>, AppError> {
    let items: Vec<GroupView> = players::list(&state.db).await?.iter().map(|g| g.view()).collect();
    Ok(Json(GroupList { total: items.len(), items }))
}

/// Creates a player group (without players: add them to it afterwards).
#[utoipa::path(
    post,
    path = "/player-groups",
    tag = "players",
    request_body = GroupInput,
    responses(
        (status = 201, description = "The group, created", body = GroupView,
            headers(("Location" = String, description = "The group's URL"))),
        (status = 400, description = "An unknown kind, an empty name or a relative mapping path", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<GroupInput>,
) -> Result<(StatusCode, [(header::HeaderName, String); 1], Json<GroupView>), AppError> {
    let group = players::create(&state.db, &input).await?;
    let location = format!("/api/v1/player-groups/{}", group.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(group.view())))
}

/// One player group with its players and path mappings.
#[utoipa::path(
    get,
    path = "/player-groups/{id}",
    tag = "players",
    params(("id" = i64, Path, description = "The group")),
    responses((status = 200, body = GroupView))
)]
pub async fn get_one(State(state): State<AppState>, ApiPath(id): ApiPath<i64>) -> Result<Json<GroupView>, AppError> {
    Ok(Json(players::get(&state.db, id).await?.view()))
}

/// Replaces a player group's settings; its players are left as they are.
#[utoipa::path(
    put,
    path = "/player-groups/{id}",
    tag = "players",
    params(("id" = i64, Path, description = "The group")),
    request_body = GroupInput,
    responses(
        (status = 200, description = "The group, replaced", body = GroupView),
        (status = 400, description = "An unknown kind, an empty name or a relative mapping path", body = ErrorBody),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<GroupInput>,
) -> Result<Json<GroupView>, AppError> {
    Ok(Json(players::update(&state.db, id, &input).await?.view()))
}

/// Deletes a player group and its players.
#[utoipa::path(
    delete,
    path = "/player-groups/{id}",
    tag = "players",
    params(("id" = i64, Path, description = "The group")),
    responses((status = 204, description = "Deleted, with its players"))
)]
pub async fn delete(State(state): State<AppState>, ApiPath(id): ApiPath<i64>) -> Result<StatusCode, AppError> {
    players::delete(&state.db, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Adds a player to a group, last unless the request gives a position.
#[utoipa::path(
    post,
    path = "/player-groups/{id}/players",
    tag = "players",
    params(("id" = i64, Path, description = "The group")),
    request_body = PlayerInput,
    responses(
        (status = 201, description = "The player, added", body = PlayerView),
        (status = 400, description = "A malformed host or port, or a secret the product needs is missing", body = ErrorBody),
    )
)]
pub async fn add_player(
    State(state): State<AppState>,
    ApiPath(group_id): ApiPath<i64>,
    ApiJson(input): ApiJson<PlayerInput>,
) -> Result<(StatusCode, Json<PlayerView>), AppError> {
    let player = players::add_player(&state.db, group_id, input).await?;
    Ok((StatusCode::CREATED, Json(player.view())))
}

/// Replaces a player's settings, keeping the secrets the request does not replace.
#[utoipa::path(
    put,
    path = "/players/{id}",
    tag = "players",
    params(("id" = i64, Path, description = "The player")),
    request_body = PlayerInput,
    responses(
        (status = 200, description = "The player, replaced", body = PlayerView),
        (status = 400, description = "A malformed host or port, or a secret the product needs is missing", body = ErrorBody),
    )
)]
pub async fn update_player(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<PlayerInput>,
) -> Result<Json<PlayerView>, AppError> {
    Ok(Json(players::update_player(&state.db, id, input).await?.view()))
}

/// Removes a player from its group.
#[utoipa::path(
    delete,
    path = "/players/{id}",
    tag = "players",
    params(("id" = i64, Path, description = "The player")),
    responses((status = 204, description = "Deleted"))
)]
pub async fn delete_player(State(state): State<AppState>, ApiPath(id): ApiPath<i64>) -> Result<StatusCode, AppError> {
    players::delete_player(&state.db, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The answer of a player test.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = PlayerTestOutcome)]
pub struct TestOutcome {
    /// Whether the player answered as the product it should be.
    pub ok: bool,
    /// What answered, or what to fix.
    pub message: String,
    /// The product's name as it reports it; `null` when it did not answer.
    pub product: Option<String>,
    /// The product's version; `null` when it did not answer.
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

/// Checks one player now: whether it answers, and as what.
///
/// Answers 200 with `{ok, message, product, version}` whether or not the player answered; the
/// message says what to fix.
#[utoipa::path(
    post,
    path = "/players/{id}/test",
    tag = "players",
    params(("id" = i64, Path, description = "The player")),
    responses((status = 200, description = "The outcome, whether or not the player answered", body = TestOutcome))
)]
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
        .routes(routes!(list, create))
        .routes(routes!(get_one, update, delete))
        .routes(routes!(add_player))
        .routes(routes!(update_player, delete_player))
        .routes(routes!(test))
}
