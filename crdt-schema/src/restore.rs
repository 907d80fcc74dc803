//! Restoring a version: edit the live document until its pages equal the version's.
//!
//! A restore is a new change on top of the history (SPEC §7), never a rewrite: what already
//! matches the version is left untouched, so a concurrent edit elsewhere in the book still
//! merges, and the restore itself can be undone by restoring the version taken before it.
//!
//! Only `pages` is restored. The book's `meta` (title, product, theme) mirrors the project
//! record, which is changed through the API, so it stays as it is now.
//!
//! A restore never loses what a person made since the version (SPEC §15): an item a person
//! created since stays exactly as it is, on its page, and a page a person created, or that
//! holds such an item, stays in the book although the version does not have it. What the
//! version does have is brought back to the version's state: that is what restoring means.
//! What was kept is reported in [`Kept`], so the answer can say so.

use std::collections::HashSet;

use yrs::types::text::YChange;
use yrs::types::AsPrelim;
use yrs::types::ToJson;
use yrs::{
    Any, Array, ArrayRef, Doc, GetString, Map, MapRef, OffsetKind, Out, ReadTxn, Text, TextRef,
    Transact, TransactionMut, WriteTxn,
};

use serde::Serialize;

use crate::schema::{self, page};

/// What a restore left as it is because a person made it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Kept {
    /// Pages the version does not have that stay in the book, because a person created
    /// them or put an item on them.
    pub pages: Vec<String>,
    /// Items a person created since the version, which the restore left exactly as they are.
    pub items: Vec<KeptItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeptItem {
    pub page_id: String,
    pub item_id: String,
}

impl Kept {
    pub fn is_empty(&self) -> bool {
        self.pages.is_empty() && self.items.is_empty()
    }
}

/// Brings the `pages` of `txn`'s document to those of `target`, with the fewest changes it
/// can find: pages and items are matched by id and edited in place, texts by their common
/// prefix and suffix. Pages that moved are copied to their place. What a person made is
/// kept as it is (see the module comment) and returned.
pub fn restore_pages(txn: &mut TransactionMut, target: &Doc) -> Kept {
    let version = target.transact();
    let live = txn.get_or_insert_array(schema::ROOT_PAGES);
    let mut kept = Kept::default();
    match version.get_array(schema::ROOT_PAGES) {
        Some(wanted) => restore_page_list(txn, &live, &version, Some(&wanted), &mut kept),
        None => restore_page_list(txn, &live, &version, None, &mut kept),
    }
    kept
}

/// A string field of a map element.
fn string_field<T: ReadTxn>(txn: &T, map: &MapRef, key: &str) -> Option<String> {
    match map.get(txn, key) {
        Some(Out::Any(Any::String(s))) => Some(s.to_string()),
        _ => None,
    }
}

fn made_by_person<T: ReadTxn>(txn: &T, map: &MapRef) -> bool {
    // A page or item without a readable creator is not known to be the system's.
    string_field(txn, map, page::CREATED_BY).as_deref() != Some(schema::SYSTEM_USER)
}

fn items_map<T: ReadTxn>(txn: &T, page_map: &MapRef) -> Option<MapRef> {
    match page_map.get(txn, page::ITEMS) {
        Some(Out::YMap(m)) => Some(m),
        _ => None,
    }
}

/// A page a restore must keep: a person created it, or it holds an item a person created.
fn page_is_persons<T: ReadTxn>(txn: &T, page_map: &MapRef) -> bool {
    made_by_person(txn, page_map)
        || items_map(txn, page_map).is_some_and(|items| {
            items
                .iter(txn)
                .any(|(_, v)| matches!(v, Out::YMap(m) if made_by_person(txn, &m)))
        })
}

