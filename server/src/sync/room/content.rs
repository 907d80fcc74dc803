//! Document updates from connections: checked against the role and the book's rules,
//! applied once, and queued for the next commit; or held back until the content they build
//! on arrives; or refused with a reason.

use std::time::{Duration, Instant};

use bytes::Bytes;
use yrs::updates::decoder::Decode;
use yrs::{ReadTxn, Transact, Update};

use crdt_schema::schema;
use crdt_schema::validate::{Actor, BlockBody, ClientClaim, Level, ParsedUpdate, CAUSALITY};

use super::machine::{Out, RoomCore};
use crate::access::Role;
use crate::sync::protocol;

/// Awareness client ids (and client ids written under) one connection may own; a real
/// client uses one.
pub(super) const MAX_OWNED_CLIENTS: usize = 16;

/// How many updates, and bytes, a connection may have held, and for how long.
const MAX_HELD: usize = 256;
const MAX_HELD_BYTES: usize = 4 * 1024 * 1024;
pub(super) const HOLD_FOR: Duration = Duration::from_secs(10);

const CAUSALITY_REFUSAL: &str = "rule 0 (causality): the update builds on content the server does not have; reload the book and try again";

/// An update held back until the content it builds on arrives.
pub(super) struct Held {
    raw: Bytes,
    parsed: ParsedUpdate,
    since: Instant,
}

impl RoomCore {
    /// Validates and applies one update from a connection; true when it was applied.
    /// `since` is when the update first arrived (it may have been held).
    pub(super) fn content(
        &mut self,
        now: Instant,
        conn: u64,
        update: Update,
        parsed: ParsedUpdate,
        raw: Bytes,
        since: Instant,
    ) -> bool {
        let peer = &self.peers[&conn].info;
        let role = peer.role;
        if !role.can_write_doc() {
            // A viewer's SyncStep2 on connect repeats known content; only real news is a write.
            if crdt_schema::update_carries_news(&self.doc().transact(), &update) {
                self.refuse(
                    conn,
                    "read_only",
                    &format!("a {role} can view this book but not edit it"),
                );
            }
            return false;
        }
        if raw.len() > schema::MAX_UPDATE_BYTES {
            self.refuse(
                conn,
                "too_large",
                &format!(
                    "rule 3 (sizes): an update may be at most {} bytes",
                    schema::MAX_UPDATE_BYTES
                ),
            );
            return false;
        }
        let actor = Actor {
            user: peer.user_str.clone(),
            level: if role >= Role::Editor {
                Level::Editor
            } else {
                Level::Contributor
            },
        };
        // Client ids and clocks first: no one writes under another's client id, or claims
        // its clocks with a garbage-collected range (SPEC §15).
        if let Err(rejection) = self
            .validator
            .check_clients(&parsed, |client| self.claim(conn, client))
        {
            self.refuse(conn, "invalid", &rejection.to_string());
            return false;
        }
        // The client ids this update writes new content under become this connection's.
        let mut writes_under: Vec<u64> = Vec::new();
        for b in &parsed.blocks {
            if matches!(b.body, BlockBody::Item(_))
                && b.id.clock + b.len > self.validator.index().known_clock(b.id.client)
                && !writes_under.contains(&b.id.client)
            {
                writes_under.push(b.id.client);
            }
        }
        // Checked against the document's structure before anything is applied (SPEC §6.3).
        let accepted = match self.validator.check(&parsed, &actor) {
            Ok(a) => a,
            Err(rejection) if rejection.rule == CAUSALITY => {
                drop(update);
                if !self.hold(now, conn, raw, parsed, since) {
                    self.refuse(conn, "invalid", &rejection.to_string());
                }
                return false;
            }
            Err(rejection) => {
                self.refuse(conn, "invalid", &rejection.to_string());
                return false;
            }
        };
        // One apply; the transaction itself says whether anything changed.
        let changed = {
            let mut txn = self.doc().transact_mut();
            let inserts = crdt_schema::update_inserts_news(&txn.state_vector(), &update);
            match txn.apply_update(update) {
                Ok(()) => Ok((
                    inserts || !txn.delete_set().is_empty(),
                    txn.delete_set().clone(),
                )),
                Err(e) => Err(e),
            }
        };
        match changed {
            Ok((changed, deleted)) => {
                // The index learns what yrs really deleted, overwritten map values included.
                self.validator.commit_applied(accepted, &deleted);
                for client in writes_under {
                    self.take_client(conn, client);
                }
                if changed {
                    self.accept(now, Some(conn), raw);
                }
                true
            }
            Err(e) => {
                tracing::warn!(project = %self.project, error = %e, "a validated update failed to apply");
                self.refuse(conn, "invalid", &format!("update refused: {e}"));
                false
            }
        }
    }

