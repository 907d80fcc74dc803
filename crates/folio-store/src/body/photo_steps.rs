//! The steps photo and group changes are made of, each inside the caller's write
//! transaction. Every change to a group first locks the group's row (PostgreSQL; SQLite's
//! write transaction holds the whole file), so one group's events are numbered in the order
//! they commit, and a reader that reads a group's events `after` the last id it saw never
//! skips one.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, SqliteConnection};

use crate::dialect::Dialect;
use crate::photos::{Group, GroupEventKind};
use crate::rows::Rows;
use crate::{PgStore, SqliteStore, StoreError, StoreResult};
use folio_domain::ids::{GroupId, PhotoId, UserId};

pub(crate) const GROUP_COLS: &str = "g.id, g.owner_id, g.source, g.name, g.project_id, g.cover_photo_id, \
     g.created_at, g.updated_at, (SELECT COUNT(*) FROM group_photos gp WHERE gp.group_id = g.id) AS photo_count";

macro_rules! photo_steps {
    ($store:ty, $conn:ty) => {
        impl $store {
            pub(crate) async fn group_read(&self, id: GroupId) -> StoreResult<Group> {
                let sql = format!("SELECT {GROUP_COLS} FROM photo_groups g WHERE g.id = $1");
                self.one(&sql, id.0, Rows::group).await
            }

            /// Locks the group's row for the rest of the transaction and returns its owner.
            pub(crate) async fn lock_group(c: &mut $conn, group: GroupId) -> StoreResult<UserId> {
                Self::lock_owned(c, "photo_groups", group.0).await
            }

            /// Locks the photo's row and returns its owner.
            pub(crate) async fn lock_photo(c: &mut $conn, photo: PhotoId) -> StoreResult<UserId> {
                Self::lock_owned(c, "photos", photo.0).await
            }

            async fn lock_owned(c: &mut $conn, table: &str, id: uuid::Uuid) -> StoreResult<UserId> {
                sqlx::query_scalar(&format!(
                    "SELECT owner_id FROM {table} WHERE id = $1{}",
                    <$store as Dialect>::FOR_UPDATE
                ))
                .bind(id)
                .fetch_optional(&mut *c)
                .await?
                .map(UserId)
                .ok_or(StoreError::NotFound)
            }

            /// `NotFound` unless every photo exists and belongs to `owner`.
            pub(crate) async fn check_owned(
                c: &mut $conn,
                owner: UserId,
                photos: &[PhotoId],
            ) -> StoreResult<()> {
                let mut ids: Vec<uuid::Uuid> = photos.iter().map(|p| p.0).collect();
                ids.sort_unstable();
                ids.dedup();
                let owned: i64 = sqlx::query_scalar(&format!(
                    "SELECT COUNT(*) FROM photos WHERE id {} AND owner_id = $2",
                    <$store as Dialect>::in_ids("$1")
                ))
                .bind(<$store as Dialect>::id_list(&ids))
                .bind(owner.0)
                .fetch_one(&mut *c)
                .await?;
                if owned != ids.len() as i64 {
                    return Err(StoreError::NotFound);
                }
                Ok(())
            }

            /// Adds the photos not already in the group, after its last; returns those added.
            pub(crate) async fn add_members(
                c: &mut $conn,
                group: GroupId,
                photos: &[PhotoId],
                now: DateTime<Utc>,
            ) -> StoreResult<Vec<PhotoId>> {
                let mut next: i32 = sqlx::query_scalar(
                    "SELECT COALESCE(MAX(position), 0) FROM group_photos WHERE group_id = $1",
                )
                .bind(group.0)
                .fetch_one(&mut *c)
                .await?;
                let mut added = Vec::new();
                for p in photos {
                    next += 1;
                    let done = sqlx::query(
                        "INSERT INTO group_photos (group_id, photo_id, position, added_at) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT DO NOTHING",
                    )
                    .bind(group.0)
                    .bind(p.0)
                    .bind(next)
                    .bind(now)
                    .execute(&mut *c)
                    .await?;
                    if done.rows_affected() == 1 {
                        added.push(*p);
                    }
                }
                Ok(added)
            }

            /// Records what happened to the group, with its size after, and touches it.
            pub(crate) async fn record_event(
                c: &mut $conn,
                group: GroupId,
                kind: GroupEventKind,
                photos: &[PhotoId],
                detail: Option<&str>,
                now: DateTime<Utc>,
            ) -> StoreResult<()> {
                sqlx::query(&format!(
                    "INSERT INTO group_events (group_id, kind, photo_ids, detail, photo_count, created_at) \
                     VALUES ($1, $2, $3{}, $4, (SELECT COUNT(*) FROM group_photos WHERE group_id = $1), $5)",
                    <$store as Dialect>::TEXT_JSON
                ))
                .bind(group.0)
                .bind(kind.as_str())
                .bind(serde_json::to_string(photos).expect("ids serialise"))
                .bind(detail)
                .bind(now)
                .execute(&mut *c)
                .await?;
                sqlx::query("UPDATE photo_groups SET updated_at = $1 WHERE id = $2")
                    .bind(now)
                    .bind(group.0)
                    .execute(&mut *c)
                    .await?;
                Ok(())
            }
        }
    };
}

photo_steps!(SqliteStore, SqliteConnection);
photo_steps!(PgStore, PgConnection);
