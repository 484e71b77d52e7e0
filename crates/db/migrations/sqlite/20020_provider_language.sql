-- The metadata language set at run time (API and web UI) over `providers.language`; one row
-- at most. Absent: the configured language.
CREATE TABLE provider_language (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    language   TEXT    NOT NULL,
    updated_at BIGINT  NOT NULL
);
