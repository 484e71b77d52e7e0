-- The full movie metadata (issue 14): every field the NFO model knows, where each value came
-- from (`field_sources`: field name → user | nfo | folder | radarr | tmdb | omdb | fanart), and
-- the identification and enrichment state. Lists and objects are JSON text, as before.
ALTER TABLE movies
    ADD COLUMN certification TEXT,
    ADD COLUMN certifications TEXT NOT NULL DEFAULT '[]',
    ADD COLUMN ratings TEXT NOT NULL DEFAULT '[]',
    ADD COLUMN user_rating BIGINT,
    ADD COLUMN top250 BIGINT,
    ADD COLUMN uniqueids TEXT NOT NULL DEFAULT '[]',
    ADD COLUMN studios TEXT NOT NULL DEFAULT '[]',
    ADD COLUMN countries TEXT NOT NULL DEFAULT '[]',
    ADD COLUMN tags TEXT NOT NULL DEFAULT '[]',
    ADD COLUMN collection TEXT,
    ADD COLUMN directors TEXT NOT NULL DEFAULT '[]',
    ADD COLUMN writers TEXT NOT NULL DEFAULT '[]',
    ADD COLUMN actors TEXT NOT NULL DEFAULT '[]',
    ADD COLUMN trailer TEXT,
    ADD COLUMN date_added TEXT,
    ADD COLUMN field_sources TEXT NOT NULL DEFAULT '{}',
    ADD COLUMN identification TEXT
        CONSTRAINT movies_identification_known
        CHECK (identification IN ('identified', 'needs_identification', 'not_found')),
    ADD COLUMN match_candidates TEXT NOT NULL DEFAULT '[]',
    ADD COLUMN enriched_at BIGINT;
CREATE INDEX movies_identification ON movies (identification);
CREATE INDEX movies_enriched_at ON movies (enriched_at);

-- Values stored before sources were recorded came from the NFO or the folder's name; both are
-- kept from enrichment unless the library prefers provider metadata, so they count as `nfo`.
UPDATE movies SET field_sources = jsonb_strip_nulls(jsonb_build_object(
    'title', 'nfo',
    'original_title', CASE WHEN original_title IS NOT NULL THEN 'nfo' END,
    'sort_title', CASE WHEN sort_title IS NOT NULL THEN 'nfo' END,
    'year', CASE WHEN year IS NOT NULL THEN 'nfo' END,
    'tmdb_id', CASE WHEN tmdb_id IS NOT NULL THEN 'nfo' END,
    'imdb_id', CASE WHEN imdb_id IS NOT NULL THEN 'nfo' END,
    'plot', CASE WHEN plot IS NOT NULL THEN 'nfo' END,
    'outline', CASE WHEN outline IS NOT NULL THEN 'nfo' END,
    'tagline', CASE WHEN tagline IS NOT NULL THEN 'nfo' END,
    'runtime', CASE WHEN runtime IS NOT NULL THEN 'nfo' END,
    'premiered', CASE WHEN premiered IS NOT NULL THEN 'nfo' END,
    'genres', CASE WHEN genres <> '[]' THEN 'nfo' END
))::text;

-- Libraries: whether provider values replace the NFO's, and whether scans enrich (NULL: when a
-- TMDB key is configured).
ALTER TABLE libraries
    ADD COLUMN prefer_provider_metadata BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN auto_enrich BOOLEAN;

-- Scans gain the `enriching` phase and its counters.
ALTER TABLE scans
    ADD COLUMN enrichment_queued BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN enrichment_completed BIGINT NOT NULL DEFAULT 0,
    -- Decided when the scan starts (the library's auto_enrich, else whether TMDB has a key).
    ADD COLUMN enrich_after BOOLEAN NOT NULL DEFAULT FALSE,
    -- Every movie to enrich has been queued (and counted in enrichment_queued).
    ADD COLUMN enrichment_listed BOOLEAN NOT NULL DEFAULT FALSE;
-- The ledger counts enrichments too (items keyed by movie id).
ALTER TABLE scan_items DROP CONSTRAINT scan_items_kind_check;
ALTER TABLE scan_items ADD CONSTRAINT scan_items_kind_check CHECK (kind IN ('folder', 'asset', 'enrichment'));
ALTER TABLE scans DROP CONSTRAINT scans_phase_known;
ALTER TABLE scans ADD CONSTRAINT scans_phase_known
    CHECK (phase IN ('discovering', 'scanning', 'caching', 'enriching', 'completed', 'failed', 'cancelled'));
