-- The queue's tables, created in the connection's current schema.
CREATE TABLE jobs (
    id               BIGSERIAL PRIMARY KEY,
    kind             TEXT        NOT NULL,
    state            TEXT        NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'running', 'completed', 'failed', 'cancelled')),
    priority         SMALLINT    NOT NULL DEFAULT 5 CHECK (priority BETWEEN 1 AND 10),
    payload          JSONB       NOT NULL DEFAULT '{}',
    attempt          INTEGER     NOT NULL DEFAULT 0,
    max_attempts     INTEGER     NOT NULL DEFAULT 5 CHECK (max_attempts >= 1),
    run_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    started_at       TIMESTAMPTZ,
    finished_at      TIMESTAMPTZ,
    progress_percent REAL,
    progress_message TEXT,
    last_error       TEXT,
    parent_id        BIGINT,
    correlation_id   TEXT,
    unique_key       TEXT,
    locked_by        TEXT,
    lease_expires_at TIMESTAMPTZ,
    cancel_requested BOOLEAN     NOT NULL DEFAULT false
);

-- A queue table churns: vacuum and analyse it far more eagerly than the defaults (20 %/10 %),
-- so that dead claim-index entries and stale statistics do not pile up under load.
ALTER TABLE jobs SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.01,
                      autovacuum_vacuum_cost_delay = 0);

CREATE INDEX jobs_claim ON jobs (priority, run_at, id) WHERE state = 'pending';
-- Claims of one kind (kinds with a concurrency limit are claimed on their own): without it, such
-- a claim would walk past every pending job of other kinds that sort before it.
CREATE INDEX jobs_claim_kind ON jobs (kind, priority, run_at, id) WHERE state = 'pending';
CREATE UNIQUE INDEX jobs_unique_active ON jobs (unique_key)
    WHERE unique_key IS NOT NULL AND state IN ('pending', 'running');
CREATE INDEX jobs_lease ON jobs (lease_expires_at) WHERE state = 'running';
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX jobs_correlation ON jobs (correlation_id) WHERE correlation_id IS NOT NULL;

CREATE TABLE schedules (
    name        TEXT        PRIMARY KEY,
    kind        TEXT        NOT NULL,
    cron        TEXT        NOT NULL,
    enabled     BOOLEAN     NOT NULL DEFAULT true,
    last_slot   TIMESTAMPTZ,
    last_job_id BIGINT,
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Wake workers in every process when jobs become pending. Notifications are per schema, so
-- test schemas (and several installations on one server) do not wake each other.
CREATE FUNCTION metarr_jobs_notify() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify(TG_TABLE_SCHEMA || '_metarr_jobs', '');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER jobs_inserted AFTER INSERT ON jobs
    FOR EACH STATEMENT EXECUTE FUNCTION metarr_jobs_notify();
CREATE TRIGGER jobs_requeued AFTER UPDATE OF state ON jobs
    FOR EACH ROW WHEN (NEW.state = 'pending' AND OLD.state <> 'pending')
    EXECUTE FUNCTION metarr_jobs_notify();

-- Claims up to p_limit due jobs in priority, run_at, id order. Sorting and bitmap scans are off
-- inside: right after a burst of inserts the planner has no statistics, guesses "one pending
-- row" and would sort every pending job on each claim instead of walking jobs_claim in order.
CREATE FUNCTION metarr_claim_jobs(p_kinds text[], p_limit bigint, p_worker text, p_lease_ms bigint)
RETURNS SETOF jobs LANGUAGE sql SET enable_sort = off SET enable_bitmapscan = off AS $$
    WITH picked AS (
        SELECT id FROM jobs
        WHERE state = 'pending' AND run_at <= now() AND kind = ANY(p_kinds)
        ORDER BY priority, run_at, id
        LIMIT p_limit
        FOR UPDATE SKIP LOCKED)
    UPDATE jobs SET state = 'running', attempt = jobs.attempt + 1, locked_by = p_worker,
        lease_expires_at = now() + p_lease_ms * interval '1 millisecond', started_at = now(),
        progress_percent = NULL, progress_message = NULL
    FROM picked WHERE jobs.id = picked.id
    RETURNING jobs.*
$$;

-- Claims up to p_limit due jobs of one kind, in priority, run_at, id order, on jobs_claim_kind.
CREATE FUNCTION metarr_claim_kind(p_kind text, p_limit bigint, p_worker text, p_lease_ms bigint)
RETURNS SETOF jobs LANGUAGE sql SET enable_sort = off SET enable_bitmapscan = off AS $$
    WITH picked AS (
        SELECT id FROM jobs
        WHERE state = 'pending' AND kind = p_kind AND run_at <= now()
        ORDER BY priority, run_at, id
        LIMIT p_limit
        FOR UPDATE SKIP LOCKED)
    UPDATE jobs SET state = 'running', attempt = jobs.attempt + 1, locked_by = p_worker,
        lease_expires_at = now() + p_lease_ms * interval '1 millisecond', started_at = now(),
        progress_percent = NULL, progress_message = NULL
    FROM picked WHERE jobs.id = picked.id
    RETURNING jobs.*
$$;
