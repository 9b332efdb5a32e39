-- Compute (Nova) flavors, key pairs and quotas.
--
-- Flavors keep Nova's flavorid as id. The seed is Nova's m1.* (the K5
-- examples and tempest's flavor_ref 1 and 2) and K5-style families (T-1,
-- C-n 2 GiB per vCPU, S-n 4 GiB, M-n 8 GiB), each with a 20 GB root disk
-- (docs/decisions.md, Compute). Seeded here, once: a flavor an operator
-- deletes stays deleted.
CREATE TABLE IF NOT EXISTS compute_flavors (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    vcpus        BIGINT NOT NULL,
    memory_mb    BIGINT NOT NULL,
    root_gb      BIGINT NOT NULL,
    ephemeral_gb BIGINT NOT NULL DEFAULT 0,
    swap         BIGINT NOT NULL DEFAULT 0,
    rxtx_factor  DOUBLE PRECISION NOT NULL DEFAULT 1.0,
    is_public    BOOLEAN NOT NULL DEFAULT TRUE,
    disabled     BOOLEAN NOT NULL DEFAULT FALSE,
    description  TEXT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS compute_flavor_extra_specs (
    flavor_id TEXT NOT NULL REFERENCES compute_flavors (id) ON DELETE CASCADE,
    key       TEXT NOT NULL,
    value     TEXT NOT NULL,
    PRIMARY KEY (flavor_id, key)
);
CREATE TABLE IF NOT EXISTS compute_flavor_projects (
    flavor_id  TEXT NOT NULL REFERENCES compute_flavors (id) ON DELETE CASCADE,
    project_id TEXT NOT NULL,
    PRIMARY KEY (flavor_id, project_id)
);
CREATE INDEX IF NOT EXISTS compute_flavor_projects_project ON compute_flavor_projects (project_id);
INSERT INTO compute_flavors (id, name, vcpus, memory_mb, root_gb, ephemeral_gb, swap, rxtx_factor, is_public, disabled, description, created_at, updated_at) VALUES
    ('1', 'm1.tiny', 1, 512, 1, 0, 0, 1.0, TRUE, FALSE, NULL, 0, 0),
    ('2', 'm1.small', 1, 2048, 20, 0, 0, 1.0, TRUE, FALSE, NULL, 0, 0),
    ('3', 'm1.medium', 2, 4096, 40, 0, 0, 1.0, TRUE, FALSE, NULL, 0, 0),
    ('4', 'm1.large', 4, 8192, 80, 0, 0, 1.0, TRUE, FALSE, NULL, 0, 0),
    ('5', 'm1.xlarge', 8, 16384, 160, 0, 0, 1.0, TRUE, FALSE, NULL, 0, 0),
    ('T-1', 'T-1', 1, 1024, 20, 0, 0, 1.0, TRUE, FALSE, NULL, 0, 0),
    ('C-1', 'C-1', 1, 2048, 20, 0, 0, 1.0, TRUE, FALSE, NULL, 0, 0),
    ('C-2', 'C-2', 2, 4096, 20, 0, 0, 1.0, TRUE, FALSE, NULL, 0, 0),
    ('C-4', 'C-4', 4, 8192, 20, 0, 0, 1.0, TRUE, FALSE, NULL, 0, 0),
    ('C-8', 'C-8', 8, 16384, 20, 0, 0, 1.0, TRUE, FALSE, NULL, 0, 0),
    ('C-16', 'C-16', 16, 32768, 20, 0, 0, 1.0, TRUE, FALSE, NULL, 0, 0),
    ('S-1', 'S-1', 1, 4096, 20, 0, 0, 1.0, TRUE, FALSE, NULL, 0, 0),
    ('S-2', 'S-2', 2, 8192, 20, 0, 0, 1.0, TRUE, FALSE, NULL, 0, 0),
    ('S-4', 'S-4', 4, 16384, 20, 0, 0, 1.0, TRUE, FALSE, NULL, 0, 0),
    ('S-8', 'S-8', 8, 32768, 20, 0, 0, 1.0, TRUE, FALSE, NULL, 0, 0),
    ('S-16', 'S-16', 16, 65536, 20, 0, 0, 1.0, TRUE, FALSE, NULL, 0, 0),
    ('M-1', 'M-1', 1, 8192, 20, 0, 0, 1.0, TRUE, FALSE, NULL, 0, 0),
    ('M-2', 'M-2', 2, 16384, 20, 0, 0, 1.0, TRUE, FALSE, NULL, 0, 0),
    ('M-4', 'M-4', 4, 32768, 20, 0, 0, 1.0, TRUE, FALSE, NULL, 0, 0),
    ('M-8', 'M-8', 8, 65536, 20, 0, 0, 1.0, TRUE, FALSE, NULL, 0, 0),
    ('M-16', 'M-16', 16, 131072, 20, 0, 0, 1.0, TRUE, FALSE, NULL, 0, 0)
ON CONFLICT DO NOTHING;

-- Key pairs belong to a user (Nova); id is a number for the 2.1 views;
-- availability_zone is K5's, kept when the client names one.
CREATE TABLE IF NOT EXISTS compute_keypairs (
    user_id           TEXT NOT NULL,
    name              TEXT NOT NULL,
    id                BIGINT NOT NULL,
    type              TEXT NOT NULL,
    public_key        TEXT NOT NULL,
    fingerprint       TEXT NOT NULL,
    availability_zone TEXT NOT NULL DEFAULT '',
    created_at        BIGINT NOT NULL,
    PRIMARY KEY (user_id, name)
);

-- Quota limits set for a project (user_id '') or a user in it; absent
-- rows take the configured defaults.
CREATE TABLE IF NOT EXISTS compute_quotas (
    project_id TEXT NOT NULL,
    user_id    TEXT NOT NULL DEFAULT '',
    resource   TEXT NOT NULL,
    hard_limit BIGINT NOT NULL,
    PRIMARY KEY (project_id, user_id, resource)
);
