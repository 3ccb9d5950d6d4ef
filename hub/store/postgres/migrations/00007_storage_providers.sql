-- Organization storages on three providers, named as Ango names them
-- (AWS for every S3-compatible service, GCP, AZURE): what the sealed
-- secret is (credential_type), and whether the hub serves the storage's
-- presigned URLs itself (proxied).

-- +goose Up
ALTER TABLE storages ADD COLUMN credential_type text NOT NULL DEFAULT '';
ALTER TABLE storages ADD COLUMN proxied boolean NOT NULL DEFAULT false;
UPDATE storages SET provider = 'AWS', credential_type = 'accessKey' WHERE provider IN ('', 's3');

-- +goose Down
UPDATE storages SET provider = 's3' WHERE provider = 'AWS';
ALTER TABLE storages DROP COLUMN proxied;
ALTER TABLE storages DROP COLUMN credential_type;
