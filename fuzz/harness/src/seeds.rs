//! The seed corpora of `fuzz/corpus/<target>/`, made here and committed (regenerate them
//! with `scripts/fuzz seeds`). Updates are made by crdt-schema's typed model edits on the
//! base book of `book.rs`, as client-web and the server make them; pictures are tiny files
//! encoded by `image`, some with hand-built EXIF; bodies are the API's documented shapes.
//!
//! yrs writes a JSON object's keys in hash order, so regenerated updates may differ in bytes
//! from the committed ones while meaning the same; there is no need to regenerate for that.

use std::io::Cursor;

use crdt_schema::model::{self, Align, Background, Border, ItemKind, PageKind, PhotoRef, Style};
use crdt_schema::schema::SYSTEM_USER;
use crdt_schema::validate::Level;
use folio_server::http::bodies::Endpoint;
use folio_server::sync::protocol;
use image::{DynamicImage, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};
use yrs::{Doc, ReadTxn, StateVector, Transact, TransactionMut};

use crate::book::{
    self, ALICE_PAGE, AUTO_PAGE, AUTO_PHOTO_1, BOB_PAGE, BOB_PHOTO, CAT_SHAPE, COVER, GONE_ITEM,
    GONE_PAGE,
};

/// The seeds of one target, each a file name and its bytes.
pub fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    match target {
        "sync_decoder" => sync_seeds(),
        "validator_contributor" => update_seeds(Level::Contributor),
        "validator_editor" => update_seeds(Level::Editor),
        "validator_system" => update_seeds(Level::System),
        "photo_decoder" => photo_seeds(),
        "api_json" => api_seeds(),
        other => panic!("no fuzz target named {other}"),
    }
}

/// Writes every target's seeds under `corpus_dir/<target>/`, replacing what was there.
pub fn write_corpus(corpus_dir: &std::path::Path) -> std::io::Result<usize> {
    let mut n = 0;
    for target in crate::TARGETS {
        let dir = corpus_dir.join(target);
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::create_dir_all(&dir)?;
        for (name, bytes) in seeds(target) {
            std::fs::write(dir.join(name), bytes)?;
            n += 1;
        }
    }
    Ok(n)
}

// ---- book updates ----

/// One model edit by `client` on a doc in sync with the base book; the update alone.
fn edit_on_base(client: u64, f: impl FnOnce(&mut TransactionMut)) -> Vec<u8> {
    let server = book::base_doc();
    book::edit(&server, client, f)
}

