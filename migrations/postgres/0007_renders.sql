-- Print renders of a book (SPEC §11): one row per finished render; its PDFs live in blob
-- storage under `renders/<id>/<part>`.
CREATE TABLE renders (
    id          UUID PRIMARY KEY,
    project_id  UUID NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    version_id  UUID,
    product     TEXT NOT NULL,
    pages       BIGINT NOT NULL,
    created_by  UUID,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX renders_project ON renders(project_id);
