//! `Store` (accounts, projects, members, documents, versions, the job queue), written once
//! and expanded for both databases.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;

use super::reads::{fk_not_found, found};
use crate::body::jobs::{insert_version, job_cols};
use crate::dialect::{is_unique_violation, Dialect};
use crate::invites::{role_rank, role_rank_sql};
use crate::rows::Rows;
use crate::*;

const USER_COLS: &str = "id, email, name, created_at";
const VERSION_COLS: &str = "id, project_id, created_at, bytes, seq, reason, created_by";

/// A project's columns, each prefixed with `t` (a table alias and a dot, or nothing).
fn project_cols<D: Dialect>(t: &str) -> String {
    let json = D::JSON_TEXT;
    format!(
        "{t}id, {t}title, {t}owner_id, {t}product, {t}theme, {t}origin{json} AS origin, \
         {t}created_at, {t}updated_at"
    )
}

fn lease_end(now: DateTime<Utc>, lease_for: Duration) -> DateTime<Utc> {
    now + chrono::Duration::from_std(lease_for).unwrap_or(chrono::Duration::seconds(30))
}

macro_rules! store_body {
    ($store:ty) => {
        impl $store {
            /// The document as of one snapshot of the database (one statement): the snapshot
            /// row (its data only when it includes more than `after`) and the log after both.
            async fn read_doc(&self, project: ProjectId, after: i64) -> StoreResult<StoredDoc> {
                let greatest = <$store as Dialect>::GREATEST;
                let rows = sqlx::query(&format!(
                    "WITH snap AS (SELECT seq, data FROM doc_snapshots WHERE project_id = $1) \
                     SELECT seq, CASE WHEN seq > $2 THEN data END AS data, true AS is_snapshot FROM snap \
                     UNION ALL \
                     SELECT u.seq, u.data, false FROM doc_updates u \
                     WHERE u.project_id = $1 AND u.seq > {greatest}($2, COALESCE((SELECT seq FROM snap), 0)) \
                     ORDER BY is_snapshot DESC, seq"
                ))
                .bind(project.0)
                .bind(after)
                .fetch_all(&self.pool)
                .await?;
                let mut doc = StoredDoc::default();
                for row in &rows {
                    let seq: i64 = row.try_get("seq")?;
                    let data: Option<Vec<u8>> = row.try_get("data")?;
                    if row.try_get("is_snapshot")? {
                        doc.snapshot = data;
                        doc.snapshot_seq = seq;
                    } else if let Some(data) = data {
                        doc.updates.push((seq, data));
                    }
                }
                Ok(doc)
            }
        }

        #[async_trait]
        impl Store for $store {
            async fn create_user(
                &self,
                email: &str,
                name: &str,
                password_hash: &str,
                now: DateTime<Utc>,
            ) -> StoreResult<User> {
                let user = User {
                    id: UserId::new(),
                    email: email.to_owned(),
                    name: name.to_owned(),
                    created_at: now,
                };
                let res = sqlx::query(
                    "INSERT INTO users (id, email, name, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(user.id.0)
                .bind(email)
                .bind(name)
                .bind(password_hash)
                .bind(now)
                .execute(&mut *self.writer().await?)
                .await;
                match res {
                    Ok(_) => Ok(user),
                    Err(e) if is_unique_violation(&e) => {
                        Err(StoreError::Conflict("email already registered"))
                    }
                    Err(e) => Err(e.into()),
                }
            }

            async fn user_credentials(&self, email: &str) -> StoreResult<UserCredentials> {
                // Emails are unique regardless of case: a NOCASE column on SQLite, the
                // users_email index on lower(email) on PostgreSQL.
                let row = sqlx::query(&format!(
                    "SELECT {USER_COLS}, password_hash FROM users WHERE {}",
                    <$store as Dialect>::EMAIL_IS
                ))
                .bind(email)
                .fetch_optional(&self.pool)
                .await?
                .ok_or(StoreError::NotFound)?;
                Ok(UserCredentials {
                    user: row.user()?,
                    password_hash: row.try_get("password_hash")?,
                })
            }

            async fn create_session(
                &self,
                user: UserId,
                token_hash: &[u8],
                now: DateTime<Utc>,
                expires_at: DateTime<Utc>,
            ) -> StoreResult<SessionId> {
                let id = SessionId::new();
                sqlx::query(
                    "INSERT INTO sessions (id, user_id, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(id.0)
                .bind(user.0)
                .bind(token_hash)
                .bind(now)
                .bind(expires_at)
                .execute(&mut *self.writer().await?)
                .await?;
                Ok(id)
            }

            async fn session(&self, token_hash: &[u8], now: DateTime<Utc>) -> StoreResult<Session> {
                let row = sqlx::query(
                    "SELECT s.id AS sid, s.expires_at, u.id, u.email, u.name, u.created_at \
                     FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1",
                )
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?
                .ok_or(StoreError::NotFound)?;
                let expires_at: DateTime<Utc> = row.try_get("expires_at")?;
                if expires_at <= now {
                    return Err(StoreError::NotFound);
                }
                Ok(Session {
                    id: SessionId(row.try_get("sid")?),
                    user: row.user()?,
                    expires_at,
                })
            }

            async fn delete_session(&self, id: SessionId) -> StoreResult<()> {
                sqlx::query("DELETE FROM sessions WHERE id = $1")
                    .bind(id.0)
                    .execute(&mut *self.writer().await?)
                    .await?;
                Ok(())
            }

            async fn create_project(&self, p: &Project, initial_doc: &[u8]) -> StoreResult<()> {
                let mut tx = self.write_tx().await?;
                sqlx::query(&format!(
                    "INSERT INTO projects (id, title, owner_id, product, theme, origin, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6{}, $7, $8)",
                    <$store as Dialect>::TEXT_JSON
                ))
                .bind(p.id.0)
                .bind(&p.title)
                .bind(p.owner_id.0)
                .bind(&p.product)
                .bind(&p.theme)
                .bind(p.origin.as_ref().map(|o| o.to_string()))
                .bind(p.created_at)
                .bind(p.updated_at)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO members (project_id, user_id, role, created_at) VALUES ($1, $2, 'manager', $3)",
                )
                .bind(p.id.0)
                .bind(p.owner_id.0)
                .bind(p.created_at)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO doc_updates (project_id, seq, data, created_at) VALUES ($1, 1, $2, $3)",
                )
                .bind(p.id.0)
                .bind(initial_doc)
                .bind(p.created_at)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn project(&self, id: ProjectId) -> StoreResult<Project> {
                let cols = project_cols::<$store>("p.");
                let sql = format!("SELECT {cols} FROM projects p WHERE p.id = $1");
                self.one(&sql, id.0, Rows::project).await
            }

            async fn projects_of(&self, user: UserId) -> StoreResult<Vec<(Project, Role)>> {
                let cols = project_cols::<$store>("p.");
                let sql = format!(
                    "SELECT {cols}, m.role FROM projects p JOIN members m ON m.project_id = p.id \
                     WHERE m.user_id = $1 ORDER BY p.updated_at DESC, p.id"
                );
                self.all(&sql, user.0, |r| Ok((r.project()?, r.role()?))).await
            }

            async fn update_project(
                &self,
                id: ProjectId,
                patch: &ProjectPatch,
                now: DateTime<Utc>,
            ) -> StoreResult<Project> {
                let cols = project_cols::<$store>("");
                let row = sqlx::query(&format!(
                    "UPDATE projects SET title = COALESCE($1, title), product = COALESCE($2, product), \
                     theme = COALESCE($3, theme), updated_at = $4 WHERE id = $5 RETURNING {cols}"
                ))
                .bind(&patch.title)
                .bind(&patch.product)
                .bind(&patch.theme)
                .bind(now)
                .bind(id.0)
                .fetch_optional(&mut *self.writer().await?)
                .await?
                .ok_or(StoreError::NotFound)?;
                Ok(row.project()?)
            }

            async fn delete_project(&self, id: ProjectId) -> StoreResult<()> {
                found(sqlx::query("DELETE FROM projects WHERE id = $1")
                    .bind(id.0)
                    .execute(&mut *self.writer().await?)
                    .await?
                    .rows_affected())?;
                Ok(())
            }

            async fn role_of(&self, project: ProjectId, user: UserId) -> StoreResult<Option<Role>> {
                let row = sqlx::query("SELECT role FROM members WHERE project_id = $1 AND user_id = $2")
                    .bind(project.0)
                    .bind(user.0)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(|r| r.role()).transpose()?)
            }

            async fn members(&self, project: ProjectId) -> StoreResult<Vec<Member>> {
                let sql = "SELECT u.id, u.email, u.name, u.created_at, m.role FROM members m \
                     JOIN users u ON u.id = m.user_id WHERE m.project_id = $1 ORDER BY m.created_at, u.id";
                self.all(sql, project.0, |r| Ok(Member { user: r.user()?, role: r.role()? })).await
            }

            async fn user(&self, id: UserId) -> StoreResult<User> {
                self.one(&format!("SELECT {USER_COLS} FROM users WHERE id = $1"), id.0, Rows::user).await
            }

            async fn set_member(
                &self,
                project: ProjectId,
                user: UserId,
                role: Role,
                now: DateTime<Utc>,
            ) -> StoreResult<()> {
                let mut tx = self.write_tx().await?;
                // Their invites act for them, so none grants more than their new role. Invites
                // are changed before the membership, in the order an accept locks them.
                sqlx::query(&format!(
                    "UPDATE invites SET role = $1 WHERE project_id = $2 AND created_by = $3 \
                     AND revoked_at IS NULL AND {} > $4",
                    role_rank_sql("role")
                ))
                .bind(role.as_str())
                .bind(project.0)
                .bind(user.0)
                .bind(role_rank(role))
                .execute(&mut *tx)
                .await?;
                // A guarded upsert: the owner's row never changes. A missing project or user
                // fails the foreign key.
                let res = sqlx::query(
                    "INSERT INTO members (project_id, user_id, role, created_at) \
                     SELECT $1, $2, $3, $4 WHERE NOT EXISTS (SELECT 1 FROM projects WHERE id = $1 AND owner_id = $2) \
                     ON CONFLICT (project_id, user_id) DO UPDATE SET role = excluded.role",
                )
                .bind(project.0)
                .bind(user.0)
                .bind(role.as_str())
                .bind(now)
                .execute(&mut *tx)
                .await;
                if fk_not_found(res)?.rows_affected() == 0 {
                    return Err(StoreError::Conflict("the owner's role cannot change"));
                }
                tx.commit().await?;
                Ok(())
            }

            async fn remove_member(
                &self,
                project: ProjectId,
                user: UserId,
                now: DateTime<Utc>,
            ) -> StoreResult<()> {
                let mut tx = self.write_tx().await?;
                // Their invites acted for them; they end with the membership (changed first,
                // in the order an accept locks them).
                sqlx::query(
                    "UPDATE invites SET revoked_at = $1 WHERE project_id = $2 AND created_by = $3 AND revoked_at IS NULL",
                )
                .bind(now)
                .bind(project.0)
                .bind(user.0)
                .execute(&mut *tx)
                .await?;
                found(sqlx::query(
                    "DELETE FROM members WHERE project_id = $1 AND user_id = $2 \
                     AND NOT EXISTS (SELECT 1 FROM projects WHERE id = $1 AND owner_id = $2)",
                )
                .bind(project.0)
                .bind(user.0)
                .execute(&mut *tx)
                .await?
                .rows_affected())?;
                tx.commit().await?;
                Ok(())
            }

            async fn load_doc(&self, project: ProjectId) -> StoreResult<StoredDoc> {
                self.read_doc(project, i64::MIN).await
            }

            async fn doc_since(&self, project: ProjectId, after: i64) -> StoreResult<StoredDoc> {
                self.read_doc(project, after).await
            }

            async fn append_updates(
                &self,
                project: ProjectId,
                updates: &[&[u8]],
                now: DateTime<Utc>,
            ) -> StoreResult<i64> {
                self.append(project, updates, now).await
            }

            async fn compact(
                &self,
                project: ProjectId,
                snapshot: &[u8],
                upto_seq: i64,
                now: DateTime<Utc>,
            ) -> StoreResult<()> {
                // An older snapshot never replaces a newer one (two nodes may fold the same
                // project); deleting up to an older `upto_seq` then removes only what the newer
                // one holds.
                let mut tx = self.write_tx().await?;
                sqlx::query(
                    "INSERT INTO doc_snapshots (project_id, seq, data, updated_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (project_id) DO UPDATE SET seq = excluded.seq, data = excluded.data, \
                     updated_at = excluded.updated_at WHERE excluded.seq >= doc_snapshots.seq",
                )
                .bind(project.0)
                .bind(upto_seq)
                .bind(snapshot)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM doc_updates WHERE project_id = $1 AND seq <= $2")
                    .bind(project.0)
                    .bind(upto_seq)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn log_len(&self, project: ProjectId) -> StoreResult<i64> {
                Ok(sqlx::query_scalar("SELECT COUNT(*) FROM doc_updates WHERE project_id = $1")
                    .bind(project.0)
                    .fetch_one(&self.pool)
                    .await?)
            }

            async fn insert_version(&self, v: &Version) -> StoreResult<()> {
                let res = insert_version!(v).execute(&mut *self.writer().await?).await;
                fk_not_found(res).map(drop)
            }

            async fn versions(&self, project: ProjectId) -> StoreResult<Vec<Version>> {
                let sql = format!(
                    "SELECT {VERSION_COLS} FROM versions WHERE project_id = $1 ORDER BY created_at DESC, id"
                );
                self.all(&sql, project.0, Rows::version).await
            }

            async fn version(&self, project: ProjectId, id: VersionId) -> StoreResult<Version> {
                let row = sqlx::query(&format!(
                    "SELECT {VERSION_COLS} FROM versions WHERE project_id = $1 AND id = $2"
                ))
                .bind(project.0)
                .bind(id.0)
                .fetch_optional(&self.pool)
                .await?
                .ok_or(StoreError::NotFound)?;
                Ok(row.version()?)
            }

            async fn enqueue_job(&self, job: &NewJob, now: DateTime<Utc>) -> StoreResult<Job> {
                self.enqueue(job, now).await
            }

            async fn claim_job(
                &self,
                worker: &str,
                kinds: &[&str],
                now: DateTime<Utc>,
                lease_for: Duration,
            ) -> StoreResult<Option<Lease>> {
                self.claim(worker, kinds, now, lease_end(now, lease_for)).await
            }

            async fn renew_lease(
                &self,
                lease: &Lease,
                progress: Option<f64>,
                now: DateTime<Utc>,
                lease_for: Duration,
            ) -> StoreResult<bool> {
                let r = sqlx::query(
                    "UPDATE jobs SET lease_until = $1, progress = COALESCE($2, progress), updated_at = $3 \
                     WHERE id = $4 AND lease_token = $5 AND state = 'running'",
                )
                .bind(<$store as Dialect>::instant(lease_end(now, lease_for)))
                .bind(progress)
                .bind(now)
                .bind(lease.job.id.0)
                .bind(lease.token)
                .execute(&mut *self.writer().await?)
                .await?;
                Ok(r.rows_affected() == 1)
            }

            async fn finish_job(
                &self,
                lease: &Lease,
                outcome: &JobOutcome,
                now: DateTime<Utc>,
            ) -> StoreResult<bool> {
                self.finish(lease, outcome, now).await
            }

            async fn job(&self, id: JobId) -> StoreResult<Job> {
                let cols = job_cols::<$store>();
                self.one(&format!("SELECT {cols} FROM jobs WHERE id = $1"), id.0, Rows::job).await
            }

            async fn ping(&self) -> StoreResult<()> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }
        }
    };
}

store_body!(SqliteStore);
store_body!(PgStore);
