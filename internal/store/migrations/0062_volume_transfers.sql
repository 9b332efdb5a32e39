-- Volume transfers (Cinder's os-volume-transfer): a volume offered to any
-- project that presents the auth key, of which only a salted SHA-256 is kept.
CREATE TABLE volume_transfers (
    id         TEXT PRIMARY KEY,
    volume_id  TEXT NOT NULL REFERENCES volumes (id) ON DELETE CASCADE,
    project_id TEXT NOT NULL,
    name       TEXT,
    salt       TEXT NOT NULL,
    key_hash   TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX volume_transfers_project ON volume_transfers (project_id, created_at);
CREATE UNIQUE INDEX volume_transfers_volume ON volume_transfers (volume_id);
