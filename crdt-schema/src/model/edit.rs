//! Typed edits of the book document, each inside the caller's transaction.
//!
//! Ids, user ids and client ids all come from the caller. Every key is written in the
//! order of [`crate::schema`] (nested maps are filled key by key rather than from a
//! `MapPrelim`, whose hash order would change the update's bytes from run to run).
//! client-web's `edit.ts` writes the same keys the same way.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use yrs::{
    Any, Array, ArrayPrelim, ArrayRef, GetString, Map, MapPrelim, MapRef, OffsetKind, Out, ReadTxn,
    Text, TextPrelim, TextRef, TransactionMut, WriteTxn,
};

use super::read::{as_numbers, cmp_utf16, Fields};
use super::types::{Background, Meta, NewItem, NewPage, PhotoRef, Style};
use super::ModelError;
use crate::schema::{self, box_limit, item, meta, page, MAX_TEXT_LEN};

/// Writes `meta` and makes sure the `pages` root exists, as [`crate::doc::new_book`] does.
pub fn create_book(txn: &mut TransactionMut, book: &Meta) {
    let root = txn.get_or_insert_map(schema::ROOT_META);
    root.insert(txn, meta::SCHEMA, book.schema);
    root.insert(txn, meta::TITLE, book.title.as_str());
    root.insert(txn, meta::PRODUCT, book.product.as_str());
    root.insert(txn, meta::THEME, book.theme.as_str());
    let pages = txn.get_or_insert_array(schema::ROOT_PAGES);
    if pages.len(txn) == 0 {
        // A root appears in an update only through an item under it: touch `pages` so the
        // very first update carries it with its type.
        pages.insert(txn, 0, ArrayPrelim::default());
        pages.remove(txn, 0);
    }
}

/// Inserts a new, empty page so that it ends up at `index` of the book's pages
/// (`0..=len`). Returns its id.
pub fn add_page(txn: &mut TransactionMut, index: u32, new: NewPage) -> Result<String, ModelError> {
    let pages = txn.get_or_insert_array(schema::ROOT_PAGES);
    let entries = page_entries(txn, &pages);
    if entries
        .iter()
        .any(|e| e.visible && e.id.as_deref() == Some(new.id.as_str()))
    {
        return Err(ModelError::PageExists(new.id));
    }
    let raw = raw_index(&entries, pages.len(txn), index)?;
    let map = pages.insert(txn, raw, MapPrelim::default());
    map.insert(txn, page::ID, new.id.as_str());
    map.insert(txn, page::KIND, new.kind.as_str());
    map.insert(txn, page::LAYOUT, optional_string(new.layout.as_deref()));
    map.insert(txn, page::BACKGROUND, background_value(&new.background));
    map.insert(txn, page::ITEMS, MapPrelim::default());
    map.insert(txn, page::CREATED_BY, new.created_by.as_str());
    map.insert(txn, page::AUTO, new.auto);
    Ok(new.id)
}

/// Deletes a page, together with any duplicate of it left by concurrent moves.
pub fn remove_page(txn: &mut TransactionMut, page_id: &str) -> Result<(), ModelError> {
    let pages = txn.get_or_insert_array(schema::ROOT_PAGES);
    let copies = copies_of(&page_entries(txn, &pages), page_id);
    if copies.is_empty() {
        return Err(ModelError::UnknownPage(page_id.to_owned()));
    }
    for raw in copies.into_iter().rev() {
        pages.remove(txn, raw);
    }
    Ok(())
}

/// Removes every page no person has touched (see [`super::Page::touched`]), as automix and
/// proactive redesign do before laying out their pages again. Pages a person changed or put
/// an item on stay, with everything on them (SPEC §15). Returns the removed pages' ids.
pub fn remove_untouched_pages(txn: &mut TransactionMut) -> Result<Vec<String>, ModelError> {
    let book = super::read_book(&*txn)?;
    let mut removed = Vec::new();
    for page in book.pages.iter().filter(|p| !p.touched()) {
        remove_page(txn, &page.id)?;
        removed.push(page.id.clone());
    }
    Ok(removed)
}

