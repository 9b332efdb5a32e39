-- Object storage (Swift v1). Names are compared byte-wise (SQLite BINARY;
-- on PostgreSQL the service sets COLLATE "C" on the name columns at start),
-- so marker pagination follows Swift's UTF-8 byte order on the primary keys.
CREATE TABLE IF NOT EXISTS swift_accounts (
    account         TEXT PRIMARY KEY,
    meta            TEXT NOT NULL DEFAULT '{}',
    container_count BIGINT NOT NULL DEFAULT 0,
    object_count    BIGINT NOT NULL DEFAULT 0,
    bytes_used      BIGINT NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS swift_containers (
    account      TEXT NOT NULL,
    name         TEXT NOT NULL,
    meta         TEXT NOT NULL DEFAULT '{}',
    object_count BIGINT NOT NULL DEFAULT 0,
    bytes_used   BIGINT NOT NULL DEFAULT 0,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (account, name)
);
CREATE TABLE IF NOT EXISTS swift_objects (
    account       TEXT NOT NULL,
    container     TEXT NOT NULL,
    name          TEXT NOT NULL,
    blob_key      TEXT NOT NULL,
    size          BIGINT NOT NULL,
    etag          TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    last_modified BIGINT NOT NULL,
    delete_at     BIGINT,
    kind          INTEGER NOT NULL DEFAULT 0,
    meta          TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (account, container, name)
);
CREATE INDEX IF NOT EXISTS swift_objects_blob ON swift_objects (blob_key);
CREATE INDEX IF NOT EXISTS swift_objects_delete_at ON swift_objects (delete_at) WHERE delete_at IS NOT NULL;
