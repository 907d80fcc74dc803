//! Durability: the group commit with its bounded retries, the log other nodes write to
//! (their entries by fan-out, gaps healed from the store), compaction, and periodic
//! versions.

use std::time::{Duration, Instant};

use bytes::Bytes;
use yrs::updates::decoder::Decode;
use yrs::{ReadTxn, StateVector, Transact, Update};

use crdt_schema::validate::parse_update;

use super::machine::{Batch, Out, RoomCore};
use super::Effect;
use crate::fanout::Event;
use crate::store::StoredDoc;
use crate::sync::{close_code, protocol, Close, SyncError};

/// How a room retries a commit that failed, and when it gives up. Giving up is safe:
/// nothing of the failed batch reached anyone, and the clients that made it hold it and
/// send it again when they reconnect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CommitRetry {
    /// The wait before the first retry; each further retry waits twice as long...
    pub first_delay: Duration,
    /// ...up to this.
    pub max_delay: Duration,
    /// A batch that failed this many times is given up.
    pub max_failures: u32,
    /// So is one still failing this long after its first failure.
    pub give_up_after: Duration,
}

impl CommitRetry {
    /// About seven seconds of retries: long enough to ride out a database failover's
    /// first moments, short enough that clients are not left waiting on a broken store.
    pub(crate) const STANDARD: CommitRetry = CommitRetry {
        first_delay: Duration::from_millis(100),
        max_delay: Duration::from_secs(2),
        max_failures: 8,
        give_up_after: Duration::from_secs(30),
    };

    /// The wait before the retry that follows failure number `failures` (1-based).
    pub(crate) fn delay(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(16);
        self.first_delay
            .saturating_mul(1 << doublings)
            .min(self.max_delay)
    }
}

/// The batch being committed.
#[derive(Debug)]
pub(crate) struct InFlight {
    pub(super) batch: Batch,
    started: Instant,
    failures: u32,
    first_failure: Option<Instant>,
}

impl RoomCore {
    /// Starts committing what was collected, unless a commit is already running.
    pub(super) fn start_commit(&mut self, now: Instant) {
        if self.in_flight.is_some() || self.collecting.updates.is_empty() {
            return;
        }
        let batch = std::mem::take(&mut self.collecting);
        self.effect(Effect::Append {
            updates: batch.updates.clone(),
            delay: Duration::ZERO,
        });
        self.in_flight = Some(InFlight {
            batch,
            started: now,
            failures: 0,
            first_failure: None,
        });
    }

    /// The running commit ended: `Ok` with the sequence number of its last entry.
    pub(crate) fn commit_done(&mut self, now: Instant, result: Result<i64, String>) {
        let Some(mut flight) = self.in_flight.take() else {
            return;
        };
        let last_seq = match result {
            Ok(last_seq) => last_seq,
            Err(error) => return self.commit_failed(now, flight, error),
        };
        metrics::histogram!("folio_commit_seconds")
            .record(now.saturating_duration_since(flight.started).as_secs_f64());
        let n = flight.batch.updates.len() as i64;
        let first = last_seq - n + 1;
        if first == self.last_seq + 1 {
            self.last_seq = last_seq;
            self.drain_pending();
        } else if first > self.last_seq + 1 {
            // Another node committed entries in between that have not arrived yet.
            self.start_catch_up();
        }
        for (i, update) in flight.batch.updates.drain(..).enumerate() {
            self.effect(Effect::Publish(Event::DocUpdate {
                origin: self.rules.node_id,
                project: self.project,
                seq: first + i as i64,
                update,
            }));
        }
        self.log_len += n;
        for out in std::mem::take(&mut flight.batch.outbound) {
            self.deliver(out);
        }
        self.start_commit(now);
        self.maybe_compact();
        self.maybe_version_due(now);
    }

    /// Retries the batch after a back-off, or gives up once the retries are spent.
    fn commit_failed(&mut self, now: Instant, mut flight: InFlight, error: String) {
        flight.failures += 1;
        let first_failure = *flight.first_failure.get_or_insert(now);
        metrics::counter!("folio_commit_failures_total").increment(1);
        let retry = self.rules.commit_retry;
        if flight.failures >= retry.max_failures
            || now.saturating_duration_since(first_failure) >= retry.give_up_after
        {
            return self.give_up(now, flight, &error);
        }
        let delay = retry.delay(flight.failures);
        tracing::error!(project = %self.project, attempt = flight.failures, ?delay, %error, "commit failed; retrying");
        self.effect(Effect::Append {
            updates: flight.batch.updates.clone(),
            delay,
        });
        self.in_flight = Some(flight);
    }

    /// The store keeps refusing this room's commits. Nothing accepted since the last good
    /// commit has reached anyone, and nothing will: connections close with 1013 so their
    /// clients reconnect (to a fresh room that loads what is durable) and resend what they
    /// hold; waiting system edits are told to try again; and the room unloads without
    /// folding its log, since its doc holds updates the store never took.
    fn give_up(&mut self, now: Instant, mut flight: InFlight, error: &str) {
        metrics::counter!("folio_commit_give_ups_total").increment(1);
        tracing::error!(
            project = %self.project,
            failures = flight.failures,
            updates = flight.batch.updates.len() + self.collecting.updates.len(),
            %error,
            "commits keep failing; giving up: the room unloads and its clients reconnect"
        );
        let waiting = std::mem::take(&mut flight.batch.outbound)
            .into_iter()
            .chain(std::mem::take(&mut self.collecting).outbound);
        for out in waiting {
            if let Out::Ack(ticket) = out {
                self.effect(Effect::Reply {
                    ticket,
                    result: Err(SyncError::Retry),
                });
            }
        }
        self.commit_gave_up = true;
        self.shutting_down = true;
        let all: Vec<u64> = self.peers.keys().copied().collect();
        for id in all {
            self.kick(
                now,
                id,
                Close::new(
                    close_code::TRY_AGAIN_LATER,
                    "the book could not be saved just now; reconnect to send your changes again",
                ),
            );
        }
        self.unload();
    }

