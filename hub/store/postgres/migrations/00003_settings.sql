-- Hub-wide settings every process on the database must agree on.

-- +goose Up
CREATE TABLE hub_settings (
    name  text PRIMARY KEY,
    value text NOT NULL
);

-- +goose Down
DROP TABLE hub_settings;
