-- A browser session records what it was signed in with: the API key (it
-- ends when the key is revoked or expires) or a fingerprint of the
-- password hash (it ends when the password changes). Sessions made
-- before this have neither and end at their next request.

-- +goose Up
ALTER TABLE web_sessions ADD COLUMN api_key_id TEXT NOT NULL DEFAULT '';
ALTER TABLE web_sessions ADD COLUMN password_fingerprint BLOB;

-- +goose Down
ALTER TABLE web_sessions DROP COLUMN password_fingerprint;
ALTER TABLE web_sessions DROP COLUMN api_key_id;