    /// Whose Yjs client id `client` is, from connection `conn`'s point of view.
    fn claim(&self, conn: u64, client: u64) -> ClientClaim {
        if client == self.doc().client_id().get() {
            return ClientClaim::Others;
        }
        if let Some(owner) = self.owners.get(&client) {
            return if *owner == conn {
                ClientClaim::Mine
            } else {
                ClientClaim::Others
            };
        }
        match (self.client_users.get(&client), self.peers.get(&conn)) {
            (Some(user), Some(state)) if *user == state.info.user_str => ClientClaim::Mine,
            (Some(_), _) => ClientClaim::Others,
            (None, _) => ClientClaim::Free,
        }
    }

    /// Records that `conn` wrote under `client`: the id is its connection's while it stays,
    /// and its user's while the room is loaded.
    fn take_client(&mut self, conn: u64, client: u64) {
        let Some(state) = self.peers.get_mut(&conn) else {
            return;
        };
        self.client_users
            .entry(client)
            .or_insert_with(|| state.info.user_str.clone());
        if self.owners.contains_key(&client) || state.owned.len() >= MAX_OWNED_CLIENTS {
            return;
        }
        state.owned.insert(client);
        self.owners.insert(client, conn);
    }

    /// Holds back an update that builds on content the server does not have yet, instead of
    /// refusing it. A stock client reconnecting after offline edits sends its next edits as
    /// soon as the socket opens, but the offline content they build on only in its SyncStep2
    /// a moment later; Yjs itself keeps such updates pending, and so does the room, until
    /// the connection's next applied update. Bounded per connection in count, bytes and
    /// time; past a bound the oldest is refused as before. False when the update cannot be
    /// held (it alone is over the byte bound).
    fn hold(
        &mut self,
        now: Instant,
        conn: u64,
        raw: Bytes,
        parsed: ParsedUpdate,
        since: Instant,
    ) -> bool {
        self.expire_held(now, conn);
        let state = self.peers.get_mut(&conn).expect("peer exists");
        if raw.len() > MAX_HELD_BYTES {
            return false;
        }
        state.held_bytes += raw.len();
        state.held.push_back(Held { raw, parsed, since });
        metrics::counter!("folio_updates_held_total").increment(1);
        let mut over = 0;
        while state.held.len() > MAX_HELD || state.held_bytes > MAX_HELD_BYTES {
            let Some(oldest) = state.held.pop_front() else {
                break;
            };
            state.held_bytes -= oldest.raw.len();
            over += 1;
        }
        for _ in 0..over {
            self.refuse(conn, "invalid", CAUSALITY_REFUSAL);
        }
        true
    }

    /// Refuses held updates that waited longer than `HOLD_FOR`.
    fn expire_held(&mut self, now: Instant, conn: u64) {
        let Some(state) = self.peers.get_mut(&conn) else {
            return;
        };
        let mut expired = 0;
        while state
            .held
            .front()
            .is_some_and(|h| now.saturating_duration_since(h.since) > HOLD_FOR)
        {
            let h = state.held.pop_front().expect("front exists");
            state.held_bytes -= h.raw.len();
            expired += 1;
        }
        for _ in 0..expired {
            self.refuse(conn, "invalid", CAUSALITY_REFUSAL);
        }
    }

    /// Something from `conn` was applied: try its held updates again, in order, until no
    /// more of them apply.
    pub(super) fn retry_held(&mut self, now: Instant, conn: u64) {
        loop {
            let Some(state) = self.peers.get_mut(&conn) else {
                return;
            };
            if state.held.is_empty() {
                return;
            }
            let held = std::mem::take(&mut state.held);
            state.held_bytes = 0;
            let mut progressed = false;
            for h in held {
                if !self.peers.contains_key(&conn) {
                    return;
                }
                match Update::decode_v1(&h.raw) {
                    Ok(update) => {
                        progressed |= self.content(now, conn, update, h.parsed, h.raw, h.since)
                    }
                    Err(_) => continue,
                }
            }
            if !progressed {
                return;
            }
        }
    }

    /// Answers a refused update with PermissionDenied; nothing of it was applied.
    pub(super) fn refuse(&mut self, conn: u64, reason_label: &'static str, reason: &str) {
        metrics::counter!("folio_updates_rejected_total", "reason" => reason_label).increment(1);
        self.deliver(Out::To(
            conn,
            protocol::permission_denied(&format!("permission denied: {reason}")),
        ));
    }

    /// Records an applied update for the next commit and queues its relay behind it.
    pub(super) fn accept(&mut self, now: Instant, from: Option<u64>, raw: Bytes) {
        metrics::counter!("folio_updates_applied_total").increment(1);
        let relay = protocol::sync_update(&raw);
        self.collecting.updates.push(raw);
        self.emit(Out::AllExcept(from, relay));
        self.start_commit(now);
    }
}
