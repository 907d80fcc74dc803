//! `InviteStore` on SQLite. An accept runs as one transaction on the writer thread, which
//! serialises it against every other write.

use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use rusqlite::OptionalExtension;
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

use super::invites::*;
use super::sqlite::{sqlite_foreign_key_violation, ts, SqliteStore};
use super::{StoreError, StoreResult};
use folio_domain::access::Role;
use folio_domain::ids::{InviteId, NotificationId, ProjectId, UserId};

const INVITE_COLS: &str =
    "id, project_id, role, created_by, email, created_at, expires_at, max_uses, uses, revoked_at";

fn millis_to_time(ms: Option<i64>) -> Option<DateTime<Utc>> {
    ms.and_then(|m| Utc.timestamp_millis_opt(m).single())
}

fn role_of(s: &str) -> sqlx::Result<Role> {
    Role::parse(s).ok_or_else(|| sqlx::Error::Decode(format!("unknown role {s:?}").into()))
}

fn invite_from(row: &SqliteRow) -> sqlx::Result<Invite> {
    let role: String = row.try_get("role")?;
    Ok(Invite {
        id: InviteId(row.try_get("id")?),
        project_id: ProjectId(row.try_get("project_id")?),
        role: role_of(&role)?,
        created_by: UserId(row.try_get("created_by")?),
        email: row.try_get("email")?,
        created_at: row.try_get("created_at")?,
        expires_at: millis_to_time(row.try_get("expires_at")?),
        max_uses: row.try_get("max_uses")?,
        uses: row.try_get("uses")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

/// The same row read on the writer thread.
fn invite_from_rusqlite(r: &rusqlite::Row) -> rusqlite::Result<(Invite, String)> {
    let role: String = r.get("role")?;
    let created_at: String = r.get("created_at")?;
    let revoked_at: Option<String> = r.get("revoked_at")?;
    let parse = |s: &str| {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .ok()
    };
    Ok((
        Invite {
            id: InviteId(r.get("id")?),
            project_id: ProjectId(r.get("project_id")?),
            role: Role::parse(&role).unwrap_or(Role::Viewer),
            created_by: UserId(r.get("created_by")?),
            email: r.get("email")?,
            created_at: parse(&created_at).unwrap_or_default(),
            expires_at: millis_to_time(r.get("expires_at")?),
            max_uses: r.get("max_uses")?,
            uses: r.get("uses")?,
            revoked_at: revoked_at.as_deref().and_then(parse),
        },
        role,
    ))
}

fn notification_from(row: &SqliteRow) -> sqlx::Result<Notification> {
    let data: String = row.try_get("data")?;
    Ok(Notification {
        id: NotificationId(row.try_get("id")?),
        user_id: UserId(row.try_get("user_id")?),
        kind: row.try_get("kind")?,
        data: serde_json::from_str(&data).map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        created_at: row.try_get("created_at")?,
        read_at: row.try_get("read_at")?,
    })
}

fn insert_notification_row(c: &rusqlite::Connection, n: &Notification) -> rusqlite::Result<usize> {
    c.execute(
        "INSERT INTO notifications (id, user_id, kind, data, created_at) VALUES (?, ?, ?, ?, ?)",
        rusqlite::params![
            n.id.0,
            n.user_id.0,
            n.kind,
            n.data.to_string(),
            ts(n.created_at)
        ],
    )
}

#[async_trait]
impl InviteStore for SqliteStore {
    async fn create_invite(
        &self,
        invite: &Invite,
        token_hash: &[u8],
        mail: Option<&OutboxMail>,
    ) -> StoreResult<()> {
        let (i, hash, mail) = (invite.clone(), token_hash.to_vec(), mail.cloned());
        self.write(move |c| {
            let tx = c.transaction()?;
            let res = tx.execute(
                "INSERT INTO invites (id, project_id, token_hash, role, created_by, email, created_at, expires_at, max_uses, uses) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
                rusqlite::params![
                    i.id.0,
                    i.project_id.0,
                    hash,
                    i.role.as_str(),
                    i.created_by.0,
                    i.email,
                    ts(i.created_at),
                    i.expires_at.map(|t| t.timestamp_millis()),
                    i.max_uses
                ],
            );
            match res {
                Ok(_) => {}
                Err(e) if sqlite_foreign_key_violation(&e) => return Err(StoreError::NotFound),
                Err(e) => return Err(e.into()),
            }
            if let Some(m) = mail {
                tx.execute(
                    "INSERT INTO email_outbox (id, to_email, subject, body, created_at) VALUES (?, ?, ?, ?, ?)",
                    rusqlite::params![m.id, m.to_email, m.subject, m.body, ts(m.created_at)],
                )?;
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn invites(&self, project: ProjectId) -> StoreResult<Vec<Invite>> {
        let rows = sqlx::query(&format!(
            "SELECT {INVITE_COLS} FROM invites WHERE project_id = ? ORDER BY created_at DESC, id"
        ))
        .bind(project.0)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(invite_from).collect::<sqlx::Result<_>>()?)
    }

    async fn invite_by_token(&self, token_hash: &[u8]) -> StoreResult<Invite> {
        let row = sqlx::query(&format!(
            "SELECT {INVITE_COLS} FROM invites WHERE token_hash = ?"
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
        let changed = self
            .write(move |c| {
                Ok(c.execute(
                    "UPDATE invites SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? AND project_id = ?",
                    rusqlite::params![ts(now), id.0, project.0],
                )?)
            })
            .await?;
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        let row = sqlx::query(&format!("SELECT {INVITE_COLS} FROM invites WHERE id = ?"))
            .bind(id.0)
            .fetch_one(&self.pool)
            .await?;
        Ok(invite_from(&row)?)
    }

    async fn accept_invite(
        &self,
        token_hash: &[u8],
        user: UserId,
        now: DateTime<Utc>,
        notify: &Notification,
    ) -> StoreResult<(Invite, AcceptOutcome)> {
        let (hash, notify) = (token_hash.to_vec(), notify.clone());
        self.write(move |c| {
            let tx = c.transaction()?;
            let (mut invite, _) = tx
                .query_row(
                    &format!("SELECT {INVITE_COLS} FROM invites WHERE token_hash = ?"),
                    [&hash],
                    invite_from_rusqlite,
                )
                .optional()?
                .ok_or(StoreError::NotFound)?;
            if let Some(why) = invite.refusal(now) {
                return Ok((invite, AcceptOutcome::Refused(why)));
            }
            let role_in = |who: UserId| -> rusqlite::Result<Option<Role>> {
                let role: Option<String> = tx
                    .query_row(
                        "SELECT role FROM members WHERE project_id = ? AND user_id = ?",
                        rusqlite::params![invite.project_id.0, who.0],
                        |r| r.get(0),
                    )
                    .optional()?;
                Ok(role.as_deref().and_then(Role::parse))
            };
            // The link acts for its maker: never past their membership, nor above their role.
            let Some(maker) = role_in(invite.created_by)? else {
                tx.execute(
                    "UPDATE invites SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?",
                    rusqlite::params![ts(now), invite.id.0],
                )?;
                tx.commit()?;
                invite.revoked_at = Some(now);
                return Ok((invite, AcceptOutcome::Refused(InviteRefusal::Revoked)));
            };
            let grant = invite.role.min(maker);
            if let Some(role) = role_in(user)? {
                if role >= grant {
                    return Ok((invite, AcceptOutcome::AlreadyMember(role)));
                }
            }
            tx.execute(
                "UPDATE invites SET uses = uses + 1 WHERE id = ?",
                [invite.id.0],
            )?;
            invite.uses += 1;
            tx.execute(
                "INSERT INTO members (project_id, user_id, role, created_at) VALUES (?, ?, ?, ?) \
                 ON CONFLICT (project_id, user_id) DO UPDATE SET role = excluded.role",
                rusqlite::params![invite.project_id.0, user.0, grant.as_str(), ts(now)],
            )?;
            insert_notification_row(&tx, &notify)?;
            tx.commit()?;
            Ok((invite, AcceptOutcome::Joined(grant)))
        })
        .await
    }

    async fn insert_notification(&self, n: &Notification) -> StoreResult<()> {
        let n = n.clone();
        self.write(move |c| match insert_notification_row(c, &n) {
            Ok(_) => Ok(()),
            Err(e) if sqlite_foreign_key_violation(&e) => Err(StoreError::NotFound),
            Err(e) => Err(e.into()),
        })
        .await
    }

    async fn notifications(&self, user: UserId, limit: i64) -> StoreResult<Vec<Notification>> {
        let rows = sqlx::query("SELECT id, user_id, kind, data, created_at, read_at FROM notifications WHERE user_id = ? ORDER BY created_at DESC, id LIMIT ?")
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
        let ids = ids.to_vec();
        self.write(move |c| {
            let tx = c.transaction()?;
            let mut n = 0;
            {
                let mut q = tx.prepare_cached("UPDATE notifications SET read_at = ? WHERE id = ? AND user_id = ? AND read_at IS NULL")?;
                for id in &ids {
                    n += q.execute(rusqlite::params![ts(now), id.0, user.0])? as u64;
                }
            }
            tx.commit()?;
            Ok(n)
        })
        .await
    }

    async fn outbox(&self, limit: i64) -> StoreResult<Vec<OutboxMail>> {
        let rows = sqlx::query("SELECT id, to_email, subject, body, created_at FROM email_outbox WHERE sent_at IS NULL ORDER BY created_at, id LIMIT ?")
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
             JOIN users u ON u.id = theirs.user_id WHERE mine.user_id = ?1 AND theirs.user_id <> ?1 ORDER BY u.name, u.id",
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
        let m = m.clone();
        self.write(move |c| {
            c.execute(
                "INSERT INTO email_outbox (id, to_email, subject, body, created_at) VALUES (?, ?, ?, ?, ?)",
                rusqlite::params![m.id, m.to_email, m.subject, m.body, ts(m.created_at)],
            )?;
            Ok(())
        })
        .await
    }
}
