-- A scan's phase is one of ScanPhase's names (crates/app/src/catalogue/scans.rs), and nothing
-- else: a phase the code does not know would never advance. SQLite adds no CHECK to an existing
-- table; rebuilding `scans` would need foreign keys off, which a migration's transaction cannot
-- do. Two triggers enforce the same rule on every insert and update, with the same error text.
UPDATE scans SET phase = 'failed'
WHERE phase NOT IN ('discovering', 'scanning', 'caching', 'completed', 'failed', 'cancelled');
CREATE TRIGGER scans_phase_known_insert BEFORE INSERT ON scans
WHEN NEW.phase NOT IN ('discovering', 'scanning', 'caching', 'completed', 'failed', 'cancelled')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: scans_phase_known');
END;
CREATE TRIGGER scans_phase_known_update BEFORE UPDATE OF phase ON scans
WHEN NEW.phase NOT IN ('discovering', 'scanning', 'caching', 'completed', 'failed', 'cancelled')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: scans_phase_known');
END;
