-- The project copies GET /v2/export writes to the hub's bucket: deleted
-- once the run that asked for one ended (or, made for no run, once its
-- presigned URL expired).

-- +goose Up
CREATE TABLE export_snapshots (
    object_key text PRIMARY KEY,
    run_id text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL
);
CREATE INDEX export_snapshots_run ON export_snapshots (run_id);

-- +goose Down
DROP TABLE export_snapshots;
