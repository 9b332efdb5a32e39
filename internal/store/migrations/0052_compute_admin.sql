-- Compute admin records: services' enabled state, host aggregates, quota
-- classes and resize migrations.
CREATE TABLE IF NOT EXISTS compute_services (
    host            TEXT NOT NULL,
    binary_name     TEXT NOT NULL,
    disabled        BOOLEAN NOT NULL DEFAULT FALSE,
    disabled_reason TEXT,
    forced_down     BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (host, binary_name)
);
CREATE TABLE IF NOT EXISTS compute_aggregates (
    id                BIGINT PRIMARY KEY,
    uuid              TEXT NOT NULL UNIQUE,
    name              TEXT NOT NULL UNIQUE,
    availability_zone TEXT,
    metadata          TEXT NOT NULL DEFAULT '{}',
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT
);
CREATE TABLE IF NOT EXISTS compute_aggregate_hosts (
    aggregate_id BIGINT NOT NULL REFERENCES compute_aggregates (id) ON DELETE CASCADE,
    host         TEXT NOT NULL,
    PRIMARY KEY (aggregate_id, host)
);
CREATE TABLE IF NOT EXISTS compute_quota_classes (
    class_name TEXT NOT NULL,
    resource   TEXT NOT NULL,
    hard_limit BIGINT NOT NULL,
    PRIMARY KEY (class_name, resource)
);
CREATE TABLE IF NOT EXISTS compute_migrations (
    id              BIGINT PRIMARY KEY,
    uuid            TEXT NOT NULL,
    server_id       TEXT NOT NULL,
    project_id      TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    source_host     TEXT,
    dest_host       TEXT,
    old_flavor_id   TEXT NOT NULL,
    new_flavor_id   TEXT NOT NULL,
    status          TEXT NOT NULL,
    migration_type  TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS compute_migrations_server ON compute_migrations (server_id);
INSERT INTO compute_counters (name, value) VALUES ('aggregate_id', 0) ON CONFLICT DO NOTHING;
INSERT INTO compute_counters (name, value) VALUES ('migration_id', 0) ON CONFLICT DO NOTHING;
