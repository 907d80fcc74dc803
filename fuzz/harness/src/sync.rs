//! `sync_decoder`: one WebSocket binary frame, as a client sends it (SPEC §5), through
//! `protocol::decode_frame` under the server's default limits, then what the connection and
//! the room do with each decoded message without a store: awareness states are stamped with
//! the authenticated user, a SyncStep1's state vector is answered from a real book, and an
//! update is checked for news as for a viewer. Random bytes, truncated varints and giant
//! length prefixes must come out as `FrameError`s, never as panics or huge allocations (the
//! fuzz script runs this target under a small `-malloc_limit_mb`).

use std::cell::RefCell;

use folio_server::sync::protocol::{decode_frame, stamp_user, FrameError, Incoming, Limits};
use yrs::updates::decoder::Decode;
use yrs::{Doc, ReadTxn, Transact, Update};

use crate::book;

/// `FOLIO_MAX_AWARENESS_BYTES`' default.
pub const MAX_AWARENESS_BYTES: usize = 64 * 1024;

thread_local! {
    /// Read only: answering a state vector and looking for news do not change the doc.
    static DOC: RefCell<Option<Doc>> = const { RefCell::new(None) };
}

fn with_doc<R>(f: impl FnOnce(&Doc) -> R) -> R {
    DOC.with(|d| f(d.borrow_mut().get_or_insert_with(book::base_doc)))
}

pub fn sync_decoder(data: &[u8]) {
    let limits = Limits {
        max_awareness_bytes: MAX_AWARENESS_BYTES,
    };
    let msgs = match decode_frame(data, &limits) {
        Ok(m) => m,
        Err(e) => {
            // Every refusal becomes a close reason.
            let reason = e.to_string();
            assert!(!reason.is_empty());
            if let FrameError::AwarenessTooLarge { size, limit } = e {
                assert!(size > limit && limit == MAX_AWARENESS_BYTES);
            }
            return;
        }
    };
    assert!(!msgs.is_empty(), "a frame that decodes holds a message");
    let user = serde_json::json!({ "id": book::ALICE, "name": "Alice", "color": "#e91e63" });
    for msg in msgs {
        match msg {
            Incoming::SyncStep1(sv) => {
                let diff = with_doc(|doc| doc.transact().encode_diff_v1(&sv));
                Update::decode_v1(&diff).expect("the server's own SyncStep2 decodes");
            }
            Incoming::Content {
                update,
                parsed,
                raw,
            } => {
                assert!(raw.len() <= data.len());
                let _ = (parsed.blocks.len(), parsed.deletes.len());
                with_doc(|doc| crdt_schema::update_carries_news(&doc.transact(), &update));
            }
            Incoming::Awareness(entries) => {
                for mut entry in entries {
                    assert!(entry.json.len() <= MAX_AWARENESS_BYTES);
                    assert!(entry.client_id > 0 && entry.client_id < 1 << 53);
                    if stamp_user(&mut entry, &user).is_ok() && entry.json != "null" {
                        let stamped: serde_json::Value =
                            serde_json::from_str(&entry.json).expect("a stamped state is JSON");
                        assert_eq!(
                            stamped["user"], user,
                            "a stamped state shows the authenticated user"
                        );
                    }
                }
            }
            Incoming::QueryAwareness | Incoming::Auth => {}
        }
    }
}
