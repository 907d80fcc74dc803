-- The photo library (SPEC §9): photos, tags, and groups with their change events (SQLite).
-- A photo's metadata is one JSON document (`meta`): it is written once at ingest and read
-- whole, so columns would only repeat it.
CREATE TABLE photos (
    id         BLOB PRIMARY KEY NOT NULL,
    owner_id   BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    remote     INTEGER NOT NULL DEFAULT 0,
    meta       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    -- Upload order across the library, the last tie-break of automix's ordering.
    seq        INTEGER NOT NULL
);
CREATE INDEX photos_owner ON photos(owner_id, seq);

CREATE TABLE photo_tags (
    photo_id BLOB NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
    tag      TEXT NOT NULL,
    PRIMARY KEY (photo_id, tag)
);
CREATE INDEX photo_tags_tag ON photo_tags(tag);

CREATE TABLE photo_groups (
    id             BLOB PRIMARY KEY NOT NULL,
    owner_id       BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    source         TEXT NOT NULL CHECK (source IN ('upload','album','tag','share','print')),
    name           TEXT NOT NULL,
    project_id     BLOB REFERENCES projects(id) ON DELETE CASCADE,
    cover_photo_id BLOB REFERENCES photos(id) ON DELETE SET NULL,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX photo_groups_owner ON photo_groups(owner_id, source);
CREATE UNIQUE INDEX photo_groups_tag ON photo_groups(owner_id, name) WHERE source = 'tag';
CREATE INDEX photo_groups_project ON photo_groups(project_id) WHERE project_id IS NOT NULL;

CREATE TABLE group_photos (
    group_id BLOB NOT NULL REFERENCES photo_groups(id) ON DELETE CASCADE,
    photo_id BLOB NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    added_at TEXT NOT NULL,
    PRIMARY KEY (group_id, photo_id)
);
CREATE INDEX group_photos_photo ON group_photos(photo_id);

-- What happened to a group, in order: what proactive books (SPEC §10.8) react to.
CREATE TABLE group_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id    BLOB NOT NULL REFERENCES photo_groups(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('created','photos_added','photos_removed','tag_added','renamed')),
    photo_ids   TEXT NOT NULL,
    detail      TEXT,
    photo_count INTEGER NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX group_events_group ON group_events(group_id, id);
