//! Restoring a version: edit the live document until its pages equal the version's.
//!
//! A restore is a new change on top of the history (SPEC §7), never a rewrite: what already
//! matches the version is left untouched, so a concurrent edit elsewhere in the book still
//! merges, and the restore itself can be undone by restoring the version taken before it.
//!
//! Only `pages` is restored. The book's `meta` (title, product, theme) mirrors the project
//! record, which is changed through the API, so it stays as it is now.

use std::collections::HashSet;

use yrs::types::text::YChange;
use yrs::types::ToJson;
use yrs::types::AsPrelim;
use yrs::{Any, Array, ArrayRef, Doc, GetString, Map, MapRef, OffsetKind, Out, ReadTxn, Text, TextRef, Transact, TransactionMut, WriteTxn};

use crate::schema::{self, page};

/// Brings the `pages` of `txn`'s document to those of `target`, with the fewest changes it
/// can find: pages and items are matched by id and edited in place, texts by their common
/// prefix and suffix. Pages that moved are copied to their place.
pub fn restore_pages(txn: &mut TransactionMut, target: &Doc) {
    let version = target.transact();
    let live = txn.get_or_insert_array(schema::ROOT_PAGES);
    match version.get_array(schema::ROOT_PAGES) {
        Some(wanted) => sync_array(txn, &live, &version, &wanted),
        None => {
            let len = live.len(txn);
            if len > 0 {
                live.remove_range(txn, 0, len);
            }
        }
    }
}

/// The `id` of a map element, when it has a string one.
fn id_of<T: ReadTxn>(txn: &T, value: &Out) -> Option<String> {
    match value {
        Out::YMap(map) => match map.get(txn, page::ID) {
            Some(Out::Any(Any::String(s))) => Some(s.to_string()),
            _ => None,
        },
        _ => None,
    }
}

fn sync_array<V: ReadTxn>(txn: &mut TransactionMut, live: &ArrayRef, version: &V, wanted: &ArrayRef) {
    let targets: Vec<Out> = wanted.iter(version).collect();
    let target_ids: Vec<Option<String>> = targets.iter().map(|v| id_of(version, v)).collect();
    let keyed = target_ids.iter().all(Option::is_some) && {
        let unique: HashSet<&String> = target_ids.iter().flatten().collect();
        unique.len() == target_ids.len()
    };
    if !keyed {
        // Not a list of maps with ids: compare whole, and replace whole when different.
        if live.to_json(txn) != wanted.to_json(version) {
            let len = live.len(txn);
            if len > 0 {
                live.remove_range(txn, 0, len);
            }
            for (i, value) in targets.iter().enumerate() {
                live.insert(txn, i as u32, value.as_prelim(version));
            }
        }
        return;
    }
    let wanted_set: HashSet<&str> = target_ids.iter().flatten().map(String::as_str).collect();

    // Drop what the version does not have, and second copies (left by concurrent moves).
    let current: Vec<Option<String>> = live.iter(txn).map(|v| id_of(txn, &v)).collect();
    for (i, id) in current.iter().enumerate().rev() {
        let keep = id.as_deref().is_some_and(|id| wanted_set.contains(id));
        if !keep {
            live.remove(txn, i as u32);
        }
    }
    let mut current: Vec<String> = live.iter(txn).filter_map(|v| id_of(txn, &v)).collect();
    let mut seen = HashSet::new();
    let duplicates: Vec<usize> = (0..current.len()).filter(|&i| !seen.insert(current[i].clone())).collect();
    for &i in duplicates.iter().rev() {
        live.remove(txn, i as u32);
        current.remove(i);
    }

    // Walk the version's order: edit in place where the id already sits there, else copy
    // the version's element in (and drop the live one from where it was).
    for (i, (value, id)) in targets.iter().zip(&target_ids).enumerate() {
        let id = id.as_deref().expect("keyed");
        if current.get(i).map(String::as_str) == Some(id) {
            if let (Some(Out::YMap(live_map)), Out::YMap(want)) = (live.get(txn, i as u32), value) {
                sync_map(txn, &live_map, version, want);
            }
            continue;
        }
        if let Some(j) = current.iter().skip(i).position(|c| c == id).map(|p| p + i) {
            live.remove(txn, j as u32);
            current.remove(j);
        }
        live.insert(txn, i as u32, value.as_prelim(version));
        current.insert(i, id.to_owned());
    }
    let extra = live.len(txn).saturating_sub(targets.len() as u32);
    if extra > 0 {
        live.remove_range(txn, targets.len() as u32, extra);
    }
}

