-- Books the server designed by itself for a group of photos (SPEC §10.8): at most one per
-- group, and how far through the group's events its design is.
CREATE TABLE proactive_books (
    group_id      UUID PRIMARY KEY REFERENCES photo_groups(id) ON DELETE CASCADE,
    project_id    UUID NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    last_event_id BIGINT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);
