//! Each typed edit, read back through the typed read.

use yrs::updates::decoder::Decode;
use yrs::{
    Any, ClientID, Doc, Map, MapPrelim, OffsetKind, Options, ReadTxn, Transact, TransactionMut,
    Update, WriteTxn,
};

use super::*;
use crate::schema::{item, page, SCHEMA_VERSION, SYSTEM_USER};

const ALICE: &str = "11111111-1111-4111-8111-111111111111";
const BOB: &str = "22222222-2222-4222-8222-222222222222";

fn book_doc(client_id: u64) -> Doc {
    let doc = Doc::with_client_id(client_id);
    create_book(
        &mut doc.transact_mut(),
        &Meta::new("Summer", "square-8x8", "everyday"),
    );
    doc
}

fn edit<R>(doc: &Doc, f: impl FnOnce(&mut TransactionMut) -> R) -> R {
    f(&mut doc.transact_mut())
}

fn read(doc: &Doc) -> Book {
    read_book(&doc.transact()).unwrap()
}

fn new_page(id: &str) -> NewPage {
    NewPage {
        id: id.to_owned(),
        kind: PageKind::Page,
        layout: None,
        background: Background::default(),
        created_by: ALICE.to_owned(),
        auto: false,
    }
}

fn new_item(id: &str, kind: ItemKind) -> NewItem {
    NewItem {
        id: id.to_owned(),
        kind,
        bbox: [0.0, 0.0, 0.5, 0.5, 0.0],
        z: 0.0,
        created_by: ALICE.to_owned(),
        photo: None,
        text: None,
        style: Style::default(),
        slot: None,
    }
}

/// A book with pages "p1" and "p2"; "p1" holds a photo item "i1".
fn sample() -> Doc {
    let doc = book_doc(1);
    edit(&doc, |txn| {
        add_page(txn, 0, new_page("p1")).unwrap();
        add_page(txn, 1, new_page("p2")).unwrap();
        add_item(txn, "p1", new_item("i1", ItemKind::Photo)).unwrap();
    });
    doc
}

fn item<'a>(book: &'a Book, page_id: &str, item_id: &str) -> &'a Item {
    let page = book.pages.iter().find(|p| p.id == page_id).unwrap();
    page.items.iter().find(|i| i.id == item_id).unwrap()
}

fn page_ids(book: &Book) -> Vec<&str> {
    book.pages.iter().map(|p| p.id.as_str()).collect()
}

fn sync(from: &Doc, to: &Doc) {
    let update = from
        .transact()
        .encode_state_as_update_v1(&to.transact().state_vector());
    to.transact_mut()
        .apply_update(Update::decode_v1(&update).unwrap())
        .unwrap();
}

#[test]
fn create_book_writes_what_new_book_writes() {
    let doc = Doc::with_client_id(7);
    let mut txn = doc.transact_mut();
    create_book(&mut txn, &Meta::new("Summer", "square-8x8", "everyday"));
    assert_eq!(
        txn.encode_update_v1(),
        crate::doc::new_book(7, "Summer", "square-8x8", "everyday")
    );
    drop(txn);
    let book = read(&doc);
    assert_eq!(
        book.meta,
        Meta {
            schema: SCHEMA_VERSION,
            title: "Summer".into(),
            product: "square-8x8".into(),
            theme: "everyday".into()
        }
    );
    assert!(book.pages.is_empty());
}

#[test]
fn read_of_a_doc_without_meta_names_the_field() {
    let err = read_book(&Doc::new().transact()).unwrap_err();
    assert_eq!(
        err,
        ModelError::MissingField {
            at: "meta".into(),
            field: "schema".into()
        }
    );
}

#[test]
fn read_refuses_a_newer_schema() {
    let doc = book_doc(1);
    edit(&doc, |txn| {
        txn.get_or_insert_map("meta")
            .insert(txn, "schema", SCHEMA_VERSION + 1)
    });
    assert_eq!(
        read_book(&doc.transact()).unwrap_err(),
        ModelError::NewerSchema {
            found: 2,
            supported: 1
        }
    );
}

