-- Versions of book documents (bytes in blob storage) and the background job queue (SQLite).
CREATE TABLE versions (
    id         BLOB PRIMARY KEY NOT NULL,
    project_id BLOB NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    bytes      INTEGER NOT NULL,
    seq        INTEGER NOT NULL,
    reason     TEXT NOT NULL CHECK (reason IN ('auto','manual','restore','automix')),
    created_by BLOB REFERENCES users(id) ON DELETE SET NULL
);
CREATE INDEX versions_project ON versions(project_id, created_at);

-- Times a worker compares (run_after, lease_until) are Unix milliseconds, so that SQL
-- compares numbers and not text of varying precision.
CREATE TABLE jobs (
    id           BLOB PRIMARY KEY NOT NULL,
    kind         TEXT NOT NULL,
    project_id   BLOB REFERENCES projects(id) ON DELETE CASCADE,
    payload      TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('queued','running','done','failed')),
    progress     REAL NOT NULL DEFAULT 0,
    result       TEXT,
    error        TEXT,
    attempts     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    run_after    INTEGER NOT NULL,
    lease_token  BLOB,
    lease_owner  TEXT,
    lease_until  INTEGER,
    dedupe_key   TEXT,
    created_by   BLOB REFERENCES users(id) ON DELETE SET NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX jobs_due ON jobs(state, run_after);
CREATE UNIQUE INDEX jobs_active_key ON jobs(dedupe_key) WHERE dedupe_key IS NOT NULL AND state IN ('queued','running');
