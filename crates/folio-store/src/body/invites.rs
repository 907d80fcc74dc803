//! `InviteStore`, written once for both databases. An accept is one write transaction that
//! reads the invite and the maker's and joiner's memberships with `FOR UPDATE` / `FOR SHARE`
//! on PostgreSQL, so concurrent accepts of one link on any number of nodes count its uses
//! one at a time; on SQLite the write transaction holds the whole file.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::reads::{fk_not_found, found};
use crate::dialect::Dialect;
use crate::invites::*;
use crate::rows::Rows;
use crate::{PgStore, SqliteStore, StoreError, StoreResult, User};
use folio_domain::access::Role;
use folio_domain::ids::{InviteId, NotificationId, ProjectId, UserId};

const INVITES: &str = "SELECT id, project_id, role, created_by, email, created_at, expires_at, max_uses, uses, revoked_at FROM invites";

macro_rules! insert_notification {
    ($store:ty, $n:expr) => {
        sqlx::query(&format!(
            "INSERT INTO notifications (id, user_id, kind, data, created_at) VALUES ($1, $2, $3, $4{}, $5)",
            <$store as Dialect>::TEXT_JSON
        ))
        .bind($n.id.0)
        .bind($n.user_id.0)
        .bind(&$n.kind)
        .bind($n.data.to_string())
        .bind($n.created_at)
    };
}

