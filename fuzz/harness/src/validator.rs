//! `validator_contributor`, `validator_editor`, `validator_system`: one raw v1 update from a
//! writer of that level, taken through the room's own path (SPEC §6.3):
//!
//! 1. framed as a sync Update and decoded by `protocol::decode_frame`, as a socket's frame
//!    is (so the decoder's pre-checks apply, and an update it refuses ends here);
//! 2. refused when over `MAX_UPDATE_BYTES`, as the room does;
//! 3. `Validator::check_clients` (the room's own client id is someone else's; every other id
//!    is free), then `Validator::check` against the base book (`book.rs`) with the level's
//!    `Actor`;
//! 4. accepted: applied to the yrs doc with `apply_update` and committed to the validator with
//!    the transaction's delete set (`commit_applied`),
//!    then the book must still read (`read_book`), and a system edit on the room's own
//!    client id must still go through, as the room's next automix or meta change would;
//!    refused: the rejection names its rule, and the doc is as it was.
//!
//! None of this may panic.

use std::sync::Arc;

use crdt_schema::model::{self, ItemKind, PageKind};
use crdt_schema::schema::{MAX_UPDATE_BYTES, SYSTEM_USER};
use crdt_schema::validate::{parse_update, Actor, ClientClaim, Level, Validator};
use folio_server::sync::protocol::{decode_frame, sync_update, Incoming, Limits};
use yrs::{ReadTxn, StateVector, Transact};

use crate::book;

pub fn validator(level: Level, data: &[u8]) {
    if data.len() > MAX_UPDATE_BYTES {
        return;
    }
    let frame = sync_update(data);
    let Ok(mut msgs) = decode_frame(
        &frame,
        &Limits {
            max_awareness_bytes: 64 * 1024,
        },
    ) else {
        return;
    };
    assert_eq!(msgs.len(), 1, "one framed update decodes as one message");
    let Some(Incoming::Content {
        update,
        parsed,
        raw,
    }) = msgs.pop()
    else {
        panic!("a framed update decodes as content")
    };
    assert_eq!(
        &raw[..],
        data,
        "the decoder keeps the update's bytes as sent"
    );

    let doc = book::base_doc();
    let mut validator = Validator::from_state(book::base_state()).expect("the base book indexes");
    let before = doc.transact().state_vector();
    let actor = Actor {
        user: Arc::from(book::user_of(level)),
        level,
    };
    let room_client = doc.client_id().get();
    let checked = validator
        .check_clients(&parsed, |c| {
            if c == room_client {
                ClientClaim::Others
            } else {
                ClientClaim::Free
            }
        })
        .and_then(|()| validator.check(&parsed, &actor));
    match checked {
        Err(rejection) => {
            assert!(!rejection.rule.is_empty(), "a rejection names its rule");
            let _ = rejection.to_string();
            assert_eq!(
                doc.transact().state_vector(),
                before,
                "a refused update leaves the doc as it was"
            );
        }
        Ok(accepted) => {
            let applied = {
                let mut txn = doc.transact_mut();
                let _inserts = crdt_schema::update_inserts_news(&txn.state_vector(), &update);
                txn.apply_update(update).map(|()| txn.delete_set().clone())
            };
            // The room refuses (and does not commit) an update that fails to apply.
            if let Ok(deleted) = applied {
                validator.commit_applied(accepted, &deleted);
            }
            if let Err(e) = model::read_book(&doc.transact()) {
                panic!("the validator accepted an update from a {level:?} after which the book no longer reads: {e}");
            }
            system_edit(&doc, &mut validator);
        }
    }
}

/// A system edit on the room's doc after the update, observed as the room observes its own
/// edits: a new automix page with a photo, and the title in `meta`.
fn system_edit(doc: &yrs::Doc, validator: &mut Validator) {
    let (update, deleted) = {
        let mut txn = doc.transact_mut();
        let id = "5e5e5e5e-0000-4000-8000-00000000e001";
        if model::add_page(
            &mut txn,
            0,
            book::page(id, PageKind::Page, SYSTEM_USER, true),
        )
        .is_ok()
        {
            model::add_item(
                &mut txn,
                id,
                book::item(
                    "5e5e5e5e-0000-4000-8000-00000000e002",
                    ItemKind::Photo,
                    SYSTEM_USER,
                    [0.0, 0.0, 0.5, 0.5, 0.0],
                ),
            )
            .expect("an item on a page just made");
        }
        crdt_schema::set_meta(&mut txn, "title", "After the fuzz");
        (txn.encode_update_v1(), txn.delete_set().clone())
    };
    let parsed = parse_update(&update).expect("the room's own edit parses");
    validator.observe_applied(&parsed, &deleted);
    let again = doc
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    assert!(!again.is_empty());
}
