//! Awareness (cursors, selections, who is here): states set by this node's connections for
//! the client ids they own, and states from other nodes' connections.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use yrs::sync::awareness::{AwarenessUpdate, AwarenessUpdateEntry};
use yrs::ClientID;

use super::content::MAX_OWNED_CLIENTS;
use super::machine::{Out, RoomCore};
use super::Effect;
use crate::fanout::Event;
use crate::sync::protocol::{self, AwarenessEntry, Incoming};

impl RoomCore {
    /// Awareness states from connection `conn`, already stamped with its user.
    pub(super) fn awareness_update(&mut self, conn: u64, entries: Vec<AwarenessEntry>) {
        let mut accepted = HashMap::new();
        for e in entries {
            match self.owners.get(&e.client_id) {
                Some(owner) if *owner != conn => continue,
                Some(_) => {}
                None => {
                    // Stock y-websocket clients send back every awareness state they receive.
                    // A state for an id this room holds live (from another node: local ids
                    // have owners) at a clock it already has is such an echo, not a claim;
                    // letting it claim the id would stamp someone's cursor with the echoing
                    // user's name. A real owner arriving here (say, after its node died)
                    // claims the id with its next change, which has a newer clock.
                    let id = ClientID::new(e.client_id);
                    let live = self.awareness.state::<serde::de::IgnoredAny>(id).is_some();
                    if live
                        && self
                            .awareness
                            .meta(id)
                            .is_some_and(|(clock, _)| e.clock <= clock)
                    {
                        continue;
                    }
                    let state = self.peers.get_mut(&conn).expect("peer exists");
                    if state.owned.len() >= MAX_OWNED_CLIENTS {
                        continue;
                    }
                    // An id someone else has written under stays theirs.
                    if self
                        .client_users
                        .get(&e.client_id)
                        .is_some_and(|u| *u != state.info.user_str)
                    {
                        continue;
                    }
                    state.owned.insert(e.client_id);
                    self.owners.insert(e.client_id, conn);
                }
            }
            accepted.insert(
                ClientID::new(e.client_id),
                AwarenessUpdateEntry {
                    clock: e.clock,
                    json: Arc::from(e.json),
                },
            );
        }
        if accepted.is_empty() {
            return;
        }
        let update = AwarenessUpdate { clients: accepted };
        let changed = match self.awareness.apply_update_summary(update.clone()) {
            Ok(Some(summary)) => summary.all_changes(),
            _ => return,
        };
        if changed.is_empty() {
            return;
        }
        if let Ok(relay) = self.awareness.update_with_clients(changed) {
            let bytes = encode(&relay);
            self.publish_awareness(bytes.clone());
            self.deliver(Out::AllExcept(Some(conn), bytes));
        }
    }

    pub(super) fn publish_awareness(&mut self, frame: Bytes) {
        self.effect(Effect::Publish(Event::Awareness {
            origin: self.rules.node_id,
            project: self.project,
            update: frame,
        }));
    }

    /// All current awareness states, or `None` when there are none.
    pub(super) fn awareness_state(&self) -> Option<Bytes> {
        let update = self.awareness.update().ok()?;
        if update.clients.is_empty() {
            return None;
        }
        Some(encode(&update))
    }

    /// Awareness from a client of another node: kept, so this node's new clients see it,
    /// and relayed to this node's clients.
    pub(super) fn remote_awareness(&mut self, frame: Bytes) {
        let limits = protocol::Limits {
            max_awareness_bytes: usize::MAX,
        };
        let Ok(msgs) = protocol::decode_frame(&frame, &limits) else {
            return;
        };
        for msg in msgs {
            if let Incoming::Awareness(entries) = msg {
                // Ids owned by a connection here belong to that connection: another node's
                // word on them is neither applied nor passed on.
                let total = entries.len();
                let clients = entries
                    .into_iter()
                    .filter(|e| !self.owners.contains_key(&e.client_id))
                    .map(|e| {
                        (
                            ClientID::new(e.client_id),
                            AwarenessUpdateEntry {
                                clock: e.clock,
                                json: Arc::from(e.json),
                            },
                        )
                    })
                    .collect::<HashMap<_, _>>();
                if clients.is_empty() {
                    continue;
                }
                let update = AwarenessUpdate { clients };
                let _ = self.awareness.apply_update(update.clone());
                let out = if update.clients.len() == total {
                    frame.clone()
                } else {
                    encode(&update)
                };
                self.deliver(Out::AllExcept(None, out));
            }
        }
    }
}

/// One awareness frame for `update`.
pub(super) fn encode(update: &AwarenessUpdate) -> Bytes {
    protocol::awareness(
        update
            .clients
            .iter()
            .map(|(c, e)| (c.get(), e.clock, e.json.as_ref()))
            .collect::<Vec<_>>()
            .into_iter(),
    )
}
