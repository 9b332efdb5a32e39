-- Credential blobs are encrypted at rest (AES-256-GCM with the node's
-- credential key, kept in the data dir); key_hash names the key a blob is
-- sealed with, '' for rows written before encryption, which the identity
-- service seals when it starts.
ALTER TABLE identity_credentials ADD COLUMN key_hash TEXT NOT NULL DEFAULT '';
