-- Photos placed in a book by someone allowed to place them (SQLite). Issue 18, finding 3:
-- a row is written when the sync reader lets a person's update place a photo they may see,
-- and when automix is given photos to design with. A placement in a book counts toward who
-- may see the photo only when its item was made by the photo's owner or the system user, or
-- when a row here says someone allowed placed it; a row also lets the book's members place
-- the photo there again (Undo of a deletion). `placed_by` is NULL for the system.
CREATE TABLE photo_placements (
    project_id BLOB NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    photo_id   BLOB NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
    placed_by  BLOB REFERENCES users(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (project_id, photo_id)
) WITHOUT ROWID;
CREATE INDEX photo_placements_photo ON photo_placements(photo_id);
