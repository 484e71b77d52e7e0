//! Media player groups (Kodi, Jellyfin, Plex), their players and their path mappings.
//!
//! A group is one library database (several Kodi instances on one MySQL count as one group);
//! its players are tried in `position` order. Passwords and tokens are write-only: the API
//! shows them as `"set"` or `null`, and an input that omits a secret (or sends `"set"` back)
//! keeps the stored one. `Debug` of the stored rows never prints a secret.

use crate::catalogue::{CatalogueError, Result, now_ms};
use crate::db::{Db, JsonText, Param, Tx};
use crate::limits;
use crate::secret::SecretInput;
use metarr_players::{Endpoint, JellyfinClient, KodiClient, PathMapping, PlayerError, PlexClient};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::time::Duration;

/// Which product a group's players are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum GroupKind {
    Kodi,
    Jellyfin,
    Plex,
}

impl GroupKind {
    /// The stable name (`kodi`, `jellyfin`, `plex`).
    pub fn as_str(self) -> &'static str {
        match self {
            GroupKind::Kodi => "kodi",
            GroupKind::Jellyfin => "jellyfin",
            GroupKind::Plex => "plex",
        }
    }

    /// Parses a stored or sent name.
    pub fn parse(name: &str) -> Option<GroupKind> {
        [GroupKind::Kodi, GroupKind::Jellyfin, GroupKind::Plex].into_iter().find(|kind| kind.as_str() == name)
    }

    /// The port the product listens on out of the box.
    pub fn default_port(self) -> u16 {
        match self {
            GroupKind::Kodi => 8080,
            GroupKind::Jellyfin => 8096,
            GroupKind::Plex => 32400,
        }
    }
}

/// Kodi's JSON-RPC notification socket out of the box (raw TCP; WebSocket on the same port).
pub const KODI_DEFAULT_TCP_PORT: u16 = 9090;

/// One group mapping: `remote_path` as the player sees it, `local_path` as Metarr sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupMapping {
    /// The path prefix as the player sees it (`/storage/movies`, `D:\\Movies`, `smb://nas/movies`).
    pub remote_path: String,
    /// The same place as Metarr sees it.
    pub local_path: String,
}

/// A player as stored, secrets included: never serialise this to a client.
#[derive(Clone)]
pub struct Player {
    pub id: i64,
    pub group_id: i64,
    pub host: String,
    pub port: u16,
    pub tls: bool,
    pub username: Option<String>,
    password: Option<String>,
    token: Option<String>,
    pub position: i64,
    /// Kodi's notification socket port; `None` for Jellyfin and Plex.
    pub tcp_port: Option<u16>,
}

impl std::fmt::Debug for Player {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Player")
            .field("id", &self.id)
            .field("group_id", &self.group_id)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "[REDACTED]"))
            .field("token", &self.token.as_ref().map(|_| "[REDACTED]"))
            .field("position", &self.position)
            .field("tcp_port", &self.tcp_port)
            .finish()
    }
}

/// A player as the API shows it (docs/contracts.md, "Player group"), secrets as `"set"` or `null`.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PlayerView {
    pub id: i64,
    /// The group it belongs to.
    pub group_id: i64,
    pub host: String,
    pub port: u16,
    /// Whether Metarr talks to it over HTTPS.
    pub tls: bool,
    /// Kodi's web server user.
    pub username: Option<String>,
    /// Masked: `"set"` when a password is stored, `null` otherwise (Kodi).
    #[schema(value_type = Option<String>, required = true)]
    pub password: Value,
    /// Masked: `"set"` when a token is stored, `null` otherwise (Jellyfin's API key, Plex's token).
    #[schema(value_type = Option<String>, required = true)]
    pub token: Value,
    /// Its place in the group: players are tried in this order.
    pub position: i64,
    /// Kodi's notification socket port (`null` for Jellyfin and Plex); added after the API's
    /// first player shape (docs/contracts.md, "Player group"), so older clients simply do not
    /// send it.
    pub tcp_port: Option<u16>,
}

