-- Compute (Nova) servers and what hangs off them.
--
-- A server row keeps Nova's instance record: states, the flavor it runs
-- with (JSON, so a deleted flavor does not change it), metadata, tags and
-- system metadata as JSON text (one row read per server, as images).
-- Deleted servers stay with deleted_at set (changes-since lists them, as
-- Nova's soft-deleted rows) until purged. seq numbers servers for their
-- instance-%08x names.
CREATE TABLE IF NOT EXISTS compute_servers (
    id                TEXT PRIMARY KEY,
    seq               BIGINT NOT NULL,
    project_id        TEXT NOT NULL,
    user_id           TEXT NOT NULL,
    name              TEXT NOT NULL,
    hostname          TEXT NOT NULL,
    description       TEXT,
    vm_state          TEXT NOT NULL,
    task_state        TEXT,
    power_state       BIGINT NOT NULL DEFAULT 0,
    image_id          TEXT NOT NULL DEFAULT '',
    flavor_id         TEXT NOT NULL,
    flavor            TEXT NOT NULL,
    old_flavor        TEXT,
    vcpus             BIGINT NOT NULL,
    memory_mb         BIGINT NOT NULL,
    root_gb           BIGINT NOT NULL,
    host              TEXT,
    node              TEXT,
    availability_zone TEXT,
    key_name          TEXT,
    key_data          TEXT,
    user_data         TEXT,
    config_drive      TEXT NOT NULL DEFAULT '',
    auto_disk_config  BOOLEAN NOT NULL DEFAULT FALSE,
    access_ipv4       TEXT NOT NULL DEFAULT '',
    access_ipv6       TEXT NOT NULL DEFAULT '',
    locked_by         TEXT,
    locked_reason     TEXT,
    progress          BIGINT NOT NULL DEFAULT 0,
    reservation_id    TEXT NOT NULL,
    launch_index      BIGINT NOT NULL DEFAULT 0,
    root_device_name  TEXT,
    metadata          TEXT NOT NULL DEFAULT '{}',
    system_metadata   TEXT NOT NULL DEFAULT '{}',
    tags              TEXT NOT NULL DEFAULT '[]',
    security_groups   TEXT NOT NULL DEFAULT '[]',
    requested_networks TEXT NOT NULL DEFAULT '',
    scheduler_hints   TEXT NOT NULL DEFAULT '{}',
    fault             TEXT,
    launched_at       BIGINT,
    terminated_at     BIGINT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    deleted_at        BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS compute_servers_project ON compute_servers (project_id, deleted_at, created_at, id);
CREATE INDEX IF NOT EXISTS compute_servers_live ON compute_servers (deleted_at, created_at, id);
CREATE INDEX IF NOT EXISTS compute_servers_updated ON compute_servers (updated_at);
CREATE INDEX IF NOT EXISTS compute_servers_host ON compute_servers (host);

-- Counters (instance names).
CREATE TABLE IF NOT EXISTS compute_counters (
    name  TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO compute_counters (name, value) VALUES ('server_seq', 0) ON CONFLICT DO NOTHING;

-- Server groups (os-server-groups); policy is one of affinity,
-- anti-affinity, soft-affinity, soft-anti-affinity; rules JSON (2.64).
CREATE TABLE IF NOT EXISTS compute_server_groups (
    id                TEXT PRIMARY KEY,
    project_id        TEXT NOT NULL,
    user_id           TEXT NOT NULL,
    name              TEXT NOT NULL,
    policy            TEXT NOT NULL,
    rules             TEXT NOT NULL DEFAULT '{}',
    availability_zone TEXT NOT NULL DEFAULT '',
    created_at        BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS compute_server_groups_project ON compute_server_groups (project_id);
CREATE TABLE IF NOT EXISTS compute_server_group_members (
    group_id  TEXT NOT NULL REFERENCES compute_server_groups (id) ON DELETE CASCADE,
    server_id TEXT NOT NULL,
    PRIMARY KEY (group_id, server_id)
);
CREATE INDEX IF NOT EXISTS compute_server_group_members_server ON compute_server_group_members (server_id);

-- Instance actions (os-instance-actions) and their events.
CREATE TABLE IF NOT EXISTS compute_instance_actions (
    server_id   TEXT NOT NULL,
    request_id  TEXT NOT NULL,
    project_id  TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    action      TEXT NOT NULL,
    message     TEXT,
    start_time  BIGINT NOT NULL,
    finish_time BIGINT,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (server_id, request_id)
);
CREATE TABLE IF NOT EXISTS compute_instance_action_events (
    server_id   TEXT NOT NULL,
    request_id  TEXT NOT NULL,
    event       TEXT NOT NULL,
    host        TEXT,
    result      TEXT,
    traceback   TEXT,
    details     TEXT,
    start_time  BIGINT NOT NULL,
    finish_time BIGINT,
    PRIMARY KEY (server_id, request_id, event)
);
