-- Hub replicas: the nodes (hub processes) sharing this database with
-- their leases, the plugin instances connected to each, and the node
-- holding each run.

-- +goose Up
CREATE TABLE hub_nodes (
    id          text PRIMARY KEY,
    incarnation text NOT NULL,
    started_at  timestamptz NOT NULL,
    last_seen   timestamptz NOT NULL,
    -- expires_at is NULL for a lease that never ends (a single process).
    expires_at  timestamptz
);

CREATE TABLE plugin_instances (
    node_id        text NOT NULL REFERENCES hub_nodes (id) ON DELETE CASCADE,
    id             text NOT NULL,
    plugin_id      text NOT NULL REFERENCES plugins (id) ON DELETE CASCADE,
    org_id         text NOT NULL,
    connector      text NOT NULL DEFAULT 'ws',
    remote_addr    text NOT NULL DEFAULT '',
    connected_at   timestamptz NOT NULL,
    last_heartbeat timestamptz NOT NULL,
    -- dispatch_seq orders the instances of a plugin by their last run
    -- (0: none yet), for round robin among equally busy instances.
    dispatch_seq   bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (node_id, id)
);
CREATE INDEX plugin_instances_plugin ON plugin_instances (plugin_id);

ALTER TABLE runs ADD COLUMN node_id text NOT NULL DEFAULT '';
CREATE INDEX runs_instance_active ON runs (node_id, instance_id)
    WHERE status IN ('dispatched', 'running', 'uploaded');

-- +goose Down
DROP INDEX runs_instance_active;
ALTER TABLE runs DROP COLUMN node_id;
DROP TABLE plugin_instances;
DROP TABLE hub_nodes;
