-- An attachment made by the compute service says whether the volume goes
-- with its server (Nova's delete_on_termination).
ALTER TABLE volume_attachments ADD COLUMN delete_on_termination BOOLEAN NOT NULL DEFAULT FALSE;
