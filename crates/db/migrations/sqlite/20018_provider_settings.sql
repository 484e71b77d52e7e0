-- Provider settings set at run time through the API and the web UI, over the configuration
-- file's: a key (write-only in the API), or its removal, and the limits. A NULL column keeps
-- the configured value.
CREATE TABLE provider_settings (
    provider            TEXT    PRIMARY KEY CHECK (provider IN ('tmdb', 'fanart', 'omdb')),
    key_state           TEXT    NOT NULL DEFAULT 'config' CHECK (key_state IN ('config', 'set', 'cleared')),
    api_key             TEXT,
    requests_per_second INTEGER,
    daily_quota         INTEGER,
    updated_at          INTEGER  NOT NULL
);
