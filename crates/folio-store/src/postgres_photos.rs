//! `PhotoStore` on PostgreSQL. Every change to a group first locks the group's row, so one
//! group's events are numbered in the order they commit and a reader that reads a group's
//! events `after` the last id it saw never skips one.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::{Postgres, Row, Transaction};

use super::photos::*;
use super::postgres::PgStore;
use super::{StoreError, StoreResult};
use folio_domain::ids::{GroupId, PhotoId, ProjectId, UserId};

const PHOTO_COLS: &str = "p.id, p.owner_id, p.name, p.remote, p.meta, p.created_at, \
     (SELECT string_agg(tag, E'\\n' ORDER BY tag) FROM photo_tags t WHERE t.photo_id = p.id) AS tags";

const GROUP_COLS: &str = "g.id, g.owner_id, g.source, g.name, g.project_id, g.cover_photo_id, g.created_at, g.updated_at, \
     (SELECT COUNT(*) FROM group_photos gp WHERE gp.group_id = g.id) AS photo_count";

fn decode_err(what: String) -> sqlx::Error {
    sqlx::Error::Decode(what.into())
}

fn is_foreign_key_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_foreign_key_violation())
}

fn photo_from(row: &PgRow) -> sqlx::Result<PhotoRecord> {
    let tags: Option<String> = row.try_get("tags")?;
    Ok(PhotoRecord {
        id: PhotoId(row.try_get("id")?),
        owner_id: UserId(row.try_get("owner_id")?),
        name: row.try_get("name")?,
        remote: row.try_get("remote")?,
        meta: row.try_get("meta")?,
        created_at: row.try_get("created_at")?,
        tags: tags
            .map(|t| t.split('\n').map(str::to_owned).collect())
            .unwrap_or_default(),
    })
}

