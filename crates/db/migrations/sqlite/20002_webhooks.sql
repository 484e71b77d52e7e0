-- Radarr/Sonarr webhooks: the log of every request, *arr path mappings, user notification services.
-- Times are integer milliseconds since the Unix epoch (UTC); lists are JSON text.
CREATE TABLE webhook_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at INTEGER NOT NULL,
    source      TEXT    NOT NULL,
    event_type  TEXT,
    status      INTEGER NOT NULL,
    outcome     TEXT    NOT NULL,
    job_ids     TEXT    NOT NULL DEFAULT '[]',
    body        TEXT    NOT NULL
);

CREATE TABLE path_mappings (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    remote_path TEXT    NOT NULL UNIQUE,
    local_path  TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- One row per configured service; settings is JSON holding its secrets too (never returned).
CREATE TABLE notification_services (
    service     TEXT    PRIMARY KEY,
    enabled     BOOLEAN NOT NULL DEFAULT FALSE,
    events      TEXT    NOT NULL DEFAULT '[]',
    settings    TEXT    NOT NULL DEFAULT '{}',
    updated_at  INTEGER NOT NULL
);
