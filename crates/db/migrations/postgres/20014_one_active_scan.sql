-- At most one active scan per library, decided by the database: two jobs starting a scan of
-- the same library at once (a webhook's scan-movie and the file-scan schedule) got one each,
-- and a job could then join a scan that nothing would finish. Older duplicates left by that
-- race are closed as failed first.
UPDATE scans SET phase = 'failed', finished_at = (extract(epoch from now()) * 1000)::bigint
WHERE phase IN ('discovering', 'scanning', 'caching')
  AND id NOT IN (
      SELECT max(id) FROM scans WHERE phase IN ('discovering', 'scanning', 'caching') GROUP BY library_id
  );
CREATE UNIQUE INDEX scans_one_active ON scans (library_id) WHERE phase IN ('discovering', 'scanning', 'caching');
DELETE FROM scan_items WHERE scan_id IN (SELECT id FROM scans WHERE phase NOT IN ('discovering', 'scanning', 'caching'));
