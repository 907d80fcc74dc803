//! `PhotoStore` (photos, tags, groups and their events, placements, proactive books),
//! written once for both databases; its transactions are made of the steps in
//! `photo_steps.rs`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;

use super::photo_steps::GROUP_COLS;
use super::reads::{fk_not_found, found};
use crate::dialect::Dialect;
use crate::photos::*;
use crate::rows::Rows;
use crate::{PgStore, SqliteStore, StoreResult};
use folio_domain::ids::{GroupId, PhotoId, ProjectId, UserId};

fn photo_cols<D: Dialect>() -> String {
    format!(
        "p.id, p.owner_id, p.name, p.remote, p.meta{} AS meta, p.created_at, {} AS tags",
        D::JSON_TEXT,
        D::TAGS
    )
}

macro_rules! photos_body {
    ($store:ty) => {
        #[async_trait]
        impl PhotoStore for $store {
            async fn insert_photo(&self, p: &PhotoRecord) -> StoreResult<()> {
                let res = sqlx::query(&format!(
                    "INSERT INTO photos (id, owner_id, name, remote, meta, created_at, seq) \
                     VALUES ($1, $2, $3, $4, $5{}, $6, {})",
                    <$store as Dialect>::TEXT_JSON,
                    <$store as Dialect>::NEXT_PHOTO_SEQ
                ))
                .bind(p.id.0)
                .bind(p.owner_id.0)
                .bind(&p.name)
                .bind(p.remote)
                .bind(p.meta.to_string())
                .bind(p.created_at)
                .execute(&mut *self.writer().await?)
                .await;
                fk_not_found(res).map(drop)
            }

            async fn delete_photo(&self, id: PhotoId) -> StoreResult<()> {
                sqlx::query("DELETE FROM photos WHERE id = $1")
                    .bind(id.0)
                    .execute(&mut *self.writer().await?)
                    .await?;
                Ok(())
            }

            async fn photo(&self, id: PhotoId) -> StoreResult<PhotoRecord> {
                let cols = photo_cols::<$store>();
                self.one(&format!("SELECT {cols} FROM photos p WHERE p.id = $1"), id.0, Rows::photo)
                    .await
            }

            async fn photos(&self, owner: UserId, filter: &PhotoFilter) -> StoreResult<Vec<PhotoRecord>> {
                let cols = photo_cols::<$store>();
                let rows = sqlx::query(&format!(
                    "SELECT {cols} FROM photos p WHERE p.owner_id = $1 \
                     AND ($2 IS NULL OR EXISTS (SELECT 1 FROM group_photos gp WHERE gp.group_id = $2 AND gp.photo_id = p.id)) \
                     AND ($3 IS NULL OR EXISTS (SELECT 1 FROM photo_tags t WHERE t.photo_id = p.id AND t.tag = $3)) \
                     ORDER BY p.seq"
                ))
                .bind(owner.0)
                .bind(filter.group.map(|g| g.0))
                .bind(filter.tag.as_deref())
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.iter().map(|r| r.photo()).collect::<sqlx::Result<_>>()?)
            }

            async fn photos_shared_with(&self, project: ProjectId) -> StoreResult<Vec<PhotoRecord>> {
                let cols = photo_cols::<$store>();
                let sql = format!(
                    "SELECT {cols} FROM photos p WHERE EXISTS (SELECT 1 FROM group_photos gp \
                     JOIN photo_groups g ON g.id = gp.group_id \
                     WHERE gp.photo_id = p.id AND g.source = 'share' AND g.project_id = $1) ORDER BY p.seq"
                );
                self.all(&sql, project.0, Rows::photo).await
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
                // The WHERE also keeps SQLite from reading ON CONFLICT as a join constraint.
                let res = sqlx::query(&format!(
                    "INSERT INTO photo_placements (project_id, photo_id, placed_by, created_at) \
                     SELECT $1, p.id, $3, $4 FROM photos p WHERE p.id {} \
                     ON CONFLICT (project_id, photo_id) DO NOTHING",
                    <$store as Dialect>::in_ids("$2")
                ))
                .bind(project.0)
                .bind(<$store as Dialect>::id_list(&ids))
                .bind(by.map(|u| u.0))
                .bind(now)
                .execute(&mut *self.writer().await?)
                .await;
                fk_not_found(res).map(drop)
            }

            async fn placement_recorded(&self, project: ProjectId, photo: PhotoId) -> StoreResult<bool> {
                Ok(sqlx::query_scalar(
                    "SELECT EXISTS (SELECT 1 FROM photo_placements WHERE project_id = $1 AND photo_id = $2)",
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
                let mut tx = self.write_tx().await?;
                let owner = Self::lock_photo(&mut tx, photo).await?;
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
                    // Groups that held the photo before it joins the tag's own group.
                    let holders: Vec<uuid::Uuid> = sqlx::query_scalar(
                        "SELECT group_id FROM group_photos WHERE photo_id = $1 ORDER BY group_id",
                    )
                    .bind(photo.0)
                    .fetch_all(&mut *tx)
                    .await?;
                    let created: Option<uuid::Uuid> = sqlx::query_scalar(
                        "INSERT INTO photo_groups (id, owner_id, source, name, created_at, updated_at) \
                         VALUES ($1, $2, 'tag', $3, $4, $4) \
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
                            let id = GroupId(id);
                            Self::lock_group(&mut tx, id).await?;
                            Self::record_event(&mut tx, id, GroupEventKind::Created, &[], Some(tag), now)
                                .await?;
                            id
                        }
                        None => GroupId(
                            sqlx::query_scalar(&format!(
                                "SELECT id FROM photo_groups WHERE owner_id = $1 AND source = 'tag' AND name = $2{}",
                                <$store as Dialect>::FOR_UPDATE
                            ))
                            .bind(owner.0)
                            .bind(tag)
                            .fetch_one(&mut *tx)
                            .await?,
                        ),
                    };
                    let added = Self::add_members(&mut tx, group, &[photo], now).await?;
                    if !added.is_empty() {
                        Self::record_event(&mut tx, group, GroupEventKind::PhotosAdded, &added, None, now)
                            .await?;
                    }
                    for holder in holders.into_iter().map(GroupId).filter(|g| *g != group) {
                        Self::lock_group(&mut tx, holder).await?;
                        Self::record_event(&mut tx, holder, GroupEventKind::TagAdded, &[photo], Some(tag), now)
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
                let mut tx = self.write_tx().await?;
                let owner = Self::lock_photo(&mut tx, photo).await?;
                let gone = sqlx::query("DELETE FROM photo_tags WHERE photo_id = $1 AND tag = $2")
                    .bind(photo.0)
                    .bind(tag)
                    .execute(&mut *tx)
                    .await?;
                if gone.rows_affected() == 1 {
                    let group: Option<uuid::Uuid> = sqlx::query_scalar(&format!(
                        "SELECT id FROM photo_groups WHERE owner_id = $1 AND source = 'tag' AND name = $2{}",
                        <$store as Dialect>::FOR_UPDATE
                    ))
                    .bind(owner.0)
                    .bind(tag)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if let Some(group) = group.map(GroupId) {
                        let out = sqlx::query("DELETE FROM group_photos WHERE group_id = $1 AND photo_id = $2")
                            .bind(group.0)
                            .bind(photo.0)
                            .execute(&mut *tx)
                            .await?;
                        if out.rows_affected() == 1 {
                            Self::record_event(&mut tx, group, GroupEventKind::PhotosRemoved, &[photo], None, now)
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
                let mut tx = self.write_tx().await?;
                Self::check_owned(&mut tx, g.owner_id, photos).await?;
                let res = sqlx::query(
                    "INSERT INTO photo_groups (id, owner_id, source, name, project_id, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $6)",
                )
                .bind(g.id.0)
                .bind(g.owner_id.0)
                .bind(g.source.as_str())
                .bind(&g.name)
                .bind(g.project_id.map(|p| p.0))
                .bind(now)
                .execute(&mut *tx)
                .await;
                fk_not_found(res)?;
                Self::record_event(&mut tx, g.id, GroupEventKind::Created, &[], Some(&g.name), now).await?;
                let added = Self::add_members(&mut tx, g.id, photos, now).await?;
                if !added.is_empty() {
                    Self::record_event(&mut tx, g.id, GroupEventKind::PhotosAdded, &added, None, now).await?;
                }
                tx.commit().await?;
                self.group_read(g.id).await
            }

            async fn group(&self, id: GroupId) -> StoreResult<Group> {
                self.group_read(id).await
            }

            async fn groups(&self, owner: UserId, source: Option<GroupSource>) -> StoreResult<Vec<Group>> {
                let rows = sqlx::query(&format!(
                    "SELECT {GROUP_COLS} FROM photo_groups g WHERE g.owner_id = $1 AND ($2 IS NULL OR g.source = $2) \
                     ORDER BY g.created_at DESC, g.id"
                ))
                .bind(owner.0)
                .bind(source.map(GroupSource::as_str))
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.iter().map(|r| r.group()).collect::<sqlx::Result<_>>()?)
            }

            async fn group_photo_ids(&self, id: GroupId) -> StoreResult<Vec<PhotoId>> {
                let sql = "SELECT photo_id FROM group_photos WHERE group_id = $1 ORDER BY position";
                Ok(self.ids(sql, id.0).await?.into_iter().map(PhotoId).collect())
            }

            async fn add_to_group(
                &self,
                id: GroupId,
                photos: &[PhotoId],
                now: DateTime<Utc>,
            ) -> StoreResult<Group> {
                let mut tx = self.write_tx().await?;
                let owner = Self::lock_group(&mut tx, id).await?;
                Self::check_owned(&mut tx, owner, photos).await?;
                let added = Self::add_members(&mut tx, id, photos, now).await?;
                if !added.is_empty() {
                    Self::record_event(&mut tx, id, GroupEventKind::PhotosAdded, &added, None, now).await?;
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
                let mut tx = self.write_tx().await?;
                Self::lock_group(&mut tx, id).await?;
                let out = sqlx::query("DELETE FROM group_photos WHERE group_id = $1 AND photo_id = $2")
                    .bind(id.0)
                    .bind(photo.0)
                    .execute(&mut *tx)
                    .await?;
                let removed = out.rows_affected() == 1;
                if removed {
                    sqlx::query(
                        "UPDATE photo_groups SET cover_photo_id = NULL WHERE id = $1 AND cover_photo_id = $2",
                    )
                    .bind(id.0)
                    .bind(photo.0)
                    .execute(&mut *tx)
                    .await?;
                    Self::record_event(&mut tx, id, GroupEventKind::PhotosRemoved, &[photo], None, now).await?;
                }
                tx.commit().await?;
                Ok(removed)
            }

            async fn rename_group(&self, id: GroupId, name: &str, now: DateTime<Utc>) -> StoreResult<Group> {
                let mut tx = self.write_tx().await?;
                Self::lock_group(&mut tx, id).await?;
                let out = sqlx::query("UPDATE photo_groups SET name = $1 WHERE id = $2 AND name <> $1")
                    .bind(name)
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?;
                if out.rows_affected() == 1 {
                    Self::record_event(&mut tx, id, GroupEventKind::Renamed, &[], Some(name), now).await?;
                }
                tx.commit().await?;
                self.group_read(id).await
            }

            async fn set_group_cover(
                &self,
                id: GroupId,
                photo: Option<PhotoId>,
                now: DateTime<Utc>,
            ) -> StoreResult<Group> {
                found(sqlx::query(
                    "UPDATE photo_groups SET cover_photo_id = $1, updated_at = $3 WHERE id = $2 \
                     AND ($1 IS NULL OR EXISTS (SELECT 1 FROM group_photos WHERE group_id = $2 AND photo_id = $1))",
                )
                .bind(photo.map(|p| p.0))
                .bind(id.0)
                .bind(now)
                .execute(&mut *self.writer().await?)
                .await?.rows_affected())?;
                self.group_read(id).await
            }

            async fn group_events(&self, id: GroupId, after: i64, limit: i64) -> StoreResult<Vec<GroupEvent>> {
                let rows = sqlx::query(&format!(
                    "SELECT id, group_id, kind, photo_ids{} AS photo_ids, detail, photo_count, created_at \
                     FROM group_events WHERE group_id = $1 AND id > $2 ORDER BY id LIMIT $3",
                    <$store as Dialect>::JSON_TEXT
                ))
                .bind(id.0)
                .bind(after)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.iter().map(|r| r.group_event()).collect::<sqlx::Result<_>>()?)
            }

            async fn groups_of_photo(&self, photo: PhotoId) -> StoreResult<Vec<GroupId>> {
                let sql = "SELECT group_id FROM group_photos WHERE photo_id = $1 ORDER BY group_id";
                Ok(self.ids(sql, photo.0).await?.into_iter().map(GroupId).collect())
            }

            async fn latest_group_event(&self, id: GroupId) -> StoreResult<i64> {
                Ok(sqlx::query_scalar(
                    "SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM group_events WHERE group_id = $1",
                )
                .bind(id.0)
                .fetch_one(&self.pool)
                .await?)
            }

            async fn proactive_book(&self, group: GroupId) -> StoreResult<Option<(ProjectId, i64)>> {
                let row = sqlx::query("SELECT project_id, last_event_id FROM proactive_books WHERE group_id = $1")
                    .bind(group.0)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(match row {
                    Some(r) => Some((ProjectId(r.try_get("project_id")?), r.try_get("last_event_id")?)),
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
                let done = sqlx::query(
                    "INSERT INTO proactive_books (group_id, project_id, last_event_id, created_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                )
                .bind(group.0)
                .bind(project.0)
                .bind(last_event)
                .bind(now)
                .execute(&mut *self.writer().await?)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn set_proactive_event(&self, group: GroupId, last_event: i64) -> StoreResult<()> {
                sqlx::query(&format!(
                    "UPDATE proactive_books SET last_event_id = {}(last_event_id, $1) WHERE group_id = $2",
                    <$store as Dialect>::GREATEST
                ))
                .bind(last_event)
                .bind(group.0)
                .execute(&mut *self.writer().await?)
                .await?;
                Ok(())
            }
        }
    };
}

photos_body!(SqliteStore);
photos_body!(PgStore);
