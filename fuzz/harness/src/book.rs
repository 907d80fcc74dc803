//! A realistic book for the validator targets: pages and items made by the system (automix),
//! two contributors and an editor, with captions, an item of one person on another's page,
//! and a deleted page and item (so that undo, SPEC §6.3 rule 5, has something to re-create).
//! Every edit goes through crdt-schema's typed model API, as the server and client-web make
//! them, each writer on its own Yjs client id.

use std::sync::OnceLock;

use crdt_schema::model::{self, Background, ItemKind, NewItem, NewPage, PageKind, PhotoRef, Style};
use crdt_schema::schema::SYSTEM_USER;
use yrs::updates::decoder::Decode;
use yrs::{Doc, ReadTxn, StateVector, Transact, TransactionMut, Update};

/// A contributor: made the page `ALICE_PAGE` and the items on it.
pub const ALICE: &str = "a11ce000-0000-4000-8000-000000000001";
/// An editor.
pub const BOB: &str = "b0b00000-0000-4000-8000-000000000002";
/// Another contributor, with an item on Alice's page.
pub const CAT: &str = "ca700000-0000-4000-8000-000000000003";

/// The room's own client id (the server's doc, which writes system edits).
pub const ROOM_CLIENT: u64 = 1;
pub const SYSTEM_CLIENT: u64 = 2;
pub const ALICE_CLIENT: u64 = 100;
pub const BOB_CLIENT: u64 = 200;
pub const CAT_CLIENT: u64 = 300;

pub const COVER: &str = "0c0e0000-0000-4000-8000-0000000000c1";
pub const AUTO_PAGE: &str = "a0700000-0000-4000-8000-0000000000a1";
pub const ALICE_PAGE: &str = "a11ce000-0000-4000-8000-0000000000b1";
pub const BOB_PAGE: &str = "b0b00000-0000-4000-8000-0000000000b2";
/// Made by Alice and deleted again.
pub const GONE_PAGE: &str = "9e1e7ed0-0000-4000-8000-0000000000d1";
pub const BACK_COVER: &str = "0c0e0000-0000-4000-8000-0000000000c2";

pub const AUTO_PHOTO_1: &str = "a0700000-0000-4000-8000-000000001001";
pub const AUTO_PHOTO_2: &str = "a0700000-0000-4000-8000-000000001002";
pub const COVER_TITLE: &str = "0c0e0000-0000-4000-8000-000000001003";
pub const ALICE_TEXT: &str = "a11ce000-0000-4000-8000-000000002001";
pub const ALICE_STICKER: &str = "a11ce000-0000-4000-8000-000000002002";
/// Alice's sticker on the automix page.
pub const ALICE_ON_AUTO: &str = "a11ce000-0000-4000-8000-000000002003";
/// Made by Alice and deleted again.
pub const GONE_ITEM: &str = "9e1e7ed0-0000-4000-8000-000000002004";
pub const BOB_PHOTO: &str = "b0b00000-0000-4000-8000-000000003001";
/// Cat's shape on Alice's page.
pub const CAT_SHAPE: &str = "ca700000-0000-4000-8000-000000004001";

/// The user whose updates a validator target checks, by level.
pub fn user_of(level: crdt_schema::validate::Level) -> &'static str {
    use crdt_schema::validate::Level;
    match level {
        Level::Contributor => ALICE,
        Level::Editor => BOB,
        Level::System => SYSTEM_USER,
    }
}

/// The Yjs client id that user writes with in the book above.
pub fn client_of(user: &str) -> u64 {
    match user {
        ALICE => ALICE_CLIENT,
        BOB => BOB_CLIENT,
        CAT => CAT_CLIENT,
        _ => SYSTEM_CLIENT,
    }
}

pub fn page(id: &str, kind: PageKind, by: &str, auto: bool) -> NewPage {
    NewPage {
        id: id.into(),
        kind,
        layout: auto.then(|| "two-up".into()),
        background: Background::default(),
        created_by: by.into(),
        auto,
    }
}

pub fn item(id: &str, kind: ItemKind, by: &str, bbox: [f64; 5]) -> NewItem {
    NewItem {
        id: id.into(),
        kind,
        bbox,
        z: 1.0,
        created_by: by.into(),
        photo: (kind == ItemKind::Photo).then(|| PhotoRef {
            id: "f0f0f0f0-0000-4000-8000-00000000f0f0".into(),
            pan: [0.0, 0.0],
            zoom: 1.0,
        }),
        text: (kind == ItemKind::Text).then(|| "Summer by the sea".into()),
        style: Style::default(),
        slot: None,
    }
}

/// The book's whole state as one v1 update, built once.
pub fn base_state() -> &'static [u8] {
    static STATE: OnceLock<Vec<u8>> = OnceLock::new();
    STATE.get_or_init(build)
}

/// A doc holding the base state, with the room's client id.
pub fn base_doc() -> Doc {
    let doc = Doc::with_client_id(ROOM_CLIENT);
    apply(&doc, base_state());
    doc
}

pub fn apply(doc: &Doc, update: &[u8]) {
    doc.transact_mut()
        .apply_update(Update::decode_v1(update).expect("a model-made update decodes"))
        .expect("a model-made update applies");
}

