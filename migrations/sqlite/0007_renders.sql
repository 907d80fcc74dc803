-- Print renders of a book (SPEC §11): one row per finished render; its PDFs live in blob
-- storage under `renders/<id>/<part>`.
CREATE TABLE renders (
    id          BLOB PRIMARY KEY NOT NULL,
    project_id  BLOB NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    version_id  BLOB,
    product     TEXT NOT NULL,
    pages       INTEGER NOT NULL,
    created_by  BLOB,
    created_at  TEXT NOT NULL
);
CREATE INDEX renders_project ON renders(project_id);
