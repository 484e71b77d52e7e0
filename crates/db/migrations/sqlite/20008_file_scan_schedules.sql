-- Every library has a `file-scan:<id>` schedule (job kind `scheduled-file-scan`), every 6 hours by
-- default, so that a catalogue refreshed only by hand does not drift. The triggers create it with
-- the library and delete it with the library, in the library's own transaction, whatever path
-- (API, web UI, `metarr scan`) wrote the library. A user's edits to the schedule are kept.
-- The default must match `jobs::file_scan::DEFAULT_CRON`. Schedule times are milliseconds here.
CREATE TRIGGER libraries_file_scan_schedule_created AFTER INSERT ON libraries
BEGIN
    INSERT OR IGNORE INTO schedules (name, kind, cron, enabled, updated_at)
    VALUES ('file-scan:' || NEW.id, 'scheduled-file-scan', '0 */6 * * *', 1,
            CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;

CREATE TRIGGER libraries_file_scan_schedule_deleted AFTER DELETE ON libraries
BEGIN
    DELETE FROM schedules WHERE name = 'file-scan:' || OLD.id;
END;

-- Existing libraries get theirs on upgrade.
INSERT OR IGNORE INTO schedules (name, kind, cron, enabled, updated_at)
SELECT 'file-scan:' || id, 'scheduled-file-scan', '0 */6 * * *', 1,
       CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
FROM libraries;
