-- Block storage (Cinder v2/v3). Volume bytes live in internal/volstore under
-- store_key; a row is "available" only once its bytes are complete (a job
-- publishes it). Metadata maps are JSON text on the row.
CREATE TABLE volume_types (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    description  TEXT,
    is_public    BOOLEAN NOT NULL DEFAULT TRUE,
    extra_specs  TEXT NOT NULL DEFAULT '{}',
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX volume_types_name ON volume_types (name);
CREATE TABLE volume_type_access (
    type_id    TEXT NOT NULL REFERENCES volume_types (id) ON DELETE CASCADE,
    project_id TEXT NOT NULL,
    PRIMARY KEY (type_id, project_id)
);
CREATE TABLE volumes (
    id                TEXT PRIMARY KEY,
    project_id        TEXT NOT NULL,
    user_id           TEXT NOT NULL,
    name              TEXT,
    description       TEXT,
    size              BIGINT NOT NULL,
    status            TEXT NOT NULL,
    previous_status   TEXT,
    attach_status     TEXT NOT NULL DEFAULT 'detached',
    availability_zone TEXT NOT NULL,
    type_id           TEXT,
    snapshot_id       TEXT,
    source_volid      TEXT,
    image_id          TEXT,
    bootable          BOOLEAN NOT NULL DEFAULT FALSE,
    admin_metadata    TEXT NOT NULL DEFAULT '{}',
    metadata          TEXT NOT NULL DEFAULT '{}',
    image_metadata    TEXT,
    host              TEXT NOT NULL,
    node              TEXT NOT NULL,
    store_key         TEXT NOT NULL,
    migration_status  TEXT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX volumes_project ON volumes (project_id, created_at);
CREATE INDEX volumes_created ON volumes (created_at, id);
CREATE TABLE volume_attachments (
    id          TEXT PRIMARY KEY,
    volume_id   TEXT NOT NULL REFERENCES volumes (id) ON DELETE CASCADE,
    server_id   TEXT,
    host_name   TEXT,
    mountpoint  TEXT,
    attach_mode TEXT NOT NULL DEFAULT 'rw',
    status      TEXT NOT NULL,
    attached_at BIGINT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX volume_attachments_volume ON volume_attachments (volume_id);
CREATE INDEX volume_attachments_server ON volume_attachments (server_id);
CREATE TABLE volume_snapshots (
    id          TEXT PRIMARY KEY,
    project_id  TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    volume_id   TEXT NOT NULL,
    name        TEXT,
    description TEXT,
    size        BIGINT NOT NULL,
    status      TEXT NOT NULL,
    progress    INTEGER NOT NULL DEFAULT 0,
    metadata    TEXT NOT NULL DEFAULT '{}',
    store_key   TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX volume_snapshots_project ON volume_snapshots (project_id, created_at);
CREATE INDEX volume_snapshots_volume ON volume_snapshots (volume_id);
-- Quotas set per project (and per class, "default"); absent rows take the
-- defaults. Usage is counted from the rows themselves.
CREATE TABLE volume_quotas (
    project_id TEXT NOT NULL,
    resource   TEXT NOT NULL,
    hard_limit BIGINT NOT NULL,
    PRIMARY KEY (project_id, resource)
);
CREATE TABLE volume_quota_classes (
    class_name TEXT NOT NULL,
    resource   TEXT NOT NULL,
    hard_limit BIGINT NOT NULL,
    PRIMARY KEY (class_name, resource)
);
-- One row per project, updated at the start of every transaction that
-- checks and consumes quota, so that two such transactions of one project
-- run one after the other on PostgreSQL too (SQLite has one writer).
CREATE TABLE volume_project_locks (
    project_id TEXT PRIMARY KEY,
    n          BIGINT NOT NULL
);
