-- The ledger of a running scan: every folder and artwork file it counts, with its state.
-- A job that committed and died before its acknowledgement runs again; its counters move only
-- when its item changes state here (queued → done or failed), so nothing is counted twice and
-- a scan completes only when every item it queued is done. Rows go when the scan finishes.
CREATE TABLE scan_items (
    scan_id BIGINT NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
    kind    TEXT   NOT NULL CHECK (kind IN ('folder', 'asset')),
    path    TEXT   NOT NULL,
    state   TEXT   NOT NULL CHECK (state IN ('queued', 'done', 'failed')),
    PRIMARY KEY (scan_id, kind, path)
);
