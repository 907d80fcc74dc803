//! The job queue's writes, written once for both databases: enqueue with a dedupe key,
//! claim under a lease, finish (with the job's version in the same transaction).

use chrono::{DateTime, Utc};

use super::reads::fk_not_found;
use crate::dialect::Dialect;
use crate::rows::Rows;
use crate::*;

pub(crate) fn job_cols<D: Dialect>() -> String {
    let json = D::JSON_TEXT;
    format!(
        "id, kind, project_id, payload{json} AS payload, state, progress, result{json} AS result, \
         error, attempts, max_attempts, created_by, created_at, updated_at"
    )
}

/// The one statement that records a version, alone or inside a job's completion.
macro_rules! insert_version {
    ($v:expr) => {
        sqlx::query(
            "INSERT INTO versions (id, project_id, created_at, bytes, seq, reason, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind($v.id.0)
        .bind($v.project_id.0)
        .bind($v.created_at)
        .bind($v.bytes)
        .bind($v.seq)
        .bind($v.reason.as_str())
        .bind($v.created_by.map(|u| u.0))
    };
}
pub(crate) use insert_version;

macro_rules! jobs_body {
    ($store:ty) => {
        impl $store {
            /// Queues a job, or returns the active one with the same dedupe key. The partial
            /// unique index on active dedupe keys decides races (between nodes, on
            /// PostgreSQL); the loser reads the winner's job. Should that job finish in
            /// between, it inserts again.
            pub(crate) async fn enqueue(&self, job: &NewJob, now: DateTime<Utc>) -> StoreResult<Job> {
                let cols = job_cols::<$store>();
                for _ in 0..3 {
                    let inserted = sqlx::query(&format!(
                        "INSERT INTO jobs (id, kind, project_id, payload, state, max_attempts, run_after, \
                         dedupe_key, created_by, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4{}, 'queued', $5, $6, $7, $8, $9, $9) ON CONFLICT DO NOTHING",
                        <$store as Dialect>::TEXT_JSON
                    ))
                    .bind(job.id.0)
                    .bind(&job.kind)
                    .bind(job.project_id.map(|p| p.0))
                    .bind(job.payload.to_string())
                    .bind(job.max_attempts)
                    .bind(<$store as Dialect>::instant(job.run_after.unwrap_or(now)))
                    .bind(&job.dedupe_key)
                    .bind(job.created_by.map(|u| u.0))
                    .bind(now)
                    .execute(&mut *self.writer().await?)
                    .await;
                    if fk_not_found(inserted)?.rows_affected() == 1 {
                        return self.job(job.id).await;
                    }
                    let existing = sqlx::query(&format!(
                        "SELECT {cols} FROM jobs WHERE dedupe_key = $1 AND state IN ('queued','running')"
                    ))
                    .bind(&job.dedupe_key)
                    .fetch_optional(&self.pool)
                    .await?;
                    if let Some(row) = existing {
                        return Ok(row.job()?);
                    }
                }
                Err(StoreError::Conflict("the job kept being replaced; try again"))
            }

            /// Takes the oldest due job of `kinds` until `until`. Idle workers poll, so a plain
            /// read looks first and a poll with nothing due writes nothing.
            pub(crate) async fn claim(
                &self,
                worker: &str,
                kinds: &[&str],
                now: DateTime<Utc>,
                until: DateTime<Utc>,
            ) -> StoreResult<Option<Lease>> {
                let at = <$store as Dialect>::instant;
                let due: bool = sqlx::query_scalar(
                    "SELECT EXISTS (SELECT 1 FROM jobs WHERE (state = 'queued' AND run_after <= $1) \
                     OR (state = 'running' AND lease_until < $1))",
                )
                .bind(at(now))
                .fetch_one(&self.pool)
                .await?;
                if !due {
                    return Ok(None);
                }
                let mut tx = self.write_tx().await?;
                sqlx::query(
                    "UPDATE jobs SET state = 'failed', lease_token = NULL, lease_until = NULL, updated_at = $1, \
                     error = 'the job''s worker stopped before finishing, ' || attempts || ' times; giving up' \
                     WHERE state = 'running' AND lease_until < $2 AND attempts >= max_attempts",
                )
                .bind(now)
                .bind(at(now))
                .execute(&mut *tx)
                .await?;
                // One statement picks and takes the job. On PostgreSQL, SKIP LOCKED lets
                // workers polling together each take a different row instead of queueing on
                // the first one's lock; SQLite's write transaction holds the whole file.
                let token = uuid::Uuid::new_v4();
                let row = sqlx::query(&format!(
                    "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_token = $1, \
                     lease_owner = $2, lease_until = $3, updated_at = $4 \
                     WHERE id = (SELECT id FROM jobs WHERE kind {} \
                                 AND ((state = 'queued' AND run_after <= $6) OR (state = 'running' AND lease_until < $6)) \
                                 ORDER BY run_after, created_at LIMIT 1{}) \
                     RETURNING {}",
                    <$store as Dialect>::in_list("$5"),
                    <$store as Dialect>::SKIP_LOCKED,
                    job_cols::<$store>(),
                ))
                .bind(token)
                .bind(worker)
                .bind(at(until))
                .bind(now)
                .bind(<$store as Dialect>::text_list(kinds))
                .bind(at(now))
                .fetch_optional(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(row.map(|r| r.job()).transpose()?.map(|job| Lease { job, token }))
            }

            /// Ends the run under its lease; false, with nothing written, when it was lost.
            pub(crate) async fn finish(
                &self,
                lease: &Lease,
                outcome: &JobOutcome,
                now: DateTime<Utc>,
            ) -> StoreResult<bool> {
                let set = match outcome {
                    JobOutcome::Done { .. } => format!(
                        "state = 'done', progress = 1, result = $3{}, error = NULL",
                        <$store as Dialect>::TEXT_JSON
                    ),
                    JobOutcome::Retry { .. } => "state = 'queued', error = $3, run_after = $5".into(),
                    JobOutcome::Failed { .. } => "state = 'failed', error = $3".into(),
                };
                let sql = format!(
                    "UPDATE jobs SET {set}, lease_token = NULL, lease_until = NULL, updated_at = $4 \
                     WHERE id = $1 AND lease_token = $2 AND state = 'running'"
                );
                let query = sqlx::query(&sql).bind(lease.job.id.0).bind(lease.token);
                let query = match outcome {
                    JobOutcome::Done { result, .. } => query.bind(result.to_string()).bind(now),
                    JobOutcome::Retry { error, at } => query
                        .bind(error)
                        .bind(now)
                        .bind(<$store as Dialect>::instant(*at)),
                    JobOutcome::Failed { error } => query.bind(error).bind(now),
                };
                let mut tx = self.write_tx().await?;
                if query.execute(&mut *tx).await?.rows_affected() == 0 {
                    return Ok(false);
                }
                if let JobOutcome::Done { version: Some(v), .. } = outcome {
                    insert_version!(v).execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(true)
            }
        }
    };
}

jobs_body!(SqliteStore);
jobs_body!(PgStore);
