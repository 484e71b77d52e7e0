-- TV artwork (issue 17): a candidate belongs to a movie, a series, one season of a series, or an
-- episode. `owner` names it in one column (`movie:12`, `series:3`, `season:3:1`, `episode:55`)
-- so that a candidate is told apart by (owner, slot, key) whatever its kind; the id columns
-- beside it let the rows go with their movie, series or episode. Two TV slots join the list:
-- `characterart` (series) and `thumb` (an episode's still).
--
-- SQLite cannot change a column's NOT NULL or a CHECK in place: the table is rebuilt. Nothing
-- refers to it, so dropping the old one (inside the migration's transaction) is safe.
CREATE TABLE artwork_candidates_new (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    owner        TEXT    NOT NULL,
    movie_id     INTEGER REFERENCES movies (id) ON DELETE CASCADE,
    series_id    INTEGER REFERENCES series (id) ON DELETE CASCADE,
    season       INTEGER,
    episode_id   INTEGER REFERENCES episodes (id) ON DELETE CASCADE,
    slot         TEXT    NOT NULL CHECK (slot IN ('poster', 'fanart', 'landscape', 'clearlogo', 'clearart', 'discart', 'banner', 'keyart', 'characterart', 'thumb')),
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
    CHECK ((movie_id IS NULL) <> (series_id IS NULL)),
    UNIQUE (owner, slot, key)
);
INSERT INTO artwork_candidates_new (id, owner, movie_id, slot, source, key, url, preview_url, sha256, ext, width,
    height, file_size, language, vote_average, votes, likes, score, phash, offered, blocked, rejected, duplicate_of,
    position, created_at, updated_at)
SELECT id, 'movie:' || movie_id, movie_id, slot, source, key, url, preview_url, sha256, ext, width, height, file_size,
    language, vote_average, votes, likes, score, phash, offered, blocked, rejected, duplicate_of, position, created_at,
    updated_at
FROM artwork_candidates;
DROP TABLE artwork_candidates;
ALTER TABLE artwork_candidates_new RENAME TO artwork_candidates;
CREATE INDEX artwork_candidates_sha256 ON artwork_candidates (sha256);
CREATE INDEX artwork_candidates_url ON artwork_candidates (url);
CREATE INDEX artwork_candidates_movie ON artwork_candidates (movie_id);
CREATE INDEX artwork_candidates_series ON artwork_candidates (series_id);
CREATE INDEX artwork_candidates_episode ON artwork_candidates (episode_id);

-- A season's locks (`artwork.<slot>` once the user chose its image).
ALTER TABLE seasons ADD COLUMN locks TEXT NOT NULL DEFAULT '[]';
