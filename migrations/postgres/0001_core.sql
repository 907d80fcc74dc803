-- Accounts, sessions, projects, members and the book document log (PostgreSQL).
CREATE TABLE users (
    id            UUID PRIMARY KEY,
    email         TEXT NOT NULL,
    name          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);
-- Unique regardless of case, like SQLite's COLLATE NOCASE; look up with lower(email).
CREATE UNIQUE INDEX users_email ON users (lower(email));

CREATE TABLE sessions (
    id         UUID PRIMARY KEY,
    user_id    UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash BYTEA NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE projects (
    id         UUID PRIMARY KEY,
    title      TEXT NOT NULL,
    owner_id   UUID NOT NULL REFERENCES users(id),
    product    TEXT NOT NULL,
    theme      TEXT NOT NULL,
    origin     JSONB,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE members (
    project_id UUID NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    user_id    UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('viewer','commenter','contributor','editor','manager')),
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (project_id, user_id)
);
CREATE INDEX members_user ON members(user_id);

-- Accepted document updates, in order, after the snapshot.
CREATE TABLE doc_updates (
    project_id UUID NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    seq        BIGINT NOT NULL,
    data       BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (project_id, seq)
);

-- The document folded up to and including `seq`.
CREATE TABLE doc_snapshots (
    project_id UUID PRIMARY KEY REFERENCES projects(id) ON DELETE CASCADE,
    seq        BIGINT NOT NULL,
    data       BYTEA NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
