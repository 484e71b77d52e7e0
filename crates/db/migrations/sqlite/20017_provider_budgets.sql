-- What the metadata providers allow, shared by every process on this database (issue 14).
-- provider_budgets has one row per provider. A request reserves the slot in next_slot_us and moves
-- it one interval on, in one statement, so requests are spaced across processes; the time is the
-- database's clock on PostgreSQL (several machines) and the one machine's clock on SQLite, in
-- microseconds since the epoch rather than the usual milliseconds because an interval such as
-- 1/40 s plus its safety margin is not a whole number of milliseconds. reserved_at_us is the clock
-- when the last slot was reserved. blocked_until_ms holds the provider's own Retry-After.
-- usage_day (days since 1970-01-01, UTC) and used_today count the requests let through that day,
-- for the daily quota (never exceeded: the count goes up only while below it) and the UI.
CREATE TABLE provider_budgets (
    provider         TEXT   PRIMARY KEY,
    next_slot_us     BIGINT NOT NULL DEFAULT 0,
    reserved_at_us   BIGINT NOT NULL DEFAULT 0,
    blocked_until_ms BIGINT NOT NULL DEFAULT 0,
    usage_day        BIGINT NOT NULL DEFAULT 0,
    used_today       BIGINT NOT NULL DEFAULT 0
);
INSERT INTO provider_budgets (provider) VALUES ('tmdb'), ('fanart'), ('omdb');

-- The provider response cache, keyed by the caller's logical key (tmdb:movie:603:en-US): the body
-- as received with its validators for conditional requests, and when it was fetched or last
-- revalidated. A row whose body is NULL remembers that the provider does not know the key.
CREATE TABLE provider_responses (
    cache_key     TEXT   PRIMARY KEY,
    body          TEXT,
    etag          TEXT,
    last_modified TEXT,
    fetched_at    BIGINT NOT NULL
);
CREATE INDEX provider_responses_fetched_at ON provider_responses (fetched_at);