/// Makes one edit as `client` on a doc in sync with `server`, applies it to `server`, and
/// returns the update.
pub fn edit(server: &Doc, client: u64, f: impl FnOnce(&mut TransactionMut)) -> Vec<u8> {
    let doc = Doc::with_client_id(client);
    apply(
        &doc,
        &server
            .transact()
            .encode_state_as_update_v1(&StateVector::default()),
    );
    let update = {
        let mut txn = doc.transact_mut();
        f(&mut txn);
        txn.encode_update_v1()
    };
    apply(server, &update);
    update
}

fn build() -> Vec<u8> {
    let server = Doc::with_client_id(ROOM_CLIENT);
    apply(
        &server,
        &crdt_schema::new_book(
            SYSTEM_CLIENT,
            "Summer 2024",
            crdt_schema::DEFAULT_PRODUCT,
            "everyday",
        ),
    );
    let ok = |r: Result<String, model::ModelError>| r.expect("a model edit of the base book");
    // Automix, as the system user.
    edit(&server, SYSTEM_CLIENT, |txn| {
        ok(model::add_page(
            txn,
            0,
            page(COVER, PageKind::FrontCover, SYSTEM_USER, true),
        ));
        ok(model::add_item(
            txn,
            COVER,
            item(
                COVER_TITLE,
                ItemKind::Text,
                SYSTEM_USER,
                [0.0, -0.3, 0.8, 0.1, 0.0],
            ),
        ));
        ok(model::add_page(
            txn,
            1,
            page(AUTO_PAGE, PageKind::Page, SYSTEM_USER, true),
        ));
        let mut first = item(
            AUTO_PHOTO_1,
            ItemKind::Photo,
            SYSTEM_USER,
            [-0.25, 0.0, 0.45, 0.6, 0.0],
        );
        first.slot = Some(0);
        ok(model::add_item(txn, AUTO_PAGE, first));
        let mut second = item(
            AUTO_PHOTO_2,
            ItemKind::Photo,
            SYSTEM_USER,
            [0.25, 0.0, 0.45, 0.6, 0.0],
        );
        second.slot = Some(1);
        ok(model::add_item(txn, AUTO_PAGE, second));
        ok(model::add_page(
            txn,
            2,
            page(BACK_COVER, PageKind::BackCover, SYSTEM_USER, true),
        ));
    });
    // Alice (contributor): her page with a caption and a sticker, a sticker on the automix
    // page, and a page and an item she deletes again.
    edit(&server, ALICE_CLIENT, |txn| {
        ok(model::add_page(
            txn,
            2,
            page(ALICE_PAGE, PageKind::Page, ALICE, false),
        ));
        ok(model::add_item(
            txn,
            ALICE_PAGE,
            item(ALICE_TEXT, ItemKind::Text, ALICE, [0.0, 0.3, 0.6, 0.1, 0.0]),
        ));
        ok(model::add_item(
            txn,
            ALICE_PAGE,
            item(
                ALICE_STICKER,
                ItemKind::Sticker,
                ALICE,
                [0.3, -0.3, 0.1, 0.1, 5.0],
            ),
        ));
    });
    edit(&server, ALICE_CLIENT, |txn| {
        ok(model::add_item(
            txn,
            AUTO_PAGE,
            item(
                ALICE_ON_AUTO,
                ItemKind::Sticker,
                ALICE,
                [0.4, 0.4, 0.1, 0.1, -5.0],
            ),
        ));
        model::set_caption(txn, ALICE_PAGE, ALICE_TEXT, "Hello from Alice").expect("caption");
    });
    edit(&server, ALICE_CLIENT, |txn| {
        ok(model::add_page(
            txn,
            3,
            page(GONE_PAGE, PageKind::Page, ALICE, false),
        ));
        ok(model::add_item(
            txn,
            ALICE_PAGE,
            item(GONE_ITEM, ItemKind::Shape, ALICE, [0.0, 0.0, 0.2, 0.2, 0.0]),
        ));
    });
    edit(&server, ALICE_CLIENT, |txn| {
        model::remove_page(txn, GONE_PAGE).expect("remove page");
        model::remove_item(txn, ALICE_PAGE, GONE_ITEM).expect("remove item");
    });
    // Bob (editor): his page, a caption typed on an automix photo, and Alice's sticker moved.
    edit(&server, BOB_CLIENT, |txn| {
        ok(model::add_page(
            txn,
            3,
            page(BOB_PAGE, PageKind::Page, BOB, false),
        ));
        ok(model::add_item(
            txn,
            BOB_PAGE,
            item(BOB_PHOTO, ItemKind::Photo, BOB, [0.0, 0.0, 0.9, 0.9, 9.0]),
        ));
    });
    for (i, ch) in ["W", "a", "v", "e", "s"].iter().enumerate() {
        edit(&server, BOB_CLIENT, |txn| {
            model::edit_caption(txn, AUTO_PAGE, AUTO_PHOTO_1, i as u32, 0, ch).expect("typing")
        });
    }
    edit(&server, BOB_CLIENT, |txn| {
        model::move_item(txn, AUTO_PAGE, ALICE_ON_AUTO, 0.35, 0.35).expect("move")
    });
    // Cat (contributor): a shape on Alice's page.
    edit(&server, CAT_CLIENT, |txn| {
        ok(model::add_item(
            txn,
            ALICE_PAGE,
            item(CAT_SHAPE, ItemKind::Shape, CAT, [-0.3, -0.3, 0.2, 0.2, 4.5]),
        ));
    });
    let state = server
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    model::read_book(&server.transact()).expect("the base book reads");
    state
}
