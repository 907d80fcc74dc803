-- Versions of book documents (bytes in blob storage) and the background job queue (PostgreSQL).
CREATE TABLE versions (
    id         UUID PRIMARY KEY,
    project_id UUID NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    bytes      BIGINT NOT NULL,
    seq        BIGINT NOT NULL,
    reason     TEXT NOT NULL CHECK (reason IN ('auto','manual','restore','automix')),
    created_by UUID REFERENCES users(id) ON DELETE SET NULL
);
CREATE INDEX versions_project ON versions(project_id, created_at);

-- Workers claim with FOR UPDATE SKIP LOCKED; a lapsed lease makes a running job claimable.
CREATE TABLE jobs (
    id           UUID PRIMARY KEY,
    kind         TEXT NOT NULL,
    project_id   UUID REFERENCES projects(id) ON DELETE CASCADE,
    payload      JSONB NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('queued','running','done','failed')),
    progress     DOUBLE PRECISION NOT NULL DEFAULT 0,
    result       JSONB,
    error        TEXT,
    attempts     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    run_after    TIMESTAMPTZ NOT NULL,
    lease_token  UUID,
    lease_owner  TEXT,
    lease_until  TIMESTAMPTZ,
    dedupe_key   TEXT,
    created_by   UUID REFERENCES users(id) ON DELETE SET NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX jobs_due ON jobs(state, run_after);
CREATE UNIQUE INDEX jobs_active_key ON jobs(dedupe_key) WHERE dedupe_key IS NOT NULL AND state IN ('queued','running');
