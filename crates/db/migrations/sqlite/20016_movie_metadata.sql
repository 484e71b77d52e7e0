-- The full movie metadata (issue 14): every field the NFO model knows, where each value came
-- from (`field_sources`: field name → user | nfo | folder | radarr | tmdb | omdb | fanart), and
-- the identification and enrichment state. Lists and objects are JSON text, as before.
ALTER TABLE movies ADD COLUMN certification TEXT;
ALTER TABLE movies ADD COLUMN certifications TEXT NOT NULL DEFAULT '[]';
ALTER TABLE movies ADD COLUMN ratings TEXT NOT NULL DEFAULT '[]';
ALTER TABLE movies ADD COLUMN user_rating INTEGER;
ALTER TABLE movies ADD COLUMN top250 INTEGER;
ALTER TABLE movies ADD COLUMN uniqueids TEXT NOT NULL DEFAULT '[]';
ALTER TABLE movies ADD COLUMN studios TEXT NOT NULL DEFAULT '[]';
ALTER TABLE movies ADD COLUMN countries TEXT NOT NULL DEFAULT '[]';
ALTER TABLE movies ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
ALTER TABLE movies ADD COLUMN collection TEXT;
ALTER TABLE movies ADD COLUMN directors TEXT NOT NULL DEFAULT '[]';
ALTER TABLE movies ADD COLUMN writers TEXT NOT NULL DEFAULT '[]';
ALTER TABLE movies ADD COLUMN actors TEXT NOT NULL DEFAULT '[]';
ALTER TABLE movies ADD COLUMN trailer TEXT;
ALTER TABLE movies ADD COLUMN date_added TEXT;
ALTER TABLE movies ADD COLUMN field_sources TEXT NOT NULL DEFAULT '{}';
ALTER TABLE movies ADD COLUMN identification TEXT
    CHECK (identification IN ('identified', 'needs_identification', 'not_found'));
ALTER TABLE movies ADD COLUMN match_candidates TEXT NOT NULL DEFAULT '[]';
ALTER TABLE movies ADD COLUMN enriched_at INTEGER;
CREATE INDEX movies_identification ON movies (identification);
CREATE INDEX movies_enriched_at ON movies (enriched_at);

-- Values stored before sources were recorded came from the NFO or the folder's name; both are
-- kept from enrichment unless the library prefers provider metadata, so they count as `nfo`.
UPDATE movies SET field_sources = (
    SELECT coalesce(json_group_object(name, 'nfo'), '{}') FROM (
        SELECT 'title' AS name
        UNION ALL SELECT 'original_title' WHERE movies.original_title IS NOT NULL
        UNION ALL SELECT 'sort_title' WHERE movies.sort_title IS NOT NULL
        UNION ALL SELECT 'year' WHERE movies.year IS NOT NULL
        UNION ALL SELECT 'tmdb_id' WHERE movies.tmdb_id IS NOT NULL
        UNION ALL SELECT 'imdb_id' WHERE movies.imdb_id IS NOT NULL
        UNION ALL SELECT 'plot' WHERE movies.plot IS NOT NULL
        UNION ALL SELECT 'outline' WHERE movies.outline IS NOT NULL
        UNION ALL SELECT 'tagline' WHERE movies.tagline IS NOT NULL
        UNION ALL SELECT 'runtime' WHERE movies.runtime IS NOT NULL
        UNION ALL SELECT 'premiered' WHERE movies.premiered IS NOT NULL
        UNION ALL SELECT 'genres' WHERE movies.genres <> '[]'
    )
);

-- Libraries: whether provider values replace the NFO's, and whether scans enrich (NULL: when a
-- TMDB key is configured).
ALTER TABLE libraries ADD COLUMN prefer_provider_metadata BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE libraries ADD COLUMN auto_enrich BOOLEAN;

-- Scans gain the `enriching` phase and its counters.
ALTER TABLE scans ADD COLUMN enrichment_queued INTEGER NOT NULL DEFAULT 0;
ALTER TABLE scans ADD COLUMN enrichment_completed INTEGER NOT NULL DEFAULT 0;
-- Decided when the scan starts (the library's auto_enrich, else whether TMDB has a key).
ALTER TABLE scans ADD COLUMN enrich_after BOOLEAN NOT NULL DEFAULT FALSE;
-- Every movie to enrich has been queued (and counted in enrichment_queued).
ALTER TABLE scans ADD COLUMN enrichment_listed BOOLEAN NOT NULL DEFAULT FALSE;
-- The ledger counts enrichments too (items keyed by movie id). SQLite cannot change a CHECK in
-- place; the ledger holds only running scans' items, so it is rebuilt.
CREATE TABLE scan_items_new (
    scan_id BIGINT NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
    kind    TEXT   NOT NULL CHECK (kind IN ('folder', 'asset', 'enrichment')),
    path    TEXT   NOT NULL,
    state   TEXT   NOT NULL CHECK (state IN ('queued', 'done', 'failed')),
    PRIMARY KEY (scan_id, kind, path)
);
INSERT INTO scan_items_new SELECT scan_id, kind, path, state FROM scan_items;
DROP TABLE scan_items;
ALTER TABLE scan_items_new RENAME TO scan_items;
DROP TRIGGER scans_phase_known_insert;
DROP TRIGGER scans_phase_known_update;
CREATE TRIGGER scans_phase_known_insert BEFORE INSERT ON scans
WHEN NEW.phase NOT IN ('discovering', 'scanning', 'caching', 'enriching', 'completed', 'failed', 'cancelled')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: scans_phase_known');
END;
CREATE TRIGGER scans_phase_known_update BEFORE UPDATE OF phase ON scans
WHEN NEW.phase NOT IN ('discovering', 'scanning', 'caching', 'enriching', 'completed', 'failed', 'cancelled')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: scans_phase_known');
END;
