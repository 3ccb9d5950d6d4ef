-- Schema of the PostgreSQL backend. Every object is created unqualified,
-- so it lands in the first schema of the connection's search_path.
-- Optional references that carry a foreign key are NULL when empty; other
-- optional text columns are ''.

-- +goose Up
CREATE TABLE orgs (
    id                 text PRIMARY KEY,
    name               text NOT NULL,
    webhook_url        text NOT NULL DEFAULT '',
    webhook_secret_enc bytea,
    created_at         timestamptz NOT NULL
);
CREATE INDEX orgs_created_at ON orgs (created_at, id);

CREATE TABLE users (
    id            text PRIMARY KEY,
    org_id        text NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    email         text NOT NULL,
    -- email_key is the lower-cased e-mail: unique across the hub.
    email_key     text NOT NULL UNIQUE,
    name          text NOT NULL DEFAULT '',
    role          text NOT NULL,
    password_hash text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL,
    UNIQUE (org_id, id)
);
CREATE INDEX users_org_email ON users (org_id, email_key);

CREATE TABLE projects (
    id              text PRIMARY KEY,
    org_id          text NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name            text NOT NULL,
    description     text NOT NULL DEFAULT '',
    -- category_schema is text, not jsonb, so it reads back byte for byte.
    category_schema text NOT NULL DEFAULT '{}',
    stages          jsonb NOT NULL DEFAULT '[]',
    batches         jsonb NOT NULL DEFAULT '[]',
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    UNIQUE (org_id, id)
);
CREATE INDEX projects_org_created_at ON projects (org_id, created_at);

CREATE TABLE api_keys (
    id           text PRIMARY KEY,
    org_id       text NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    user_id      text,
    name         text NOT NULL DEFAULT '',
    prefix       text NOT NULL DEFAULT '',
    hash         bytea NOT NULL UNIQUE,
    project_id   text,
    run_id       text NOT NULL DEFAULT '',
    expires_at   timestamptz,
    revoked_at   timestamptz,
    last_used_at timestamptz,
    created_at   timestamptz NOT NULL,
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, project_id) REFERENCES projects (org_id, id) ON DELETE CASCADE
);
CREATE INDEX api_keys_org_created_at ON api_keys (org_id, created_at);
CREATE INDEX api_keys_user ON api_keys (org_id, user_id);
CREATE INDEX api_keys_project ON api_keys (org_id, project_id);
CREATE INDEX api_keys_run ON api_keys (run_id) WHERE run_id <> '';

CREATE TABLE web_sessions (
    hash       bytea PRIMARY KEY,
    user_id    text NOT NULL,
    org_id     text NOT NULL,
    csrf_token text NOT NULL,
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL,
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE
);
CREATE INDEX web_sessions_user ON web_sessions (org_id, user_id);
CREATE INDEX web_sessions_expires_at ON web_sessions (expires_at);

-- assets.seq is a hub-wide increasing number: insertion order within a
-- project and the keyset for paging. data is bytea, not jsonb, so the AAF
-- JSON reads back byte for byte.
CREATE TABLE assets (
    seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id  text NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    external_id text NOT NULL,
    stage_id    text NOT NULL DEFAULT '',
    batches     text[] NOT NULL DEFAULT '{}',
    updated_at  timestamptz NOT NULL,
    data        bytea NOT NULL,
    CONSTRAINT assets_project_external_id UNIQUE (project_id, external_id)
);
CREATE INDEX assets_project_seq ON assets (project_id, seq);
CREATE INDEX assets_project_stage_seq ON assets (project_id, stage_id, seq);

CREATE TABLE storages (
    id             text PRIMARY KEY,
    org_id         text NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name           text NOT NULL,
    provider       text NOT NULL DEFAULT '',
    endpoint       text NOT NULL DEFAULT '',
    region         text NOT NULL DEFAULT '',
    bucket         text NOT NULL DEFAULT '',
    access_key     text NOT NULL DEFAULT '',
    secret_key_enc bytea,
    created_at     timestamptz NOT NULL,
    UNIQUE (org_id, id)
);
CREATE INDEX storages_org_name ON storages (org_id, name);

