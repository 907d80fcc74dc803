//! The document roots (`meta`, `pages`) and small operations on them.

use yrs::types::ToJson;
use yrs::updates::decoder::Decode;
use yrs::{Any, Doc, Map, ReadTxn, StateVector, Transact, TransactionMut, Update, WriteTxn};

pub use crate::schema::SCHEMA_VERSION;

/// The first update of a new book: `meta` with schema, title, product and theme, and an
/// empty `pages` array. `client_id` is the writer's Yjs client id, chosen by the caller.
pub fn new_book(client_id: u64, title: &str, product: &str, theme: &str) -> Vec<u8> {
    let doc = Doc::with_client_id(client_id);
    let mut txn = doc.transact_mut();
    crate::model::create_book(&mut txn, &crate::model::Meta::new(title, product, theme));
    txn.encode_update_v1()
}

/// Sets one string field of `meta` (title, product or theme).
pub fn set_meta(txn: &mut TransactionMut, key: &str, value: &str) {
    let meta = txn.get_or_insert_map("meta");
    meta.insert(txn, key, value);
}

/// The book title kept in `meta`, if any.
pub fn meta_title<T: ReadTxn>(txn: &T) -> Option<String> {
    let meta = txn.get_map("meta")?;
    match meta.get(txn, "title")?.to_json(txn) {
        Any::String(s) => Some(s.to_string()),
        _ => None,
    }
}

/// Whether `update` inserts anything a document with state vector `sv` has not
/// integrated, or deletes anything the document has not seen yet (those wait as pending).
/// O(size of the update); deletions of known content are not looked at.
pub fn update_inserts_news(sv: &StateVector, update: &Update) -> bool {
    if update.extends(sv) {
        return true;
    }
    // Blocks wholly beyond the known state (they would wait as pending) are news as well.
    for (client, clock) in update.state_vector().iter() {
        if *clock > sv.get(client) {
            return true;
        }
    }
    for (client, clock) in update.state_vector_lower().iter() {
        if *clock >= sv.get(client) {
            return true;
        }
    }
    let ds = update.delete_set();
    for client in ds.client_ids() {
        let known = sv.get(&client);
        if let Some(ranges) = ds.get(&client) {
            if ranges.iter().any(|(r, _)| r.end > known) {
                return true;
            }
        }
    }
    false
}

/// Whether applying `update` would change a document in state `txn`: it inserts something
/// the document has not integrated, or deletes something not yet deleted. An update that
/// only repeats known content is not a write (SPEC §5). This reads the document's whole
/// delete set when the update deletes only known content, so it is for the rare read-only
/// path; writers apply and look at the transaction instead.
pub fn update_carries_news<T: ReadTxn>(txn: &T, update: &Update) -> bool {
    if update_inserts_news(&txn.state_vector(), update) {
        return true;
    }
    let ds = update.delete_set();
    if ds.is_empty() {
        return false;
    }
    let known = txn.snapshot().delete_set;
    for client in ds.client_ids() {
        let Some(range) = ds.get(&client) else {
            continue;
        };
        match known.get(&client) {
            Some(k) if range.subset_of(k) => {}
            _ => return true,
        }
    }
    false
}

/// Decodes a v1 update, for callers that hold bytes.
pub fn decode_update(bytes: &[u8]) -> Result<Update, yrs::encoding::read::Error> {
    Update::decode_v1(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::updates::encoder::Encode;
    use yrs::{GetString, Text};

    fn doc_with(update: &[u8]) -> Doc {
        let doc = Doc::new();
        doc.transact_mut()
            .apply_update(Update::decode_v1(update).unwrap())
            .unwrap();
        doc
    }

    #[test]
    fn new_book_has_meta_and_pages() {
        let doc = doc_with(&new_book(42, "Summer", "square-8x8", "everyday"));
        let txn = doc.transact();
        assert_eq!(meta_title(&txn).as_deref(), Some("Summer"));
        assert!(txn.get_array("pages").is_some());
    }

    #[test]
    fn repeated_content_is_not_news() {
        let a = Doc::with_client_id(1);
        let text = a.get_or_insert_text("t");
        text.insert(&mut a.transact_mut(), 0, "hello");
        text.remove_range(&mut a.transact_mut(), 0, 1);
        let full = a
            .transact()
            .encode_state_as_update_v1(&StateVector::default());

        let b = doc_with(&full);
        let txn = b.transact();
        assert!(!update_carries_news(
            &txn,
            &Update::decode_v1(&full).unwrap()
        ));
        // An empty diff with the full delete set, as a client's SyncStep2 carries.
        let diff = a.transact().encode_diff_v1(&txn.state_vector());
        assert!(!update_carries_news(
            &txn,
            &Update::decode_v1(&diff).unwrap()
        ));
        drop(txn);

        let more = {
            let mut t = a.transact_mut();
            text.insert(&mut t, 0, "x");
            t.encode_update_v1()
        };
        assert!(update_carries_news(
            &b.transact(),
            &Update::decode_v1(&more).unwrap()
        ));
        let del = {
            let mut t = a.transact_mut();
            text.remove_range(&mut t, 1, 2);
            t.encode_update_v1()
        };
        b.transact_mut()
            .apply_update(Update::decode_v1(&more).unwrap())
            .unwrap();
        assert!(update_carries_news(
            &b.transact(),
            &Update::decode_v1(&del).unwrap()
        ));
        b.transact_mut()
            .apply_update(Update::decode_v1(&del).unwrap())
            .unwrap();
        assert!(!update_carries_news(
            &b.transact(),
            &Update::decode_v1(&del).unwrap()
        ));
        assert_eq!(
            b.get_or_insert_text("t").get_string(&b.transact()),
            a.get_or_insert_text("t").get_string(&a.transact())
        );
        let _ = StateVector::default().encode_v1();
    }
}
