-- A copy of each port's fixed IPs and security group ids on its row, kept in
-- step with ip_allocations and port_security_groups in the same transaction:
-- a port list or a server list page reads one row per port instead of
-- joining three tables. The tables stay the truth (and hold the uniqueness).
ALTER TABLE ports ADD COLUMN fixed_ips TEXT NOT NULL DEFAULT '[]';
ALTER TABLE ports ADD COLUMN security_group_ids TEXT NOT NULL DEFAULT '[]';
