-- Unified limits (Keystone's flat model): a registered limit is the
-- default for a resource of a service (in a region); a limit overrides it
-- for one project or domain. region_id, project_id and domain_id are ''
-- when absent.
CREATE TABLE identity_registered_limits (
    id            TEXT PRIMARY KEY,
    service_id    TEXT NOT NULL,
    region_id     TEXT NOT NULL DEFAULT '',
    resource_name TEXT NOT NULL,
    default_limit BIGINT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    created_at    BIGINT NOT NULL,
    UNIQUE (service_id, region_id, resource_name)
);
CREATE TABLE identity_limits (
    id            TEXT PRIMARY KEY,
    project_id    TEXT NOT NULL DEFAULT '',
    domain_id     TEXT NOT NULL DEFAULT '',
    service_id    TEXT NOT NULL,
    region_id     TEXT NOT NULL DEFAULT '',
    resource_name TEXT NOT NULL,
    resource_limit BIGINT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    created_at    BIGINT NOT NULL,
    UNIQUE (project_id, domain_id, service_id, region_id, resource_name)
);