fn secret_view(value: &Option<String>) -> Value {
    if value.as_deref().is_some_and(|v| !v.is_empty()) { json!("set") } else { Value::Null }
}

impl Player {
    /// The view for clients: never the secrets themselves.
    pub fn view(&self) -> PlayerView {
        PlayerView {
            id: self.id,
            group_id: self.group_id,
            host: self.host.clone(),
            port: self.port,
            tls: self.tls,
            username: self.username.clone(),
            password: secret_view(&self.password),
            token: secret_view(&self.token),
            position: self.position,
            tcp_port: self.tcp_port,
        }
    }

    /// The player's address with a request timeout.
    pub fn endpoint(&self, timeout: Duration) -> Endpoint {
        let mut endpoint = Endpoint::new(self.host.clone(), self.port).with_timeout(timeout);
        endpoint.tls = self.tls;
        endpoint
    }

    /// A Kodi client (basic auth when a username is set) that listens to the notification
    /// socket on the same host.
    pub fn kodi(&self, timeout: Duration) -> std::result::Result<KodiClient, PlayerError> {
        let credentials = self
            .username
            .as_ref()
            .filter(|name| !name.is_empty())
            .map(|username| (username.clone(), SecretString::from(self.password.clone().unwrap_or_default())));
        let client = KodiClient::new(self.endpoint(timeout), credentials)?;
        Ok(client.with_notification_port(self.tcp_port.unwrap_or(KODI_DEFAULT_TCP_PORT)))
    }

    /// A Jellyfin client with the player's token.
    pub fn jellyfin(&self, timeout: Duration) -> std::result::Result<JellyfinClient, PlayerError> {
        JellyfinClient::new(self.endpoint(timeout), SecretString::from(self.token.clone().unwrap_or_default()))
    }

    /// A Plex client with the player's token.
    pub fn plex(&self, timeout: Duration) -> std::result::Result<PlexClient, PlayerError> {
        PlexClient::new(self.endpoint(timeout), SecretString::from(self.token.clone().unwrap_or_default()))
    }
}

/// A group with its players (in order) and its path mappings.
#[derive(Debug, Clone)]
pub struct PlayerGroup {
    pub id: i64,
    pub kind: GroupKind,
    pub name: String,
    pub enabled: bool,
    pub skip_while_playing: bool,
    pub path_mappings: Vec<GroupMapping>,
    pub players: Vec<Player>,
}

/// A group as the API shows it (docs/contracts.md, "Player group").
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct GroupView {
    pub id: i64,
    #[schema(value_type = GroupKind)]
    pub kind: &'static str,
    pub name: String,
    /// Whether Metarr tells its players what changed.
    pub enabled: bool,
    /// Whether a refresh waits while something is playing.
    pub skip_while_playing: bool,
    /// In order.
    pub players: Vec<PlayerView>,
    /// Metarr's paths as the players see them.
    pub path_mappings: Vec<GroupMapping>,
}

impl PlayerGroup {
    /// The view for clients.
    pub fn view(&self) -> GroupView {
        GroupView {
            id: self.id,
            kind: self.kind.as_str(),
            name: self.name.clone(),
            enabled: self.enabled,
            skip_while_playing: self.skip_while_playing,
            players: self.players.iter().map(Player::view).collect(),
            path_mappings: self.path_mappings.clone(),
        }
    }

    /// The mappings in the form `metarr-players` takes.
    pub fn mappings(&self) -> Vec<PathMapping> {
        mappings_of(&self.path_mappings)
    }
}

/// Group mappings in the form `metarr-players` takes.
pub fn mappings_of(mappings: &[GroupMapping]) -> Vec<PathMapping> {
    mappings
        .iter()
        .map(|m| PathMapping { remote_path: m.remote_path.clone(), local_path: m.local_path.clone() })
        .collect()
}

