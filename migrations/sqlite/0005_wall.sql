-- The book wall (SPEC §12): comments with one level of replies (SQLite). `seq` orders the
-- wall and pages it (`before`).
CREATE TABLE comments (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    id         BLOB NOT NULL UNIQUE,
    project_id BLOB NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    author_id  BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    parent_id  BLOB REFERENCES comments(id) ON DELETE CASCADE,
    page_id    TEXT,
    item_id    TEXT,
    body       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX comments_wall ON comments(project_id, seq) WHERE parent_id IS NULL;
CREATE INDEX comments_replies ON comments(parent_id, seq);
