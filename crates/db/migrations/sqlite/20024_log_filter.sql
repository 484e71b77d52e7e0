-- The log filter set at run time (Settings › Logs, `PUT /api/v1/system/logging`), applied at
-- every process's start unless `RUST_LOG` is set; one row at most. Absent: `RUST_LOG` or `info`.
CREATE TABLE log_filter (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    filter     TEXT    NOT NULL,
    updated_at BIGINT  NOT NULL
);
