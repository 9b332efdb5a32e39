-- Keystone's (deprecated) policy blobs, and OS-EP-FILTER endpoint groups:
-- a group's filters (service_id, region_id, interface) select endpoints;
-- a project associated with groups sees their endpoints in its catalog.
CREATE TABLE identity_policies (
    id         TEXT PRIMARY KEY,
    type       TEXT NOT NULL,
    blob       TEXT NOT NULL,
    extra      TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL
);
CREATE TABLE identity_endpoint_groups (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    filters     TEXT NOT NULL DEFAULT '{}',
    created_at  BIGINT NOT NULL
);
CREATE TABLE identity_project_endpoint_groups (
    endpoint_group_id TEXT NOT NULL,
    project_id        TEXT NOT NULL,
    PRIMARY KEY (endpoint_group_id, project_id)
);