/// Moves a page so that it ends up at `new_index` (`0..len`). Yjs has no move: the page's
/// content is copied into a new Y.Map at the new place and the old one deleted, keeping the
/// page id. Two users moving one page at once leave two copies; readers show the first, and
/// the next move or removal of that page deletes all of them. An edit made inside the page
/// concurrently with its move lands in the deleted copy and is lost.
pub fn move_page(
    txn: &mut TransactionMut,
    page_id: &str,
    new_index: u32,
) -> Result<(), ModelError> {
    let pages = txn.get_or_insert_array(schema::ROOT_PAGES);
    let entries = page_entries(txn, &pages);
    let visible: Vec<&PageEntry> = entries.iter().filter(|e| e.visible).collect();
    let from = visible
        .iter()
        .position(|e| e.id.as_deref() == Some(page_id))
        .ok_or_else(|| ModelError::UnknownPage(page_id.to_owned()))?;
    if new_index as usize >= visible.len() {
        return Err(ModelError::PageIndex {
            index: new_index,
            len: visible.len() as u32,
        });
    }
    let copies = copies_of(&entries, page_id);
    if from == new_index as usize && copies.len() == 1 {
        return Ok(());
    }
    let content = copy_map(txn, &visible[from].map);
    for raw in copies.into_iter().rev() {
        pages.remove(txn, raw);
    }
    let raw = raw_index(&page_entries(txn, &pages), pages.len(txn), new_index)?;
    let map = pages.insert(txn, raw, MapPrelim::default());
    write_map(txn, &map, content);
    Ok(())
}

/// Sets (or, with `None`, clears) the page's layout id.
pub fn set_page_layout(
    txn: &mut TransactionMut,
    page_id: &str,
    layout: Option<&str>,
) -> Result<(), ModelError> {
    let map = find_page(txn, page_id)?;
    map.insert(txn, page::LAYOUT, optional_string(layout));
    Ok(())
}

pub fn set_page_background(
    txn: &mut TransactionMut,
    page_id: &str,
    background: Background,
) -> Result<(), ModelError> {
    let map = find_page(txn, page_id)?;
    map.insert(txn, page::BACKGROUND, background_value(&background));
    Ok(())
}

/// Marks the page as still (true) or no longer (false) as automix made it.
pub fn set_page_auto(
    txn: &mut TransactionMut,
    page_id: &str,
    auto: bool,
) -> Result<(), ModelError> {
    let map = find_page(txn, page_id)?;
    map.insert(txn, page::AUTO, auto);
    Ok(())
}

/// Adds an item to a page. Returns its id.
pub fn add_item(
    txn: &mut TransactionMut,
    page_id: &str,
    new: NewItem,
) -> Result<String, ModelError> {
    let page_map = find_page(txn, page_id)?;
    check_box(&new.bbox)?;
    if let Some(text) = &new.text {
        check_text_len(text.encode_utf16().count())?;
    }
    let items = match page_map.get(txn, page::ITEMS) {
        Some(Out::YMap(items)) => items,
        _ => page_map.insert(txn, page::ITEMS, MapPrelim::default()),
    };
    if items.get(txn, &new.id).is_some() {
        return Err(ModelError::ItemExists {
            page: page_id.to_owned(),
            item: new.id,
        });
    }
    let map = items.insert(txn, new.id.as_str(), MapPrelim::default());
    map.insert(txn, item::ID, new.id.as_str());
    map.insert(txn, item::KIND, new.kind.as_str());
    map.insert(txn, item::BOX, numbers(&new.bbox));
    map.insert(txn, item::Z, new.z);
    map.insert(txn, item::CREATED_BY, new.created_by.as_str());
    if let Some(photo) = &new.photo {
        map.insert(txn, item::PHOTO, photo_value(photo));
    }
    if let Some(text) = new.text {
        map.insert(txn, item::TEXT, TextPrelim::new(text));
    }
    map.insert(txn, item::STYLE, style_value(&new.style));
    map.insert(txn, item::SLOT, new.slot.map_or(Any::Null, Any::from));
    Ok(new.id)
}

pub fn remove_item(
    txn: &mut TransactionMut,
    page_id: &str,
    item_id: &str,
) -> Result<(), ModelError> {
    find_item(txn, page_id, item_id)?;
    if let Some(Out::YMap(items)) = find_page(txn, page_id)?.get(txn, page::ITEMS) {
        items.remove(txn, item_id);
    }
    Ok(())
}

