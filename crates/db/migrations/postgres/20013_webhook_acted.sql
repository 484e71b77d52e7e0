-- When `webhook-received` acted on the request (queued its scan, its notifications): a job
-- that committed and ran again after its worker died finds it set and does nothing twice.
ALTER TABLE webhook_events ADD COLUMN acted_at BIGINT;
