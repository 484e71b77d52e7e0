-- A scan's phase is one of ScanPhase's names (crates/app/src/catalogue/scans.rs), and nothing
-- else: a phase the code does not know would never advance. Rows with an unknown phase (none
-- are known to exist) are closed as failed first, so the constraint can be added.
UPDATE scans SET phase = 'failed'
WHERE phase NOT IN ('discovering', 'scanning', 'caching', 'completed', 'failed', 'cancelled');
ALTER TABLE scans ADD CONSTRAINT scans_phase_known
    CHECK (phase IN ('discovering', 'scanning', 'caching', 'completed', 'failed', 'cancelled'));