/// Moves an item's centre: one overwrite of its whole `box`.
pub fn move_item(
    txn: &mut TransactionMut,
    page_id: &str,
    item_id: &str,
    x: f64,
    y: f64,
) -> Result<(), ModelError> {
    update_box(txn, page_id, item_id, |b| {
        b[0] = x;
        b[1] = y;
    })
}

/// Resizes an item about its centre: one overwrite of its whole `box`.
pub fn resize_item(
    txn: &mut TransactionMut,
    page_id: &str,
    item_id: &str,
    w: f64,
    h: f64,
) -> Result<(), ModelError> {
    update_box(txn, page_id, item_id, |b| {
        b[2] = w;
        b[3] = h;
    })
}

/// Sets an item's rotation in degrees, clockwise: one overwrite of its whole `box`.
pub fn rotate_item(
    txn: &mut TransactionMut,
    page_id: &str,
    item_id: &str,
    rot: f64,
) -> Result<(), ModelError> {
    update_box(txn, page_id, item_id, |b| b[4] = rot)
}

pub fn set_z(
    txn: &mut TransactionMut,
    page_id: &str,
    item_id: &str,
    z: f64,
) -> Result<(), ModelError> {
    let map = find_item(txn, page_id, item_id)?;
    map.insert(txn, item::Z, z);
    Ok(())
}

/// Replaces the item's whole style.
pub fn restyle_item(
    txn: &mut TransactionMut,
    page_id: &str,
    item_id: &str,
    style: Style,
) -> Result<(), ModelError> {
    let map = find_item(txn, page_id, item_id)?;
    map.insert(txn, item::STYLE, style_value(&style));
    Ok(())
}

/// Sets the photo of an item, with its pan and zoom.
pub fn set_photo(
    txn: &mut TransactionMut,
    page_id: &str,
    item_id: &str,
    photo: PhotoRef,
) -> Result<(), ModelError> {
    let map = find_item(txn, page_id, item_id)?;
    map.insert(txn, item::PHOTO, photo_value(&photo));
    Ok(())
}

/// Replaces the whole content of the item's Y.Text (creating it if the item has none).
/// Setting the text it already holds writes nothing.
pub fn set_caption(
    txn: &mut TransactionMut,
    page_id: &str,
    item_id: &str,
    text: &str,
) -> Result<(), ModelError> {
    let map = find_item(txn, page_id, item_id)?;
    check_text_len(text.encode_utf16().count())?;
    match map.get(txn, item::TEXT) {
        Some(Out::YText(current)) => {
            if current.get_string(txn) == text {
                return Ok(());
            }
            let len = current.len(txn);
            if len > 0 {
                current.remove_range(txn, 0, len);
            }
            if !text.is_empty() {
                current.insert(txn, 0, text);
            }
        }
        _ => {
            map.insert(txn, item::TEXT, TextPrelim::new(text));
        }
    }
    Ok(())
}

/// Splices the item's Y.Text: deletes `delete_len` units at `index`, then inserts `insert`
/// there. Positions are in UTF-16 code units, as in Yjs, whatever the offset kind of the
/// caller's document; a position inside a surrogate pair is an error.
pub fn edit_caption(
    txn: &mut TransactionMut,
    page_id: &str,
    item_id: &str,
    index: u32,
    delete_len: u32,
    insert: &str,
) -> Result<(), ModelError> {
    let map = find_item(txn, page_id, item_id)?;
    let existing: Option<TextRef> = match map.get(txn, item::TEXT) {
        Some(Out::YText(text)) => Some(text),
        _ => None,
    };
    let current = existing
        .as_ref()
        .map(|t| t.get_string(txn))
        .unwrap_or_default();
    let len = current.encode_utf16().count();
    let range_error = ModelError::TextRange {
        index,
        delete_len,
        len: len as u32,
    };
    let end = index
        .checked_add(delete_len)
        .ok_or_else(|| range_error.clone())?;
    let start_byte = utf16_to_byte(&current, index).ok_or_else(|| range_error.clone())?;
    let end_byte = utf16_to_byte(&current, end).ok_or(range_error)?;
    check_text_len(len - delete_len as usize + insert.encode_utf16().count())?;
    let text = match existing {
        Some(text) => text,
        None => map.insert(txn, item::TEXT, TextPrelim::new("")),
    };
    let (at, removed) = match txn.doc().offset_kind() {
        OffsetKind::Utf16 => (index, delete_len),
        OffsetKind::Bytes => (start_byte as u32, (end_byte - start_byte) as u32),
    };
    if removed > 0 {
        text.remove_range(txn, at, removed);
    }
    if !insert.is_empty() {
        text.insert(txn, at, insert);
    }
    Ok(())
}

