-- Glance metadata definitions (internal/image/metadef*.go). A namespace is
-- owned by a project (or "admin" for the seeded catalog) and is public or
-- private; its objects, properties, tags and resource-type associations
-- go with it. Property and object schemas are kept as JSON text.
CREATE TABLE IF NOT EXISTS metadef_namespaces (
    id           TEXT PRIMARY KEY,
    namespace    TEXT NOT NULL UNIQUE,
    display_name TEXT,
    description  TEXT,
    visibility   TEXT NOT NULL,
    protected    BOOLEAN NOT NULL DEFAULT FALSE,
    owner        TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT
);
CREATE INDEX IF NOT EXISTS metadef_namespaces_owner ON metadef_namespaces (owner);
CREATE TABLE IF NOT EXISTS metadef_resource_types (
    name       TEXT PRIMARY KEY,
    protected  BOOLEAN NOT NULL DEFAULT FALSE,
    seq        BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT
);
CREATE TABLE IF NOT EXISTS metadef_namespace_resource_types (
    namespace_id      TEXT NOT NULL REFERENCES metadef_namespaces (id) ON DELETE CASCADE,
    resource_type     TEXT NOT NULL REFERENCES metadef_resource_types (name),
    prefix            TEXT,
    properties_target TEXT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT,
    PRIMARY KEY (namespace_id, resource_type)
);
CREATE INDEX IF NOT EXISTS metadef_ns_rt_type ON metadef_namespace_resource_types (resource_type);
CREATE TABLE IF NOT EXISTS metadef_objects (
    id           TEXT PRIMARY KEY,
    namespace_id TEXT NOT NULL REFERENCES metadef_namespaces (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    description  TEXT,
    required     TEXT NOT NULL DEFAULT '[]',
    json_schema  TEXT NOT NULL DEFAULT '{}',
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT,
    UNIQUE (namespace_id, name)
);
CREATE TABLE IF NOT EXISTS metadef_properties (
    id           TEXT PRIMARY KEY,
    namespace_id TEXT NOT NULL REFERENCES metadef_namespaces (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    json_schema  TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT,
    UNIQUE (namespace_id, name)
);
-- Tag names are unique per namespace without regard to case, as Glance's
-- (MySQL) unique key: name_key is the lower-cased name.
CREATE TABLE IF NOT EXISTS metadef_tags (
    id           TEXT PRIMARY KEY,
    namespace_id TEXT NOT NULL REFERENCES metadef_namespaces (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    name_key     TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT,
    UNIQUE (namespace_id, name_key)
);
-- The standard namespaces loaded once (Glance's glance-manage
-- db_load_metadefs); one row per seeded namespace name, so a namespace an
-- admin deleted is not loaded again at the next start.
CREATE TABLE IF NOT EXISTS metadef_seeded (
    namespace TEXT PRIMARY KEY,
    seeded_at BIGINT NOT NULL
);
