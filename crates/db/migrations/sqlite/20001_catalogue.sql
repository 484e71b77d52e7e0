-- The catalogue: libraries, scans, movies, their files and the artwork cache.
-- Times are integer milliseconds since the Unix epoch (UTC); lists are JSON text.
CREATE TABLE libraries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    name            TEXT    NOT NULL,
    path            TEXT    NOT NULL UNIQUE,
    kind            TEXT    NOT NULL DEFAULT 'movies',
    enabled         BOOLEAN NOT NULL DEFAULT TRUE,
    ignore_patterns TEXT    NOT NULL DEFAULT '[]',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

CREATE TABLE scans (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    library_id           INTEGER NOT NULL REFERENCES libraries (id) ON DELETE CASCADE,
    phase                TEXT    NOT NULL DEFAULT 'discovering',
    correlation_id       TEXT    NOT NULL,
    started_at           INTEGER NOT NULL,
    finished_at          INTEGER,
    directories_total    INTEGER NOT NULL DEFAULT 0,
    directories_scanned  INTEGER NOT NULL DEFAULT 0,
    directories_failed   INTEGER NOT NULL DEFAULT 0,
    movies_found         INTEGER NOT NULL DEFAULT 0,
    movies_new           INTEGER NOT NULL DEFAULT 0,
    movies_updated       INTEGER NOT NULL DEFAULT 0,
    movies_missing       INTEGER NOT NULL DEFAULT 0,
    assets_queued        INTEGER NOT NULL DEFAULT 0,
    assets_cached        INTEGER NOT NULL DEFAULT 0,
    assets_failed        INTEGER NOT NULL DEFAULT 0,
    videos_probed        INTEGER NOT NULL DEFAULT 0,
    unknown_files        INTEGER NOT NULL DEFAULT 0,
    errors               INTEGER NOT NULL DEFAULT 0,
    warnings             TEXT    NOT NULL DEFAULT '[]'
);
CREATE INDEX scans_library ON scans (library_id, id);

CREATE TABLE movies (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    library_id     INTEGER NOT NULL REFERENCES libraries (id) ON DELETE CASCADE,
    folder         TEXT    NOT NULL UNIQUE,
    video          TEXT,
    title          TEXT    NOT NULL,
    original_title TEXT,
    sort_title     TEXT,
    year           INTEGER,
    tmdb_id        INTEGER,
    imdb_id        TEXT,
    plot           TEXT,
    outline        TEXT,
    tagline        TEXT,
    runtime        INTEGER,
    premiered      TEXT,
    genres         TEXT    NOT NULL DEFAULT '[]',
    locks          TEXT    NOT NULL DEFAULT '[]',
    missing        BOOLEAN NOT NULL DEFAULT FALSE,
    removed        BOOLEAN NOT NULL DEFAULT FALSE,
    warnings       TEXT    NOT NULL DEFAULT '[]',
    last_scan_id   INTEGER,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX movies_library ON movies (library_id, id);
CREATE INDEX movies_title ON movies (title);

-- Every file of a movie folder, with the stamp that decides whether it changed.
CREATE TABLE media_files (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    movie_id    INTEGER NOT NULL REFERENCES movies (id) ON DELETE CASCADE,
    path        TEXT    NOT NULL UNIQUE,
    category    TEXT    NOT NULL,
    role        TEXT,
    slot        TEXT,
    slot_index  INTEGER,
    language    TEXT,
    forced      BOOLEAN NOT NULL DEFAULT FALSE,
    sdh         BOOLEAN NOT NULL DEFAULT FALSE,
    size        INTEGER NOT NULL,
    mtime       INTEGER NOT NULL,
    inode       INTEGER NOT NULL,
    sha256      TEXT,
    streams     TEXT,
    probed_at   INTEGER,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX media_files_movie ON media_files (movie_id);

-- The content-addressed cache: one row per distinct file content.
CREATE TABLE assets (
    sha256     TEXT    PRIMARY KEY,
    ext        TEXT    NOT NULL,
    size       INTEGER NOT NULL,
    width      INTEGER,
    height     INTEGER,
    created_at INTEGER NOT NULL
);
