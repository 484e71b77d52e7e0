-- Every library has a `file-scan:<id>` schedule (job kind `scheduled-file-scan`), every 6 hours by
-- default, so that a catalogue refreshed only by hand does not drift. The trigger creates it with
-- the library and deletes it with the library, in the library's own transaction, whatever path
-- (API, web UI, `metarr scan`) wrote the library. A user's edits to the schedule are kept.
-- The default must match `jobs::file_scan::DEFAULT_CRON`.
CREATE FUNCTION metarr_library_file_scan_schedule() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO schedules (name, kind, cron, enabled, updated_at)
        VALUES ('file-scan:' || NEW.id, 'scheduled-file-scan', '0 */6 * * *', true, now())
        ON CONFLICT (name) DO NOTHING;
    ELSE
        DELETE FROM schedules WHERE name = 'file-scan:' || OLD.id;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER libraries_file_scan_schedule AFTER INSERT OR DELETE ON libraries
    FOR EACH ROW EXECUTE FUNCTION metarr_library_file_scan_schedule();

-- Existing libraries get theirs on upgrade.
INSERT INTO schedules (name, kind, cron, enabled, updated_at)
SELECT 'file-scan:' || id, 'scheduled-file-scan', '0 */6 * * *', true, now()
FROM libraries
ON CONFLICT (name) DO NOTHING;
