-- Retries of runs whose plugin instance was lost: how many the user asked
-- for, and which dispatch of the run is the current one.

-- +goose Up
ALTER TABLE runs ADD COLUMN retries INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN attempt INTEGER NOT NULL DEFAULT 1;

-- +goose Down
ALTER TABLE runs DROP COLUMN attempt;
ALTER TABLE runs DROP COLUMN retries;