#[test]
fn add_page_inserts_at_the_index_with_every_field() {
    let doc = book_doc(1);
    edit(&doc, |txn| {
        add_page(txn, 0, new_page("b")).unwrap();
        add_page(txn, 0, new_page("a")).unwrap();
        let cover = NewPage {
            kind: PageKind::FrontCover,
            layout: Some("cover-1".into()),
            background: Background {
                color: Some("#fff".into()),
                asset: Some("asset-1".into()),
                flip: true,
            },
            created_by: SYSTEM_USER.into(),
            auto: true,
            ..new_page("c")
        };
        assert_eq!(add_page(txn, 2, cover).unwrap(), "c");
    });
    let book = read(&doc);
    assert_eq!(page_ids(&book), ["a", "b", "c"]);
    let c = &book.pages[2];
    assert_eq!(c.kind, PageKind::FrontCover);
    assert_eq!(c.layout.as_deref(), Some("cover-1"));
    assert_eq!(
        c.background,
        Background {
            color: Some("#fff".into()),
            asset: Some("asset-1".into()),
            flip: true
        }
    );
    assert_eq!(c.created_by, SYSTEM_USER);
    assert!(c.auto && c.items.is_empty());
    assert_eq!(book.pages[0].background, Background::default());
}

#[test]
fn add_page_refuses_a_taken_id_and_a_bad_index() {
    let doc = sample();
    edit(&doc, |txn| {
        assert_eq!(
            add_page(txn, 0, new_page("p1")),
            Err(ModelError::PageExists("p1".into()))
        );
        assert_eq!(
            add_page(txn, 3, new_page("p3")),
            Err(ModelError::PageIndex { index: 3, len: 2 })
        );
    });
}

#[test]
fn remove_page_deletes_it() {
    let doc = sample();
    edit(&doc, |txn| remove_page(txn, "p1")).unwrap();
    assert_eq!(page_ids(&read(&doc)), ["p2"]);
    assert_eq!(
        edit(&doc, |txn| remove_page(txn, "p1")),
        Err(ModelError::UnknownPage("p1".into()))
    );
}

#[test]
fn move_page_keeps_the_id_and_the_content() {
    let doc = sample();
    edit(&doc, |txn| {
        add_page(txn, 2, new_page("p3")).unwrap();
        set_caption(txn, "p1", "i1", "Plage à Biarritz 🌊").unwrap();
        set_page_layout(txn, "p1", Some("grid-2")).unwrap();
    });
    let before = read(&doc).pages[0].clone();
    edit(&doc, |txn| move_page(txn, "p1", 2)).unwrap();
    let book = read(&doc);
    assert_eq!(page_ids(&book), ["p2", "p3", "p1"]);
    assert_eq!(book.pages[2], before);
    edit(&doc, |txn| move_page(txn, "p1", 0)).unwrap();
    assert_eq!(page_ids(&read(&doc)), ["p1", "p2", "p3"]);
    // The moved copy is a live Y.Text, not a frozen string.
    edit(&doc, |txn| edit_caption(txn, "p1", "i1", 0, 5, "Beach")).unwrap();
    assert_eq!(
        item(&read(&doc), "p1", "i1").text.as_deref(),
        Some("Beach à Biarritz 🌊")
    );
    assert_eq!(
        edit(&doc, |txn| move_page(txn, "p1", 3)),
        Err(ModelError::PageIndex { index: 3, len: 3 })
    );
}

#[test]
fn move_page_to_its_own_place_writes_nothing() {
    let doc = sample();
    let mut txn = doc.transact_mut();
    move_page(&mut txn, "p2", 1).unwrap();
    assert!(!txn.has_changes());
}

#[test]
fn concurrent_moves_of_one_page_read_as_one_page_and_heal() {
    let a = sample();
    let b = Doc::with_client_id(2);
    sync(&a, &b);
    edit(&a, |txn| move_page(txn, "p1", 1)).unwrap();
    edit(&b, |txn| move_page(txn, "p1", 1)).unwrap();
    sync(&a, &b);
    sync(&b, &a);
    assert_eq!(
        a.transact()
            .get_array("pages")
            .map(|p| yrs::Array::len(&p, &a.transact())),
        Some(3)
    );
    assert_eq!(page_ids(&read(&a)), ["p2", "p1"]);
    assert_eq!(read(&a), read(&b));
    edit(&a, |txn| move_page(txn, "p1", 0)).unwrap();
    assert_eq!(
        a.transact()
            .get_array("pages")
            .map(|p| yrs::Array::len(&p, &a.transact())),
        Some(2)
    );
    assert_eq!(page_ids(&read(&a)), ["p1", "p2"]);
}

