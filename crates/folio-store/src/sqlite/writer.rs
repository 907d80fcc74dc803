//! The SQLite writer thread: the only writing connection. It group-commits document appends
//! from every room on rusqlite, and hands out turns for every other write, which runs
//! through sqlx in the shared body while the thread waits.

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::oneshot;

use crate::append::AppendRequest;
use crate::ProjectId;

pub(super) enum WriteJob {
    Append(AppendRequest),
    /// A write through sqlx: the thread grants its turn and waits until the turn is dropped.
    Turn {
        granted: oneshot::Sender<()>,
        done: std::sync::mpsc::Receiver<()>,
    },
}

/// While a `WriteTurn` lives, the writer thread writes nothing: SQLite sees one writer.
pub(crate) struct WriteTurn {
    _done: std::sync::mpsc::Sender<()>,
}

impl WriteTurn {
    /// Asks the writer thread for its turn, after what is queued before it.
    pub(super) async fn take(writes: &std::sync::mpsc::Sender<WriteJob>) -> Option<WriteTurn> {
        let (granted, answer) = oneshot::channel();
        let (done_tx, done) = std::sync::mpsc::channel();
        writes.send(WriteJob::Turn { granted, done }).ok()?;
        answer.await.ok()?;
        Some(WriteTurn { _done: done_tx })
    }
}

/// How often the background checkpointer runs, and the WAL size in pages at which the writer
/// checkpoints by itself anyway, should the checkpointer fall behind.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);
pub(super) const WRITER_CHECKPOINT_PAGES: i64 = 4_000;

/// Copies committed WAL frames into the database file without blocking the writer
/// (`PASSIVE`), until the store is dropped.
pub(super) fn checkpointer_thread(conn: rusqlite::Connection, stop: std::sync::mpsc::Receiver<()>) {
    while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = stop.recv_timeout(CHECKPOINT_EVERY)
    {
        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!(error = %e, "WAL checkpoint failed; the writer will checkpoint by itself");
        }
    }
}

/// Timestamps are stored as RFC 3339 text, as sqlx writes them, so both drivers read them back.
fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)
}

/// Appends one project's updates numbered after its newest sequence number.
fn insert_updates(
    tx: &rusqlite::Transaction,
    project: ProjectId,
    updates: &[Vec<u8>],
    now: &str,
) -> rusqlite::Result<i64> {
    let base: i64 = tx
        .prepare_cached(
            "SELECT MAX(COALESCE((SELECT MAX(seq) FROM doc_updates WHERE project_id = ?1), 0), \
                        COALESCE((SELECT seq FROM doc_snapshots WHERE project_id = ?1), 0))",
        )?
        .query_row([project.0], |r| r.get(0))?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO doc_updates (project_id, seq, data, created_at) VALUES (?1, ?2, ?3, ?4)",
    )?;
    let mut seq = base;
    for data in updates {
        seq += 1;
        insert.execute(rusqlite::params![project.0, seq, data, now])?;
    }
    Ok(seq)
}

fn append_alone(conn: &mut rusqlite::Connection, r: &AppendRequest) -> rusqlite::Result<i64> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let seq = insert_updates(&tx, r.project, &r.updates, &ts(r.now))?;
    tx.commit()?;
    Ok(seq)
}

/// Writes every waiting append in one transaction; if that fails, each alone, so one bad
/// request (say, for a project deleted meanwhile) cannot fail the others.
fn commit_appends(conn: &mut rusqlite::Connection, batch: Vec<AppendRequest>) {
    let together = (|| {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut seqs = Vec::with_capacity(batch.len());
        for r in &batch {
            seqs.push(insert_updates(&tx, r.project, &r.updates, &ts(r.now))?);
        }
        tx.commit()?;
        Ok::<_, rusqlite::Error>(seqs)
    })();
    match together {
        Ok(seqs) => {
            for (r, seq) in batch.into_iter().zip(seqs) {
                let _ = r.reply.send(Ok(seq));
            }
        }
        Err(_) if batch.len() > 1 => {
            for r in batch {
                let result = append_alone(conn, &r).map_err(Into::into);
                let _ = r.reply.send(result);
            }
        }
        Err(e) => {
            if let Some(r) = batch.into_iter().next() {
                let _ = r.reply.send(Err(e.into()));
            }
        }
    }
}

/// The writer thread: takes what is waiting, appends in one transaction, then grants the
/// waiting turns in arrival order. It ends when the store is dropped.
pub(super) fn writer_thread(
    mut conn: rusqlite::Connection,
    rx: std::sync::mpsc::Receiver<WriteJob>,
) {
    const MAX_BATCH: usize = 256;
    while let Ok(first) = rx.recv() {
        let mut appends = Vec::new();
        let mut turns = Vec::new();
        let mut next = Some(first);
        while let Some(job) = next.take() {
            match job {
                WriteJob::Append(a) => appends.push(a),
                WriteJob::Turn { granted, done } => turns.push((granted, done)),
            }
            if appends.len() + turns.len() < MAX_BATCH {
                next = rx.try_recv().ok();
            }
        }
        if !appends.is_empty() {
            commit_appends(&mut conn, appends);
        }
        for (granted, done) in turns {
            // A caller that gave up waiting is not waited for.
            if granted.send(()).is_ok() {
                let _ = done.recv();
            }
        }
    }
}