    /// Edits were committed: make sure a version is due one interval from now. It
    /// snapshots whatever is durable then, so a burst of editing gets one version at most
    /// every interval, and the last edits of a session are never left out.
    fn maybe_version_due(&mut self, now: Instant) {
        let Some(interval) = self.rules.version_interval else {
            return;
        };
        if self.version_due_until.is_some_and(|t| now < t) {
            return;
        }
        self.version_due_until = Some(now + interval);
        self.effect(Effect::VersionDue { after: interval });
    }

    fn maybe_compact(&mut self) {
        if self.compacting.is_some()
            || self.log_len < self.rules.compact_after
            || !self.is_flushed()
        {
            return;
        }
        let snapshot = self
            .doc()
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        self.effect(Effect::Compact {
            snapshot,
            upto: self.last_seq,
        });
        self.compacting = Some(self.log_len);
    }

    /// The running compaction ended.
    pub(crate) fn compacted(&mut self, result: Result<(), String>) {
        let Some(log_len_at_start) = self.compacting.take() else {
            return;
        };
        match result {
            Ok(()) => {
                self.log_len -= log_len_at_start;
                metrics::counter!("folio_compactions_total").increment(1);
                // Commits that ended while this ran could not start another; the log they
                // grew may be past the bound already.
                self.maybe_compact();
            }
            Err(e) => {
                tracing::warn!(project = %self.project, error = %e, "compaction failed; the log stays")
            }
        }
    }

    /// An update another node committed as log entry `seq`.
    pub(super) fn remote_update(&mut self, seq: i64, update: Bytes) {
        if seq <= self.last_seq {
            return;
        }
        self.pending.insert(seq, update);
        if seq > self.last_seq + 1 {
            self.start_catch_up();
        }
        self.drain_pending();
    }

    /// Applies entries that were waiting for the gap before them to close.
    fn drain_pending(&mut self) {
        while let Some(entry) = self.pending.first_entry() {
            let seq = *entry.key();
            if seq > self.last_seq + 1 {
                break;
            }
            let update = entry.remove();
            if seq == self.last_seq + 1 {
                self.apply_durable(&update);
                self.last_seq = seq;
                self.log_len += 1;
            }
        }
    }

    /// Applies an update that is already durable (another node checked and committed it) and
    /// relays it to this node's clients at once.
    fn apply_durable(&mut self, bytes: &[u8]) {
        let update = match Update::decode_v1(bytes) {
            Ok(u) => u,
            Err(e) => {
                tracing::error!(project = %self.project, error = %e, "a committed update does not decode");
                return;
            }
        };
        let parsed = parse_update(bytes);
        if let Err(e) = &parsed {
            tracing::error!(project = %self.project, error = %e, "a committed update could not be indexed");
        }
        let (changed, deleted) = {
            let mut txn = self.doc().transact_mut();
            let inserts = crdt_schema::update_inserts_news(&txn.state_vector(), &update);
            match txn.apply_update(update) {
                Ok(()) => (
                    inserts || !txn.delete_set().is_empty(),
                    txn.delete_set().clone(),
                ),
                Err(e) => {
                    tracing::error!(project = %self.project, error = %e, "a committed update does not apply");
                    (false, txn.delete_set().clone())
                }
            }
        };
        if let Ok(parsed) = parsed {
            self.validator.observe_applied(&parsed, &deleted);
        }
        if changed {
            metrics::counter!("folio_remote_updates_applied_total").increment(1);
            self.deliver(Out::AllExcept(None, protocol::sync_update(bytes)));
        }
    }

    /// With other nodes, a periodic look at the log bounds how long a missed fan-out
    /// message can go unnoticed (SPEC §8: heal within 2 s).
    pub(crate) fn heal(&mut self) {
        self.start_catch_up();
    }

    /// Reads what the log holds after `last_seq` (unless a read is already running).
    pub(super) fn start_catch_up(&mut self) {
        if self.catching_up {
            self.catch_up_again = true;
            return;
        }
        self.catching_up = true;
        self.effect(Effect::ReadLog {
            after: self.last_seq,
        });
    }

    /// The log read of `start_catch_up` ended.
    pub(crate) fn caught_up(&mut self, result: Result<StoredDoc, String>) {
        self.catching_up = false;
        match result {
            Ok(doc) => {
                let last = doc.last_seq();
                if let Some(snapshot) = doc
                    .snapshot
                    .as_deref()
                    .filter(|_| doc.snapshot_seq > self.last_seq)
                {
                    self.apply_durable(snapshot);
                    self.log_len = 0;
                }
                for (seq, update) in &doc.updates {
                    if *seq > self.last_seq {
                        self.apply_durable(update);
                        self.log_len += 1;
                    }
                }
                if last > self.last_seq {
                    metrics::counter!("folio_gaps_healed_total").increment(1);
                    self.last_seq = last;
                }
                self.pending.retain(|seq, _| *seq > last);
                self.drain_pending();
            }
            Err(e) => {
                tracing::warn!(project = %self.project, error = %e, "catching up from the store failed; will retry")
            }
        }
        if std::mem::take(&mut self.catch_up_again) || !self.pending.is_empty() {
            self.start_catch_up();
        }
    }
}
