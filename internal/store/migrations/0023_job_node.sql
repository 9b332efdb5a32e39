-- A job pinned to the node whose local blob store holds its bytes: only
-- that node claims it ('' = any node). Until the blob store is shared
-- (issue 16) every job that reads or writes bytes is pinned.
ALTER TABLE jobs ADD COLUMN node TEXT NOT NULL DEFAULT '';