/// A player group's settings, as sent to create or replace it. `id` and `players` are accepted
/// (so that a fetched group can be sent back) and ignored: players have their own routes.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupInput {
    #[schema(value_type = GroupKind)]
    pub kind: String,
    /// Not empty.
    pub name: String,
    /// `true` when absent.
    #[serde(default = "default_true")]
    pub enabled: bool,
    #[serde(default)]
    pub skip_while_playing: bool,
    /// Absolute paths on both sides.
    #[serde(default)]
    pub path_mappings: Vec<GroupMapping>,
    /// Accepted (so that a fetched group can be sent back) and ignored.
    #[serde(default, rename = "id")]
    _id: Option<Value>,
    /// Accepted and ignored: players have their own routes.
    #[serde(default, rename = "players")]
    _players: Option<Value>,
}

fn default_true() -> bool {
    true
}

/// A player's settings, as sent to add or replace it. `id` and `group_id` are accepted (so that
/// a fetched player can be sent back) and ignored.
// No `Debug` of secrets: the secret fields redact themselves.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlayerInput {
    /// The player's host name or address.
    pub host: String,
    /// The product's default port when absent (Kodi 8080, Jellyfin 8096, Plex 32400).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 65535)]
    pub port: Option<u16>,
    /// HTTPS instead of HTTP.
    #[serde(default)]
    pub tls: bool,
    /// Kodi's web server user.
    #[serde(default)]
    pub username: Option<String>,
    /// Kodi's web server password (needs a username), write-only.
    #[serde(default)]
    pub password: SecretInput,
    /// Jellyfin's API key or Plex's token (required for those), write-only.
    #[serde(default)]
    pub token: SecretInput,
    /// Its place in the group; when absent, last for a new player and unchanged otherwise.
    #[serde(default)]
    pub position: Option<i64>,
    /// Kodi's notification socket port; Kodi's 9090 when omitted.
    #[serde(default)]
    pub tcp_port: Option<u16>,
    /// Accepted (so that a fetched player can be sent back) and ignored.
    #[serde(default, rename = "id")]
    _id: Option<Value>,
    /// Accepted and ignored.
    #[serde(default, rename = "group_id")]
    _group_id: Option<Value>,
}

fn is_absolute(path: &str) -> bool {
    path.starts_with(['/', '\\']) || path.get(1..2) == Some(":") || path.contains("://")
}

fn invalid_text(err: limits::TextError) -> CatalogueError {
    CatalogueError::Invalid(err.to_string())
}

fn validate_group(input: &GroupInput) -> Result<(GroupKind, String, Vec<GroupMapping>)> {
    let kind = GroupKind::parse(input.kind.trim()).ok_or_else(|| {
        CatalogueError::Invalid(format!("kind {:?} must be \"kodi\", \"jellyfin\" or \"plex\"", input.kind))
    })?;
    let name = input.name.trim();
    if name.is_empty() {
        return Err(CatalogueError::Invalid("name must not be empty".into()));
    }
    limits::NAME.check("name", name).map_err(invalid_text)?;
    let mut mappings = Vec::with_capacity(input.path_mappings.len());
    for mapping in &input.path_mappings {
        limits::PATH.check("path_mappings: remote_path", &mapping.remote_path).map_err(invalid_text)?;
        limits::PATH.check("path_mappings: local_path", &mapping.local_path).map_err(invalid_text)?;
        let remote = mapping.remote_path.trim();
        let local = mapping.local_path.trim();
        if remote.is_empty() || !is_absolute(remote) {
            return Err(CatalogueError::Invalid(format!(
                "path_mappings: remote_path {remote:?} must be absolute (/storage/movies, D:\\Movies or smb://nas/movies)"
            )));
        }
        if !local.starts_with('/') && local.get(1..2) != Some(":") {
            return Err(CatalogueError::Invalid(format!(
                "path_mappings: local_path {local:?} must be an absolute path on this machine"
            )));
        }
        mappings.push(GroupMapping { remote_path: remote.to_owned(), local_path: local.to_owned() });
    }
    Ok((kind, name.to_owned(), mappings))
}

const GROUP_COLUMNS: &str = "id, kind, name, enabled, skip_while_playing, path_mappings";
const PLAYER_COLUMNS: &str = "id, group_id, host, port, tls, username, password, token, position, tcp_port";

