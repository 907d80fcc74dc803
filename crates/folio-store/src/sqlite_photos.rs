//! `PhotoStore` on SQLite: reads through the sqlx pool, every change as one transaction on
//! the writer thread.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::OptionalExtension;
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

use super::photos::*;
use super::sqlite::{sqlite_foreign_key_violation, ts, SqliteStore};
use super::{StoreError, StoreResult};
use folio_domain::ids::{GroupId, PhotoId, ProjectId, UserId};

/// Tags come back as one newline-joined column (a tag never holds a newline).
const PHOTO_COLS: &str = "p.id, p.owner_id, p.name, p.remote, p.meta, p.created_at, \
     (SELECT group_concat(tag, char(10)) FROM (SELECT tag FROM photo_tags t WHERE t.photo_id = p.id ORDER BY tag)) AS tags";

const GROUP_COLS: &str = "g.id, g.owner_id, g.source, g.name, g.project_id, g.cover_photo_id, g.created_at, g.updated_at, \
     (SELECT COUNT(*) FROM group_photos gp WHERE gp.group_id = g.id) AS photo_count";

fn decode_err(what: String) -> sqlx::Error {
    sqlx::Error::Decode(what.into())
}

fn photo_from(row: &SqliteRow) -> sqlx::Result<PhotoRecord> {
    let meta: String = row.try_get("meta")?;
    let tags: Option<String> = row.try_get("tags")?;
    Ok(PhotoRecord {
        id: PhotoId(row.try_get("id")?),
        owner_id: UserId(row.try_get("owner_id")?),
        name: row.try_get("name")?,
        remote: row.try_get("remote")?,
        meta: serde_json::from_str(&meta).map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        created_at: row.try_get("created_at")?,
        tags: tags
            .map(|t| t.split('\n').map(str::to_owned).collect())
            .unwrap_or_default(),
    })
}