/// One entry of the `pages` array. `visible` is false for a later copy of an id seen
/// before (the typed read leaves those out).
struct PageEntry {
    raw: u32,
    id: Option<String>,
    map: MapRef,
    visible: bool,
}

fn page_entries<T: ReadTxn>(txn: &T, pages: &ArrayRef) -> Vec<PageEntry> {
    let mut seen = HashSet::new();
    let mut entries = Vec::new();
    for (raw, out) in pages.iter(txn).enumerate() {
        let Out::YMap(map) = out else { continue };
        let id = match map.get(txn, page::ID) {
            Some(Out::Any(Any::String(id))) => Some(id.to_string()),
            _ => None,
        };
        let visible = id.as_ref().is_none_or(|id| seen.insert(id.clone()));
        entries.push(PageEntry {
            raw: raw as u32,
            id,
            map,
            visible,
        });
    }
    entries
}

fn copies_of(entries: &[PageEntry], page_id: &str) -> Vec<u32> {
    entries
        .iter()
        .filter(|e| e.id.as_deref() == Some(page_id))
        .map(|e| e.raw)
        .collect()
}

/// Where in the raw `pages` array a page must go to end up at `index` of the visible pages.
fn raw_index(entries: &[PageEntry], raw_len: u32, index: u32) -> Result<u32, ModelError> {
    let visible: Vec<u32> = entries
        .iter()
        .filter(|e| e.visible)
        .map(|e| e.raw)
        .collect();
    match (index as usize).cmp(&visible.len()) {
        std::cmp::Ordering::Less => Ok(visible[index as usize]),
        std::cmp::Ordering::Equal => Ok(raw_len),
        std::cmp::Ordering::Greater => Err(ModelError::PageIndex {
            index,
            len: visible.len() as u32,
        }),
    }
}

fn find_page<T: ReadTxn>(txn: &T, page_id: &str) -> Result<MapRef, ModelError> {
    let pages = txn
        .get_array(schema::ROOT_PAGES)
        .ok_or_else(|| ModelError::UnknownPage(page_id.to_owned()))?;
    page_entries(txn, &pages)
        .into_iter()
        .find(|e| e.visible && e.id.as_deref() == Some(page_id))
        .map(|e| e.map)
        .ok_or_else(|| ModelError::UnknownPage(page_id.to_owned()))
}

fn find_item<T: ReadTxn>(txn: &T, page_id: &str, item_id: &str) -> Result<MapRef, ModelError> {
    let unknown = || ModelError::UnknownItem {
        page: page_id.to_owned(),
        item: item_id.to_owned(),
    };
    match find_page(txn, page_id)?.get(txn, page::ITEMS) {
        Some(Out::YMap(items)) => match items.get(txn, item_id) {
            Some(Out::YMap(map)) => Ok(map),
            _ => Err(unknown()),
        },
        _ => Err(unknown()),
    }
}

fn update_box(
    txn: &mut TransactionMut,
    page_id: &str,
    item_id: &str,
    change: impl FnOnce(&mut [f64; 5]),
) -> Result<(), ModelError> {
    let map = find_item(txn, page_id, item_id)?;
    let at = format!("item {item_id} on page {page_id}");
    let mut bbox = Fields::new(txn, &map, &at).required(
        item::BOX,
        "an array of 5 numbers",
        as_numbers::<5>,
    )?;
    change(&mut bbox);
    check_box(&bbox)?;
    map.insert(txn, item::BOX, numbers(&bbox));
    Ok(())
}

