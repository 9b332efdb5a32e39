-- Networking (Neutron v2.0). Lists that are read with their row and never
-- queried (allocation pools, DNS servers, host routes, allowed address
-- pairs, tags) are kept as JSON text; fixed IPs and port security groups
-- are rows, because conflicts and "in use" checks query them.
CREATE TABLE IF NOT EXISTS networks (
    id                    TEXT PRIMARY KEY,
    project_id            TEXT NOT NULL,
    name                  TEXT NOT NULL DEFAULT '',
    description           TEXT NOT NULL DEFAULT '',
    admin_state_up        BOOLEAN NOT NULL DEFAULT TRUE,
    status                TEXT NOT NULL,
    shared                BOOLEAN NOT NULL DEFAULT FALSE,
    external              BOOLEAN NOT NULL DEFAULT FALSE,
    mtu                   BIGINT NOT NULL,
    port_security_enabled BOOLEAN NOT NULL DEFAULT TRUE,
    auto_allocated        BOOLEAN NOT NULL DEFAULT FALSE,
    tags                  TEXT NOT NULL DEFAULT '[]',
    revision_number       BIGINT NOT NULL DEFAULT 0,
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS networks_project ON networks (project_id);
-- One network per project made by Nova's "auto" (BindPorts with no request).
CREATE UNIQUE INDEX IF NOT EXISTS networks_auto ON networks (project_id) WHERE auto_allocated;

CREATE TABLE IF NOT EXISTS subnets (
    id                TEXT PRIMARY KEY,
    project_id        TEXT NOT NULL,
    network_id        TEXT NOT NULL REFERENCES networks (id),
    name              TEXT NOT NULL DEFAULT '',
    description       TEXT NOT NULL DEFAULT '',
    ip_version        INTEGER NOT NULL,
    cidr              TEXT NOT NULL,
    gateway_ip        TEXT,
    enable_dhcp       BOOLEAN NOT NULL DEFAULT TRUE,
    ipv6_ra_mode      TEXT,
    ipv6_address_mode TEXT,
    allocation_pools  TEXT NOT NULL DEFAULT '[]',
    dns_nameservers   TEXT NOT NULL DEFAULT '[]',
    host_routes       TEXT NOT NULL DEFAULT '[]',
    next_ip           TEXT NOT NULL DEFAULT '',
    tags              TEXT NOT NULL DEFAULT '[]',
    revision_number   BIGINT NOT NULL DEFAULT 0,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS subnets_network ON subnets (network_id);
CREATE INDEX IF NOT EXISTS subnets_project ON subnets (project_id);

CREATE TABLE IF NOT EXISTS ports (
    id                    TEXT PRIMARY KEY,
    project_id            TEXT NOT NULL,
    network_id            TEXT NOT NULL REFERENCES networks (id),
    name                  TEXT NOT NULL DEFAULT '',
    description           TEXT NOT NULL DEFAULT '',
    mac_address           TEXT NOT NULL,
    admin_state_up        BOOLEAN NOT NULL DEFAULT TRUE,
    status                TEXT NOT NULL,
    device_id             TEXT NOT NULL DEFAULT '',
    device_owner          TEXT NOT NULL DEFAULT '',
    binding_host_id       TEXT NOT NULL DEFAULT '',
    binding_vnic_type     TEXT NOT NULL DEFAULT 'normal',
    binding_profile       TEXT NOT NULL DEFAULT '{}',
    port_security_enabled BOOLEAN NOT NULL DEFAULT TRUE,
    allowed_address_pairs TEXT NOT NULL DEFAULT '[]',
    server_owned          BOOLEAN NOT NULL DEFAULT FALSE,
    tags                  TEXT NOT NULL DEFAULT '[]',
    revision_number       BIGINT NOT NULL DEFAULT 0,
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS ports_mac ON ports (network_id, mac_address);
CREATE INDEX IF NOT EXISTS ports_device ON ports (device_id);
CREATE INDEX IF NOT EXISTS ports_project ON ports (project_id);

-- A fixed IP of a port. The primary key is what detects two ports taking
-- one address.
CREATE TABLE IF NOT EXISTS ip_allocations (
    subnet_id  TEXT NOT NULL REFERENCES subnets (id),
    ip_address TEXT NOT NULL,
    port_id    TEXT NOT NULL REFERENCES ports (id) ON DELETE CASCADE,
    network_id TEXT NOT NULL,
    position   INTEGER NOT NULL,
    PRIMARY KEY (subnet_id, ip_address)
);
CREATE INDEX IF NOT EXISTS ip_allocations_port ON ip_allocations (port_id);

CREATE TABLE IF NOT EXISTS security_groups (
    id              TEXT PRIMARY KEY,
    project_id      TEXT NOT NULL,
    name            TEXT NOT NULL DEFAULT '',
    description     TEXT NOT NULL DEFAULT '',
    stateful        BOOLEAN NOT NULL DEFAULT TRUE,
    tags            TEXT NOT NULL DEFAULT '[]',
    revision_number BIGINT NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS security_groups_project ON security_groups (project_id);

-- The "default" group of each project, made on first use; the primary key
-- keeps two concurrent first uses from making two.
CREATE TABLE IF NOT EXISTS default_security_groups (
    project_id        TEXT PRIMARY KEY,
    security_group_id TEXT NOT NULL REFERENCES security_groups (id) ON DELETE CASCADE
);

CREATE TABLE IF NOT EXISTS security_group_rules (
    id                TEXT PRIMARY KEY,
    project_id        TEXT NOT NULL,
    security_group_id TEXT NOT NULL REFERENCES security_groups (id) ON DELETE CASCADE,
    direction         TEXT NOT NULL,
    ethertype         TEXT NOT NULL,
    protocol          TEXT,
    port_range_min    INTEGER,
    port_range_max    INTEGER,
    remote_ip_prefix  TEXT,
    remote_group_id   TEXT,
    description       TEXT NOT NULL DEFAULT '',
    revision_number   BIGINT NOT NULL DEFAULT 0,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS security_group_rules_group ON security_group_rules (security_group_id);
CREATE INDEX IF NOT EXISTS security_group_rules_remote ON security_group_rules (remote_group_id);

CREATE TABLE IF NOT EXISTS port_security_groups (
    port_id           TEXT NOT NULL REFERENCES ports (id) ON DELETE CASCADE,
    security_group_id TEXT NOT NULL REFERENCES security_groups (id),
    PRIMARY KEY (port_id, security_group_id)
);
CREATE INDEX IF NOT EXISTS port_security_groups_group ON port_security_groups (security_group_id);

-- Routers: interfaces and the gateway are ports whose device_id is the
-- router (device_owner network:router_interface / network:router_gateway).
CREATE TABLE IF NOT EXISTS routers (
    id              TEXT PRIMARY KEY,
    project_id      TEXT NOT NULL,
    name            TEXT NOT NULL DEFAULT '',
    description     TEXT NOT NULL DEFAULT '',
    admin_state_up  BOOLEAN NOT NULL DEFAULT TRUE,
    status          TEXT NOT NULL,
    gw_network_id   TEXT,
    enable_snat     BOOLEAN NOT NULL DEFAULT TRUE,
    routes          TEXT NOT NULL DEFAULT '[]',
    tags            TEXT NOT NULL DEFAULT '[]',
    revision_number BIGINT NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS routers_project ON routers (project_id);

-- Floating IPs: the address is held by a port on the external network
-- (device_owner network:floatingip, no project), as Neutron does.
CREATE TABLE IF NOT EXISTS floatingips (
    id                  TEXT PRIMARY KEY,
    project_id          TEXT NOT NULL,
    floating_network_id TEXT NOT NULL REFERENCES networks (id),
    floating_ip_address TEXT NOT NULL,
    floating_port_id    TEXT NOT NULL,
    port_id             TEXT,
    fixed_ip_address    TEXT,
    router_id           TEXT,
    status              TEXT NOT NULL,
    description         TEXT NOT NULL DEFAULT '',
    tags                TEXT NOT NULL DEFAULT '[]',
    revision_number     BIGINT NOT NULL DEFAULT 0,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS floatingips_project ON floatingips (project_id);
CREATE INDEX IF NOT EXISTS floatingips_port ON floatingips (port_id);
-- One floating IP per fixed address.
CREATE UNIQUE INDEX IF NOT EXISTS floatingips_fixed ON floatingips (port_id, fixed_ip_address);

-- Per-project quota overrides; a missing row is the default.
CREATE TABLE IF NOT EXISTS network_quotas (
    project_id  TEXT NOT NULL,
    resource    TEXT NOT NULL,
    hard_limit  BIGINT NOT NULL,
    PRIMARY KEY (project_id, resource)
);
