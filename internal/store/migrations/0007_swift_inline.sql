-- Small Swift objects kept inline (internal/objectstore/inline.go): their
-- bytes commit in the same transaction as their row. BYTEA is PostgreSQL's
-- binary type; SQLite stores the bound []byte as a BLOB under any type name.
CREATE TABLE IF NOT EXISTS swift_inline (
    blob_key TEXT PRIMARY KEY,
    data     BYTEA NOT NULL
);
