-- Issues: QA comments on the tasks of a project (Ango's issues), created
-- through /v2/issues or imported from an Ango issue export. Ids are unique
-- per organization; the JSON columns hold the values as given (NULL when
-- none).

-- +goose Up
CREATE TABLE issues (
    seq              INTEGER PRIMARY KEY,
    id               TEXT NOT NULL,
    org_id           TEXT NOT NULL,
    project_id       TEXT NOT NULL,
    task_id          TEXT NOT NULL DEFAULT '',
    asset_id         TEXT NOT NULL DEFAULT '',
    external_id      TEXT NOT NULL DEFAULT '',
    batches          TEXT NOT NULL DEFAULT '[]',
    stage_id         TEXT NOT NULL DEFAULT '',
    stage            TEXT NOT NULL DEFAULT '',
    content          TEXT NOT NULL DEFAULT '',
    status           TEXT NOT NULL,
    error_code       TEXT NOT NULL DEFAULT '',
    error_type       TEXT NOT NULL DEFAULT '',
    error_codes      TEXT,
    object_id        TEXT NOT NULL DEFAULT '',
    position         TEXT,
    page             TEXT,
    page_end         TEXT,
    content_mentions TEXT,
    comments         TEXT,
    extra            TEXT,
    created_by       TEXT NOT NULL DEFAULT '',
    updated_by       TEXT NOT NULL DEFAULT '',
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, project_id) REFERENCES projects (org_id, id) ON DELETE CASCADE
);
CREATE INDEX issues_project_seq ON issues (project_id, seq);
CREATE INDEX issues_project_task ON issues (project_id, task_id);

-- +goose Down
DROP TABLE issues;