/// The pages: the version's, in its order, plus the live pages a person made, each kept
/// after the page it follows now.
fn restore_page_list<V: ReadTxn>(
    txn: &mut TransactionMut,
    live: &ArrayRef,
    version: &V,
    wanted: Option<&ArrayRef>,
    kept: &mut Kept,
) {
    let targets: Vec<Out> = wanted
        .map(|w| w.iter(version).collect())
        .unwrap_or_default();
    let target_ids: Vec<Option<String>> = targets.iter().map(|v| id_of(version, v)).collect();
    let keyed = target_ids.iter().all(Option::is_some) && {
        let unique: HashSet<&String> = target_ids.iter().flatten().collect();
        unique.len() == target_ids.len()
    };
    if !keyed {
        // Not a book's pages (no ids): nothing can be matched, so nothing is restored.
        return;
    }
    let wanted_set: HashSet<&str> = target_ids.iter().flatten().map(String::as_str).collect();

    // Drop what the version does not have (unless a person made it), and second copies
    // (left by concurrent moves).
    let current: Vec<(Option<String>, bool)> = live
        .iter(txn)
        .map(|v| {
            let persons = matches!(&v, Out::YMap(m) if page_is_persons(txn, m));
            (id_of(txn, &v), persons)
        })
        .collect();
    let mut seen = HashSet::new();
    for (i, (id, persons)) in current.iter().enumerate().rev() {
        let first_copy = id.as_deref().is_some_and(|id| {
            current[..i]
                .iter()
                .all(|(other, _)| other.as_deref() != Some(id))
        });
        let in_version = id.as_deref().is_some_and(|id| wanted_set.contains(id));
        if !(first_copy && (in_version || *persons)) {
            live.remove(txn, i as u32);
        }
        let _ = seen.insert(i);
    }

    // The order wanted: the version's pages, and after each live page the kept pages that
    // follow it now.
    enum Want<'a> {
        Version(&'a Out, &'a str),
        Keep(String),
    }
    let live_ids: Vec<String> = live.iter(txn).filter_map(|v| id_of(txn, &v)).collect();
    let mut order: Vec<Want> = targets
        .iter()
        .zip(&target_ids)
        .map(|(v, id)| Want::Version(v, id.as_deref().expect("keyed")))
        .collect();
    for (n, id) in live_ids.iter().enumerate() {
        if wanted_set.contains(id.as_str()) {
            continue;
        }
        kept.pages.push(id.clone());
        let after = live_ids[..n].iter().rev().find_map(|prev| {
            order.iter().position(|w| match w {
                Want::Version(_, v) => *v == prev.as_str(),
                Want::Keep(k) => k == prev,
            })
        });
        let at = after.map(|p| p + 1).unwrap_or(0);
        order.insert(at, Want::Keep(id.clone()));
    }

    // Walk the order: edit in place where the id already sits there. A live page elsewhere
    // is copied to its place whole (with whatever people put on it since) and then edited;
    // a page the live book lacks is copied in from the version.
    let mut current = live_ids;
    for (i, want) in order.iter().enumerate() {
        let id = match want {
            Want::Version(_, id) => *id,
            Want::Keep(id) => id.as_str(),
        };
        if current.get(i).map(String::as_str) != Some(id) {
            let from = current.iter().skip(i).position(|c| c == id).map(|p| p + i);
            let prelim = match (want, from) {
                (_, Some(j)) => match live.get(txn, j as u32) {
                    Some(v) => v.as_prelim(&*txn),
                    None => continue,
                },
                (Want::Version(value, _), None) => value.as_prelim(version),
                (Want::Keep(_), None) => continue,
            };
            if let Some(j) = from {
                live.remove(txn, j as u32);
                current.remove(j);
            }
            live.insert(txn, i as u32, prelim);
            current.insert(i, id.to_owned());
        }
        match (want, live.get(txn, i as u32)) {
            (Want::Version(Out::YMap(want), id), Some(Out::YMap(live_map))) => {
                restore_page(txn, &live_map, version, want, id, kept)
            }
            (Want::Keep(id), Some(Out::YMap(live_map))) => {
                note_persons_items(txn, &live_map, id, kept)
            }
            _ => {}
        }
    }
    let extra = live.len(txn).saturating_sub(order.len() as u32);
    if extra > 0 {
        live.remove_range(txn, order.len() as u32, extra);
    }
}

/// A kept page's items that a person made, for the report.
fn note_persons_items(txn: &TransactionMut, page_map: &MapRef, page_id: &str, kept: &mut Kept) {
    if let Some(items) = items_map(txn, page_map) {
        let mut ids: Vec<String> = items
            .iter(txn)
            .filter(|(_, v)| matches!(v, Out::YMap(m) if made_by_person(txn, m)))
            .map(|(k, _)| k.to_owned())
            .collect();
        ids.sort();
        kept.items.extend(ids.into_iter().map(|item_id| KeptItem {
            page_id: page_id.to_owned(),
            item_id,
        }));
    }
}