fn group_from(row: &SqliteRow) -> sqlx::Result<Group> {
    let source: String = row.try_get("source")?;
    Ok(Group {
        id: GroupId(row.try_get("id")?),
        owner_id: UserId(row.try_get("owner_id")?),
        source: GroupSource::parse(&source)
            .ok_or_else(|| decode_err(format!("unknown group source {source:?}")))?,
        name: row.try_get("name")?,
        project_id: row
            .try_get::<Option<uuid::Uuid>, _>("project_id")?
            .map(ProjectId),
        cover_photo_id: row
            .try_get::<Option<uuid::Uuid>, _>("cover_photo_id")?
            .map(PhotoId),
        photo_count: row.try_get("photo_count")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn event_from(row: &SqliteRow) -> sqlx::Result<GroupEvent> {
    let kind: String = row.try_get("kind")?;
    let ids: String = row.try_get("photo_ids")?;
    Ok(GroupEvent {
        id: row.try_get("id")?,
        group_id: GroupId(row.try_get("group_id")?),
        kind: GroupEventKind::parse(&kind)
            .ok_or_else(|| decode_err(format!("unknown group event {kind:?}")))?,
        photo_ids: serde_json::from_str(&ids).map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        detail: row.try_get("detail")?,
        photo_count: row.try_get("photo_count")?,
        created_at: row.try_get("created_at")?,
    })
}

// Writer-thread helpers: each runs inside the caller's transaction.

/// The group's owner, or `NotFound`.
fn group_owner(tx: &rusqlite::Transaction, group: GroupId) -> StoreResult<UserId> {
    tx.query_row(
        "SELECT owner_id FROM photo_groups WHERE id = ?",
        [group.0],
        |r| r.get(0),
    )
    .optional()?
    .map(UserId)
    .ok_or(StoreError::NotFound)
}

/// `NotFound` unless every photo exists and belongs to `owner`.
fn check_owned(tx: &rusqlite::Transaction, owner: UserId, photos: &[PhotoId]) -> StoreResult<()> {
    let mut q = tx.prepare_cached("SELECT 1 FROM photos WHERE id = ? AND owner_id = ?")?;
    for p in photos {
        if !q.exists(rusqlite::params![p.0, owner.0])? {
            return Err(StoreError::NotFound);
        }
    }
    Ok(())
}

/// Adds the photos not already in the group, after its last; returns those added.
fn add_members(
    tx: &rusqlite::Transaction,
    group: GroupId,
    photos: &[PhotoId],
    now: &str,
) -> StoreResult<Vec<PhotoId>> {
    let mut next: i64 = tx.query_row(
        "SELECT COALESCE(MAX(position), 0) FROM group_photos WHERE group_id = ?",
        [group.0],
        |r| r.get(0),
    )?;
    let mut insert = tx.prepare_cached("INSERT INTO group_photos (group_id, photo_id, position, added_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING")?;
    let mut added = Vec::new();
    for p in photos {
        next += 1;
        if insert.execute(rusqlite::params![group.0, p.0, next, now])? == 1 {
            added.push(*p);
        }
    }
    Ok(added)
}

fn record_event(
    tx: &rusqlite::Transaction,
    group: GroupId,
    kind: GroupEventKind,
    photos: &[PhotoId],
    detail: Option<&str>,
    now: &str,
) -> StoreResult<()> {
    let ids = serde_json::to_string(photos).expect("ids serialise");
    tx.prepare_cached(
        "INSERT INTO group_events (group_id, kind, photo_ids, detail, photo_count, created_at) \
         VALUES (?1, ?2, ?3, ?4, (SELECT COUNT(*) FROM group_photos WHERE group_id = ?1), ?5)",
    )?
    .execute(rusqlite::params![group.0, kind.as_str(), ids, detail, now])?;
    tx.prepare_cached("UPDATE photo_groups SET updated_at = ? WHERE id = ?")?
        .execute(rusqlite::params![now, group.0])?;
    Ok(())
}

impl SqliteStore {
    async fn group_read(&self, id: GroupId) -> StoreResult<Group> {
        let row = sqlx::query(&format!(
            "SELECT {GROUP_COLS} FROM photo_groups g WHERE g.id = ?"
        ))
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok(group_from(&row)?)
    }
}

#[async_trait]
impl PhotoStore for SqliteStore {
    async fn insert_photo(&self, photo: &PhotoRecord) -> StoreResult<()> {
        let p = photo.clone();
        self.write(move |c| {
            let res = c.execute(
                "INSERT INTO photos (id, owner_id, name, remote, meta, created_at, seq) \
                 VALUES (?, ?, ?, ?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM photos))",
                rusqlite::params![
                    p.id.0,
                    p.owner_id.0,
                    p.name,
                    p.remote,
                    p.meta.to_string(),
                    ts(p.created_at)
                ],
            );
            match res {
                Ok(_) => Ok(()),
                Err(e) if sqlite_foreign_key_violation(&e) => Err(StoreError::NotFound),
                Err(e) => Err(e.into()),
            }
        })
        .await
    }

    async fn delete_photo(&self, id: PhotoId) -> StoreResult<()> {
        self.write(move |c| {
            c.execute("DELETE FROM photos WHERE id = ?", [id.0])?;
            Ok(())
        })
        .await
    }

    async fn photo(&self, id: PhotoId) -> StoreResult<PhotoRecord> {
        let row = sqlx::query(&format!("SELECT {PHOTO_COLS} FROM photos p WHERE p.id = ?"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(photo_from(&row)?)
    }

    async fn photos(&self, owner: UserId, filter: &PhotoFilter) -> StoreResult<Vec<PhotoRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {PHOTO_COLS} FROM photos p WHERE p.owner_id = ?1 \
             AND (?2 IS NULL OR EXISTS (SELECT 1 FROM group_photos gp WHERE gp.group_id = ?2 AND gp.photo_id = p.id)) \
             AND (?3 IS NULL OR EXISTS (SELECT 1 FROM photo_tags t WHERE t.photo_id = p.id AND t.tag = ?3)) \
             ORDER BY p.seq"
        ))
        .bind(owner.0)
        .bind(filter.group.map(|g| g.0))
        .bind(filter.tag.as_deref())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(photo_from).collect::<sqlx::Result<_>>()?)
    }

    async fn photos_shared_with(&self, project: ProjectId) -> StoreResult<Vec<PhotoRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {PHOTO_COLS} FROM photos p WHERE EXISTS (SELECT 1 FROM group_photos gp JOIN photo_groups g ON g.id = gp.group_id \
             WHERE gp.photo_id = p.id AND g.source = 'share' AND g.project_id = ?) ORDER BY p.seq"
        ))
        .bind(project.0)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(photo_from).collect::<sqlx::Result<_>>()?)
    }

    async fn photo_shared_to_member(&self, photo: PhotoId, user: UserId) -> StoreResult<bool> {
        Ok(sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM group_photos gp JOIN photo_groups g ON g.id = gp.group_id \
             JOIN members m ON m.project_id = g.project_id \
             WHERE gp.photo_id = ? AND g.source = 'share' AND m.user_id = ?)",
        )
        .bind(photo.0)
        .bind(user.0)
        .fetch_one(&self.pool)
        .await?)
    }

    async fn common_projects(&self, a: UserId, b: UserId) -> StoreResult<Vec<ProjectId>> {
        let ids: Vec<uuid::Uuid> = sqlx::query_scalar(
            "SELECT ma.project_id FROM members ma JOIN members mb ON mb.project_id = ma.project_id \
             WHERE ma.user_id = ? AND mb.user_id = ? ORDER BY ma.project_id",
        )
        .bind(a.0)
        .bind(b.0)
        .fetch_all(&self.pool)
        .await?;
        Ok(ids.into_iter().map(ProjectId).collect())
    }

    async fn record_placements(
        &self,
        project: ProjectId,
        photos: &[PhotoId],
        by: Option<UserId>,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        if photos.is_empty() {
            return Ok(());
        }
        let photos = photos.to_vec();
        self.write(move |c| {
            let tx = c.transaction()?;
            {
                // The WHERE also keeps SQLite from reading ON CONFLICT as a join constraint.
                let mut q = tx.prepare_cached(
                    "INSERT INTO photo_placements (project_id, photo_id, placed_by, created_at) \
                     SELECT ?1, p.id, ?3, ?4 FROM photos p WHERE p.id = ?2 \
                     ON CONFLICT (project_id, photo_id) DO NOTHING",
                )?;
                for photo in &photos {
                    match q.execute(rusqlite::params![
                        project.0,
                        photo.0,
                        by.map(|u| u.0),
                        ts(now)
                    ]) {
                        Ok(_) => {}
                        Err(e) if sqlite_foreign_key_violation(&e) => {
                            return Err(StoreError::NotFound)
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn placement_recorded(&self, project: ProjectId, photo: PhotoId) -> StoreResult<bool> {
        Ok(sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM photo_placements WHERE project_id = ? AND photo_id = ?)",
        )
        .bind(project.0)
        .bind(photo.0)
        .fetch_one(&self.pool)
        .await?)
    }

    async fn add_tags(
        &self,
        photo: PhotoId,
        tags: &[String],
        now: DateTime<Utc>,
    ) -> StoreResult<PhotoRecord> {
        let tags = tags.to_vec();
        self.write(move |c| {
            let tx = c.transaction()?;
            let now = ts(now);
            let owner: UserId = tx
                .query_row("SELECT owner_id FROM photos WHERE id = ?", [photo.0], |r| r.get(0))
                .optional()?
                .map(UserId)
                .ok_or(StoreError::NotFound)?;
            for tag in &tags {
                if tx.execute("INSERT INTO photo_tags (photo_id, tag) VALUES (?, ?) ON CONFLICT DO NOTHING", rusqlite::params![photo.0, tag])? == 0 {
                    continue;
                }
                // Groups that held the photo before it joins the tag's own group.
                let holders: Vec<uuid::Uuid> = tx
                    .prepare_cached("SELECT group_id FROM group_photos WHERE photo_id = ?")?
                    .query_map([photo.0], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?;
                let existing: Option<uuid::Uuid> = tx
                    .query_row("SELECT id FROM photo_groups WHERE owner_id = ? AND source = 'tag' AND name = ?", rusqlite::params![owner.0, tag], |r| r.get(0))
                    .optional()?;
                let group = match existing {
                    Some(id) => GroupId(id),
                    None => {
                        let id = GroupId::new();
                        tx.execute(
                            "INSERT INTO photo_groups (id, owner_id, source, name, created_at, updated_at) VALUES (?, ?, 'tag', ?, ?, ?)",
                            rusqlite::params![id.0, owner.0, tag, now, now],
                        )?;
                        record_event(&tx, id, GroupEventKind::Created, &[], Some(tag), &now)?;
                        id
                    }
                };
                let added = add_members(&tx, group, &[photo], &now)?;
                if !added.is_empty() {
                    record_event(&tx, group, GroupEventKind::PhotosAdded, &added, None, &now)?;
                }
                for holder in holders.into_iter().map(GroupId).filter(|g| *g != group) {
                    record_event(&tx, holder, GroupEventKind::TagAdded, &[photo], Some(tag), &now)?;
                }
            }
            tx.commit()?;
            Ok(())
        })
        .await?;
        self.photo(photo).await
    }

    async fn remove_tag(
        &self,
        photo: PhotoId,
        tag: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<PhotoRecord> {
        let tag = tag.to_owned();
        self.write(move |c| {
            let tx = c.transaction()?;
            let now = ts(now);
            let owner: UserId = tx
                .query_row("SELECT owner_id FROM photos WHERE id = ?", [photo.0], |r| r.get(0))
                .optional()?
                .map(UserId)
                .ok_or(StoreError::NotFound)?;
            if tx.execute("DELETE FROM photo_tags WHERE photo_id = ? AND tag = ?", rusqlite::params![photo.0, tag])? == 1 {
                let group: Option<uuid::Uuid> = tx
                    .query_row("SELECT id FROM photo_groups WHERE owner_id = ? AND source = 'tag' AND name = ?", rusqlite::params![owner.0, tag], |r| r.get(0))
                    .optional()?;
                if let Some(group) = group.map(GroupId) {
                    if tx.execute("DELETE FROM group_photos WHERE group_id = ? AND photo_id = ?", rusqlite::params![group.0, photo.0])? == 1 {
                        record_event(&tx, group, GroupEventKind::PhotosRemoved, &[photo], None, &now)?;
                    }
                }
            }
            tx.commit()?;
            Ok(())
        })
        .await?;
        self.photo(photo).await
    }

    async fn create_group(
        &self,
        group: &NewGroup,
        photos: &[PhotoId],
        now: DateTime<Utc>,
    ) -> StoreResult<Group> {
        let (g, photos) = (group.clone(), photos.to_vec());
        self.write(move |c| {
            let tx = c.transaction()?;
            let now = ts(now);
            check_owned(&tx, g.owner_id, &photos)?;
            let res = tx.execute(
                "INSERT INTO photo_groups (id, owner_id, source, name, project_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                rusqlite::params![g.id.0, g.owner_id.0, g.source.as_str(), g.name, g.project_id.map(|p| p.0), now, now],
            );
            match res {
                Ok(_) => {}
                Err(e) if sqlite_foreign_key_violation(&e) => return Err(StoreError::NotFound),
                Err(e) => return Err(e.into()),
            }
            record_event(&tx, g.id, GroupEventKind::Created, &[], Some(&g.name), &now)?;
            let added = add_members(&tx, g.id, &photos, &now)?;
            if !added.is_empty() {
                record_event(&tx, g.id, GroupEventKind::PhotosAdded, &added, None, &now)?;
            }
            tx.commit()?;
            Ok(())
        })
        .await?;
        self.group_read(group.id).await
    }

    async fn group(&self, id: GroupId) -> StoreResult<Group> {
        self.group_read(id).await
    }

    async fn groups(&self, owner: UserId, source: Option<GroupSource>) -> StoreResult<Vec<Group>> {
        let rows = sqlx::query(&format!(
            "SELECT {GROUP_COLS} FROM photo_groups g WHERE g.owner_id = ?1 AND (?2 IS NULL OR g.source = ?2) ORDER BY g.created_at DESC, g.id"
        ))
        .bind(owner.0)
        .bind(source.map(GroupSource::as_str))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(group_from).collect::<sqlx::Result<_>>()?)
    }

    async fn group_photo_ids(&self, id: GroupId) -> StoreResult<Vec<PhotoId>> {
        let ids: Vec<uuid::Uuid> = sqlx::query_scalar(
            "SELECT photo_id FROM group_photos WHERE group_id = ? ORDER BY position",
        )
        .bind(id.0)
        .fetch_all(&self.pool)
        .await?;
        Ok(ids.into_iter().map(PhotoId).collect())
    }

    async fn add_to_group(
        &self,
        id: GroupId,
        photos: &[PhotoId],
        now: DateTime<Utc>,
    ) -> StoreResult<Group> {
        let photos = photos.to_vec();
        self.write(move |c| {
            let tx = c.transaction()?;
            let now = ts(now);
            let owner = group_owner(&tx, id)?;
            check_owned(&tx, owner, &photos)?;
            let added = add_members(&tx, id, &photos, &now)?;
            if !added.is_empty() {
                record_event(&tx, id, GroupEventKind::PhotosAdded, &added, None, &now)?;
            }
            tx.commit()?;
            Ok(())
        })
        .await?;
        self.group_read(id).await
    }

    async fn remove_from_group(
        &self,
        id: GroupId,
        photo: PhotoId,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        self.write(move |c| {
            let tx = c.transaction()?;
            let now = ts(now);
            group_owner(&tx, id)?;
            let removed = tx.execute("DELETE FROM group_photos WHERE group_id = ? AND photo_id = ?", rusqlite::params![id.0, photo.0])? == 1;
            if removed {
                tx.execute("UPDATE photo_groups SET cover_photo_id = NULL WHERE id = ? AND cover_photo_id = ?", rusqlite::params![id.0, photo.0])?;
                record_event(&tx, id, GroupEventKind::PhotosRemoved, &[photo], None, &now)?;
            }
            tx.commit()?;
            Ok(removed)
        })
        .await
    }

    async fn rename_group(
        &self,
        id: GroupId,
        name: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Group> {
        let name = name.to_owned();
        self.write(move |c| {
            let tx = c.transaction()?;
            let now = ts(now);
            group_owner(&tx, id)?;
            if tx.execute(
                "UPDATE photo_groups SET name = ? WHERE id = ? AND name <> ?",
                rusqlite::params![name, id.0, name],
            )? == 1
            {
                record_event(&tx, id, GroupEventKind::Renamed, &[], Some(&name), &now)?;
            }
            tx.commit()?;
            Ok(())
        })
        .await?;
        self.group_read(id).await
    }

    async fn group_events(
        &self,
        id: GroupId,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<GroupEvent>> {
        let rows = sqlx::query(
            "SELECT id, group_id, kind, photo_ids, detail, photo_count, created_at FROM group_events \
             WHERE group_id = ? AND id > ? ORDER BY id LIMIT ?",
        )
        .bind(id.0)
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(event_from).collect::<sqlx::Result<_>>()?)
    }

    async fn latest_group_event(&self, id: GroupId) -> StoreResult<i64> {
        Ok(
            sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM group_events WHERE group_id = ?")
                .bind(id.0)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    async fn proactive_book(&self, group: GroupId) -> StoreResult<Option<(ProjectId, i64)>> {
        let row =
            sqlx::query("SELECT project_id, last_event_id FROM proactive_books WHERE group_id = ?")
                .bind(group.0)
                .fetch_optional(&self.pool)
                .await?;
        Ok(match row {
            Some(r) => Some((
                ProjectId(r.try_get("project_id")?),
                r.try_get("last_event_id")?,
            )),
            None => None,
        })
    }

    async fn insert_proactive_book(
        &self,
        group: GroupId,
        project: ProjectId,
        last_event: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let n = self
            .write(move |c| {
                Ok(c.execute(
                    "INSERT INTO proactive_books (group_id, project_id, last_event_id, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    rusqlite::params![group.0, project.0, last_event, ts(now)],
                )?)
            })
            .await?;
        Ok(n == 1)
    }

    async fn set_proactive_event(&self, group: GroupId, last_event: i64) -> StoreResult<()> {
        self.write(move |c| {
            c.execute("UPDATE proactive_books SET last_event_id = MAX(last_event_id, ?) WHERE group_id = ?", rusqlite::params![last_event, group.0])?;
            Ok(())
        })
        .await
    }

    async fn groups_of_photo(&self, photo: PhotoId) -> StoreResult<Vec<GroupId>> {
        let ids: Vec<uuid::Uuid> = sqlx::query_scalar(
            "SELECT group_id FROM group_photos WHERE photo_id = ? ORDER BY group_id",
        )
        .bind(photo.0)
        .fetch_all(&self.pool)
        .await?;
        Ok(ids.into_iter().map(GroupId).collect())
    }

    async fn set_group_cover(
        &self,
        id: GroupId,
        photo: Option<PhotoId>,
        now: DateTime<Utc>,
    ) -> StoreResult<Group> {
        let n = self
            .write(move |c| {
                Ok(c.execute(
                    "UPDATE photo_groups SET cover_photo_id = ?1, updated_at = ?3 WHERE id = ?2 \
                     AND (?1 IS NULL OR EXISTS (SELECT 1 FROM group_photos WHERE group_id = ?2 AND photo_id = ?1))",
                    rusqlite::params![photo.map(|p| p.0), id.0, ts(now)],
                )?)
            })
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        self.group_read(id).await
    }
}
