-- An image in 'saving' belongs to the node receiving its bytes
-- (upload_node) until upload_lease (unix microseconds), which that node
-- renews while the upload runs. A node that starts requeues its own
-- interrupted uploads and expired leases, never an upload another node
-- sharing the PostgreSQL database is still receiving.
ALTER TABLE images ADD COLUMN upload_node TEXT NOT NULL DEFAULT '';
ALTER TABLE images ADD COLUMN upload_lease BIGINT NOT NULL DEFAULT 0;
