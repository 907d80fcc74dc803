-- Books the server designed by itself for a group of photos (SPEC §10.8): at most one per
-- group, and how far through the group's events its design is.
CREATE TABLE proactive_books (
    group_id      BLOB PRIMARY KEY NOT NULL REFERENCES photo_groups(id) ON DELETE CASCADE,
    project_id    BLOB NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    last_event_id INTEGER NOT NULL,
    created_at    TEXT NOT NULL
);