/// A `player_groups` row as [`GROUP_COLUMNS`] reads it.
#[derive(sqlx::FromRow)]
struct GroupRow {
    id: i64,
    kind: String,
    name: String,
    enabled: bool,
    skip_while_playing: bool,
    path_mappings: JsonText<Vec<GroupMapping>>,
}

/// A `players` row as [`PLAYER_COLUMNS`] reads it.
#[derive(sqlx::FromRow)]
struct PlayerRow {
    id: i64,
    group_id: i64,
    host: String,
    port: i64,
    tls: bool,
    username: Option<String>,
    password: Option<String>,
    token: Option<String>,
    position: i64,
    tcp_port: Option<i64>,
}

/// A `players` row with its group's kind (`get_player`).
#[derive(sqlx::FromRow)]
struct PlayerKindRow {
    #[sqlx(flatten)]
    player: PlayerRow,
    kind: String,
}

fn parse_kind(kind_name: &str) -> Result<GroupKind> {
    GroupKind::parse(kind_name)
        .ok_or_else(|| CatalogueError::Invalid(format!("stored player group has unknown kind {kind_name:?}")))
}

fn group_from_row(row: GroupRow, players: Vec<Player>) -> Result<PlayerGroup> {
    Ok(PlayerGroup {
        id: row.id,
        kind: parse_kind(&row.kind)?,
        name: row.name,
        enabled: row.enabled,
        skip_while_playing: row.skip_while_playing,
        path_mappings: row.path_mappings.0,
        players,
    })
}

impl From<PlayerRow> for Player {
    fn from(row: PlayerRow) -> Player {
        Player {
            id: row.id,
            group_id: row.group_id,
            host: row.host,
            port: u16::try_from(row.port).unwrap_or_default(),
            tls: row.tls,
            username: row.username,
            password: row.password,
            token: row.token,
            position: row.position,
            tcp_port: row.tcp_port.and_then(|port| u16::try_from(port).ok()),
        }
    }
}

fn group_not_found(id: i64) -> CatalogueError {
    CatalogueError::NotFound(format!("player group {id} not found"))
}

fn player_not_found(id: i64) -> CatalogueError {
    CatalogueError::NotFound(format!("player {id} not found"))
}

/// Every group with its players, by id.
pub async fn list(db: &Db) -> Result<Vec<PlayerGroup>> {
    let groups =
        db.fetch_all::<GroupRow>(&format!("SELECT {GROUP_COLUMNS} FROM player_groups ORDER BY id"), &[]).await?;
    let players =
        db.fetch_all::<PlayerRow>(&format!("SELECT {PLAYER_COLUMNS} FROM players ORDER BY position, id"), &[]).await?;
    let players: Vec<Player> = players.into_iter().map(Player::from).collect();
    groups
        .into_iter()
        .map(|row| {
            let id = row.id;
            group_from_row(row, players.iter().filter(|p| p.group_id == id).cloned().collect())
        })
        .collect()
}

/// One group with its players.
pub async fn get(db: &Db, id: i64) -> Result<PlayerGroup> {
    let row = db
        .fetch_optional::<GroupRow>(&format!("SELECT {GROUP_COLUMNS} FROM player_groups WHERE id = $1"), &[id.into()])
        .await?
        .ok_or_else(|| group_not_found(id))?;
    let players = db
        .fetch_all::<PlayerRow>(
            &format!("SELECT {PLAYER_COLUMNS} FROM players WHERE group_id = $1 ORDER BY position, id"),
            &[id.into()],
        )
        .await?;
    group_from_row(row, players.into_iter().map(Player::from).collect())
}

/// One player and the kind of its group.
pub async fn get_player(db: &Db, id: i64) -> Result<(Player, GroupKind)> {
    let row = db
        .fetch_optional::<PlayerKindRow>(
            "SELECT p.id, p.group_id, p.host, p.port, p.tls, p.username, p.password, p.token, p.position, \
             p.tcp_port, g.kind FROM players p JOIN player_groups g ON g.id = p.group_id WHERE p.id = $1",
            &[id.into()],
        )
        .await?
        .ok_or_else(|| player_not_found(id))?;
    let kind = parse_kind(&row.kind)?;
    Ok((Player::from(row.player), kind))
}

