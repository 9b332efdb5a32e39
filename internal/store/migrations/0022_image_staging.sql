-- Glance interoperable import: data staged by PUT /v2/images/{id}/stage
-- (status uploading) waits under staging_key, with its size and sums,
-- until POST /v2/images/{id}/import publishes (or converts) it.
ALTER TABLE images ADD COLUMN staging_key TEXT NOT NULL DEFAULT '';
ALTER TABLE images ADD COLUMN staging_size BIGINT NOT NULL DEFAULT 0;
ALTER TABLE images ADD COLUMN staging_md5 TEXT NOT NULL DEFAULT '';
ALTER TABLE images ADD COLUMN staging_sha512 TEXT NOT NULL DEFAULT '';
