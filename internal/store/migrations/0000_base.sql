-- Base migration. Each service adds its own numbered file:
-- 0001 identity, 0002 jobs, 0003 image, 0004 objectstore, 0005+ later services.
CREATE TABLE IF NOT EXISTS stratus_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
