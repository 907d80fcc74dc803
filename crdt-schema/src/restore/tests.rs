//! Restores on real yrs documents: what comes back, what is left untouched, and what people
//! made since the version, kept.

use super::*;
use crate::model::{
    self as edit, read_book, Background, ItemKind, NewItem, NewPage, PageKind, Style,
};
use yrs::updates::decoder::Decode;
use yrs::{StateVector, Update};

const USER: &str = "11111111-1111-1111-1111-111111111111";
const SYSTEM: &str = schema::SYSTEM_USER;

fn book() -> Doc {
    let doc = Doc::with_client_id(1);
    doc.transact_mut()
        .apply_update(
            Update::decode_v1(&crate::new_book(7, "Trip", "square-8x8", "travel")).unwrap(),
        )
        .unwrap();
    doc
}

fn copy(doc: &Doc, client: u64) -> Doc {
    let out = Doc::with_client_id(client);
    let update = doc
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    out.transact_mut()
        .apply_update(Update::decode_v1(&update).unwrap())
        .unwrap();
    out
}

fn json(doc: &Doc) -> Any {
    let txn = doc.transact();
    txn.get_array(schema::ROOT_PAGES)
        .map(|p| p.to_json(&txn))
        .unwrap_or(Any::Null)
}

fn add_page(doc: &Doc, id: &str, index: u32) {
    add_page_by(doc, id, index, SYSTEM);
}

fn add_page_by(doc: &Doc, id: &str, index: u32, by: &str) {
    let page = NewPage {
        id: id.into(),
        kind: PageKind::Page,
        layout: None,
        background: Background::default(),
        created_by: by.into(),
        auto: by == SYSTEM,
    };
    edit::add_page(&mut doc.transact_mut(), index, page).unwrap();
}

fn add_text(doc: &Doc, page: &str, item: &str, text: &str) {
    add_text_by(doc, page, item, text, SYSTEM);
}

fn add_text_by(doc: &Doc, page: &str, item: &str, text: &str, by: &str) {
    let mut txn = doc.transact_mut();
    let new = NewItem {
        id: item.into(),
        kind: ItemKind::Text,
        bbox: [0.1, 0.1, 0.3, 0.1, 0.0],
        z: 0.0,
        created_by: by.into(),
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
    assert!(
        read_book(&doc.transact()).is_ok(),
        "the restored book reads as a valid book"
    );
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
    let theirs = other
        .transact()
        .encode_state_as_update_v1(&doc.transact().state_vector());

    let ours = restore(&doc, &version);
    doc.transact_mut()
        .apply_update(Update::decode_v1(&theirs).unwrap())
        .unwrap();
    other
        .transact_mut()
        .apply_update(Update::decode_v1(&ours).unwrap())
        .unwrap();
    let caption = |d: &Doc| {
        read_book(&d.transact()).unwrap().pages[0].items[0]
            .text
            .clone()
    };
    assert_eq!(caption(&doc).as_deref(), Some("one two three!"));
    assert_eq!(caption(&other), caption(&doc));
}

#[test]
fn a_restore_keeps_what_people_made_as_it_is() {
    let doc = book();
    add_page(&doc, "p1", 0);
    add_text(&doc, "p1", "auto-title", "Summer");
    add_text_by(&doc, "p1", "old-note", "first", USER);
    let version = copy(&doc, 2);

    // Since the version: a person adds a sticker to the automix page, moves and edits
    // their older note, and makes a page of their own; automix retitles its text. The
    // restore brings back what the version has (the note too: restoring is undoing),
    // and keeps what people made since, untouched.
    add_text_by(&doc, "p1", "sticker", "★", USER);
    edit::move_item(&mut doc.transact_mut(), "p1", "old-note", 0.3, 0.2).unwrap();
    edit::set_caption(&mut doc.transact_mut(), "p1", "old-note", "second").unwrap();
    add_page_by(&doc, "mine", 1, USER);
    add_text_by(&doc, "mine", "memo", "ours", USER);
    add_page(&doc, "machine", 2);
    edit::set_caption(&mut doc.transact_mut(), "p1", "auto-title", "Winter").unwrap();
    let version_note = read_book(&version.transact()).unwrap().pages[0]
        .items
        .iter()
        .find(|i| i.id == "old-note")
        .cloned()
        .unwrap();
    let people_before: Vec<_> = read_book(&doc.transact())
        .unwrap()
        .pages
        .into_iter()
        .flat_map(|p| p.items)
        .filter(|i| i.made_by_person())
        .map(|i| {
            if i.id == "old-note" {
                version_note.clone()
            } else {
                i
            }
        })
        .collect();

    let kept = {
        let mut txn = doc.transact_mut();
        restore_pages(&mut txn, &version)
    };
    let book = read_book(&doc.transact()).unwrap();
    let ids: Vec<&str> = book.pages.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(
        ids,
        ["p1", "mine"],
        "the machine's page goes, the person's stays in its place"
    );
    let p1 = &book.pages[0];
    assert_eq!(
        p1.items
            .iter()
            .find(|i| i.id == "auto-title")
            .unwrap()
            .text
            .as_deref(),
        Some("Summer")
    );
    let people_after: Vec<_> = book
        .pages
        .iter()
        .flat_map(|p| p.items.clone())
        .filter(|i| i.made_by_person())
        .collect();
    let by_id = |v: &Vec<crate::model::Item>| {
        let mut v = v.clone();
        v.sort_by(|a, b| a.id.cmp(&b.id));
        v
    };
    assert_eq!(
        by_id(&people_after),
        by_id(&people_before),
        "every item a person made since is there, unchanged"
    );
    assert_eq!(kept.pages, vec!["mine".to_owned()]);
    let mut kept_items: Vec<&str> = kept.items.iter().map(|k| k.item_id.as_str()).collect();
    kept_items.sort();
    assert_eq!(kept_items, ["memo", "sticker"]);
}

#[test]
fn a_page_restored_to_its_old_place_keeps_what_people_put_on_it() {
    let doc = book();
    add_page(&doc, "p1", 0);
    add_page(&doc, "p2", 1);
    add_text(&doc, "p1", "auto-title", "Summer");
    let version = copy(&doc, 2);
    edit::move_page(&mut doc.transact_mut(), "p2", 0).unwrap();
    add_text_by(&doc, "p1", "sticker", "★", USER);
    let sticker = read_book(&doc.transact()).unwrap().pages[1]
        .items
        .iter()
        .find(|i| i.id == "sticker")
        .cloned()
        .unwrap();
    let kept = {
        let mut txn = doc.transact_mut();
        restore_pages(&mut txn, &version)
    };
    let book = read_book(&doc.transact()).unwrap();
    let ids: Vec<&str> = book.pages.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["p1", "p2"]);
    assert_eq!(
        book.pages[0].items.iter().find(|i| i.id == "sticker"),
        Some(&sticker),
        "the sticker moved with its page"
    );
    assert_eq!(
        kept.items
            .iter()
            .map(|k| k.item_id.as_str())
            .collect::<Vec<_>>(),
        ["sticker"]
    );
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
