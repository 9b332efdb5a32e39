-- Durable jobs (internal/job): long work (imports, exports, conversions,
-- snapshots, volume copies) as rows, so that a crash or a dead node loses
-- none of it. A running job belongs to lease_owner (a node id) until
-- lease_expires (unix microseconds), which that node renews; another node
-- takes the job over, or fails it, once the lease has expired.
CREATE TABLE jobs (
    id            TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,
    project_id    TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id   TEXT NOT NULL,
    state         TEXT NOT NULL,
    progress      INTEGER NOT NULL DEFAULT 0,
    bytes_done    BIGINT NOT NULL DEFAULT 0,
    bytes_total   BIGINT NOT NULL DEFAULT 0,
    message       TEXT NOT NULL DEFAULT '',
    error_code    TEXT NOT NULL DEFAULT '',
    input         TEXT NOT NULL DEFAULT '',
    result        TEXT NOT NULL DEFAULT '',
    checkpoint    TEXT NOT NULL DEFAULT '',
    attempt       INTEGER NOT NULL DEFAULT 0,
    lease_owner   TEXT NOT NULL DEFAULT '',
    lease_expires BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    started_at    BIGINT NOT NULL DEFAULT 0,
    finished_at   BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX jobs_state ON jobs (state, created_at);
CREATE INDEX jobs_project_kind ON jobs (project_id, kind, created_at);
CREATE INDEX jobs_resource ON jobs (resource_type, resource_id);
CREATE INDEX jobs_finished ON jobs (finished_at);
