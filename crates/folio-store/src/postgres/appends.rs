//! PostgreSQL's document appends: one committer task per node group-commits the appends
//! of every room, with sequence numbers assigned under each project's row lock.

use std::time::Duration;

use sqlx::PgPool;
use tokio::sync::mpsc;

use crate::append::AppendRequest;
use crate::{StoreError, StoreResult};

/// Appends written in one transaction at most.
const MAX_BATCH: usize = 256;
/// Attempts of one append transaction that hits a serialization failure, a deadlock or a
/// duplicate sequence number before its error is returned.
const APPEND_ATTEMPTS: u32 = 5;

/// Failures that a fresh attempt of the same transaction can get past: serialization
/// failure, deadlock, and a sequence number taken meanwhile (a unique violation on the log).
fn is_transient(e: &StoreError) -> bool {
    match e {
        StoreError::Db(sqlx::Error::Database(d)) => {
            matches!(d.code().as_deref(), Some("40001" | "40P01" | "23505"))
        }
        _ => false,
    }
}

/// Appends every request of `batch` in one transaction and returns the last sequence number
/// of each, in order. A request for a project that does not exist gets `NotFound` without
/// failing the others.
async fn append_batch(
    pool: &PgPool,
    batch: &[AppendRequest],
) -> StoreResult<Vec<StoreResult<i64>>> {
    let mut projects: Vec<uuid::Uuid> = batch.iter().map(|r| r.project.0).collect();
    projects.sort_unstable();
    projects.dedup();

    let mut tx = pool.begin().await?;
    // Lock in id order; the ORDER BY is applied before the locks are taken.
    let locked: Vec<uuid::Uuid> =
        sqlx::query_scalar("SELECT id FROM projects WHERE id = ANY($1) ORDER BY id FOR UPDATE")
            .bind(&projects)
            .fetch_all(&mut *tx)
            .await?;
    // A new statement, so a new snapshot: it sees the rows of whoever held the locks before.
    let newest: Vec<(uuid::Uuid, i64)> = sqlx::query_as(
        "SELECT p.id, GREATEST(COALESCE((SELECT MAX(u.seq) FROM doc_updates u WHERE u.project_id = p.id), 0), \
                               COALESCE((SELECT s.seq FROM doc_snapshots s WHERE s.project_id = p.id), 0)) \
         FROM unnest($1::uuid[]) AS p(id)",
    )
    .bind(&locked)
    .fetch_all(&mut *tx)
    .await?;
    let mut next: std::collections::HashMap<uuid::Uuid, i64> = newest.into_iter().collect();

    let rows: usize = batch
        .iter()
        .filter(|r| next.contains_key(&r.project.0))
        .map(|r| r.updates.len())
        .sum();
    let (mut ids, mut seqs, mut data, mut times) = (
        Vec::with_capacity(rows),
        Vec::with_capacity(rows),
        Vec::with_capacity(rows),
        Vec::with_capacity(rows),
    );
    let mut results = Vec::with_capacity(batch.len());
    for r in batch {
        let Some(seq) = next.get_mut(&r.project.0) else {
            results.push(Err(StoreError::NotFound));
            continue;
        };
        for update in &r.updates {
            *seq += 1;
            ids.push(r.project.0);
            seqs.push(*seq);
            data.push(update.as_slice());
            times.push(r.now);
        }
        results.push(Ok(*seq));
    }
    if !ids.is_empty() {
        sqlx::query(
            "INSERT INTO doc_updates (project_id, seq, data, created_at) \
             SELECT * FROM unnest($1::uuid[], $2::int8[], $3::bytea[], $4::timestamptz[])",
        )
        .bind(&ids)
        .bind(&seqs)
        .bind(&data)
        .bind(&times)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(results)
}

/// `append_batch`, attempted again after a transient failure.
async fn append_with_retry(
    pool: &PgPool,
    batch: &[AppendRequest],
) -> StoreResult<Vec<StoreResult<i64>>> {
    let mut attempt = 1;
    loop {
        match append_batch(pool, batch).await {
            Err(e) if attempt < APPEND_ATTEMPTS && is_transient(&e) => {
                tracing::debug!(error = %e, attempt, "append transaction failed; retrying");
                tokio::time::sleep(Duration::from_millis(5 << attempt)).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// Writes the batch in one transaction; if that fails, each request alone, so one bad
/// request cannot fail the others.
async fn commit_appends(pool: &PgPool, batch: Vec<AppendRequest>) {
    match append_with_retry(pool, &batch).await {
        Ok(results) => {
            for (r, result) in batch.into_iter().zip(results) {
                let _ = r.reply.send(result);
            }
        }
        Err(e) if batch.len() == 1 => {
            if let Some(r) = batch.into_iter().next() {
                let _ = r.reply.send(Err(e));
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, requests = batch.len(), "joint append failed; appending each request alone");
            for r in batch {
                let result = match append_with_retry(pool, std::slice::from_ref(&r)).await {
                    Ok(mut results) => results.pop().unwrap_or(Err(StoreError::NotFound)),
                    Err(e) => Err(e),
                };
                let _ = r.reply.send(result);
            }
        }
    }
}

/// The committer: takes what is waiting and appends it in one transaction. It ends when the
/// store is dropped.
pub(super) async fn committer(pool: PgPool, mut rx: mpsc::UnboundedReceiver<AppendRequest>) {
    let mut batch = Vec::new();
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        commit_appends(&pool, std::mem::take(&mut batch)).await;
    }
}
