-- Stage filters are lists (Ango's run request sends a list of stage ids),
-- assets remember when they were first imported (the createdAt filter of
-- exports), and assets imported without a stage are in Complete, where a
-- default export (stage=["Complete"]) finds them.

-- +goose Up
ALTER TABLE runs ADD COLUMN stages TEXT NOT NULL DEFAULT '[]';
UPDATE runs SET stages = json_array(stage) WHERE stage <> '';
ALTER TABLE runs DROP COLUMN stage;

ALTER TABLE assets ADD COLUMN created_at INTEGER NOT NULL DEFAULT 0;
UPDATE assets SET created_at = updated_at;
UPDATE assets SET stage_id = 'Complete' WHERE stage_id = '';

-- +goose Down
ALTER TABLE assets DROP COLUMN created_at;
ALTER TABLE runs ADD COLUMN stage TEXT NOT NULL DEFAULT '';
UPDATE runs SET stage = coalesce(json_extract(stages, '$[0]'), '');
ALTER TABLE runs DROP COLUMN stages;
