-- Retention (`scheduled-cleanup`) deletes by age in batches: each batch finds its rows by index.
CREATE INDEX webhook_events_received ON webhook_events (received_at);
CREATE INDEX scans_finished ON scans (finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX ui_sessions_expires ON ui_sessions (expires_at);
