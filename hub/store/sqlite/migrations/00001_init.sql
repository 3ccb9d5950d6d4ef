-- Schema of the SQLite backend. Times are INTEGER microseconds since the
-- Unix epoch (UTC). Optional references that carry a foreign key are NULL
-- when empty; other optional text columns are ''.

-- +goose Up
CREATE TABLE orgs (
    id                 TEXT PRIMARY KEY,
    name               TEXT NOT NULL,
    webhook_url        TEXT NOT NULL DEFAULT '',
    webhook_secret_enc BLOB,
    created_at         INTEGER NOT NULL
);
CREATE INDEX orgs_created_at ON orgs (created_at, id);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    email         TEXT NOT NULL,
    -- email_key is the lower-cased e-mail: unique across the hub.
    email_key     TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL DEFAULT '',
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    UNIQUE (org_id, id)
);
CREATE INDEX users_org_email ON users (org_id, email_key);

CREATE TABLE projects (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    category_schema TEXT NOT NULL DEFAULT '{}',
    stages          TEXT NOT NULL DEFAULT '[]',
    batches         TEXT NOT NULL DEFAULT '[]',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (org_id, id)
);
CREATE INDEX projects_org_created_at ON projects (org_id, created_at);

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    user_id      TEXT,
    name         TEXT NOT NULL DEFAULT '',
    prefix       TEXT NOT NULL DEFAULT '',
    hash         BLOB NOT NULL UNIQUE,
    project_id   TEXT,
    run_id       TEXT NOT NULL DEFAULT '',
    expires_at   INTEGER,
    revoked_at   INTEGER,
    last_used_at INTEGER,
    created_at   INTEGER NOT NULL,
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, project_id) REFERENCES projects (org_id, id) ON DELETE CASCADE
);
CREATE INDEX api_keys_org_created_at ON api_keys (org_id, created_at);
CREATE INDEX api_keys_user ON api_keys (org_id, user_id);
CREATE INDEX api_keys_project ON api_keys (org_id, project_id);
CREATE INDEX api_keys_run ON api_keys (run_id) WHERE run_id <> '';

CREATE TABLE web_sessions (
    hash       BLOB PRIMARY KEY,
    user_id    TEXT NOT NULL,
    org_id     TEXT NOT NULL,
    csrf_token TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE
);
CREATE INDEX web_sessions_user ON web_sessions (org_id, user_id);
CREATE INDEX web_sessions_expires_at ON web_sessions (expires_at);

-- assets.seq is the rowid: a hub-wide increasing number, so insertion order
-- within a project and the keyset for paging.
CREATE TABLE assets (
    seq         INTEGER PRIMARY KEY,
    project_id  TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    external_id TEXT NOT NULL,
    stage_id    TEXT NOT NULL DEFAULT '',
    -- batches is the asset's batch names as a JSON array (what is read back);
    -- asset_batches holds the same names for filtering and counting.
    batches     TEXT NOT NULL DEFAULT '[]',
    updated_at  INTEGER NOT NULL,
    data        BLOB NOT NULL,
    UNIQUE (project_id, external_id)
);
CREATE INDEX assets_project_seq ON assets (project_id, seq);
CREATE INDEX assets_project_stage_seq ON assets (project_id, stage_id, seq);

CREATE TABLE asset_batches (
    seq        INTEGER NOT NULL REFERENCES assets (seq) ON DELETE CASCADE,
    project_id TEXT NOT NULL,
    batch      TEXT NOT NULL,
    PRIMARY KEY (seq, batch)
) WITHOUT ROWID;
CREATE INDEX asset_batches_project_batch_seq ON asset_batches (project_id, batch, seq);

CREATE TABLE storages (
    id             TEXT PRIMARY KEY,
    org_id         TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    provider       TEXT NOT NULL DEFAULT '',
    endpoint       TEXT NOT NULL DEFAULT '',
    region         TEXT NOT NULL DEFAULT '',
    bucket         TEXT NOT NULL DEFAULT '',
    access_key     TEXT NOT NULL DEFAULT '',
    secret_key_enc BLOB,
    created_at     INTEGER NOT NULL,
    UNIQUE (org_id, id)
);
CREATE INDEX storages_org_name ON storages (org_id, name);