CREATE TABLE plugins (
    id              text PRIMARY KEY,
    org_id          text NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    owner_id        text NOT NULL DEFAULT '',
    name            text NOT NULL,
    description     text NOT NULL DEFAULT '',
    default_config  text NOT NULL DEFAULT '{}',
    -- run_timeout is in nanoseconds (a time.Duration).
    run_timeout     bigint NOT NULL DEFAULT 0,
    connector       text NOT NULL DEFAULT '',
    base_url        text NOT NULL DEFAULT '',
    secret_hash     bytea,
    secret_enc      bytea,
    secret_revealed boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    UNIQUE (org_id, id)
);
CREATE INDEX plugins_org_name ON plugins (org_id, name);
CREATE INDEX plugins_connector ON plugins (connector);

CREATE TABLE project_plugins (
    org_id     text NOT NULL,
    project_id text NOT NULL,
    plugin_id  text NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (project_id, plugin_id),
    FOREIGN KEY (org_id, project_id) REFERENCES projects (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, plugin_id) REFERENCES plugins (org_id, id) ON DELETE CASCADE
);
CREATE INDEX project_plugins_org_project ON project_plugins (org_id, project_id);
CREATE INDEX project_plugins_plugin ON project_plugins (org_id, plugin_id);

CREATE TABLE runs (
    id            text PRIMARY KEY,
    org_id        text NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    project_id    text NOT NULL,
    plugin_id     text NOT NULL,
    user_id       text NOT NULL DEFAULT '',
    status        text NOT NULL,
    message       text NOT NULL DEFAULT '',
    config_json   text NOT NULL DEFAULT '',
    stage         text NOT NULL DEFAULT '',
    batches       text[] NOT NULL DEFAULT '{}',
    instance_id   text NOT NULL DEFAULT '',
    export_id     text NOT NULL DEFAULT '',
    num_tasks     bigint NOT NULL DEFAULT 0,
    deadline      timestamptz,
    created_at    timestamptz NOT NULL,
    dispatched_at timestamptz,
    started_at    timestamptz,
    ended_at      timestamptz,
    -- log_lines counts the run's rows in run_logs (RunLogAppend's bound).
    log_lines     bigint NOT NULL DEFAULT 0,
    FOREIGN KEY (org_id, project_id) REFERENCES projects (org_id, id) ON DELETE CASCADE
);
CREATE INDEX runs_org_created_at ON runs (org_id, created_at);
CREATE INDEX runs_project_created_at ON runs (org_id, project_id, created_at);
CREATE INDEX runs_plugin_created_at ON runs (org_id, plugin_id, created_at);
CREATE INDEX runs_active ON runs (created_at)
    WHERE status NOT IN ('succeeded', 'failed', 'timed_out', 'lost', 'cancelled');

CREATE TABLE run_logs (
    run_id text NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    seq    bigint NOT NULL,
    time   timestamptz NOT NULL,
    level  text NOT NULL,
    msg    text NOT NULL,
    extra  bytea,
    PRIMARY KEY (run_id, seq)
);

CREATE TABLE exports (
    id         text PRIMARY KEY,
    org_id     text NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    project_id text NOT NULL,
    run_id     text NOT NULL DEFAULT '',
    plugin_id  text NOT NULL DEFAULT '',
    user_id    text NOT NULL DEFAULT '',
    file_name  text NOT NULL,
    size       bigint NOT NULL DEFAULT 0,
    sha256     text NOT NULL DEFAULT '',
    storage_id text NOT NULL DEFAULT '',
    bucket     text NOT NULL DEFAULT '',
    object_key text NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX exports_org_project_created_at ON exports (org_id, project_id, created_at);

CREATE TABLE notifications (
    id         text PRIMARY KEY,
    org_id     text NOT NULL,
    user_id    text NOT NULL,
    kind       text NOT NULL,
    title      text NOT NULL DEFAULT '',
    body       text NOT NULL DEFAULT '',
    link       text NOT NULL DEFAULT '',
    run_id     text NOT NULL DEFAULT '',
    export_id  text NOT NULL DEFAULT '',
    read_at    timestamptz,
    created_at timestamptz NOT NULL,
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE
);
CREATE INDEX notifications_user_created_at ON notifications (user_id, created_at);
CREATE INDEX notifications_user_unread ON notifications (user_id) WHERE read_at IS NULL;

-- +goose Down
DROP TABLE notifications;
DROP TABLE exports;
DROP TABLE run_logs;
DROP TABLE runs;
DROP TABLE project_plugins;
DROP TABLE plugins;
DROP TABLE storages;
DROP TABLE assets;
DROP TABLE web_sessions;
DROP TABLE api_keys;
DROP TABLE projects;
DROP TABLE users;
DROP TABLE orgs;