/// One page the version has: its fields and items as the version's, plus the items a
/// person made since, as they are.
fn restore_page<V: ReadTxn>(
    txn: &mut TransactionMut,
    live: &MapRef,
    version: &V,
    wanted: &MapRef,
    page_id: &str,
    kept: &mut Kept,
) {
    let stale: Vec<String> = live
        .keys(txn)
        .filter(|k| *k != page::ITEMS && wanted.get(version, k).is_none())
        .map(str::to_owned)
        .collect();
    for key in stale {
        live.remove(txn, &key);
    }
    let entries: Vec<(String, Out)> = wanted
        .iter(version)
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    for (key, want) in entries {
        if key == page::ITEMS {
            if let (Some(have), Out::YMap(want)) = (items_map(txn, live), &want) {
                restore_items(txn, &have, version, want, page_id, kept);
                continue;
            }
        }
        sync_entry(txn, live, version, key, want);
    }
}

/// A page's items: the version's, plus what a person made since, as it is now.
fn restore_items<V: ReadTxn>(
    txn: &mut TransactionMut,
    live: &MapRef,
    version: &V,
    wanted: &MapRef,
    page_id: &str,
    kept: &mut Kept,
) {
    let mut keep = |item_id: &str| {
        kept.items.push(KeptItem {
            page_id: page_id.to_owned(),
            item_id: item_id.to_owned(),
        })
    };
    let mut stale: Vec<(String, bool)> = live
        .iter(txn)
        .filter(|(k, _)| wanted.get(version, k).is_none())
        .map(|(k, v)| {
            (
                k.to_owned(),
                matches!(&v, Out::YMap(m) if made_by_person(txn, m)),
            )
        })
        .collect();
    stale.sort();
    for (key, persons) in stale {
        if persons {
            keep(&key);
        } else {
            live.remove(txn, &key);
        }
    }
    let mut entries: Vec<(String, Out)> = wanted
        .iter(version)
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    for (key, want) in entries {
        sync_entry(txn, live, version, key, want);
    }
}

/// One key of a map brought to the version's value.
fn sync_entry<V: ReadTxn>(
    txn: &mut TransactionMut,
    live: &MapRef,
    version: &V,
    key: String,
    want: Out,
) {
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

fn sync_array<V: ReadTxn>(
    txn: &mut TransactionMut,
    live: &ArrayRef,
    version: &V,
    wanted: &ArrayRef,
) {
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
    let duplicates: Vec<usize> = (0..current.len())
        .filter(|&i| !seen.insert(current[i].clone()))
        .collect();
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
    let stale: Vec<String> = live
        .keys(txn)
        .filter(|k| wanted.get(version, k).is_none())
        .map(str::to_owned)
        .collect();
    for key in stale {
        live.remove(txn, &key);
    }
    let entries: Vec<(String, Out)> = wanted
        .iter(version)
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    for (key, want) in entries {
        sync_entry(txn, live, version, key, want);
    }
}

/// Splices a plain text to the wanted one through their common prefix and suffix, so a
/// concurrent edit of the same caption still lands. Returns false, leaving the text alone,
/// when either side has formatting or embeds: the caller then replaces it whole.
fn sync_text<V: ReadTxn>(
    txn: &mut TransactionMut,
    live: &TextRef,
    version: &V,
    wanted: &TextRef,
) -> bool {
    let plain = |d: &Vec<yrs::types::text::Diff<YChange>>| {
        d.iter()
            .all(|c| c.attributes.is_none() && matches!(c.insert, Out::Any(Any::String(_))))
    };
    if !plain(&live.diff(txn, YChange::identity))
        || !plain(&wanted.diff(version, YChange::identity))
    {
        return false;
    }
    let have = live.get_string(txn);
    let want = wanted.get_string(version);
    if have == want {
        return true;
    }
    let prefix: usize = have
        .chars()
        .zip(want.chars())
        .take_while(|(a, b)| a == b)
        .map(|(a, _)| a.len_utf8())
        .sum();
    let (have_rest, want_rest) = (&have[prefix..], &want[prefix..]);
    let suffix: usize = have_rest
        .chars()
        .rev()
        .zip(want_rest.chars().rev())
        .take_while(|(a, b)| a == b)
        .map(|(a, _)| a.len_utf8())
        .sum();
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
mod tests;
