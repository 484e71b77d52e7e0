-- Media player groups (Kodi, Jellyfin, Plex) and their players.
-- path_mappings is JSON text: [{"remote_path": <player's path>, "local_path": <Metarr's path>}].
-- password and token are secrets: the API never returns them.
CREATE TABLE player_groups (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    kind               TEXT    NOT NULL,
    name               TEXT    NOT NULL,
    enabled            BOOLEAN NOT NULL DEFAULT TRUE,
    skip_while_playing BOOLEAN NOT NULL DEFAULT FALSE,
    path_mappings      TEXT    NOT NULL DEFAULT '[]',
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);

CREATE TABLE players (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id   INTEGER NOT NULL REFERENCES player_groups (id) ON DELETE CASCADE,
    host       TEXT    NOT NULL,
    port       INTEGER NOT NULL,
    tls        BOOLEAN NOT NULL DEFAULT FALSE,
    username   TEXT,
    password   TEXT,
    token      TEXT,
    position   INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE INDEX players_group ON players (group_id, position);
