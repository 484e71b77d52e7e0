-- First run creates exactly one account, even when several set-up requests race (issue 11).
-- The account made by first run is marked, and a partial unique index admits one marked row,
-- so a second concurrent insert fails in the database instead of slipping past a check made
-- before it. Accounts created before this migration stay unmarked.
ALTER TABLE ui_users ADD COLUMN created_by_first_run BOOLEAN NOT NULL DEFAULT FALSE;
CREATE UNIQUE INDEX ui_users_one_first_run ON ui_users (created_by_first_run) WHERE created_by_first_run;
