-- Hub-wide settings every process on the file must agree on.

-- +goose Up
CREATE TABLE hub_settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- +goose Down
DROP TABLE hub_settings;
