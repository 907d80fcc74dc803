-- Accounts, sessions, projects, members and the book document log (SQLite).
CREATE TABLE users (
    id            BLOB PRIMARY KEY NOT NULL,
    email         TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL
);

CREATE TABLE sessions (
    id         BLOB PRIMARY KEY NOT NULL,
    user_id    BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash BLOB NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE projects (
    id         BLOB PRIMARY KEY NOT NULL,
    title      TEXT NOT NULL,
    owner_id   BLOB NOT NULL REFERENCES users(id),
    product    TEXT NOT NULL,
    theme      TEXT NOT NULL,
    origin     TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE members (
    project_id BLOB NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    user_id    BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('viewer','commenter','contributor','editor','manager')),
    created_at TEXT NOT NULL,
    PRIMARY KEY (project_id, user_id)
);
CREATE INDEX members_user ON members(user_id);

-- Accepted document updates, in order, after the snapshot.
CREATE TABLE doc_updates (
    project_id BLOB NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    data       BLOB NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (project_id, seq)
) WITHOUT ROWID;

-- The document folded up to and including `seq`.
CREATE TABLE doc_snapshots (
    project_id BLOB PRIMARY KEY NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    data       BLOB NOT NULL,
    updated_at TEXT NOT NULL
);
