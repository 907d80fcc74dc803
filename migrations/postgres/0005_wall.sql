-- The book wall (SPEC §12): comments with one level of replies (PostgreSQL). `seq` orders
-- the wall and pages it (`before`).
CREATE TABLE comments (
    seq        BIGSERIAL PRIMARY KEY,
    id         UUID NOT NULL UNIQUE,
    project_id UUID NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    author_id  UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    parent_id  UUID REFERENCES comments(id) ON DELETE CASCADE,
    page_id    TEXT,
    item_id    TEXT,
    body       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX comments_wall ON comments(project_id, seq) WHERE parent_id IS NULL;
CREATE INDEX comments_replies ON comments(parent_id, seq);
