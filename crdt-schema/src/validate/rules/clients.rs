//! The room's rules on Yjs client ids and clocks: new content only under the sender's own
//! client id, and GC blocks that claim no one else's clocks.

use super::*;

/// Whose a Yjs client id is, as the room sees the connection that sends an update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientClaim {
    /// The sender's: it announced the id in its awareness or wrote under it before.
    Mine,
    /// Another connection's, another user's, or the server's own.
    Others,
    /// Nobody's as far as the room knows.
    Free,
}

fn client_err(message: impl Into<String>) -> Rejection {
    Rejection::new("client ids", message)
}

pub(crate) fn check_clients(
    index: &DocIndex,
    update: &ParsedUpdate,
    claim: impl Fn(u64) -> ClientClaim,
) -> Result<(), Rejection> {
    let too_far = || size_err(format!("a Yjs clock may not reach {}", schema::MAX_CLOCK));
    let mut seen: Vec<(u64, ClientClaim, u32)> = Vec::new();
    let mut lookup = |client: u64| -> (ClientClaim, u32) {
        if let Some((_, c, k)) = seen.iter().find(|(id, _, _)| *id == client) {
            return (*c, *k);
        }
        let entry = (claim(client), index.known_clock(client));
        seen.push((client, entry.0, entry.1));
        entry
    };
    for b in &update.blocks {
        let end = b.id.clock.checked_add(b.len).ok_or_else(too_far)?;
        if end > schema::MAX_CLOCK {
            return Err(too_far());
        }
        let (claim, known) = lookup(b.id.client);
        if end <= known {
            continue;
        }
        // Content sent already deleted (or collected) that starts inside what the server
        // has: yrs 0.28 deletes the whole range it names, known content included. Stock
        // clients start at the server's clock; found by the validator fuzz targets.
        let dead = matches!(&b.body, BlockBody::Gc)
            || matches!(&b.body, BlockBody::Item(it) if it.content == Content::Deleted);
        if dead && b.id.clock < known {
            return Err(client_err(format!("the update re-sends deleted clocks of Yjs client id {} that the server already has", b.id.client)));
        }
        match (&b.body, claim) {
            (_, ClientClaim::Others) => {
                return Err(client_err(format!(
                    "the update writes under Yjs client id {} which belongs to another connection; a client writes under its own id",
                    b.id.client
                )))
            }
            (BlockBody::Gc, ClientClaim::Free) if known > 0 => {
                return Err(client_err(format!(
                    "the update marks clocks of Yjs client id {} as collected garbage; only that client's own connection may",
                    b.id.client
                )))
            }
            _ => {}
        }
    }
    for (client, range) in &update.skips {
        if range.end > schema::MAX_CLOCK {
            return Err(too_far());
        }
        let (claim, known) = lookup(*client);
        if range.end > known && claim != ClientClaim::Mine {
            return Err(client_err(format!(
                "the update skips clocks of Yjs client id {client}, which is not this connection's"
            )));
        }
    }
    if update
        .deletes
        .iter()
        .any(|(_, r)| r.end > schema::MAX_CLOCK)
    {
        return Err(too_far());
    }
    Ok(())
}
