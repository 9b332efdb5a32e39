-- SCP signed requests seen within the timestamp window: a signature used
-- twice is a replay, refused on every node sharing the database. Rows
-- past expires_at (unix microseconds) are swept.
CREATE TABLE scp_signatures (
    signature  TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX scp_signatures_expires ON scp_signatures (expires_at);