#[test]
fn set_page_fields() {
    let doc = sample();
    let bg = Background {
        color: Some("#123456".into()),
        asset: None,
        flip: false,
    };
    edit(&doc, |txn| {
        set_page_layout(txn, "p2", Some("full-bleed")).unwrap();
        set_page_background(txn, "p2", bg.clone()).unwrap();
        set_page_auto(txn, "p2", true).unwrap();
    });
    let p2 = read(&doc).pages[1].clone();
    assert_eq!(
        (p2.layout.as_deref(), &p2.background, p2.auto),
        (Some("full-bleed"), &bg, true)
    );
    edit(&doc, |txn| set_page_layout(txn, "p2", None)).unwrap();
    assert_eq!(read(&doc).pages[1].layout, None);
    assert_eq!(
        edit(&doc, |txn| set_page_auto(txn, "nope", true)),
        Err(ModelError::UnknownPage("nope".into()))
    );
}

#[test]
fn add_item_reads_back_every_field() {
    let doc = sample();
    let full = NewItem {
        bbox: [-0.25, 0.125, 0.4, 0.3, 7.5],
        z: 3.0,
        created_by: BOB.into(),
        photo: Some(PhotoRef {
            id: "photo-9".into(),
            pan: [0.1, -0.2],
            zoom: 1.5,
        }),
        text: Some("Été 😀".into()),
        style: Style {
            font: Some("Lora".into()),
            size: Some(0.04),
            color: Some("#222".into()),
            align: Some(Align::Center),
            opacity: Some(0.9),
            shadow: Some(true),
            border: Some(Border {
                width: 0.01,
                color: "#000".into(),
            }),
            frame: Some("polaroid".into()),
        },
        slot: Some(2),
        ..new_item("i2", ItemKind::Photo)
    };
    edit(&doc, |txn| add_item(txn, "p1", full.clone())).unwrap();
    assert_eq!(item(&read(&doc), "p1", "i2"), &full);
    assert_eq!(
        edit(&doc, |txn| add_item(
            txn,
            "p1",
            new_item("i2", ItemKind::Text)
        )),
        Err(ModelError::ItemExists {
            page: "p1".into(),
            item: "i2".into()
        })
    );
    assert_eq!(
        edit(&doc, |txn| add_item(
            txn,
            "px",
            new_item("i3", ItemKind::Text)
        )),
        Err(ModelError::UnknownPage("px".into()))
    );
}

#[test]
fn items_are_sorted_by_z_then_id() {
    let doc = sample();
    edit(&doc, |txn| {
        for (id, z) in [("c", 1.0), ("b", 1.0), ("a", 2.0), ("d", -1.0)] {
            add_item(
                txn,
                "p2",
                NewItem {
                    z,
                    ..new_item(id, ItemKind::Sticker)
                },
            )
            .unwrap();
        }
    });
    let ids: Vec<_> = read(&doc).pages[1]
        .items
        .iter()
        .map(|i| i.id.clone())
        .collect();
    assert_eq!(ids, ["d", "b", "c", "a"]);
}

#[test]
fn remove_item_deletes_it() {
    let doc = sample();
    edit(&doc, |txn| remove_item(txn, "p1", "i1")).unwrap();
    assert!(read(&doc).pages[0].items.is_empty());
    assert_eq!(
        edit(&doc, |txn| remove_item(txn, "p1", "i1")),
        Err(ModelError::UnknownItem {
            page: "p1".into(),
            item: "i1".into()
        })
    );
}

