-- The port of a Kodi player's JSON-RPC notification socket (raw TCP, Kodi's default 9090), on
-- which notify-kodi waits for Kodi to confirm a refresh. NULL for Jellyfin and Plex players.
-- Existing Kodi players get Kodi's default, as new ones do.
ALTER TABLE players ADD COLUMN tcp_port BIGINT;
UPDATE players SET tcp_port = 9090 WHERE group_id IN (SELECT id FROM player_groups WHERE kind = 'kodi');
