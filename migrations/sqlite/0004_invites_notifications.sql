-- Invitation links, notifications and the email outbox (SQLite). SPEC §12.
-- An invite's token is stored only as its SHA-256; times compared in SQL are Unix ms.
CREATE TABLE invites (
    id          BLOB PRIMARY KEY NOT NULL,
    project_id  BLOB NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    token_hash  BLOB NOT NULL UNIQUE,
    role        TEXT NOT NULL CHECK (role IN ('viewer','commenter','contributor','editor','manager')),
    created_by  BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    email       TEXT,
    created_at  TEXT NOT NULL,
    expires_at  INTEGER,
    max_uses    INTEGER,
    uses        INTEGER NOT NULL DEFAULT 0,
    revoked_at  TEXT
);
CREATE INDEX invites_project ON invites(project_id);

CREATE TABLE notifications (
    id         BLOB PRIMARY KEY NOT NULL,
    user_id    BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    data       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    read_at    TEXT
);
CREATE INDEX notifications_user ON notifications(user_id, created_at);

-- Mail to send; sending is outside the product (SPEC §12). A mailer marks rows sent.
CREATE TABLE email_outbox (
    id         BLOB PRIMARY KEY NOT NULL,
    to_email   TEXT NOT NULL,
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    sent_at    TEXT
);
