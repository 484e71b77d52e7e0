-- TV shows (issue 17): series, their seasons and episodes, and every file of a series folder.
-- A library's `kind` is `movies` or `tv`; a TV library's folders are series folders.
-- Times are integer milliseconds since the Unix epoch (UTC); lists are JSON text.

CREATE TABLE series (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    library_id     INTEGER NOT NULL REFERENCES libraries (id) ON DELETE CASCADE,
    folder         TEXT    NOT NULL UNIQUE,
    title          TEXT    NOT NULL,
    original_title TEXT,
    sort_title     TEXT,
    year           INTEGER,
    tmdb_id        INTEGER,
    tvdb_id        INTEGER,
    imdb_id        TEXT,
    plot           TEXT,
    outline        TEXT,
    premiered      TEXT,
    status         TEXT,
    certification  TEXT,
    genres         TEXT    NOT NULL DEFAULT '[]',
    studios        TEXT    NOT NULL DEFAULT '[]',
    tags           TEXT    NOT NULL DEFAULT '[]',
    ratings        TEXT    NOT NULL DEFAULT '[]',
    uniqueids      TEXT    NOT NULL DEFAULT '[]',
    actors         TEXT    NOT NULL DEFAULT '[]',
    -- How the series' files number their episodes: `standard` (S01E02), `daily` (air dates)
    -- or `absolute` (anime: `- 012 -`, read only when set).
    numbering      TEXT    NOT NULL DEFAULT 'standard' CHECK (numbering IN ('standard', 'daily', 'absolute')),
    locks          TEXT    NOT NULL DEFAULT '[]',
    field_sources  TEXT    NOT NULL DEFAULT '{}',
    -- Identification at TMDB, as for movies (enrichment).
    identification TEXT CHECK (identification IN ('identified', 'needs_identification', 'not_found')),
    match_candidates TEXT  NOT NULL DEFAULT '[]',
    enriched_at    INTEGER,
    missing        BOOLEAN NOT NULL DEFAULT FALSE,
    warnings       TEXT    NOT NULL DEFAULT '[]',
    last_scan_id   INTEGER,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX series_library ON series (library_id, id);
CREATE INDEX series_title ON series (title);

CREATE TABLE seasons (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    series_id     INTEGER NOT NULL REFERENCES series (id) ON DELETE CASCADE,
    number        INTEGER NOT NULL,
    title         TEXT,
    plot          TEXT,
    premiered     TEXT,
    field_sources TEXT    NOT NULL DEFAULT '{}',
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    UNIQUE (series_id, number)
);

-- One row per episode known on disk (a video, or an NFO of one) or from a provider. `key` is
-- the episode's identity within its series as the file names give it: `s01e02`, `d2024-03-01`
-- or `a012`. A multi-episode file is the `video` of each of its episodes.
CREATE TABLE episodes (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    series_id       INTEGER NOT NULL REFERENCES series (id) ON DELETE CASCADE,
    key             TEXT    NOT NULL,
    season          INTEGER,
    episode         INTEGER,
    absolute_number INTEGER,
    aired           TEXT,
    title           TEXT,
    plot            TEXT,
    runtime         INTEGER,
    ratings         TEXT    NOT NULL DEFAULT '[]',
    uniqueids       TEXT    NOT NULL DEFAULT '[]',
    directors       TEXT    NOT NULL DEFAULT '[]',
    writers         TEXT    NOT NULL DEFAULT '[]',
    actors          TEXT    NOT NULL DEFAULT '[]',
    video           TEXT,
    nfo             TEXT,
    locks           TEXT    NOT NULL DEFAULT '[]',
    field_sources   TEXT    NOT NULL DEFAULT '{}',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (series_id, key)
);
CREATE INDEX episodes_series ON episodes (series_id, season, episode);
CREATE INDEX episodes_video ON episodes (video);

-- Every file of a series folder, with the stamp that decides whether it changed. `scope` says
-- what it belongs to; `episode_key` names the (first) episode of an episode's files.
CREATE TABLE series_files (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    series_id   INTEGER NOT NULL REFERENCES series (id) ON DELETE CASCADE,
    path        TEXT    NOT NULL UNIQUE,
    scope       TEXT    NOT NULL CHECK (scope IN ('series', 'season', 'episode', 'other')),
    season      INTEGER,
    episode_key TEXT,
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
CREATE INDEX series_files_series ON series_files (series_id);

-- A TV scan counts series and episodes; the `movies_*` counters stay 0 for it.
ALTER TABLE scans ADD COLUMN series_found INTEGER NOT NULL DEFAULT 0;
ALTER TABLE scans ADD COLUMN series_new INTEGER NOT NULL DEFAULT 0;
ALTER TABLE scans ADD COLUMN series_updated INTEGER NOT NULL DEFAULT 0;
ALTER TABLE scans ADD COLUMN series_missing INTEGER NOT NULL DEFAULT 0;
ALTER TABLE scans ADD COLUMN episodes_found INTEGER NOT NULL DEFAULT 0;

-- What Metarr wrote into series folders (as published_files does for movies), and the series
-- a recycle-bin entry came from.
CREATE TABLE series_published_files (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    series_id    INTEGER NOT NULL REFERENCES series (id) ON DELETE CASCADE,
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
CREATE INDEX series_published_files_series ON series_published_files (series_id);
CREATE INDEX series_published_files_sha256 ON series_published_files (sha256);
ALTER TABLE recycle_bin ADD COLUMN series_id INTEGER;
