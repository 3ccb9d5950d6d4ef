-- Assets and their tasks get ids (Ango's asset _id and labelTask _id) and
-- a pre-labeled flag, for the /v2 asset and task listings. Assets imported
-- before keep the assetId and taskId of their AAF when it has them (the
-- first asset of a project with a given id keeps it), the others get
-- random ones; pre_labeled says whether the task holds annotations.

-- +goose Up
ALTER TABLE assets
    ADD COLUMN asset_id text NOT NULL DEFAULT '',
    ADD COLUMN task_id text NOT NULL DEFAULT '',
    ADD COLUMN pre_labeled boolean NOT NULL DEFAULT false;

-- +goose StatementBegin
CREATE FUNCTION pg_temp.aaf_json(data bytea) RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN convert_from(data, 'UTF8')::jsonb;
EXCEPTION WHEN others THEN
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION pg_temp.aaf_len(j jsonb) RETURNS integer LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN jsonb_typeof(j) = 'array' THEN jsonb_array_length(j) ELSE 0 END
$$;
-- +goose StatementEnd

UPDATE assets a SET
    asset_id = coalesce(d.j #>> '{assetId}', ''),
    task_id = coalesce(d.j #>> '{task,taskId}', d.j #>> '{tasks,0,taskId}', ''),
    pre_labeled = pg_temp.aaf_len(d.j #> '{task,tools}') + pg_temp.aaf_len(d.j #> '{task,classifications}')
        + pg_temp.aaf_len(d.j #> '{task,relations}') + pg_temp.aaf_len(d.j #> '{tasks,0,objects}')
        + pg_temp.aaf_len(d.j #> '{tasks,0,classifications}') + pg_temp.aaf_len(d.j #> '{tasks,0,relations}') > 0
FROM (SELECT seq, pg_temp.aaf_json(data) AS j FROM assets) d
WHERE d.seq = a.seq AND d.j IS NOT NULL;

UPDATE assets a SET asset_id = '' WHERE asset_id <> '' AND EXISTS (SELECT 1 FROM assets o
    WHERE o.project_id = a.project_id AND o.asset_id = a.asset_id AND o.seq < a.seq);
UPDATE assets a SET task_id = '' WHERE task_id <> '' AND EXISTS (SELECT 1 FROM assets o
    WHERE o.project_id = a.project_id AND o.task_id = a.task_id AND o.seq < a.seq);
UPDATE assets SET asset_id = substr(md5(random()::text || clock_timestamp()::text || seq::text), 1, 24) WHERE asset_id = '';
UPDATE assets SET task_id = substr(md5(random()::text || clock_timestamp()::text || seq::text), 1, 24) WHERE task_id = '';

DROP FUNCTION pg_temp.aaf_len(jsonb);
DROP FUNCTION pg_temp.aaf_json(bytea);

CREATE UNIQUE INDEX assets_project_asset_id ON assets (project_id, asset_id);
CREATE UNIQUE INDEX assets_project_task_id ON assets (project_id, task_id);
CREATE INDEX assets_task_id ON assets (task_id);

-- +goose Down
DROP INDEX assets_task_id;
DROP INDEX assets_project_task_id;
DROP INDEX assets_project_asset_id;
ALTER TABLE assets DROP COLUMN pre_labeled, DROP COLUMN task_id, DROP COLUMN asset_id;