#[test]
fn move_resize_rotate_overwrite_the_box() {
    let doc = sample();
    edit(&doc, |txn| {
        move_item(txn, "p1", "i1", 0.1, -0.2).unwrap();
        resize_item(txn, "p1", "i1", 0.3, 0.4).unwrap();
        rotate_item(txn, "p1", "i1", -5.0).unwrap();
    });
    assert_eq!(
        item(&read(&doc), "p1", "i1").bbox,
        [0.1, -0.2, 0.3, 0.4, -5.0]
    );
    // One key, one overwrite: the map keeps a single live `box` entry and the update of a
    // move holds a single item.
    let before = doc.transact().state_vector().get(&ClientID::new(1));
    edit(&doc, |txn| move_item(txn, "p1", "i1", 0.0, 0.0)).unwrap();
    assert_eq!(
        doc.transact().state_vector().get(&ClientID::new(1)),
        before + 1
    );
    let bad = edit(&doc, |txn| move_item(txn, "p1", "i1", f64::NAN, 0.0));
    assert!(matches!(bad, Err(ModelError::BadBox { index: 0, .. })));
    let bad = edit(&doc, |txn| resize_item(txn, "p1", "i1", 11.0, 0.5));
    assert!(matches!(bad, Err(ModelError::BadBox { index: 2, .. })));
    assert_eq!(
        item(&read(&doc), "p1", "i1").bbox,
        [0.0, 0.0, 0.3, 0.4, -5.0]
    );
}

#[test]
fn set_z_restyle_and_set_photo() {
    let doc = sample();
    let style = Style {
        opacity: Some(0.5),
        align: Some(Align::Right),
        ..Style::default()
    };
    let photo = PhotoRef {
        id: "ph".into(),
        pan: [0.25, 0.0],
        zoom: 2.0,
    };
    edit(&doc, |txn| {
        set_z(txn, "p1", "i1", 7.0).unwrap();
        restyle_item(txn, "p1", "i1", style.clone()).unwrap();
        set_photo(txn, "p1", "i1", photo.clone()).unwrap();
    });
    let i1 = item(&read(&doc), "p1", "i1").clone();
    assert_eq!(
        (i1.z, &i1.style, i1.photo.as_ref()),
        (7.0, &style, Some(&photo))
    );
    assert_eq!(
        edit(&doc, |txn| set_z(txn, "p1", "zz", 1.0)),
        Err(ModelError::UnknownItem {
            page: "p1".into(),
            item: "zz".into()
        })
    );
}

#[test]
fn style_keys_are_the_schema_keys() {
    let style = Style {
        font: Some("f".into()),
        size: Some(1.0),
        color: Some("c".into()),
        align: Some(Align::Left),
        opacity: Some(1.0),
        shadow: Some(false),
        border: Some(Border {
            width: 0.0,
            color: "c".into(),
        }),
        frame: Some("fr".into()),
    };
    let json = serde_json::to_value(&style).unwrap();
    let mut keys: Vec<_> = json.as_object().unwrap().keys().cloned().collect();
    let mut expected: Vec<_> = item::STYLE_KEYS.iter().map(|k| k.to_string()).collect();
    keys.sort();
    expected.sort();
    assert_eq!(keys, expected);
}

#[test]
fn kinds_serialise_as_the_schema_strings() {
    for (kind, name) in PageKind::ALL.iter().zip(page::KINDS) {
        assert_eq!(serde_json::to_value(kind).unwrap(), name);
        assert_eq!(PageKind::parse(name), Some(*kind));
    }
    for (kind, name) in ItemKind::ALL.iter().zip(item::KINDS) {
        assert_eq!(serde_json::to_value(kind).unwrap(), name);
    }
    assert!(serde_json::from_str::<ItemKind>("\"video\"").is_err());
}

#[test]
fn set_caption_creates_replaces_and_skips_an_equal_text() {
    let doc = sample();
    edit(&doc, |txn| set_caption(txn, "p1", "i1", "Crème brûlée 🍮")).unwrap();
    assert_eq!(
        item(&read(&doc), "p1", "i1").text.as_deref(),
        Some("Crème brûlée 🍮")
    );
    edit(&doc, |txn| set_caption(txn, "p1", "i1", "Fin")).unwrap();
    assert_eq!(item(&read(&doc), "p1", "i1").text.as_deref(), Some("Fin"));
    let mut txn = doc.transact_mut();
    set_caption(&mut txn, "p1", "i1", "Fin").unwrap();
    assert!(!txn.has_changes());
}