macro_rules! insert_mail {
    ($m:expr) => {
        sqlx::query("INSERT INTO email_outbox (id, to_email, subject, body, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind($m.id)
            .bind(&$m.to_email)
            .bind(&$m.subject)
            .bind(&$m.body)
            .bind($m.created_at)
    };
}

macro_rules! invites_body {
    ($store:ty) => {
        #[async_trait]
        impl InviteStore for $store {
            async fn create_invite(
                &self,
                i: &Invite,
                token_hash: &[u8],
                mail: Option<&OutboxMail>,
            ) -> StoreResult<()> {
                let mut tx = self.write_tx().await?;
                let res = sqlx::query(
                    "INSERT INTO invites (id, project_id, token_hash, role, created_by, email, created_at, expires_at, max_uses, uses) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0)",
                )
                .bind(i.id.0)
                .bind(i.project_id.0)
                .bind(token_hash)
                .bind(i.role.as_str())
                .bind(i.created_by.0)
                .bind(&i.email)
                .bind(i.created_at)
                .bind(i.expires_at.map(<$store as Dialect>::instant))
                .bind(i.max_uses)
                .execute(&mut *tx)
                .await;
                fk_not_found(res)?;
                if let Some(m) = mail {
                    insert_mail!(m).execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn invites(&self, project: ProjectId) -> StoreResult<Vec<Invite>> {
                let sql = format!("{INVITES} WHERE project_id = $1 ORDER BY created_at DESC, id");
                self.all(&sql, project.0, Rows::invite).await
            }

            async fn invite_by_token(&self, token_hash: &[u8]) -> StoreResult<Invite> {
                let row = sqlx::query(&format!("{INVITES} WHERE token_hash = $1"))
                    .bind(token_hash)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                Ok(row.invite()?)
            }

            async fn revoke_invite(
                &self,
                project: ProjectId,
                id: InviteId,
                now: DateTime<Utc>,
            ) -> StoreResult<Invite> {
                found(sqlx::query(
                    "UPDATE invites SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2 AND project_id = $3",
                )
                .bind(now)
                .bind(id.0)
                .bind(project.0)
                .execute(&mut *self.writer().await?)
                .await?
                .rows_affected())?;
                let row = sqlx::query(&format!("{INVITES} WHERE id = $1"))
                    .bind(id.0)
                    .fetch_one(&self.pool)
                    .await?;
                Ok(row.invite()?)
            }

            async fn accept_invite(
                &self,
                token_hash: &[u8],
                user: UserId,
                now: DateTime<Utc>,
                notify: &Notification,
            ) -> StoreResult<(Invite, AcceptOutcome)> {
                let mut tx = self.write_tx().await?;
                let row = sqlx::query(&format!(
                    "{INVITES} WHERE token_hash = $1{}",
                    <$store as Dialect>::FOR_UPDATE
                ))
                .bind(token_hash)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
                let mut invite = row.invite()?;
                if let Some(why) = invite.refusal(now) {
                    return Ok((invite, AcceptOutcome::Refused(why)));
                }
                // The link acts for its maker: never past their membership, nor above their
                // role. The maker's row is locked so a concurrent removal or demotion lands
                // before or after.
                let maker: Option<String> = sqlx::query_scalar(&format!(
                    "SELECT role FROM members WHERE project_id = $1 AND user_id = $2{}",
                    <$store as Dialect>::FOR_SHARE
                ))
                .bind(invite.project_id.0)
                .bind(invite.created_by.0)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(maker) = maker.as_deref().and_then(Role::parse) else {
                    sqlx::query("UPDATE invites SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2")
                        .bind(now)
                        .bind(invite.id.0)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    invite.revoked_at = Some(now);
                    return Ok((invite, AcceptOutcome::Refused(InviteRefusal::Revoked)));
                };
                let grant = invite.role.min(maker);
                let current: Option<String> = sqlx::query_scalar(&format!(
                    "SELECT role FROM members WHERE project_id = $1 AND user_id = $2{}",
                    <$store as Dialect>::FOR_UPDATE
                ))
                .bind(invite.project_id.0)
                .bind(user.0)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some(role) = current.as_deref().and_then(Role::parse) {
                    if role >= grant {
                        return Ok((invite, AcceptOutcome::AlreadyMember(role)));
                    }
                }
                sqlx::query("UPDATE invites SET uses = uses + 1 WHERE id = $1")
                    .bind(invite.id.0)
                    .execute(&mut *tx)
                    .await?;
                invite.uses += 1;
                sqlx::query(
                    "INSERT INTO members (project_id, user_id, role, created_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (project_id, user_id) DO UPDATE SET role = excluded.role",
                )
                .bind(invite.project_id.0)
                .bind(user.0)
                .bind(grant.as_str())
                .bind(now)
                .execute(&mut *tx)
                .await?;
                insert_notification!($store, notify).execute(&mut *tx).await?;
                tx.commit().await?;
                Ok((invite, AcceptOutcome::Joined(grant)))
            }

            async fn insert_notification(&self, n: &Notification) -> StoreResult<()> {
                let res = insert_notification!($store, n)
                    .execute(&mut *self.writer().await?)
                    .await;
                fk_not_found(res).map(drop)
            }

            async fn notifications(&self, user: UserId, limit: i64) -> StoreResult<Vec<Notification>> {
                let rows = sqlx::query(&format!(
                    "SELECT id, user_id, kind, data{} AS data, created_at, read_at FROM notifications \
                     WHERE user_id = $1 ORDER BY created_at DESC, id LIMIT $2",
                    <$store as Dialect>::JSON_TEXT
                ))
                .bind(user.0)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.iter().map(|r| r.notification()).collect::<sqlx::Result<_>>()?)
            }

            async fn mark_read(
                &self,
                user: UserId,
                ids: &[NotificationId],
                now: DateTime<Utc>,
            ) -> StoreResult<u64> {
                let ids: Vec<uuid::Uuid> = ids.iter().map(|i| i.0).collect();
                let done = sqlx::query(&format!(
                    "UPDATE notifications SET read_at = $1 WHERE id {} AND user_id = $3 AND read_at IS NULL",
                    <$store as Dialect>::in_ids("$2")
                ))
                .bind(now)
                .bind(<$store as Dialect>::id_list(&ids))
                .bind(user.0)
                .execute(&mut *self.writer().await?)
                .await?;
                Ok(done.rows_affected())
            }

            async fn queue_mail(&self, m: &OutboxMail) -> StoreResult<()> {
                insert_mail!(m).execute(&mut *self.writer().await?).await?;
                Ok(())
            }

            async fn outbox(&self, limit: i64) -> StoreResult<Vec<OutboxMail>> {
                let rows = sqlx::query(
                    "SELECT id, to_email, subject, body, created_at FROM email_outbox WHERE sent_at IS NULL \
                     ORDER BY created_at, id LIMIT $1",
                )
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.iter().map(|r| r.mail()).collect::<sqlx::Result<_>>()?)
            }

            async fn friends(&self, user: UserId) -> StoreResult<Vec<User>> {
                let sql = "SELECT DISTINCT u.id, u.email, u.name, u.created_at FROM members mine \
                     JOIN members theirs ON theirs.project_id = mine.project_id \
                     JOIN users u ON u.id = theirs.user_id WHERE mine.user_id = $1 AND theirs.user_id <> $1 \
                     ORDER BY u.name, u.id";
                self.all(sql, user.0, Rows::user).await
            }
        }
    };
}

invites_body!(SqliteStore);
invites_body!(PgStore);
