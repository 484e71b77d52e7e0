-- Publishing (issue 16): what Metarr writes into movie folders, the recycle bin that keeps
-- every library file Metarr replaced or removed, and the record of verification runs.

-- `off`, `manual` (the user asks) or `auto` (after each enrichment or artwork change), and
-- the naming options as a JSON object (see publish/settings.rs).
ALTER TABLE libraries ADD COLUMN publish TEXT NOT NULL DEFAULT 'manual' CHECK (publish IN ('off', 'manual', 'auto'));
ALTER TABLE libraries ADD COLUMN publish_options TEXT NOT NULL DEFAULT '{}';

-- Every file Metarr wrote into a library, as it was written: its bytes are in the cache under
-- `sha256` (so verification can put it back), and its stamp tells a later look whether
-- anything touched it. One row per path: the latest write.
CREATE TABLE published_files (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    movie_id     INTEGER NOT NULL REFERENCES movies (id) ON DELETE CASCADE,
    path         TEXT    NOT NULL UNIQUE,
    kind         TEXT    NOT NULL CHECK (kind IN ('nfo', 'artwork', 'actor')),
    slot         TEXT,
    slot_index   INTEGER,
    sha256       TEXT    NOT NULL,
    ext          TEXT    NOT NULL,
    size         INTEGER NOT NULL,
    mtime        INTEGER NOT NULL,
    inode        INTEGER NOT NULL,
    published_at INTEGER NOT NULL
);
CREATE INDEX published_files_movie ON published_files (movie_id);
CREATE INDEX published_files_sha256 ON published_files (sha256);

-- Library files Metarr replaced or removed: their bytes are in the cache under `sha256`.
-- `movie_id` is kept as a plain number: an entry outlives its movie.
CREATE TABLE recycle_bin (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    library_id   INTEGER,
    movie_id     INTEGER,
    path         TEXT    NOT NULL,
    sha256       TEXT    NOT NULL,
    ext          TEXT    NOT NULL,
    size         INTEGER NOT NULL,
    reason       TEXT    NOT NULL,
    recycled_at  INTEGER NOT NULL,
    restored_at  INTEGER
);
CREATE INDEX recycle_bin_recycled ON recycle_bin (recycled_at);
CREATE INDEX recycle_bin_sha256 ON recycle_bin (sha256);
CREATE INDEX recycle_bin_movie ON recycle_bin (movie_id);

-- One verification run: what it checked, what drifted and what it did (`details` is a JSON
-- list of {movie_id, path, state, action}).
CREATE TABLE verification_runs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    library_id    INTEGER,
    movie_id      INTEGER,
    cause         TEXT    NOT NULL,
    started_at    INTEGER NOT NULL,
    finished_at   INTEGER,
    movies        INTEGER NOT NULL DEFAULT 0,
    files_checked INTEGER NOT NULL DEFAULT 0,
    in_sync       INTEGER NOT NULL DEFAULT 0,
    restored      INTEGER NOT NULL DEFAULT 0,
    imported      INTEGER NOT NULL DEFAULT 0,
    errors        INTEGER NOT NULL DEFAULT 0,
    details       TEXT    NOT NULL DEFAULT '[]'
);
CREATE INDEX verification_runs_started ON verification_runs (started_at);
