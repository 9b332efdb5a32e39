-- Cinder QoS specs: named key/value sets with a consumer, associated with
-- volume types (at most one QoS spec per type). Stored and shown; stratus
-- does not throttle I/O by them (docs/decisions.md, Block storage).
CREATE TABLE volume_qos_specs (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    consumer   TEXT NOT NULL,
    specs      TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX volume_qos_specs_name ON volume_qos_specs (name);
CREATE TABLE volume_qos_associations (
    type_id TEXT PRIMARY KEY REFERENCES volume_types (id) ON DELETE CASCADE,
    qos_id  TEXT NOT NULL REFERENCES volume_qos_specs (id) ON DELETE CASCADE
);
CREATE INDEX volume_qos_associations_qos ON volume_qos_associations (qos_id);
