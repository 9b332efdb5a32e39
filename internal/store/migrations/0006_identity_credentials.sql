-- Keystone credentials (/v3/credentials), including EC2 access/secret
-- pairs (type 'ec2', id = sha256 hex of the access key, blob = JSON with
-- access and secret). project_id is '' when the credential names none.
CREATE TABLE identity_credentials (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    project_id TEXT NOT NULL DEFAULT '',
    type       TEXT NOT NULL,
    blob       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX identity_credentials_user ON identity_credentials (user_id, type);
