-- Issues: QA comments on the tasks of a project (Ango's issues), created
-- through /v2/issues or imported from an Ango issue export. Ids are unique
-- per organization; the JSON columns hold the values as given (NULL when
-- none).

-- +goose Up
CREATE TABLE issues (
    seq              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id               text NOT NULL,
    org_id           text NOT NULL,
    project_id       text NOT NULL,
    task_id          text NOT NULL DEFAULT '',
    asset_id         text NOT NULL DEFAULT '',
    external_id      text NOT NULL DEFAULT '',
    batches          text[] NOT NULL DEFAULT '{}',
    stage_id         text NOT NULL DEFAULT '',
    stage            text NOT NULL DEFAULT '',
    content          text NOT NULL DEFAULT '',
    status           text NOT NULL,
    error_code       text NOT NULL DEFAULT '',
    error_type       text NOT NULL DEFAULT '',
    error_codes      text,
    object_id        text NOT NULL DEFAULT '',
    position         text,
    page             text,
    page_end         text,
    content_mentions text,
    comments         text,
    extra            text,
    created_by       text NOT NULL DEFAULT '',
    updated_by       text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    CONSTRAINT issues_org_id UNIQUE (org_id, id),
    FOREIGN KEY (org_id, project_id) REFERENCES projects (org_id, id) ON DELETE CASCADE
);
CREATE INDEX issues_project_seq ON issues (project_id, seq);
CREATE INDEX issues_project_task ON issues (project_id, task_id);

-- +goose Down
DROP TABLE issues;