fn sync_map<V: ReadTxn>(txn: &mut TransactionMut, live: &MapRef, version: &V, wanted: &MapRef) {
    let stale: Vec<String> = live.keys(txn).filter(|k| wanted.get(version, k).is_none()).map(str::to_owned).collect();
    for key in stale {
        live.remove(txn, &key);
    }
    let entries: Vec<(String, Out)> = wanted.iter(version).map(|(k, v)| (k.to_owned(), v)).collect();
    for (key, want) in entries {
        let done = match (live.get(txn, &key), &want) {
            (Some(Out::Any(have)), Out::Any(want)) => have == *want,
            (Some(Out::YMap(have)), Out::YMap(want)) => {
                sync_map(txn, &have, version, want);
                true
            }
            (Some(Out::YArray(have)), Out::YArray(want)) => {
                sync_array(txn, &have, version, want);
                true
            }
            (Some(Out::YText(have)), Out::YText(want)) => sync_text(txn, &have, version, want),
            _ => false,
        };
        if !done {
            live.insert(txn, key, want.as_prelim(version));
        }
    }
}

/// Splices a plain text to the wanted one through their common prefix and suffix, so a
/// concurrent edit of the same caption still lands. Returns false, leaving the text alone,
/// when either side has formatting or embeds: the caller then replaces it whole.
fn sync_text<V: ReadTxn>(txn: &mut TransactionMut, live: &TextRef, version: &V, wanted: &TextRef) -> bool {
    let plain = |d: &Vec<yrs::types::text::Diff<YChange>>| d.iter().all(|c| c.attributes.is_none() && matches!(c.insert, Out::Any(Any::String(_))));
    if !plain(&live.diff(txn, YChange::identity)) || !plain(&wanted.diff(version, YChange::identity)) {
        return false;
    }
    let have = live.get_string(txn);
    let want = wanted.get_string(version);
    if have == want {
        return true;
    }
    let prefix: usize = have.chars().zip(want.chars()).take_while(|(a, b)| a == b).map(|(a, _)| a.len_utf8()).sum();
    let (have_rest, want_rest) = (&have[prefix..], &want[prefix..]);
    let suffix: usize = have_rest.chars().rev().zip(want_rest.chars().rev()).take_while(|(a, b)| a == b).map(|(a, _)| a.len_utf8()).sum();
    let removed = &have_rest[..have_rest.len() - suffix];
    let inserted = &want_rest[..want_rest.len() - suffix];
    let units = |s: &str| match txn.doc().offset_kind() {
        OffsetKind::Utf16 => s.encode_utf16().count() as u32,
        OffsetKind::Bytes => s.len() as u32,
    };
    let (at, removed_len) = (units(&have[..prefix]), units(removed));
    if removed_len > 0 {
        live.remove_range(txn, at, removed_len);
    }
    if !inserted.is_empty() {
        live.insert(txn, at, inserted);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{self as edit, read_book, Background, ItemKind, NewItem, NewPage, PageKind, Style};
    use yrs::updates::decoder::Decode;
    use yrs::{StateVector, Update};

    const USER: &str = "11111111-1111-1111-1111-111111111111";

    fn book() -> Doc {
        let doc = Doc::with_client_id(1);
        doc.transact_mut().apply_update(Update::decode_v1(&crate::new_book(7, "Trip", "square-8x8", "travel")).unwrap()).unwrap();
        doc
    }

    fn copy(doc: &Doc, client: u64) -> Doc {
        let out = Doc::with_client_id(client);
        let update = doc.transact().encode_state_as_update_v1(&StateVector::default());
        out.transact_mut().apply_update(Update::decode_v1(&update).unwrap()).unwrap();
        out
    }

    fn json(doc: &Doc) -> Any {
        let txn = doc.transact();
        txn.get_array(schema::ROOT_PAGES).map(|p| p.to_json(&txn)).unwrap_or(Any::Null)
    }

    fn add_page(doc: &Doc, id: &str, index: u32) {
        let page = NewPage { id: id.into(), kind: PageKind::Page, layout: None, background: Background::default(), created_by: USER.into(), auto: false };
        edit::add_page(&mut doc.transact_mut(), index, page).unwrap();
    }

    fn add_text(doc: &Doc, page: &str, item: &str, text: &str) {
        let mut txn = doc.transact_mut();
        let new = NewItem {
            id: item.into(),
            kind: ItemKind::Text,
            bbox: [0.1, 0.1, 0.3, 0.1, 0.0],
            z: 0.0,
            created_by: USER.into(),
            photo: None,
            text: None,
            style: Style::default(),
            slot: None,
        };
        edit::add_item(&mut txn, page, new).unwrap();
        edit::set_caption(&mut txn, page, item, text).unwrap();
    }

    fn restore(live: &Doc, version: &Doc) -> Vec<u8> {
        let mut txn = live.transact_mut();
        restore_pages(&mut txn, version);
        txn.encode_update_v1()
    }

    #[test]
    fn a_restore_brings_back_removed_moved_and_edited_pages() {
        let doc = book();
        for (i, id) in ["p1", "p2", "p3"].iter().enumerate() {
            add_page(&doc, id, i as u32);
        }
        add_text(&doc, "p2", "t1", "Hello world");
        let version = copy(&doc, 2);

        edit::remove_page(&mut doc.transact_mut(), "p1").unwrap();
        edit::move_page(&mut doc.transact_mut(), "p3", 0).unwrap();
        add_page(&doc, "p4", 1);
        edit::edit_caption(&mut doc.transact_mut(), "p2", "t1", 6, 5, "there").unwrap();
        edit::move_item(&mut doc.transact_mut(), "p2", "t1", 0.5, 0.5).unwrap();
        assert_ne!(json(&doc), json(&version));

        restore(&doc, &version);
        assert_eq!(json(&doc), json(&version));
        assert!(read_book(&doc.transact()).is_ok(), "the restored book reads as a valid book");
    }

    #[test]
    fn restoring_what_already_matches_writes_nothing() {
        let doc = book();
        add_page(&doc, "p1", 0);
        add_text(&doc, "p1", "t1", "same");
        let version = copy(&doc, 2);
        let update = restore(&doc, &version);
        assert_eq!(update.as_slice(), Update::EMPTY_V1);
    }

    #[test]
    fn a_caption_is_spliced_so_a_concurrent_edit_elsewhere_in_it_survives() {
        let doc = book();
        add_page(&doc, "p1", 0);
        add_text(&doc, "p1", "t1", "one two three");
        let version = copy(&doc, 2);
        edit::edit_caption(&mut doc.transact_mut(), "p1", "t1", 0, 3, "ONE").unwrap();

        // Someone else, concurrently, appends to the end of the same caption.
        let other = copy(&doc, 3);
        edit::edit_caption(&mut other.transact_mut(), "p1", "t1", 13, 0, "!").unwrap();
        let theirs = other.transact().encode_state_as_update_v1(&doc.transact().state_vector());

        let ours = restore(&doc, &version);
        doc.transact_mut().apply_update(Update::decode_v1(&theirs).unwrap()).unwrap();
        other.transact_mut().apply_update(Update::decode_v1(&ours).unwrap()).unwrap();
        let caption = |d: &Doc| read_book(&d.transact()).unwrap().pages[0].items[0].text.clone();
        assert_eq!(caption(&doc).as_deref(), Some("one two three!"));
        assert_eq!(caption(&other), caption(&doc));
    }

    #[test]
    fn restoring_an_empty_book_removes_every_page() {
        let empty = book();
        let doc = copy(&empty, 2);
        add_page(&doc, "p1", 0);
        add_page(&doc, "p2", 1);
        restore(&doc, &empty);
        assert_eq!(json(&doc), json(&empty));
    }
}
