-- Identity (Keystone v3): domains, projects, users, roles, role
-- assignments and issued tokens. Timestamps are unix microseconds.
CREATE TABLE identity_domains (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    enabled     BOOLEAN NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE TABLE identity_projects (
    id          TEXT PRIMARY KEY,
    domain_id   TEXT NOT NULL REFERENCES identity_domains (id),
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    enabled     BOOLEAN NOT NULL,
    parent_id   TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    UNIQUE (domain_id, name)
);
-- tokens_valid_after: tokens of this user issued before it are revoked
-- (password change, disable). extra: JSON of attributes Keystone keeps
-- as "extra" (email, description, ...).
CREATE TABLE identity_users (
    id                 TEXT PRIMARY KEY,
    domain_id          TEXT NOT NULL REFERENCES identity_domains (id),
    name               TEXT NOT NULL,
    password_hash      TEXT NOT NULL DEFAULT '',
    enabled            BOOLEAN NOT NULL,
    default_project_id TEXT NOT NULL DEFAULT '',
    extra              TEXT NOT NULL DEFAULT '{}',
    tokens_valid_after BIGINT NOT NULL DEFAULT 0,
    created_at         BIGINT NOT NULL,
    UNIQUE (domain_id, name)
);
-- domain_id is '' for global roles (Keystone's NULL).
CREATE TABLE identity_roles (
    id          TEXT PRIMARY KEY,
    domain_id   TEXT NOT NULL DEFAULT '',
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    UNIQUE (domain_id, name)
);
-- target_type is 'project' or 'domain'.
CREATE TABLE identity_assignments (
    user_id     TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id   TEXT NOT NULL,
    role_id     TEXT NOT NULL,
    PRIMARY KEY (user_id, target_type, target_id, role_id)
);
CREATE INDEX identity_assignments_target ON identity_assignments (target_type, target_id);
CREATE INDEX identity_assignments_role ON identity_assignments (role_id);
-- Tokens are kept by the SHA-256 of the bearer string, never the string.
CREATE TABLE identity_tokens (
    hash        TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL,
    project_id  TEXT NOT NULL DEFAULT '',
    domain_id   TEXT NOT NULL DEFAULT '',
    methods     TEXT NOT NULL,
    audit_ids   TEXT NOT NULL,
    issued_at   BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    revoked_at  BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX identity_tokens_user ON identity_tokens (user_id);
CREATE INDEX identity_tokens_expires ON identity_tokens (expires_at);