fn group_from(row: &PgRow) -> sqlx::Result<Group> {
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

fn event_from(row: &PgRow) -> sqlx::Result<GroupEvent> {
    let kind: String = row.try_get("kind")?;
    let ids: serde_json::Value = row.try_get("photo_ids")?;
    Ok(GroupEvent {
        id: row.try_get("id")?,
        group_id: GroupId(row.try_get("group_id")?),
        kind: GroupEventKind::parse(&kind)
            .ok_or_else(|| decode_err(format!("unknown group event {kind:?}")))?,
        photo_ids: serde_json::from_value(ids).map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        detail: row.try_get("detail")?,
        photo_count: row.try_get::<i32, _>("photo_count")? as i64,
        created_at: row.try_get("created_at")?,
    })
}

type Tx = Transaction<'static, Postgres>;

/// Locks the group's row for the rest of the transaction and returns its owner.
async fn lock_group(tx: &mut Tx, group: GroupId) -> StoreResult<UserId> {
    sqlx::query_scalar("SELECT owner_id FROM photo_groups WHERE id = $1 FOR UPDATE")
        .bind(group.0)
        .fetch_optional(&mut **tx)
        .await?
        .map(UserId)
        .ok_or(StoreError::NotFound)
}

async fn check_owned(tx: &mut Tx, owner: UserId, photos: &[PhotoId]) -> StoreResult<()> {
    let ids: Vec<uuid::Uuid> = photos.iter().map(|p| p.0).collect();
    let owned: i64 = sqlx::query_scalar(
        "SELECT COUNT(DISTINCT id) FROM photos WHERE id = ANY($1) AND owner_id = $2",
    )
    .bind(&ids)
    .bind(owner.0)
    .fetch_one(&mut **tx)
    .await?;
    let distinct = ids.iter().collect::<std::collections::HashSet<_>>().len() as i64;
    if owned != distinct {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

async fn add_members(
    tx: &mut Tx,
    group: GroupId,
    photos: &[PhotoId],
    now: DateTime<Utc>,
) -> StoreResult<Vec<PhotoId>> {
    let mut next: i32 = sqlx::query_scalar(
        "SELECT COALESCE(MAX(position), 0) FROM group_photos WHERE group_id = $1",
    )
    .bind(group.0)
    .fetch_one(&mut **tx)
    .await?;
    let mut added = Vec::new();
    for p in photos {
        next += 1;
        let done = sqlx::query("INSERT INTO group_photos (group_id, photo_id, position, added_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
            .bind(group.0)
            .bind(p.0)
            .bind(next)
            .bind(now)
            .execute(&mut **tx)
            .await?;
        if done.rows_affected() == 1 {
            added.push(*p);
        }
    }
    Ok(added)
}

async fn record_event(
    tx: &mut Tx,
    group: GroupId,
    kind: GroupEventKind,
    photos: &[PhotoId],
    detail: Option<&str>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO group_events (group_id, kind, photo_ids, detail, photo_count, created_at) \
         VALUES ($1, $2, $3, $4, (SELECT COUNT(*) FROM group_photos WHERE group_id = $1), $5)",
    )
    .bind(group.0)
    .bind(kind.as_str())
    .bind(serde_json::to_value(photos).expect("ids serialise"))
    .bind(detail)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE photo_groups SET updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(group.0)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn photo_owner(tx: &mut Tx, photo: PhotoId) -> StoreResult<UserId> {
    sqlx::query_scalar("SELECT owner_id FROM photos WHERE id = $1 FOR UPDATE")
        .bind(photo.0)
        .fetch_optional(&mut **tx)
        .await?
        .map(UserId)
        .ok_or(StoreError::NotFound)
}

impl PgStore {
    async fn group_read(&self, id: GroupId) -> StoreResult<Group> {
        let row = sqlx::query(&format!(
            "SELECT {GROUP_COLS} FROM photo_groups g WHERE g.id = $1"
        ))
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok(group_from(&row)?)
    }
}

#[async_trait]
impl PhotoStore for PgStore {
    async fn insert_photo(&self, p: &PhotoRecord) -> StoreResult<()> {
        let res = sqlx::query("INSERT INTO photos (id, owner_id, name, remote, meta, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(p.id.0)
            .bind(p.owner_id.0)
            .bind(&p.name)
            .bind(p.remote)
            .bind(&p.meta)
            .bind(p.created_at)
            .execute(&self.pool)
            .await;
        match res {
            Ok(_) => Ok(()),
            Err(e) if is_foreign_key_violation(&e) => Err(StoreError::NotFound),
            Err(e) => Err(e.into()),
        }
    }

    async fn delete_photo(&self, id: PhotoId) -> StoreResult<()> {
        sqlx::query("DELETE FROM photos WHERE id = $1")
            .bind(id.0)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn photo(&self, id: PhotoId) -> StoreResult<PhotoRecord> {
        let row = sqlx::query(&format!(
            "SELECT {PHOTO_COLS} FROM photos p WHERE p.id = $1"
        ))
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok(photo_from(&row)?)
    }

    async fn photos(&self, owner: UserId, filter: &PhotoFilter) -> StoreResult<Vec<PhotoRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {PHOTO_COLS} FROM photos p WHERE p.owner_id = $1 \
             AND ($2::uuid IS NULL OR EXISTS (SELECT 1 FROM group_photos gp WHERE gp.group_id = $2 AND gp.photo_id = p.id)) \
             AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM photo_tags t WHERE t.photo_id = p.id AND t.tag = $3)) \
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
             WHERE gp.photo_id = p.id AND g.source = 'share' AND g.project_id = $1) ORDER BY p.seq"
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
             WHERE gp.photo_id = $1 AND g.source = 'share' AND m.user_id = $2)",
        )
        .bind(photo.0)
        .bind(user.0)
        .fetch_one(&self.pool)
        .await?)
    }

    async fn common_projects(&self, a: UserId, b: UserId) -> StoreResult<Vec<ProjectId>> {
        let ids: Vec<uuid::Uuid> = sqlx::query_scalar(
            "SELECT ma.project_id FROM members ma JOIN members mb ON mb.project_id = ma.project_id \
             WHERE ma.user_id = $1 AND mb.user_id = $2 ORDER BY ma.project_id",
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
        let ids: Vec<uuid::Uuid> = photos.iter().map(|p| p.0).collect();
        let res = sqlx::query(
            "INSERT INTO photo_placements (project_id, photo_id, placed_by, created_at) \
             SELECT $1, p.id, $3, $4 FROM photos p WHERE p.id = ANY($2) \
             ON CONFLICT (project_id, photo_id) DO NOTHING",
        )
        .bind(project.0)
        .bind(&ids)
        .bind(by.map(|u| u.0))
        .bind(now)
        .execute(&self.pool)
        .await;
        match res {
            Ok(_) => Ok(()),
            Err(e) if is_foreign_key_violation(&e) => Err(StoreError::NotFound),
            Err(e) => Err(e.into()),
        }
    }

    async fn placement_recorded(&self, project: ProjectId, photo: PhotoId) -> StoreResult<bool> {
        Ok(sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM photo_placements WHERE project_id = $1 AND photo_id = $2)")
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
        let mut tx = self.pool.begin().await?;
        let owner = photo_owner(&mut tx, photo).await?;
        for tag in tags {
            let new = sqlx::query(
                "INSERT INTO photo_tags (photo_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            )
            .bind(photo.0)
            .bind(tag)
            .execute(&mut *tx)
            .await?;
            if new.rows_affected() == 0 {
                continue;
            }
            let holders: Vec<uuid::Uuid> = sqlx::query_scalar(
                "SELECT group_id FROM group_photos WHERE photo_id = $1 ORDER BY group_id",
            )
            .bind(photo.0)
            .fetch_all(&mut *tx)
            .await?;
            let created: Option<uuid::Uuid> = sqlx::query_scalar(
                "INSERT INTO photo_groups (id, owner_id, source, name, created_at, updated_at) VALUES ($1, $2, 'tag', $3, $4, $4) \
                 ON CONFLICT (owner_id, name) WHERE source = 'tag' DO NOTHING RETURNING id",
            )
            .bind(GroupId::new().0)
            .bind(owner.0)
            .bind(tag)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
            let group = match created {
                Some(id) => {
                    lock_group(&mut tx, GroupId(id)).await?;
                    record_event(
                        &mut tx,
                        GroupId(id),
                        GroupEventKind::Created,
                        &[],
                        Some(tag),
                        now,
                    )
                    .await?;
                    GroupId(id)
                }
                None => {
                    let id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM photo_groups WHERE owner_id = $1 AND source = 'tag' AND name = $2 FOR UPDATE")
                        .bind(owner.0)
                        .bind(tag)
                        .fetch_one(&mut *tx)
                        .await?;
                    GroupId(id)
                }
            };
            let added = add_members(&mut tx, group, &[photo], now).await?;
            if !added.is_empty() {
                record_event(
                    &mut tx,
                    group,
                    GroupEventKind::PhotosAdded,
                    &added,
                    None,
                    now,
                )
                .await?;
            }
            for holder in holders.into_iter().map(GroupId).filter(|g| *g != group) {
                lock_group(&mut tx, holder).await?;
                record_event(
                    &mut tx,
                    holder,
                    GroupEventKind::TagAdded,
                    &[photo],
                    Some(tag),
                    now,
                )
                .await?;
            }
        }
        tx.commit().await?;
        self.photo(photo).await
    }

    async fn remove_tag(
        &self,
        photo: PhotoId,
        tag: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<PhotoRecord> {
        let mut tx = self.pool.begin().await?;
        let owner = photo_owner(&mut tx, photo).await?;
        let gone = sqlx::query("DELETE FROM photo_tags WHERE photo_id = $1 AND tag = $2")
            .bind(photo.0)
            .bind(tag)
            .execute(&mut *tx)
            .await?;
        if gone.rows_affected() == 1 {
            let group: Option<uuid::Uuid> = sqlx::query_scalar("SELECT id FROM photo_groups WHERE owner_id = $1 AND source = 'tag' AND name = $2 FOR UPDATE")
                .bind(owner.0)
                .bind(tag)
                .fetch_optional(&mut *tx)
                .await?;
            if let Some(group) = group.map(GroupId) {
                let out =
                    sqlx::query("DELETE FROM group_photos WHERE group_id = $1 AND photo_id = $2")
                        .bind(group.0)
                        .bind(photo.0)
                        .execute(&mut *tx)
                        .await?;
                if out.rows_affected() == 1 {
                    record_event(
                        &mut tx,
                        group,
                        GroupEventKind::PhotosRemoved,
                        &[photo],
                        None,
                        now,
                    )
                    .await?;
                }
            }
        }
        tx.commit().await?;
        self.photo(photo).await
    }

    async fn create_group(
        &self,
        g: &NewGroup,
        photos: &[PhotoId],
        now: DateTime<Utc>,
    ) -> StoreResult<Group> {
        let mut tx = self.pool.begin().await?;
        check_owned(&mut tx, g.owner_id, photos).await?;
        let res = sqlx::query(
            "INSERT INTO photo_groups (id, owner_id, source, name, project_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(g.id.0)
        .bind(g.owner_id.0)
        .bind(g.source.as_str())
        .bind(&g.name)
        .bind(g.project_id.map(|p| p.0))
        .bind(now)
        .execute(&mut *tx)
        .await;
        match res {
            Ok(_) => {}
            Err(e) if is_foreign_key_violation(&e) => return Err(StoreError::NotFound),
            Err(e) => return Err(e.into()),
        }
        record_event(
            &mut tx,
            g.id,
            GroupEventKind::Created,
            &[],
            Some(&g.name),
            now,
        )
        .await?;
        let added = add_members(&mut tx, g.id, photos, now).await?;
        if !added.is_empty() {
            record_event(
                &mut tx,
                g.id,
                GroupEventKind::PhotosAdded,
                &added,
                None,
                now,
            )
            .await?;
        }
        tx.commit().await?;
        self.group_read(g.id).await
    }

    async fn group(&self, id: GroupId) -> StoreResult<Group> {
        self.group_read(id).await
    }

    async fn groups(&self, owner: UserId, source: Option<GroupSource>) -> StoreResult<Vec<Group>> {
        let rows = sqlx::query(&format!(
            "SELECT {GROUP_COLS} FROM photo_groups g WHERE g.owner_id = $1 AND ($2::text IS NULL OR g.source = $2) ORDER BY g.created_at DESC, g.id"
        ))
        .bind(owner.0)
        .bind(source.map(GroupSource::as_str))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(group_from).collect::<sqlx::Result<_>>()?)
    }

    async fn group_photo_ids(&self, id: GroupId) -> StoreResult<Vec<PhotoId>> {
        let ids: Vec<uuid::Uuid> = sqlx::query_scalar(
            "SELECT photo_id FROM group_photos WHERE group_id = $1 ORDER BY position",
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
        let mut tx = self.pool.begin().await?;
        let owner = lock_group(&mut tx, id).await?;
        check_owned(&mut tx, owner, photos).await?;
        let added = add_members(&mut tx, id, photos, now).await?;
        if !added.is_empty() {
            record_event(&mut tx, id, GroupEventKind::PhotosAdded, &added, None, now).await?;
        }
        tx.commit().await?;
        self.group_read(id).await
    }

    async fn remove_from_group(
        &self,
        id: GroupId,
        photo: PhotoId,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        lock_group(&mut tx, id).await?;
        let out = sqlx::query("DELETE FROM group_photos WHERE group_id = $1 AND photo_id = $2")
            .bind(id.0)
            .bind(photo.0)
            .execute(&mut *tx)
            .await?;
        let removed = out.rows_affected() == 1;
        if removed {
            sqlx::query("UPDATE photo_groups SET cover_photo_id = NULL WHERE id = $1 AND cover_photo_id = $2")
                .bind(id.0)
                .bind(photo.0)
                .execute(&mut *tx)
                .await?;
            record_event(
                &mut tx,
                id,
                GroupEventKind::PhotosRemoved,
                &[photo],
                None,
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(removed)
    }

    async fn rename_group(
        &self,
        id: GroupId,
        name: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Group> {
        let mut tx = self.pool.begin().await?;
        lock_group(&mut tx, id).await?;
        let out = sqlx::query("UPDATE photo_groups SET name = $1 WHERE id = $2 AND name <> $1")
            .bind(name)
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        if out.rows_affected() == 1 {
            record_event(&mut tx, id, GroupEventKind::Renamed, &[], Some(name), now).await?;
        }
        tx.commit().await?;
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
             WHERE group_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        )
        .bind(id.0)
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(event_from).collect::<sqlx::Result<_>>()?)
    }

    async fn latest_group_event(&self, id: GroupId) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COALESCE(MAX(id), 0)::BIGINT FROM group_events WHERE group_id = $1",
        )
        .bind(id.0)
        .fetch_one(&self.pool)
        .await?)
    }

    async fn proactive_book(&self, group: GroupId) -> StoreResult<Option<(ProjectId, i64)>> {
        let row = sqlx::query(
            "SELECT project_id, last_event_id FROM proactive_books WHERE group_id = $1",
        )
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
        let done = sqlx::query("INSERT INTO proactive_books (group_id, project_id, last_event_id, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
            .bind(group.0)
            .bind(project.0)
            .bind(last_event)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn set_proactive_event(&self, group: GroupId, last_event: i64) -> StoreResult<()> {
        sqlx::query("UPDATE proactive_books SET last_event_id = GREATEST(last_event_id, $1) WHERE group_id = $2").bind(last_event).bind(group.0).execute(&self.pool).await?;
        Ok(())
    }

    async fn groups_of_photo(&self, photo: PhotoId) -> StoreResult<Vec<GroupId>> {
        let ids: Vec<uuid::Uuid> = sqlx::query_scalar(
            "SELECT group_id FROM group_photos WHERE photo_id = $1 ORDER BY group_id",
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
        let done = sqlx::query(
            "UPDATE photo_groups SET cover_photo_id = $1, updated_at = $3 WHERE id = $2 \
             AND ($1::uuid IS NULL OR EXISTS (SELECT 1 FROM group_photos WHERE group_id = $2 AND photo_id = $1))",
        )
        .bind(photo.map(|p| p.0))
        .bind(id.0)
        .bind(now)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        self.group_read(id).await
    }
}
