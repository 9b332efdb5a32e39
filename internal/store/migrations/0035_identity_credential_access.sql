-- EC2 credentials are found by the SHA-256 of their access key, kept apart
-- from the id: Keystone lets an ec2 credential's access key change while
-- its id (the hash of the first key) stays.
ALTER TABLE identity_credentials ADD COLUMN access_hash TEXT NOT NULL DEFAULT '';
UPDATE identity_credentials SET access_hash = id WHERE type = 'ec2';
CREATE UNIQUE INDEX identity_credentials_access ON identity_credentials (access_hash) WHERE access_hash <> '';