fn mappings_json(mappings: &[GroupMapping]) -> Result<String> {
    serde_json::to_string(mappings).map_err(|err| CatalogueError::Invalid(format!("path_mappings: {err}")))
}

/// Creates a group (without players).
pub async fn create(db: &Db, input: &GroupInput) -> Result<PlayerGroup> {
    let (kind, name, mappings) = validate_group(input)?;
    let now = now_ms();
    let rows = db
        .write::<GroupRow>(
            &format!(
                "INSERT INTO player_groups (kind, name, enabled, skip_while_playing, path_mappings, created_at, \
                 updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING {GROUP_COLUMNS}"
            ),
            &[
                kind.as_str().into(),
                name.into(),
                input.enabled.into(),
                input.skip_while_playing.into(),
                mappings_json(&mappings)?.into(),
                now.into(),
            ],
        )
        .await?;
    rows.into_iter().next().map(|row| group_from_row(row, Vec::new())).transpose()?.ok_or_else(|| group_not_found(0))
}

/// Replaces a group's settings; its players stay. The kind may not change while it has players
/// (their credentials would not fit).
pub async fn update(db: &Db, id: i64, input: &GroupInput) -> Result<PlayerGroup> {
    let (kind, name, mappings) = validate_group(input)?;
    let current = get(db, id).await?;
    if kind != current.kind && !current.players.is_empty() {
        return Err(CatalogueError::Invalid(format!(
            "kind cannot change from {} to {} while the group has players; remove them first",
            current.kind.as_str(),
            kind.as_str()
        )));
    }
    let rows = db
        .write::<(i64,)>(
            "UPDATE player_groups SET kind = $1, name = $2, enabled = $3, skip_while_playing = $4, \
             path_mappings = $5, updated_at = $6 WHERE id = $7 RETURNING id",
            &[
                kind.as_str().into(),
                name.into(),
                input.enabled.into(),
                input.skip_while_playing.into(),
                mappings_json(&mappings)?.into(),
                now_ms().into(),
                id.into(),
            ],
        )
        .await?;
    if rows.is_empty() {
        return Err(group_not_found(id));
    }
    get(db, id).await
}

/// Deletes a group and its players.
pub async fn delete(db: &Db, id: i64) -> Result<()> {
    let mut tx = db.begin().await?;
    tx.execute("DELETE FROM players WHERE group_id = $1", &[id.into()]).await?;
    let deleted = tx.execute("DELETE FROM player_groups WHERE id = $1", &[id.into()]).await?;
    if deleted == 0 {
        return Err(group_not_found(id));
    }
    tx.commit().await?;
    Ok(())
}

/// Applies an input to a player (new or stored) and checks the result.
fn apply_player_input(kind: GroupKind, player: &mut Player, input: PlayerInput) -> Result<()> {
    limits::NAME.check("host", input.host.trim()).map_err(invalid_text)?;
    if let Some(username) = &input.username {
        limits::NAME.check("username", username.trim()).map_err(invalid_text)?;
    }
    for (field, secret) in [("password", &input.password), ("token", &input.token)] {
        if let SecretInput::Set(value) = secret {
            limits::SECRET.check(field, value).map_err(invalid_text)?;
        }
    }
    let host = input.host.trim();
    if host.is_empty() || host.contains(['/', ' ', '?', '#', '@']) {
        return Err(CatalogueError::Invalid(format!(
            "host {host:?} must be a host name or IP address, without scheme, port or path"
        )));
    }
    let port = input.port.unwrap_or(kind.default_port());
    if port == 0 {
        return Err(CatalogueError::Invalid("port must be between 1 and 65535".into()));
    }
    player.host = host.to_owned();
    player.port = port;
    player.tls = input.tls;
    player.username = input.username.map(|u| u.trim().to_owned()).filter(|u| !u.is_empty());
    input.password.apply(&mut player.password);
    input.token.apply(&mut player.token);
    if let Some(position) = input.position {
        player.position = position;
    }
    match kind {
        GroupKind::Kodi => {
            if player.username.is_none() && player.password.is_some() {
                return Err(CatalogueError::Invalid("a Kodi password needs a username".into()));
            }
            let tcp_port = input.tcp_port.unwrap_or(KODI_DEFAULT_TCP_PORT);
            if tcp_port == 0 {
                return Err(CatalogueError::Invalid("tcp_port must be between 1 and 65535".into()));
            }
            player.tcp_port = Some(tcp_port);
        }
        GroupKind::Jellyfin | GroupKind::Plex => {
            if input.tcp_port.is_some() {
                return Err(CatalogueError::Invalid(format!(
                    "tcp_port is Kodi's notification port; {} players have none",
                    kind.as_str()
                )));
            }
            if player.token.as_deref().is_none_or(str::is_empty) {
                return Err(CatalogueError::Invalid(format!("token is required for {} players", kind.as_str())));
            }
        }
    }
    Ok(())
}

