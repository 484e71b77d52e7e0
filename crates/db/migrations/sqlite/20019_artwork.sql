-- Artwork selection: every image offered for a movie's slots (from providers, the movie
-- folder, or uploaded), scored; the ones selected carry their position in the slot.
-- `key` tells candidates of a slot apart: the provider's URL, `local:<path>`, or
-- `upload:<sha256>`. A candidate's bytes are known once `sha256` is set (then they are in the
-- content-addressed cache). `rejected` says why a candidate can never be used (not an image);
-- `duplicate_of` names the selected candidate it repeats, recomputed by every selection;
-- `blocked` is the user's "never this one".
CREATE TABLE artwork_candidates (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    movie_id     INTEGER NOT NULL REFERENCES movies (id) ON DELETE CASCADE,
    slot         TEXT    NOT NULL CHECK (slot IN ('poster', 'fanart', 'landscape', 'clearlogo', 'clearart', 'discart', 'banner', 'keyart')),
    source       TEXT    NOT NULL CHECK (source IN ('local', 'upload', 'tmdb', 'fanart', 'other')),
    key          TEXT    NOT NULL,
    url          TEXT,
    preview_url  TEXT,
    sha256       TEXT,
    ext          TEXT,
    width        INTEGER,
    height       INTEGER,
    file_size    INTEGER,
    language     TEXT,
    vote_average REAL,
    votes        INTEGER,
    likes        INTEGER,
    score        REAL    NOT NULL DEFAULT 0,
    phash        TEXT,
    offered      BOOLEAN NOT NULL DEFAULT TRUE,
    blocked      BOOLEAN NOT NULL DEFAULT FALSE,
    rejected     TEXT,
    duplicate_of INTEGER,
    position     INTEGER,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    UNIQUE (movie_id, slot, key)
);
CREATE INDEX artwork_candidates_sha256 ON artwork_candidates (sha256);
CREATE INDEX artwork_candidates_url ON artwork_candidates (url);

-- Per-library slot limits over the configured ones: a JSON object such as {"fanart": 5}.
ALTER TABLE libraries ADD COLUMN artwork_limits TEXT NOT NULL DEFAULT '{}';

-- Actors' headshots, cached once per person whatever the number of films they are in.
CREATE TABLE person_images (
    tmdb_person_id INTEGER PRIMARY KEY,
    url            TEXT    NOT NULL,
    sha256         TEXT,
    ext            TEXT,
    failed         TEXT,
    updated_at     INTEGER NOT NULL
);
