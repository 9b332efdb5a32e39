-- Image service (Glance v2). Extra properties and tags are kept as JSON
-- text on the row, so a get or a list page reads one row per image; tags
-- are also kept in image_tags so that ?tag= filters use an index.
CREATE TABLE IF NOT EXISTS images (
    id               TEXT PRIMARY KEY,
    name             TEXT,
    status           TEXT NOT NULL,
    visibility       TEXT NOT NULL,
    protected        BOOLEAN NOT NULL DEFAULT FALSE,
    os_hidden        BOOLEAN NOT NULL DEFAULT FALSE,
    owner            TEXT NOT NULL,
    disk_format      TEXT,
    container_format TEXT,
    min_ram          BIGINT NOT NULL DEFAULT 0,
    min_disk         BIGINT NOT NULL DEFAULT 0,
    size             BIGINT,
    virtual_size     BIGINT,
    checksum         TEXT,
    os_hash_algo     TEXT,
    os_hash_value    TEXT,
    blob_key         TEXT,
    properties       TEXT NOT NULL DEFAULT '{}',
    tags             TEXT NOT NULL DEFAULT '[]',
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS images_created ON images (created_at, id);
CREATE INDEX IF NOT EXISTS images_owner ON images (owner, created_at);
CREATE INDEX IF NOT EXISTS images_status ON images (status);
CREATE TABLE IF NOT EXISTS image_tags (
    image_id TEXT NOT NULL REFERENCES images (id) ON DELETE CASCADE,
    tag      TEXT NOT NULL,
    PRIMARY KEY (image_id, tag)
);
CREATE INDEX IF NOT EXISTS image_tags_tag ON image_tags (tag);
CREATE TABLE IF NOT EXISTS image_members (
    image_id   TEXT NOT NULL REFERENCES images (id) ON DELETE CASCADE,
    member     TEXT NOT NULL,
    status     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (image_id, member)
);
CREATE INDEX IF NOT EXISTS image_members_member ON image_members (member, status);
