-- The queue's tables. Times are milliseconds since the Unix epoch (UTC).
CREATE TABLE jobs (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    kind             TEXT    NOT NULL,
    state            TEXT    NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'running', 'completed', 'failed', 'cancelled')),
    priority         INTEGER NOT NULL DEFAULT 5 CHECK (priority BETWEEN 1 AND 10),
    payload          TEXT    NOT NULL DEFAULT '{}',
    attempt          INTEGER NOT NULL DEFAULT 0,
    max_attempts     INTEGER NOT NULL DEFAULT 5 CHECK (max_attempts >= 1),
    run_at           INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    started_at       INTEGER,
    finished_at      INTEGER,
    progress_percent REAL,
    progress_message TEXT,
    last_error       TEXT,
    parent_id        INTEGER,
    correlation_id   TEXT,
    unique_key       TEXT,
    locked_by        TEXT,
    lease_expires_at INTEGER,
    cancel_requested INTEGER NOT NULL DEFAULT 0
);

-- Claim order: priority, then run_at, then id.
CREATE INDEX jobs_claim ON jobs (priority, run_at, id) WHERE state = 'pending';
-- Claims of one kind (kinds with a concurrency limit are claimed on their own): without it, such
-- a claim would walk past every pending job of other kinds that sort before it.
CREATE INDEX jobs_claim_kind ON jobs (kind, priority, run_at, id) WHERE state = 'pending';
-- At most one active job per unique key.
CREATE UNIQUE INDEX jobs_unique_active ON jobs (unique_key)
    WHERE unique_key IS NOT NULL AND state IN ('pending', 'running');
CREATE INDEX jobs_lease ON jobs (lease_expires_at) WHERE state = 'running';
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX jobs_correlation ON jobs (correlation_id) WHERE correlation_id IS NOT NULL;

CREATE TABLE schedules (
    name        TEXT    PRIMARY KEY,
    kind        TEXT    NOT NULL,
    cron        TEXT    NOT NULL,
    enabled     INTEGER NOT NULL DEFAULT 1,
    last_slot   INTEGER,
    last_job_id INTEGER,
    updated_at  INTEGER NOT NULL
);
