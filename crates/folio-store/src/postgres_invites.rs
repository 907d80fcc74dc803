//! `InviteStore` on PostgreSQL. An accept locks the invite's row (`FOR UPDATE`) for its
//! transaction, so concurrent accepts of one link on any number of nodes count its uses one
//! at a time.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::Row;

use super::invites::*;
use super::postgres::PgStore;
use super::{StoreError, StoreResult};
use folio_domain::access::Role;
use folio_domain::ids::{InviteId, NotificationId, ProjectId, UserId};

const INVITE_COLS: &str =
    "id, project_id, role, created_by, email, created_at, expires_at, max_uses, uses, revoked_at";

fn is_foreign_key_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_foreign_key_violation())
}

fn invite_from(row: &PgRow) -> sqlx::Result<Invite> {
    let role: String = row.try_get("role")?;
    Ok(Invite {
        id: InviteId(row.try_get("id")?),
        project_id: ProjectId(row.try_get("project_id")?),
        role: Role::parse(&role)
            .ok_or_else(|| sqlx::Error::Decode(format!("unknown role {role:?}").into()))?,
        created_by: UserId(row.try_get("created_by")?),
        email: row.try_get("email")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        max_uses: row.try_get("max_uses")?,
        uses: row.try_get("uses")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

fn notification_from(row: &PgRow) -> sqlx::Result<Notification> {
    Ok(Notification {
        id: NotificationId(row.try_get("id")?),
        user_id: UserId(row.try_get("user_id")?),
        kind: row.try_get("kind")?,
        data: row.try_get("data")?,
        created_at: row.try_get("created_at")?,
        read_at: row.try_get("read_at")?,
    })
}

async fn insert_notification_in<'e, E: sqlx::PgExecutor<'e>>(
    exec: E,
    n: &Notification,
) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO notifications (id, user_id, kind, data, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(n.id.0)
        .bind(n.user_id.0)
        .bind(&n.kind)
        .bind(&n.data)
        .bind(n.created_at)
        .execute(exec)
        .await?;
    Ok(())
}

#[async_trait]
impl InviteStore for PgStore {
    async fn create_invite(
        &self,
        i: &Invite,
        token_hash: &[u8],
        mail: Option<&OutboxMail>,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
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
        .bind(i.expires_at)
        .bind(i.max_uses)
        .execute(&mut *tx)
        .await;
        match res {
            Ok(_) => {}
            Err(e) if is_foreign_key_violation(&e) => return Err(StoreError::NotFound),
            Err(e) => return Err(e.into()),
        }
        if let Some(m) = mail {
            sqlx::query("INSERT INTO email_outbox (id, to_email, subject, body, created_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(m.id)
                .bind(&m.to_email)
                .bind(&m.subject)
                .bind(&m.body)
                .bind(m.created_at)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn invites(&self, project: ProjectId) -> StoreResult<Vec<Invite>> {
        let rows = sqlx::query(&format!(
            "SELECT {INVITE_COLS} FROM invites WHERE project_id = $1 ORDER BY created_at DESC, id"
        ))
        .bind(project.0)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(invite_from).collect::<sqlx::Result<_>>()?)
    }

    async fn invite_by_token(&self, token_hash: &[u8]) -> StoreResult<Invite> {
        let row = sqlx::query(&format!(
            "SELECT {INVITE_COLS} FROM invites WHERE token_hash = $1"
        ))
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok(invite_from(&row)?)
    }

    async fn revoke_invite(
        &self,
        project: ProjectId,
        id: InviteId,
        now: DateTime<Utc>,
    ) -> StoreResult<Invite> {
        let row = sqlx::query(&format!(
            "UPDATE invites SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2 AND project_id = $3 RETURNING {INVITE_COLS}"
        ))
        .bind(now)
        .bind(id.0)
        .bind(project.0)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok(invite_from(&row)?)
    }

    async fn accept_invite(
        &self,
        token_hash: &[u8],
        user: UserId,
        now: DateTime<Utc>,
        notify: &Notification,
    ) -> StoreResult<(Invite, AcceptOutcome)> {
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(&format!(
            "SELECT {INVITE_COLS} FROM invites WHERE token_hash = $1 FOR UPDATE"
        ))
        .bind(token_hash)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        let mut invite = invite_from(&row)?;
        if let Some(why) = invite.refusal(now) {
            return Ok((invite, AcceptOutcome::Refused(why)));
        }
        // The link acts for its maker: never past their membership, nor above their role. The
        // maker's row is locked so a concurrent removal or demotion lands before or after.
        let maker: Option<String> = sqlx::query_scalar(
            "SELECT role FROM members WHERE project_id = $1 AND user_id = $2 FOR SHARE",
        )
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
        let current: Option<String> = sqlx::query_scalar(
            "SELECT role FROM members WHERE project_id = $1 AND user_id = $2 FOR UPDATE",
        )
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
        insert_notification_in(&mut *tx, notify).await?;
        tx.commit().await?;
        Ok((invite, AcceptOutcome::Joined(grant)))
    }

    async fn insert_notification(&self, n: &Notification) -> StoreResult<()> {
        match insert_notification_in(&self.pool, n).await {
            Ok(()) => Ok(()),
            Err(e) if is_foreign_key_violation(&e) => Err(StoreError::NotFound),
            Err(e) => Err(e.into()),
        }
    }

    async fn notifications(&self, user: UserId, limit: i64) -> StoreResult<Vec<Notification>> {
        let rows = sqlx::query("SELECT id, user_id, kind, data, created_at, read_at FROM notifications WHERE user_id = $1 ORDER BY created_at DESC, id LIMIT $2")
            .bind(user.0)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .iter()
            .map(notification_from)
            .collect::<sqlx::Result<_>>()?)
    }

    async fn mark_read(
        &self,
        user: UserId,
        ids: &[NotificationId],
        now: DateTime<Utc>,
    ) -> StoreResult<u64> {
        let ids: Vec<uuid::Uuid> = ids.iter().map(|i| i.0).collect();
        let done = sqlx::query("UPDATE notifications SET read_at = $1 WHERE id = ANY($2) AND user_id = $3 AND read_at IS NULL")
            .bind(now)
            .bind(&ids)
            .bind(user.0)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    async fn outbox(&self, limit: i64) -> StoreResult<Vec<OutboxMail>> {
        let rows = sqlx::query("SELECT id, to_email, subject, body, created_at FROM email_outbox WHERE sent_at IS NULL ORDER BY created_at, id LIMIT $1")
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(OutboxMail {
                    id: r.try_get("id")?,
                    to_email: r.try_get("to_email")?,
                    subject: r.try_get("subject")?,
                    body: r.try_get("body")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect::<sqlx::Result<_>>()
            .map_err(Into::into)
    }

    async fn friends(&self, user: UserId) -> StoreResult<Vec<super::User>> {
        let rows = sqlx::query(
            "SELECT DISTINCT u.id, u.email, u.name, u.created_at FROM members mine JOIN members theirs ON theirs.project_id = mine.project_id \
             JOIN users u ON u.id = theirs.user_id WHERE mine.user_id = $1 AND theirs.user_id <> $1 ORDER BY u.name, u.id",
        )
        .bind(user.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(super::User {
                    id: UserId(r.try_get("id")?),
                    email: r.try_get("email")?,
                    name: r.try_get("name")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect::<sqlx::Result<_>>()
            .map_err(Into::into)
    }

    async fn queue_mail(&self, m: &OutboxMail) -> StoreResult<()> {
        sqlx::query("INSERT INTO email_outbox (id, to_email, subject, body, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(m.id)
            .bind(&m.to_email)
            .bind(&m.subject)
            .bind(&m.body)
            .bind(m.created_at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
