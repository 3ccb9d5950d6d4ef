-- Stage filters are lists (Ango's run request sends a list of stage ids),
-- assets remember when they were first imported (the createdAt filter of
-- exports), and assets imported without a stage are in Complete, where a
-- default export (stage=["Complete"]) finds them.

-- +goose Up
ALTER TABLE runs ADD COLUMN stages text[] NOT NULL DEFAULT '{}';
UPDATE runs SET stages = ARRAY[stage] WHERE stage <> '';
ALTER TABLE runs DROP COLUMN stage;

ALTER TABLE assets ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();
UPDATE assets SET created_at = updated_at;
UPDATE assets SET stage_id = 'Complete' WHERE stage_id = '';

-- +goose Down
ALTER TABLE assets DROP COLUMN created_at;
ALTER TABLE runs ADD COLUMN stage text NOT NULL DEFAULT '';
UPDATE runs SET stage = coalesce(stages[1], '');
ALTER TABLE runs DROP COLUMN stages;