/// Splices count UTF-16 units whatever the document's offset kind.
#[test]
fn edit_caption_counts_utf16_units() {
    for offset_kind in [OffsetKind::Bytes, OffsetKind::Utf16] {
        let doc = Doc::with_options(Options {
            client_id: ClientID::new(5),
            offset_kind,
            ..Options::default()
        });
        edit(&doc, |txn| {
            create_book(txn, &Meta::new("t", "square-8x8", "everyday"));
            add_page(txn, 0, new_page("p")).unwrap();
            add_item(
                txn,
                "p",
                NewItem {
                    text: Some("Hé 😀 là".into()),
                    ..new_item("t", ItemKind::Text)
                },
            )
            .unwrap();
            // "Hé " is 3 units, the emoji 2: replace the emoji and its space.
            edit_caption(txn, "p", "t", 3, 3, "🎉 ").unwrap();
            edit_caption(txn, "p", "t", 0, 0, "« ").unwrap();
            edit_caption(txn, "p", "t", 10, 0, " »").unwrap();
        });
        assert_eq!(
            item(&read(&doc), "p", "t").text.as_deref(),
            Some("« Hé 🎉 là »"),
            "{offset_kind:?}"
        );
        let inside_pair = edit(&doc, |txn| edit_caption(txn, "p", "t", 6, 0, "x"));
        assert_eq!(
            inside_pair,
            Err(ModelError::TextRange {
                index: 6,
                delete_len: 0,
                len: 12
            })
        );
        let past_end = edit(&doc, |txn| edit_caption(txn, "p", "t", 10, 5, ""));
        assert!(matches!(past_end, Err(ModelError::TextRange { .. })));
    }
}

#[test]
fn edit_caption_on_an_item_without_text_starts_one() {
    let doc = sample();
    edit(&doc, |txn| edit_caption(txn, "p1", "i1", 0, 0, "Nouveau")).unwrap();
    assert_eq!(
        item(&read(&doc), "p1", "i1").text.as_deref(),
        Some("Nouveau")
    );
}

#[test]
fn captions_over_the_limit_are_refused() {
    let doc = sample();
    let long = "x".repeat(crate::schema::MAX_TEXT_LEN as usize + 1);
    assert!(matches!(
        edit(&doc, |txn| set_caption(txn, "p1", "i1", &long)),
        Err(ModelError::TextTooLong { .. })
    ));
}

#[test]
fn read_defaults_absent_optional_fields() {
    let doc = book_doc(1);
    edit(&doc, |txn| {
        let pages = txn.get_or_insert_array("pages");
        let page = yrs::Array::push_back(&pages, txn, MapPrelim::default());
        page.insert(txn, "id", "bare");
        page.insert(txn, "kind", "spine");
        page.insert(txn, "createdBy", ALICE);
    });
    let bare = &read(&doc).pages[0];
    assert_eq!(
        (bare.layout.clone(), bare.background.clone(), bare.auto),
        (None, Background::default(), false)
    );
    assert!(bare.items.is_empty());
}

#[test]
fn read_errors_name_the_page_item_and_field() {
    let doc = sample();
    edit(&doc, |txn| {
        let pages = txn.get_or_insert_array("pages");
        let Some(yrs::Out::YMap(p1)) = yrs::Array::get(&pages, txn, 0) else {
            panic!()
        };
        let Some(yrs::Out::YMap(items)) = p1.get(txn, "items") else {
            panic!()
        };
        let Some(yrs::Out::YMap(i1)) = items.get(txn, "i1") else {
            panic!()
        };
        i1.insert(txn, "box", Any::from("wide"));
    });
    assert_eq!(
        read_book(&doc.transact()).unwrap_err(),
        ModelError::WrongType {
            at: "item i1 on page p1".into(),
            field: "box".into(),
            expected: "an array of 5 numbers"
        }
    );
    edit(&doc, |txn| {
        let pages = txn.get_or_insert_array("pages");
        let Some(yrs::Out::YMap(p2)) = yrs::Array::get(&pages, txn, 1) else {
            panic!()
        };
        p2.remove(txn, "createdBy");
    });
    let doc2 = Doc::new();
    sync(&doc, &doc2);
    edit(&doc2, |txn| remove_item(txn, "p1", "i1")).unwrap();
    assert_eq!(
        read_book(&doc2.transact()).unwrap_err(),
        ModelError::MissingField {
            at: "page p2".into(),
            field: "createdBy".into()
        }
    );
}