/// The edits a writer of `level` makes in the editor, each as one update against the base
/// book: their own pages and items, and other people's (refused for a contributor).
fn update_seeds(level: Level) -> Vec<(String, Vec<u8>)> {
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

// ---- sync frames ----

fn sync_seeds() -> Vec<(String, Vec<u8>)> {
    let base = book::base_doc();
    let sv = base.transact().state_vector();
    let step1 = |sv: &StateVector| protocol::sync_step1(sv).to_vec();
    let add_page = edit_on_base(book::ALICE_CLIENT, |t| {
        drop(
            model::add_page(
                t,
                1,
                book::page(
                    "5eed0000-0000-4000-8000-000000000011",
                    PageKind::Page,
                    book::ALICE,
                    false,
                ),
            )
            .unwrap(),
        )
    });
    let caption = edit_on_base(book::BOB_CLIENT, |t| {
        model::edit_caption(t, AUTO_PAGE, AUTO_PHOTO_1, 0, 0, "¡").unwrap()
    });
    let awareness = protocol::awareness(
        [
            (7u64, 1u32, r#"{"user":{"name":"Mallory"},"cursor":{"anchor":{"type":{"client":1,"clock":2}},"head":null},"selection":["a11ce000-0000-4000-8000-000000002001"]}"#),
            (8, 4, "null"),
        ]
        .into_iter(),
    )
    .to_vec();
    let mut both = awareness.clone();
    both.extend_from_slice(&protocol::sync_update(&add_page));
    let seeds: Vec<(&str, Vec<u8>)> = vec![
        ("step1-empty", step1(&StateVector::default())),
        ("step1-base", step1(&sv)),
        (
            "step2-base-state",
            protocol::sync_step2(
                &base
                    .transact()
                    .encode_state_as_update_v1(&StateVector::default()),
            )
            .to_vec(),
        ),
        ("update-add-page", protocol::sync_update(&add_page).to_vec()),
        (
            "update-caption-char",
            protocol::sync_update(&caption).to_vec(),
        ),
        (
            "update-empty",
            protocol::sync_update(yrs::Update::EMPTY_V1).to_vec(),
        ),
        ("awareness", awareness),
        ("awareness-and-update", both),
        ("query-awareness", vec![3]),
        ("auth-denied", protocol::permission_denied("no").to_vec()),
        ("truncated-varint", vec![0xff]),
        (
            "giant-length-prefix",
            vec![0x00, 0x01, 0xff, 0xff, 0xff, 0xff, 0x0f],
        ),
        ("length-beyond-frame", vec![0x00, 0x02, 0x05, 0x01]),
        (
            "awareness-count-bomb",
            vec![0x01, 0x04, 0xff, 0xff, 0xff, 0x7f],
        ),
        (
            "update-clients-bomb",
            vec![0x00, 0x02, 0x04, 0xff, 0xff, 0xff, 0x7f],
        ),
        ("unknown-type", vec![0x09]),
        ("unknown-sync-step", vec![0x00, 0x07, 0x00]),
    ];
    seeds
        .into_iter()
        .map(|(n, b)| (format!("{n}.bin"), b))
        .collect()
}

// ---- pictures ----

fn encode(img: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, format)
        .expect("encode a seed picture");
    out.into_inner()
}

fn gradient(w: u32, h: u32) -> DynamicImage {
    DynamicImage::ImageRgb8(RgbImage::from_fn(w, h, |x, y| {
        Rgb([
            (x * 255 / w) as u8,
            (y * 255 / h) as u8,
            ((x + y) * 7 % 256) as u8,
        ])
    }))
}

fn photo_seeds() -> Vec<(String, Vec<u8>)> {
    let small = gradient(24, 16);
    let rgba = DynamicImage::ImageRgba8(RgbaImage::from_fn(16, 24, |x, y| {
        Rgba([200, (x * 10) as u8, (y * 10) as u8, (x * y % 256) as u8])
    }));
    let gray = DynamicImage::ImageLuma8(image::GrayImage::from_fn(20, 20, |x, y| {
        image::Luma([((x ^ y) * 12) as u8])
    }));
    let wide = gradient(300, 40);
    let jpeg = encode(&small, ImageFormat::Jpeg);
    let with_exif = insert_app1(&jpeg, &exif_tiff(6));
    let png = encode(&small, ImageFormat::Png);
    let mut seeds: Vec<(&str, Vec<u8>)> = vec![
        ("jpeg-rgb.jpg", jpeg.clone()),
        ("jpeg-gray.jpg", encode(&gray, ImageFormat::Jpeg)),
        ("jpeg-wide-one-size.jpg", encode(&wide, ImageFormat::Jpeg)),
        ("jpeg-exif-orientation-6-gps-time.jpg", with_exif.clone()),
        (
            "jpeg-exif-orientation-3.jpg",
            insert_app1(&jpeg, &exif_tiff(3)),
        ),
        ("jpeg-truncated.jpg", jpeg[..jpeg.len() * 2 / 3].to_vec()),
        ("png-rgb.png", png.clone()),
        ("png-rgba.png", encode(&rgba, ImageFormat::Png)),
        ("png-gray.png", encode(&gray, ImageFormat::Png)),
        (
            "png-rgb16.png",
            encode(
                &DynamicImage::ImageRgb16(small.to_rgb16()),
                ImageFormat::Png,
            ),
        ),
        ("png-exif-chunk.png", insert_png_exif(&png, &exif_tiff(8))),
        (
            "png-declaring-100000x100000.png",
            png_declaring(100_000, 100_000),
        ),
        ("webp-lossless-rgba.webp", encode(&rgba, ImageFormat::WebP)),
        ("webp-lossless-rgb.webp", encode(&small, ImageFormat::WebP)),
        (
            "heic-ftyp.heic",
            b"\0\0\0\x18ftypheic\0\0\0\0mif1heic\0\0\0\x08meta".to_vec(),
        ),
        ("gif-header.gif", b"GIF89a\x01\0\x01\0\0\0\0;".to_vec()),
    ];
    seeds.push((
        "exif-tiff-only.tif",
        [b"Exif\0\0".as_slice(), &exif_tiff(1)].concat(),
    ));
    seeds.into_iter().map(|(n, b)| (n.to_owned(), b)).collect()
}

/// A PNG of a few dozen bytes whose header declares `width`×`height` RGB pixels.
fn png_declaring(width: u32, height: u32) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    png_chunk(&mut png, b"IHDR", &ihdr);
    png_chunk(
        &mut png,
        b"IDAT",
        &[
            0x78, 0x01, 0x01, 0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x01,
        ],
    );
    png_chunk(&mut png, b"IEND", &[]);
    png
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// The PNG with an `eXIf` chunk right after its IHDR.
fn insert_png_exif(png: &[u8], tiff: &[u8]) -> Vec<u8> {
    let ihdr_end = 8 + 4 + 4 + 13 + 4;
    let mut out = png[..ihdr_end].to_vec();
    png_chunk(&mut out, b"eXIf", tiff);
    out.extend_from_slice(&png[ihdr_end..]);
    out
}

/// The JPEG with an EXIF APP1 segment right after its SOI marker.
fn insert_app1(jpeg: &[u8], tiff: &[u8]) -> Vec<u8> {
    let payload = [b"Exif\0\0".as_slice(), tiff].concat();
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&payload);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// One IFD entry: tag, type (2 ASCII, 3 SHORT, 4 LONG, 5 RATIONAL), count, value bytes.
type Entry = (u16, u16, u32, Vec<u8>);

fn ascii(tag: u16, s: &str) -> Entry {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    (tag, 2, v.len() as u32, v)
}

fn rationals(tag: u16, parts: &[(u32, u32)]) -> Entry {
    (
        tag,
        5,
        parts.len() as u32,
        parts
            .iter()
            .flat_map(|(n, d)| n.to_be_bytes().into_iter().chain(d.to_be_bytes()))
            .collect(),
    )
}

fn ifd_len(entries: &[Entry]) -> usize {
    2 + 12 * entries.len()
        + 4
        + entries
            .iter()
            .map(|e| {
                if e.3.len() > 4 {
                    e.3.len().next_multiple_of(2)
                } else {
                    0
                }
            })
            .sum::<usize>()
}

fn write_ifd(out: &mut Vec<u8>, entries: &[Entry]) {
    let start = out.len();
    let mut data_at = start + 2 + 12 * entries.len() + 4;
    let mut data = Vec::new();
    out.extend_from_slice(&(entries.len() as u16).to_be_bytes());
    for (tag, kind, count, value) in entries {
        out.extend_from_slice(&tag.to_be_bytes());
        out.extend_from_slice(&kind.to_be_bytes());
        out.extend_from_slice(&count.to_be_bytes());
        if value.len() <= 4 {
            let mut inline = value.clone();
            inline.resize(4, 0);
            out.extend_from_slice(&inline);
        } else {
            out.extend_from_slice(&(data_at as u32).to_be_bytes());
            data.extend_from_slice(value);
            if value.len() % 2 == 1 {
                data.push(0);
            }
            data_at += value.len().next_multiple_of(2);
        }
    }
    out.extend_from_slice(&0u32.to_be_bytes());
    out.extend_from_slice(&data);
}

/// A big-endian TIFF block as a camera writes it: make, model and orientation; capture time
/// with sub-seconds and offset; GPS (Lisbon).
fn exif_tiff(orientation: u16) -> Vec<u8> {
    let exif_ifd = vec![
        ascii(0x9003, "2024:05:30 15:56:01"),
        ascii(0x9011, "+02:00"),
        ascii(0x9291, "042"),
    ];
    let gps_ifd = vec![
        ascii(0x0001, "N"),
        rationals(0x0002, &[(38, 1), (42, 1), (4380, 100)]),
        ascii(0x0003, "W"),
        rationals(0x0004, &[(9, 1), (8, 1), (2760, 100)]),
    ];
    let mut ifd0 = vec![
        ascii(0x010F, "FOLIO"),
        ascii(0x0110, "Fuzz Camera 1"),
        (0x0112, 3, 1, orientation.to_be_bytes().to_vec()),
        (0x8769, 4, 1, vec![0; 4]),
        (0x8825, 4, 1, vec![0; 4]),
    ];
    let ifd0_at = 8;
    let exif_at = ifd0_at + ifd_len(&ifd0);
    let gps_at = exif_at + ifd_len(&exif_ifd);
    ifd0[3].3 = (exif_at as u32).to_be_bytes().to_vec();
    ifd0[4].3 = (gps_at as u32).to_be_bytes().to_vec();
    let mut out = b"MM\0\x2a\0\0\0\x08".to_vec();
    write_ifd(&mut out, &ifd0);
    assert_eq!(out.len(), exif_at);
    write_ifd(&mut out, &exif_ifd);
    assert_eq!(out.len(), gps_at);
    write_ifd(&mut out, &gps_ifd);
    out
}

// ---- API bodies ----

fn api_seeds() -> Vec<(String, Vec<u8>)> {
    use Endpoint::*;
    let photo = "f0f0f0f0-0000-4000-8000-00000000f0f0";
    let bodies: Vec<(Endpoint, String)> = vec![
        (Signup, r#"{"email":"ann@example.com","name":"Ann","password":"correct horse"}"#.into()),
        (Signup, r#"{"email":"not an email","name":"","password":"short"}"#.into()),
        (Login, r#"{"email":" ann@example.com ","password":"correct horse"}"#.into()),
        (ProjectCreate, r#"{"title":"Summer 2024","product":"square-8x8","theme":"everyday"}"#.into()),
        (ProjectCreate, r#"{"title":"Trip"}"#.into()),
        (ProjectPatch, r#"{"title":"Renamed","product":"landscape-11x8.5","theme":"wedding"}"#.into()),
        (ProjectPatch, r#"{"theme":"../x"}"#.into()),
        (MemberRole, r#"{"role":"editor"}"#.into()),
        (InviteCreate, r#"{"role":"contributor","expires_in_s":86400,"max_uses":5,"email":"cat@example.com"}"#.into()),
        (InviteCreate, r#"{"role":"owner"}"#.into()),
        (NotificationsRead, format!(r#"{{"ids":["{photo}"]}}"#)),
        (WallPost, format!(r#"{{"body":"Lovely page!","page_id":"{}","item_id":"{}","parent_id":null}}"#, book::ALICE_PAGE, book::ALICE_TEXT)),
        (WallEdit, r#"{"body":"  edited  "}"#.into()),
        (PhotoTags, r#"{"tags":["Beach","summer","  Family "]}"#.into()),
        (
            PhotoRemote,
            r#"{"name":"Partner photo","sizes":[{"w":256,"h":171,"url":"https://cdn.example.com/p/256.jpg"},{"w":2048,"h":1365,"url":"https://cdn.example.com/p/2048.jpg"}],"taken_at":"2024-05-30T13:56:01Z","taken_at_offset":"+02:00","gps":{"lat":38.7,"lon":-9.1},"camera":"Pixel 8"}"#.into(),
        ),
        (PhotoRemote, r#"{"name":"Local time","sizes":[{"w":100,"h":100,"url":"http://x.example/1"}],"taken_at":"2024-05-30T15:56:01.250"}"#.into()),
        (AlbumCreate, r#"{"name":"Holidays"}"#.into()),
        (AlbumPatch, format!(r#"{{"name":"Holidays 2024","cover_photo_id":"{photo}"}}"#)),
        (AlbumPatch, r#"{"cover_photo_id":null}"#.into()),
        (AlbumPhotos, format!(r#"{{"photo_ids":["{photo}","{photo}"]}}"#)),
        (Share, format!(r#"{{"photo_ids":["{photo}"],"project_id":"{photo}"}}"#)),
        (PrintSelection, format!(r#"{{"photo_ids":["{photo}"],"name":"Prints"}}"#)),
        (Automix, format!(r#"{{"photo_ids":["{photo}"],"seed":7}}"#)),
        (Automix, format!(r#"{{"page_id":"{}"}}"#, book::AUTO_PAGE)),
        (Automix, format!(r#"{{"album_id":"{photo}"}}"#)),
        (Render, format!(r#"{{"product":"square-12x12","version_id":"{photo}","force":true}}"#)),
        (Render, "{}".into()),
    ];
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    for (i, (endpoint, body)) in bodies.iter().enumerate() {
        let slug = endpoint
            .route()
            .split_whitespace()
            .last()
            .unwrap_or("x")
            .trim_start_matches("/api/")
            .replace(['/', '{', '}'], "-");
        out.push((
            format!("{i:02}-{slug}.bin"),
            crate::api::input(*endpoint, body),
        ));
    }
    // The same body with another content type, and broken JSON.
    let mut plain = crate::api::input(Signup, &bodies[0].1);
    plain[1] = 3;
    out.push(("signup-text-plain.bin".into(), plain));
    out.push((
        "login-truncated-json.bin".into(),
        crate::api::input(Login, r#"{"email":"a@b.c","pass"#),
    ));
    out.push((
        "signup-unknown-field.bin".into(),
        crate::api::input(
            Signup,
            r#"{"email":"a@b.c","name":"A","password":"12345678","admin":true}"#,
        ),
    ));
    let _ = SYSTEM_USER;
    out
}