CREATE TABLE plugins (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    owner_id        TEXT NOT NULL DEFAULT '',
    name            TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    default_config  TEXT NOT NULL DEFAULT '{}',
    -- run_timeout is in nanoseconds (a time.Duration).
    run_timeout     INTEGER NOT NULL DEFAULT 0,
    connector       TEXT NOT NULL DEFAULT '',
    base_url        TEXT NOT NULL DEFAULT '',
    secret_hash     BLOB,
    secret_enc      BLOB,
    secret_revealed INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (org_id, id)
);
CREATE INDEX plugins_org_name ON plugins (org_id, name);
CREATE INDEX plugins_connector ON plugins (connector);

CREATE TABLE project_plugins (
    org_id     TEXT NOT NULL,
    project_id TEXT NOT NULL,
    plugin_id  TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (project_id, plugin_id),
    FOREIGN KEY (org_id, project_id) REFERENCES projects (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, plugin_id) REFERENCES plugins (org_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX project_plugins_org_project ON project_plugins (org_id, project_id);
CREATE INDEX project_plugins_plugin ON project_plugins (org_id, plugin_id);

CREATE TABLE runs (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    project_id    TEXT NOT NULL,
    plugin_id     TEXT NOT NULL,
    user_id       TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL,
    message       TEXT NOT NULL DEFAULT '',
    config_json   TEXT NOT NULL DEFAULT '',
    stage         TEXT NOT NULL DEFAULT '',
    batches       TEXT NOT NULL DEFAULT '[]',
    instance_id   TEXT NOT NULL DEFAULT '',
    export_id     TEXT NOT NULL DEFAULT '',
    num_tasks     INTEGER NOT NULL DEFAULT 0,
    deadline      INTEGER,
    created_at    INTEGER NOT NULL,
    dispatched_at INTEGER,
    started_at    INTEGER,
    ended_at      INTEGER,
    -- log_lines counts the run's rows in run_logs (RunLogAppend's bound).
    log_lines     INTEGER NOT NULL DEFAULT 0,
    FOREIGN KEY (org_id, project_id) REFERENCES projects (org_id, id) ON DELETE CASCADE
);
CREATE INDEX runs_org_created_at ON runs (org_id, created_at);
CREATE INDEX runs_project_created_at ON runs (org_id, project_id, created_at);
CREATE INDEX runs_plugin_created_at ON runs (org_id, plugin_id, created_at);
CREATE INDEX runs_active ON runs (created_at)
    WHERE status NOT IN ('succeeded', 'failed', 'timed_out', 'lost', 'cancelled');

CREATE TABLE run_logs (
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    seq    INTEGER NOT NULL,
    time   INTEGER NOT NULL,
    level  TEXT NOT NULL,
    msg    TEXT NOT NULL,
    extra  BLOB,
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;

CREATE TABLE exports (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    project_id TEXT NOT NULL,
    run_id     TEXT NOT NULL DEFAULT '',
    plugin_id  TEXT NOT NULL DEFAULT '',
    user_id    TEXT NOT NULL DEFAULT '',
    file_name  TEXT NOT NULL,
    size       INTEGER NOT NULL DEFAULT 0,
    sha256     TEXT NOT NULL DEFAULT '',
    storage_id TEXT NOT NULL DEFAULT '',
    bucket     TEXT NOT NULL DEFAULT '',
    object_key TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX exports_org_project_created_at ON exports (org_id, project_id, created_at);

CREATE TABLE notifications (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    kind       TEXT NOT NULL,
    title      TEXT NOT NULL DEFAULT '',
    body       TEXT NOT NULL DEFAULT '',
    link       TEXT NOT NULL DEFAULT '',
    run_id     TEXT NOT NULL DEFAULT '',
    export_id  TEXT NOT NULL DEFAULT '',
    read_at    INTEGER,
    created_at INTEGER NOT NULL,
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
DROP TABLE asset_batches;
DROP TABLE assets;
DROP TABLE web_sessions;
DROP TABLE api_keys;
DROP TABLE projects;
DROP TABLE users;
DROP TABLE orgs;
