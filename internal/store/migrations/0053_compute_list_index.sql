-- Server list pages read id, name, vm_state, deleted_at and updated_at in
-- created_at order (the view cache renders the rest): covering indexes for
-- a project's list and the admin's all_tenants list.
CREATE INDEX IF NOT EXISTS compute_servers_project_page ON compute_servers (project_id, deleted_at, created_at, id, name, vm_state, updated_at);
CREATE INDEX IF NOT EXISTS compute_servers_live_page ON compute_servers (deleted_at, created_at, id, name, vm_state, updated_at, project_id);
DROP INDEX IF EXISTS compute_servers_project;
DROP INDEX IF EXISTS compute_servers_live;