/// Adds a player to a group, last unless the input gives a position.
pub async fn add_player(db: &Db, group_id: i64, input: PlayerInput) -> Result<Player> {
    let group = get(db, group_id).await?;
    let next_position = group.players.iter().map(|p| p.position).max().map_or(0, |max| max + 1);
    let mut player = Player {
        id: 0,
        group_id,
        host: String::new(),
        port: 0,
        tls: false,
        username: None,
        password: None,
        token: None,
        position: next_position,
        tcp_port: None,
    };
    apply_player_input(group.kind, &mut player, input)?;
    let now = now_ms();
    let rows = db
        .write::<PlayerRow>(
            &format!(
                "INSERT INTO players (group_id, host, port, tls, username, password, token, position, tcp_port, \
                 created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $11, $9, $9) \
                 RETURNING {PLAYER_COLUMNS}"
            ),
            &player_params(&player, now, group_id),
        )
        .await?;
    rows.into_iter().next().map(Player::from).ok_or_else(|| player_not_found(0))
}

fn player_params(player: &Player, now: i64, last: i64) -> [Param; 11] {
    [
        player.group_id.into(),
        player.host.as_str().into(),
        i64::from(player.port).into(),
        player.tls.into(),
        player.username.clone().into(),
        player.password.clone().into(),
        player.token.clone().into(),
        player.position.into(),
        now.into(),
        last.into(),
        player.tcp_port.map(i64::from).into(),
    ]
}

/// Replaces a player's settings, keeping secrets the input does not replace.
pub async fn update_player(db: &Db, id: i64, input: PlayerInput) -> Result<Player> {
    let (mut player, kind) = get_player(db, id).await?;
    apply_player_input(kind, &mut player, input)?;
    let rows = db
        .write::<PlayerRow>(
            &format!(
                "UPDATE players SET group_id = $1, host = $2, port = $3, tls = $4, username = $5, password = $6, \
                 token = $7, position = $8, updated_at = $9, tcp_port = $11 WHERE id = $10 RETURNING {PLAYER_COLUMNS}"
            ),
            &player_params(&player, now_ms(), id),
        )
        .await?;
    rows.into_iter().next().map(Player::from).ok_or_else(|| player_not_found(id))
}

/// Deletes a player.
pub async fn delete_player(db: &Db, id: i64) -> Result<()> {
    let rows = db.write::<(i64,)>("DELETE FROM players WHERE id = $1 RETURNING id", &[id.into()]).await?;
    if rows.is_empty() {
        return Err(player_not_found(id));
    }
    Ok(())
}

/// The enabled groups' ids and kinds, read inside a transaction.
pub async fn enabled_groups_in(tx: &mut Tx) -> crate::db::Result<Vec<(i64, String)>> {
    tx.fetch_all::<(i64, String)>("SELECT id, kind FROM player_groups WHERE enabled = $1 ORDER BY id", &[true.into()])
        .await
}