/// SPEC §6.3 rule 2, and no negative size: an edit never writes a box the server refuses.
fn check_box(bbox: &[f64; 5]) -> Result<(), ModelError> {
    for (index, &value) in bbox.iter().enumerate() {
        let negative_size = (index == 2 || index == 3) && value < 0.0;
        if !value.is_finite() || value.abs() > box_limit(index) || negative_size {
            return Err(ModelError::BadBox {
                index,
                value,
                limit: box_limit(index),
            });
        }
    }
    Ok(())
}

fn check_text_len(len: usize) -> Result<(), ModelError> {
    if len > MAX_TEXT_LEN as usize {
        return Err(ModelError::TextTooLong {
            len,
            limit: MAX_TEXT_LEN,
        });
    }
    Ok(())
}

/// The byte offset of UTF-16 position `pos` in `s`, or `None` past the end or inside a
/// surrogate pair.
fn utf16_to_byte(s: &str, pos: u32) -> Option<usize> {
    let mut units = 0u32;
    for (byte, ch) in s.char_indices() {
        if units == pos {
            return Some(byte);
        }
        if units > pos {
            return None;
        }
        units += ch.len_utf16() as u32;
    }
    (units == pos).then_some(s.len())
}

/// A deep copy of a page's content, to write elsewhere.
enum Copy {
    Value(Any),
    Map(Vec<(String, Copy)>),
    Text(String),
}

/// Copies a Y.Map with its nested maps and texts, keys in UTF-16 order (so the copy's bytes
/// do not depend on hash order). Other shared types have no place in a book and are dropped.
fn copy_map<T: ReadTxn>(txn: &T, map: &MapRef) -> Vec<(String, Copy)> {
    let mut entries: Vec<(String, Copy)> = map
        .iter(txn)
        .filter_map(|(key, out)| {
            let copy = match out {
                Out::Any(value) => Copy::Value(value),
                Out::YMap(inner) => Copy::Map(copy_map(txn, &inner)),
                Out::YText(text) => Copy::Text(text.get_string(txn)),
                _ => return None,
            };
            Some((key.to_owned(), copy))
        })
        .collect();
    entries.sort_by(|a, b| cmp_utf16(&a.0, &b.0));
    entries
}

fn write_map(txn: &mut TransactionMut, map: &MapRef, entries: Vec<(String, Copy)>) {
    for (key, copy) in entries {
        match copy {
            Copy::Value(value) => {
                map.insert(txn, key, value);
            }
            Copy::Text(text) => {
                map.insert(txn, key, TextPrelim::new(text));
            }
            Copy::Map(inner) => {
                let nested = map.insert(txn, key, MapPrelim::default());
                write_map(txn, &nested, inner);
            }
        }
    }
}

fn optional_string(value: Option<&str>) -> Any {
    value.map_or(Any::Null, Any::from)
}

fn numbers(values: &[f64]) -> Any {
    Any::Array(values.iter().map(|v| Any::from(*v)).collect())
}

fn object(entries: impl IntoIterator<Item = (&'static str, Option<Any>)>) -> Any {
    let map: HashMap<String, Any> = entries
        .into_iter()
        .filter_map(|(k, v)| Some((k.to_owned(), v?)))
        .collect();
    Any::Map(Arc::new(map))
}

fn background_value(bg: &Background) -> Any {
    object([
        ("color", bg.color.as_deref().map(Any::from)),
        ("asset", bg.asset.as_deref().map(Any::from)),
        ("flip", Some(Any::from(bg.flip))),
    ])
}

fn photo_value(photo: &PhotoRef) -> Any {
    object([
        ("id", Some(Any::from(photo.id.as_str()))),
        ("pan", Some(numbers(&photo.pan))),
        ("zoom", Some(Any::from(photo.zoom))),
    ])
}

fn style_value(style: &Style) -> Any {
    let border = style.border.as_ref().map(|b| {
        object([
            ("width", Some(Any::from(b.width))),
            ("color", Some(Any::from(b.color.as_str()))),
        ])
    });
    object([
        ("font", style.font.as_deref().map(Any::from)),
        ("size", style.size.map(Any::from)),
        ("color", style.color.as_deref().map(Any::from)),
        ("align", style.align.map(|a| Any::from(a.as_str()))),
        ("opacity", style.opacity.map(Any::from)),
        ("shadow", style.shadow.map(Any::from)),
        ("border", border),
        ("frame", style.frame.as_deref().map(Any::from)),
    ])
}
