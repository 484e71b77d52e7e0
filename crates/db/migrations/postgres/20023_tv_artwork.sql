-- TV artwork (issue 17): a candidate belongs to a movie, a series, one season of a series, or an
-- episode. `owner` names it in one column (`movie:12`, `series:3`, `season:3:1`, `episode:55`)
-- so that a candidate is told apart by (owner, slot, key) whatever its kind; the id columns
-- beside it let the rows go with their movie, series or episode. Two TV slots join the list:
-- `characterart` (series) and `thumb` (an episode's still).
ALTER TABLE artwork_candidates ADD COLUMN owner TEXT;
UPDATE artwork_candidates SET owner = 'movie:' || movie_id;
ALTER TABLE artwork_candidates ALTER COLUMN owner SET NOT NULL;
ALTER TABLE artwork_candidates ALTER COLUMN movie_id DROP NOT NULL;
ALTER TABLE artwork_candidates ADD COLUMN series_id BIGINT REFERENCES series (id) ON DELETE CASCADE;
ALTER TABLE artwork_candidates ADD COLUMN season BIGINT;
ALTER TABLE artwork_candidates ADD COLUMN episode_id BIGINT REFERENCES episodes (id) ON DELETE CASCADE;
ALTER TABLE artwork_candidates DROP CONSTRAINT artwork_candidates_slot_check;
ALTER TABLE artwork_candidates ADD CONSTRAINT artwork_candidates_slot_check
    CHECK (slot IN ('poster', 'fanart', 'landscape', 'clearlogo', 'clearart', 'discart', 'banner', 'keyart', 'characterart', 'thumb'));
ALTER TABLE artwork_candidates ADD CONSTRAINT artwork_candidates_one_owner
    CHECK ((movie_id IS NULL) <> (series_id IS NULL));
ALTER TABLE artwork_candidates DROP CONSTRAINT artwork_candidates_movie_id_slot_key_key;
ALTER TABLE artwork_candidates ADD CONSTRAINT artwork_candidates_owner_slot_key_key UNIQUE (owner, slot, key);
CREATE INDEX artwork_candidates_movie ON artwork_candidates (movie_id);
CREATE INDEX artwork_candidates_series ON artwork_candidates (series_id);
CREATE INDEX artwork_candidates_episode ON artwork_candidates (episode_id);

-- A season's locks (`artwork.<slot>` once the user chose its image).
ALTER TABLE seasons ADD COLUMN locks TEXT NOT NULL DEFAULT '[]';
