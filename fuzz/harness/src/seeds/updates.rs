//! Book update seeds for the validator targets: typed model edits on the base book, each
//! made at the level of the target's sender.

use crdt_schema::model::{self, Align, Background, Border, ItemKind, PageKind, PhotoRef, Style};
use crdt_schema::validate::Level;
use yrs::{Doc, ReadTxn, StateVector, Transact, TransactionMut};

use crate::book::{
    self, ALICE_PAGE, AUTO_PAGE, AUTO_PHOTO_1, BOB_PAGE, BOB_PHOTO, CAT_SHAPE, COVER, GONE_ITEM,
    GONE_PAGE,
};

/// One model edit by `client` on a doc in sync with the base book; the update alone.
pub(super) fn edit_on_base(client: u64, f: impl FnOnce(&mut TransactionMut)) -> Vec<u8> {
    let server = book::base_doc();
    book::edit(&server, client, f)
}

/// The edits a writer of `level` makes in the editor, each as one update against the base
/// book: their own pages and items, and other people's (refused for a contributor).
pub(super) fn update_seeds(level: Level) -> Vec<(String, Vec<u8>)> {
    let user = book::user_of(level);
    let client = book::client_of(user);
    // A second session of the same user: a fresh client id.
    let fresh = client + 1;
    let ok = |r: Result<(), model::ModelError>| r.expect("a seed edit");
    let oks = |r: Result<String, model::ModelError>| r.expect("a seed edit");
    let mine = "5eed0000-0000-4000-8000-000000000001";
    let mine_item = "5eed0000-0000-4000-8000-000000000002";
    let mut out: Vec<(&str, Vec<u8>)> = vec![
        (
            "add-page",
            edit_on_base(client, |t| {
                drop(oks(model::add_page(
                    t,
                    2,
                    book::page(mine, PageKind::Page, user, false),
                )))
            }),
        ),
        (
            "add-page-fresh-client",
            edit_on_base(fresh, |t| {
                drop(oks(model::add_page(
                    t,
                    0,
                    book::page(mine, PageKind::Page, user, false),
                )))
            }),
        ),
        (
            "add-page-with-items",
            edit_on_base(client, |t| {
                oks(model::add_page(
                    t,
                    1,
                    book::page(mine, PageKind::Page, user, level == Level::System),
                ));
                oks(model::add_item(
                    t,
                    mine,
                    book::item(mine_item, ItemKind::Photo, user, [0.0, 0.0, 0.5, 0.5, 0.0]),
                ));
                oks(model::add_item(
                    t,
                    mine,
                    book::item(
                        "5eed0000-0000-4000-8000-000000000003",
                        ItemKind::Text,
                        user,
                        [0.0, 0.4, 0.5, 0.1, 0.0],
                    ),
                ));
            }),
        ),
        (
            "add-text-item-own-page",
            edit_on_base(client, |t| {
                drop(oks(model::add_item(
                    t,
                    own_page(level),
                    book::item(mine_item, ItemKind::Text, user, [0.1, 0.1, 0.3, 0.1, 0.0]),
                )))
            }),
        ),
        (
            "add-sticker-on-automix-page",
            edit_on_base(client, |t| {
                drop(oks(model::add_item(
                    t,
                    AUTO_PAGE,
                    book::item(
                        mine_item,
                        ItemKind::Sticker,
                        user,
                        [0.2, 0.2, 0.1, 0.1, 8.0],
                    ),
                )))
            }),
        ),
        (
            "add-shape-on-cover",
            edit_on_base(fresh, |t| {
                drop(oks(model::add_item(
                    t,
                    COVER,
                    book::item(
                        mine_item,
                        ItemKind::Shape,
                        user,
                        [-9.5, 9.5, 0.1, 0.1, -10.0],
                    ),
                )))
            }),
        ),
        (
            "move-own-item",
            edit_on_base(client, |t| {
                ok(model::move_item(
                    t,
                    own_page(level),
                    own_item(level),
                    0.12,
                    -0.34,
                ))
            }),
        ),
        (
            "move-others-item",
            edit_on_base(client, |t| {
                ok(model::move_item(t, ALICE_PAGE, CAT_SHAPE, 0.0, 0.0))
            }),
        ),
        (
            "resize-own-item",
            edit_on_base(client, |t| {
                ok(model::resize_item(
                    t,
                    own_page(level),
                    own_item(level),
                    0.7,
                    0.2,
                ))
            }),
        ),
        (
            "rotate-own-item",
            edit_on_base(client, |t| {
                ok(model::rotate_item(t, own_page(level), own_item(level), 9.5))
            }),
        ),
        (
            "z-own-item",
            edit_on_base(client, |t| {
                ok(model::set_z(t, own_page(level), own_item(level), 7.0))
            }),
        ),
        (
            "restyle-own-item",
            edit_on_base(client, |t| {
                let style = Style {
                    font: Some("serif".into()),
                    size: Some(24.0),
                    color: Some("#123456".into()),
                    align: Some(Align::Center),
                    opacity: Some(0.5),
                    shadow: Some(true),
                    border: Some(Border {
                        width: 0.01,
                        color: "#ffffff".into(),
                    }),
                    frame: Some("polaroid".into()),
                };
                ok(model::restyle_item(
                    t,
                    own_page(level),
                    own_item(level),
                    style,
                ))
            }),
        ),
        (
            "set-photo-others-item",
            edit_on_base(client, |t| {
                ok(model::set_photo(
                    t,
                    AUTO_PAGE,
                    AUTO_PHOTO_1,
                    PhotoRef {
                        id: "f1f1f1f1-0000-4000-8000-00000000f1f1".into(),
                        pan: [0.1, -0.1],
                        zoom: 1.5,
                    },
                ))
            }),
        ),
        (
            "caption-own-item",
            edit_on_base(client, |t| {
                ok(model::set_caption(
                    t,
                    own_page(level),
                    own_item(level),
                    "A day at the beach 🌊",
                ))
            }),
        ),
        (
            "type-one-char-own-caption",
            edit_on_base(client, |t| {
                ok(model::edit_caption(
                    t,
                    own_page(level),
                    own_item(level),
                    0,
                    0,
                    "x",
                ))
            }),
        ),
        (
            "type-on-others-caption",
            edit_on_base(client, |t| {
                ok(model::edit_caption(t, AUTO_PAGE, AUTO_PHOTO_1, 5, 0, "!"))
            }),
        ),
        (
            "delete-chars-others-caption",
            edit_on_base(client, |t| {
                ok(model::edit_caption(t, AUTO_PAGE, AUTO_PHOTO_1, 1, 2, ""))
            }),
        ),
        (
            "remove-own-item",
            edit_on_base(client, |t| {
                ok(model::remove_item(t, own_page(level), own_item(level)))
            }),
        ),
        (
            "remove-others-item",
            edit_on_base(client, |t| ok(model::remove_item(t, ALICE_PAGE, CAT_SHAPE))),
        ),
        (
            "move-own-page",
            edit_on_base(client, |t| ok(model::move_page(t, own_page(level), 0))),
        ),
        (
            "move-others-page",
            edit_on_base(client, |t| ok(model::move_page(t, BOB_PAGE, 1))),
        ),
        (
            "remove-own-page",
            edit_on_base(client, |t| ok(model::remove_page(t, own_page(level)))),
        ),
        (
            "remove-others-page",
            edit_on_base(client, |t| ok(model::remove_page(t, AUTO_PAGE))),
        ),
        (
            "layout-own-page",
            edit_on_base(client, |t| {
                ok(model::set_page_layout(t, own_page(level), Some("three-up")))
            }),
        ),
        (
            "background-own-page",
            edit_on_base(client, |t| {
                ok(model::set_page_background(
                    t,
                    own_page(level),
                    Background {
                        color: Some("#fafafa".into()),
                        asset: Some("f0f0f0f0-0000-4000-8000-00000000f0f0".into()),
                        flip: true,
                    },
                ))
            }),
        ),
        (
            "auto-off-automix-page",
            edit_on_base(client, |t| ok(model::set_page_auto(t, AUTO_PAGE, false))),
        ),
        (
            "meta-title",
            edit_on_base(client, |t| crdt_schema::set_meta(t, "title", "Renamed")),
        ),
        // Undo of Alice's deleted page and item: the same id and createdBy again.
        (
            "undo-deleted-page",
            edit_on_base(client, |t| {
                drop(oks(model::add_page(
                    t,
                    3,
                    book::page(GONE_PAGE, PageKind::Page, book::ALICE, false),
                )))
            }),
        ),
        (
            "undo-deleted-item",
            edit_on_base(client, |t| {
                drop(oks(model::add_item(
                    t,
                    ALICE_PAGE,
                    book::item(
                        GONE_ITEM,
                        ItemKind::Shape,
                        book::ALICE,
                        [0.0, 0.0, 0.2, 0.2, 0.0],
                    ),
                )))
            }),
        ),
        ("nothing-new", yrs::Update::EMPTY_V1.to_vec()),
    ];
    // Two edits in a row from one client, the second alone: it builds on the first, which
    // the server does not have (causality).
    let server = book::base_doc();
    book::edit(&server, client, |t| {
        drop(oks(model::add_page(
            t,
            0,
            book::page(mine, PageKind::Page, user, false),
        )))
    });
    out.push((
        "builds-on-unknown",
        book::edit(&server, client, |t| {
            drop(oks(model::add_item(
                t,
                mine,
                book::item(mine_item, ItemKind::Text, user, [0.0, 0.0, 0.2, 0.2, 0.0]),
            )))
        }),
    ));
    // A whole book from another doc, as a client that was offline since it started.
    let other = Doc::with_client_id(fresh + 1);
    book::apply(
        &other,
        &crdt_schema::new_book(fresh + 1, "Another", "square-12x12", "wedding"),
    );
    out.push((
        "another-books-state",
        other
            .transact()
            .encode_state_as_update_v1(&StateVector::default()),
    ));
    let mut out: Vec<(String, Vec<u8>)> = out
        .into_iter()
        .map(|(n, b)| (format!("{n}.bin"), b))
        .collect();
    // The shared model fixtures (whole books made by the Rust and TypeScript models).
    let fixtures =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../crdt-schema/fixtures");
    for side in ["rust", "ts"] {
        for name in ["empty", "full", "edited", "concurrent-page-move"] {
            let bytes = std::fs::read(fixtures.join(side).join(format!("{name}.update.bin")))
                .expect("crdt-schema fixture");
            out.push((format!("fixture-{side}-{name}.bin"), bytes));
        }
    }
    out
}

/// A page of the book the level's user made (the system made the automix page).
fn own_page(level: Level) -> &'static str {
    match level {
        Level::Contributor => ALICE_PAGE,
        Level::Editor => BOB_PAGE,
        Level::System => AUTO_PAGE,
    }
}

fn own_item(level: Level) -> &'static str {
    match level {
        Level::Contributor => book::ALICE_TEXT,
        Level::Editor => BOB_PHOTO,
        Level::System => AUTO_PHOTO_1,
    }
}
