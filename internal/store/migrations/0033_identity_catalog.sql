-- The service catalog as data (Keystone's services, endpoints and regions),
-- seeded from the served services; admins change it through the API.
-- An endpoint url may hold $(public_url)s, the node's public URL, as the
-- seeded ones do, and $(project_id)s, the token's project.
CREATE TABLE identity_services (
    id          TEXT PRIMARY KEY,
    type        TEXT NOT NULL,
    name        TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    enabled     BOOLEAN NOT NULL DEFAULT TRUE,
    extra       TEXT NOT NULL DEFAULT '{}',
    created_at  BIGINT NOT NULL
);
CREATE TABLE identity_regions (
    id               TEXT PRIMARY KEY,
    description      TEXT NOT NULL DEFAULT '',
    parent_region_id TEXT NOT NULL DEFAULT '',
    extra            TEXT NOT NULL DEFAULT '{}',
    created_at       BIGINT NOT NULL
);
CREATE TABLE identity_endpoints (
    id         TEXT PRIMARY KEY,
    service_id TEXT NOT NULL,
    interface  TEXT NOT NULL,
    region_id  TEXT NOT NULL DEFAULT '',
    url        TEXT NOT NULL,
    enabled    BOOLEAN NOT NULL DEFAULT TRUE,
    extra      TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL
);
CREATE INDEX identity_endpoints_service ON identity_endpoints (service_id);
-- OS-EP-FILTER: a project with associations sees only those endpoints.
CREATE TABLE identity_project_endpoints (
    project_id  TEXT NOT NULL,
    endpoint_id TEXT NOT NULL,
    PRIMARY KEY (project_id, endpoint_id)
);
CREATE INDEX identity_project_endpoints_endpoint ON identity_project_endpoints (endpoint_id);
-- Built-in catalog entries seeded once each (a service, endpoint or region
-- an admin deletes stays deleted; a service added to stratus later is
-- seeded on the next start).
CREATE TABLE identity_catalog_seeded (
    id TEXT PRIMARY KEY
);
