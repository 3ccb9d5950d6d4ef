-- When the replica of a run's plugin instance took the run from the
-- replica that dispatched it (NULL until then, and again at each
-- dispatch): the dispatching replica may end a run that was not taken.

-- +goose Up
ALTER TABLE runs ADD COLUMN taken_at INTEGER;

-- +goose Down
ALTER TABLE runs DROP COLUMN taken_at;
