-- System-scoped, trust-scoped and application-credential tokens; trusts
-- (OS-TRUST) and application credentials with their access rules.
ALTER TABLE identity_tokens ADD COLUMN system_scope BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE identity_tokens ADD COLUMN trust_id TEXT NOT NULL DEFAULT '';
ALTER TABLE identity_tokens ADD COLUMN app_cred_id TEXT NOT NULL DEFAULT '';
-- remaining_uses: -1 for unlimited; expires_at 0 for never; deleted_at 0
-- while the trust lives (a deleted trust is kept so tokens made from it
-- fail and its id is not reused).
CREATE TABLE identity_trusts (
    id                   TEXT PRIMARY KEY,
    trustor_user_id      TEXT NOT NULL,
    trustee_user_id      TEXT NOT NULL,
    project_id           TEXT NOT NULL DEFAULT '',
    impersonation        BOOLEAN NOT NULL,
    expires_at           BIGINT NOT NULL DEFAULT 0,
    remaining_uses       BIGINT NOT NULL DEFAULT -1,
    redelegation_count   BIGINT NOT NULL DEFAULT 0,
    redelegated_trust_id TEXT NOT NULL DEFAULT '',
    extra                TEXT NOT NULL DEFAULT '{}',
    deleted_at           BIGINT NOT NULL DEFAULT 0,
    created_at           BIGINT NOT NULL
);
CREATE INDEX identity_trusts_trustor ON identity_trusts (trustor_user_id);
CREATE INDEX identity_trusts_trustee ON identity_trusts (trustee_user_id);
CREATE TABLE identity_trust_roles (
    trust_id TEXT NOT NULL,
    role_id  TEXT NOT NULL,
    PRIMARY KEY (trust_id, role_id)
);
-- The secret is kept as a bcrypt hash, shown once at creation.
CREATE TABLE identity_app_creds (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL,
    project_id   TEXT NOT NULL,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    secret_hash  TEXT NOT NULL,
    expires_at   BIGINT NOT NULL DEFAULT 0,
    unrestricted BOOLEAN NOT NULL DEFAULT FALSE,
    created_at   BIGINT NOT NULL,
    UNIQUE (user_id, name)
);
CREATE TABLE identity_app_cred_roles (
    app_cred_id TEXT NOT NULL,
    role_id     TEXT NOT NULL,
    PRIMARY KEY (app_cred_id, role_id)
);
CREATE TABLE identity_access_rules (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    service    TEXT NOT NULL,
    path       TEXT NOT NULL,
    method     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (user_id, service, path, method)
);
CREATE TABLE identity_app_cred_access_rules (
    app_cred_id    TEXT NOT NULL,
    access_rule_id TEXT NOT NULL,
    PRIMARY KEY (app_cred_id, access_rule_id)
);
