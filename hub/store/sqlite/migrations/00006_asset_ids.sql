-- Assets and their tasks get ids (Ango's asset _id and labelTask _id) and
-- a pre-labeled flag, for the /v2 asset and task listings. Assets imported
-- before keep the assetId and taskId of their AAF when it has them (the
-- first asset of a project with a given id keeps it), the others get
-- random ones; pre_labeled says whether the task holds annotations.

-- +goose Up
ALTER TABLE assets ADD COLUMN asset_id TEXT NOT NULL DEFAULT '';
ALTER TABLE assets ADD COLUMN task_id TEXT NOT NULL DEFAULT '';
ALTER TABLE assets ADD COLUMN pre_labeled INTEGER NOT NULL DEFAULT 0;

UPDATE assets SET
    asset_id = coalesce(CAST(json_extract(CAST(data AS TEXT), '$.assetId') AS TEXT), ''),
    task_id = coalesce(CAST(json_extract(CAST(data AS TEXT), '$.task.taskId') AS TEXT),
        CAST(json_extract(CAST(data AS TEXT), '$.tasks[0].taskId') AS TEXT), ''),
    pre_labeled = (coalesce(json_array_length(CAST(data AS TEXT), '$.task.tools'), 0)
        + coalesce(json_array_length(CAST(data AS TEXT), '$.task.classifications'), 0)
        + coalesce(json_array_length(CAST(data AS TEXT), '$.task.relations'), 0)
        + coalesce(json_array_length(CAST(data AS TEXT), '$.tasks[0].objects'), 0)
        + coalesce(json_array_length(CAST(data AS TEXT), '$.tasks[0].classifications'), 0)
        + coalesce(json_array_length(CAST(data AS TEXT), '$.tasks[0].relations'), 0)) > 0
WHERE json_valid(CAST(data AS TEXT));

UPDATE assets SET asset_id = '' WHERE EXISTS (SELECT 1 FROM assets o
    WHERE o.project_id = assets.project_id AND o.asset_id = assets.asset_id AND o.seq < assets.seq);
UPDATE assets SET task_id = '' WHERE EXISTS (SELECT 1 FROM assets o
    WHERE o.project_id = assets.project_id AND o.task_id = assets.task_id AND o.seq < assets.seq);
UPDATE assets SET asset_id = lower(hex(randomblob(12))) WHERE asset_id = '';
UPDATE assets SET task_id = lower(hex(randomblob(12))) WHERE task_id = '';

CREATE UNIQUE INDEX assets_project_asset_id ON assets (project_id, asset_id);
CREATE UNIQUE INDEX assets_project_task_id ON assets (project_id, task_id);
CREATE INDEX assets_task_id ON assets (task_id);

-- +goose Down
DROP INDEX assets_task_id;
DROP INDEX assets_project_task_id;
DROP INDEX assets_project_asset_id;
ALTER TABLE assets DROP COLUMN pre_labeled;
ALTER TABLE assets DROP COLUMN task_id;
ALTER TABLE assets DROP COLUMN asset_id;
