-- Keystone's groups, inherited and system assignments, implied roles,
-- project tags and hierarchy attributes, and extra attributes on every
-- entity (Keystone keeps attributes it does not model, JSON here).
CREATE TABLE identity_groups (
    id          TEXT PRIMARY KEY,
    domain_id   TEXT NOT NULL REFERENCES identity_domains (id),
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    extra       TEXT NOT NULL DEFAULT '{}',
    created_at  BIGINT NOT NULL,
    UNIQUE (domain_id, name)
);
CREATE TABLE identity_group_members (
    group_id TEXT NOT NULL,
    user_id  TEXT NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX identity_group_members_user ON identity_group_members (user_id);
-- actor_type 'user' or 'group'; target_type 'project', 'domain' or
-- 'system' (target_id 'all'); inherited assignments (OS-INHERIT) apply to
-- the projects below the target, not to the target itself.
CREATE TABLE identity_role_assignments (
    actor_type  TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id   TEXT NOT NULL,
    role_id     TEXT NOT NULL,
    inherited   BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (actor_type, actor_id, target_type, target_id, role_id, inherited)
);
CREATE INDEX identity_role_assignments_target ON identity_role_assignments (target_type, target_id);
CREATE INDEX identity_role_assignments_role ON identity_role_assignments (role_id);
INSERT INTO identity_role_assignments (actor_type, actor_id, target_type, target_id, role_id, inherited)
    SELECT 'user', user_id, target_type, target_id, role_id, FALSE FROM identity_assignments;
DROP TABLE identity_assignments;
CREATE TABLE identity_implied_roles (
    prior_role_id   TEXT NOT NULL,
    implied_role_id TEXT NOT NULL,
    PRIMARY KEY (prior_role_id, implied_role_id)
);
CREATE INDEX identity_implied_roles_implied ON identity_implied_roles (implied_role_id);
-- The implications Keystone's bootstrap makes (admin implies member,
-- member implies reader), for databases bootstrapped before they were data.
INSERT INTO identity_implied_roles (prior_role_id, implied_role_id)
    SELECT a.id, m.id FROM identity_roles a, identity_roles m
    WHERE a.domain_id = '' AND a.name = 'admin' AND m.domain_id = '' AND m.name = 'member';
INSERT INTO identity_implied_roles (prior_role_id, implied_role_id)
    SELECT m.id, r.id FROM identity_roles m, identity_roles r
    WHERE m.domain_id = '' AND m.name = 'member' AND r.domain_id = '' AND r.name = 'reader';
ALTER TABLE identity_roles ADD COLUMN extra TEXT NOT NULL DEFAULT '{}';
ALTER TABLE identity_domains ADD COLUMN extra TEXT NOT NULL DEFAULT '{}';
ALTER TABLE identity_projects ADD COLUMN extra TEXT NOT NULL DEFAULT '{}';
CREATE TABLE identity_project_tags (
    project_id TEXT NOT NULL,
    tag        TEXT NOT NULL,
    PRIMARY KEY (project_id, tag)
);
CREATE INDEX identity_project_tags_tag ON identity_project_tags (tag);
CREATE INDEX identity_projects_parent ON identity_projects (parent_id);
