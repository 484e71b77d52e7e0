-- Web UI accounts and their sign-in sessions.
-- password_hash is an argon2 PHC string; token_hash is the SHA-256 (hex) of the session cookie,
-- so that a copy of the database does not hold usable sessions.
CREATE TABLE ui_users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    created_at    INTEGER NOT NULL
);

CREATE TABLE ui_sessions (
    token_hash TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES ui_users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX ui_sessions_user ON ui_sessions (user_id);
