//! Preflight on hand-made books, with the expected findings worked out by hand.
//!
//! The 8×8's right-hand page in points (see `crdt_schema::geometry::PageFrame`): trim
//! (9, 9, 576, 576), viewable (36, 9, 549, 576), safe (54, 27, 513, 540), gutter strip x 0..36;
//! the square page (CAR 1) is 576 pt = 8 in a side, from the gutter edge x = 36, so relative
//! `x` lands at 324 + 576·x and `y` at 297 + 576·y. The left-hand page is its mirror image:
//! gutter strip x 558..594, safe x 27..540, relative `x` at 270 + 576·x.

use std::collections::{BTreeSet, HashMap};

use crdt_schema::geometry::{PageSide, PixelSize};
use crdt_schema::model::{Background, Book, Item, ItemKind, Meta, Page, PageKind, PhotoRef, Style};
use crdt_schema::{product, AspectGroup};
use serde_json::json;

use super::*;
use folio_layouts::Library;

const USER: &str = "00000000-0000-0000-0000-000000000001";
const PHOTO: &str = "11111111-1111-1111-1111-111111111111";
const GHOST: &str = "99999999-9999-9999-9999-999999999999";

fn page(id: &str, kind: PageKind, items: Vec<Item>) -> Page {
    Page {
        id: id.into(),
        kind,
        layout: None,
        background: Background::default(),
        items,
        created_by: USER.into(),
        auto: false,
    }
}

fn item(id: &str, kind: ItemKind, bbox: [f64; 5]) -> Item {
    Item {
        id: id.into(),
        kind,
        bbox,
        z: 0.0,
        created_by: USER.into(),
        photo: None,
        text: None,
        style: Style::default(),
        slot: None,
    }
}

fn photo(id: &str, bbox: [f64; 5], photo_id: &str, zoom: f64) -> Item {
    Item {
        photo: Some(PhotoRef {
            id: photo_id.into(),
            pan: [0.0, 0.0],
            zoom,
        }),
        ..item(id, ItemKind::Photo, bbox)
    }
}

fn text(id: &str, bbox: [f64; 5], font: Option<&str>) -> Item {
    Item {
        text: Some("Hello".into()),
        style: Style {
            font: font.map(Into::into),
            ..Style::default()
        },
        ..item(id, ItemKind::Text, bbox)
    }
}

fn book(pages: Vec<Page>) -> Book {
    Book {
        meta: Meta::new("Test", "square-8x8", "everyday"),
        pages,
    }
}

/// One inside page (a right-hand page) holding `items`.
fn one_page(items: Vec<Item>) -> Book {
    book(vec![page("p0", PageKind::Page, items)])
}

fn sized(w: u32, h: u32) -> PhotoPixels {
    PhotoPixels {
        printed: PixelSize::new(w, h),
        largest: PixelSize::new(w, h),
        remote: false,
    }
}

fn run_on(b: &Book, product_id: &str, photos: &[(&str, PhotoPixels)]) -> Report {
    let photos: HashMap<String, PhotoPixels> =
        photos.iter().map(|(id, p)| (id.to_string(), *p)).collect();
    let product = product(product_id).expect("product");
    preflight(&Input {
        book: b,
        product,
        group: product.group,
        photos: &photos,
        fonts: PRINT_FONTS,
    })
}

fn run(b: &Book, photos: &[(&str, PhotoPixels)]) -> Report {
    run_on(b, "square-8x8", photos)
}

/// A finding as expected, with its message left out (checked apart).
fn expect(page_index: usize, item_id: &str, rule: Rule) -> Finding {
    Finding {
        page_id: format!("p{page_index}"),
        page_index,
        item_id: Some(item_id.into()),
        rule,
        severity: rule.severity(),
        message: String::new(),
        photo_id: None,
        ppi: None,
        better_size_available: None,
        better_ppi: None,
        depth_in: None,
        font: None,
    }
}

fn resolution(item_id: &str, rule: Rule, ppi: f64) -> Finding {
    Finding {
        photo_id: Some(PHOTO.into()),
        ppi: Some(ppi),
        better_size_available: Some(false),
        ..expect(0, item_id, rule)
    }
}

fn without_messages(list: &[Finding]) -> Vec<Finding> {
    list.iter()
        .map(|f| Finding {
            message: String::new(),
            ..f.clone()
        })
        .collect()
}

const FULL_PAGE: [f64; 5] = [0.0, 0.0, 1.0, 1.0, 0.0];

// ---- effective resolution -----------------------------------------------------------------

#[test]
fn a_3000x2000_photo_on_a_full_8x8_page_is_250_ppi_and_passes() {
    // The slot is the whole 8 in page; the landscape photo is height-limited, so 2000 px of it
    // span the 8 in: 250 PPI, which is not below 250.
    let b = one_page(vec![photo("a", FULL_PAGE, PHOTO, 1.0)]);
    let frame = PageFrame::new(product("square-8x8").unwrap(), PageSide::Right);
    let r = &b.pages[0].items[0];
    let ppi = effective_ppi(
        &frame,
        &Box::try_from(r.bbox).unwrap(),
        r.photo.as_ref().unwrap(),
        PixelSize::new(3000, 2000),
    );
    assert_eq!(ppi, Some(250.0));
    assert_eq!(run(&b, &[(PHOTO, sized(3000, 2000))]), Report::default());
}

#[test]
fn zooming_2x_halves_the_ppi_to_an_error() {
    // Zoom 2 shows 1000 of the 2000 px across the same 8 in: 125 PPI, below 150.
    let b = one_page(vec![photo("a", FULL_PAGE, PHOTO, 2.0)]);
    let report = run(&b, &[(PHOTO, sized(3000, 2000))]);
    assert_eq!(
        without_messages(&report.errors),
        vec![resolution("a", Rule::VeryLowResolution, 125.0)]
    );
    assert!(report.warnings.is_empty(), "{report:?}");
    let msg = &report.errors[0].message;
    assert!(
        msg.contains("125 PPI")
            && msg.contains("150 PPI minimum")
            && msg.contains("use a larger photo"),
        "{msg}"
    );
    assert!(!report.can_print());
}

#[test]
fn between_150_and_250_ppi_is_a_warning() {
    // Zoom 1.25: 1600 px across 8 in, 200 PPI.
    let b = one_page(vec![photo("a", FULL_PAGE, PHOTO, 1.25)]);
    let report = run(&b, &[(PHOTO, sized(3000, 2000))]);
    assert!(report.errors.is_empty(), "{report:?}");
    assert_eq!(
        without_messages(&report.warnings),
        vec![resolution("a", Rule::LowResolution, 200.0)]
    );
    assert!(
        report.warnings[0].message.contains("250 PPI recommended"),
        "{}",
        report.warnings[0].message
    );
    assert!(report.can_print());
}

#[test]
fn a_600x400_photo_on_a_full_page_is_an_error() {
    // 400 px across 8 in.
    let report = run(
        &one_page(vec![photo("a", FULL_PAGE, PHOTO, 1.0)]),
        &[(PHOTO, sized(600, 400))],
    );
    assert_eq!(
        without_messages(&report.errors),
        vec![resolution("a", Rule::VeryLowResolution, 50.0)]
    );
}

#[test]
fn a_small_slot_needs_fewer_pixels() {
    // A 2 in square slot (relative 0.25) inside the safe area: 400 px across 2 in is 200 PPI,
    // where the full page gave 50; 1000 px would give 500.
    let slot = [0.1, 0.1, 0.25, 0.25, 0.0];
    let report = run(
        &one_page(vec![photo("a", slot, PHOTO, 1.0)]),
        &[(PHOTO, sized(600, 400))],
    );
    assert_eq!(
        without_messages(&report.warnings),
        vec![resolution("a", Rule::LowResolution, 200.0)]
    );
    assert_eq!(
        run(
            &one_page(vec![photo("a", slot, PHOTO, 1.0)]),
            &[(PHOTO, sized(1500, 1000))]
        ),
        Report::default()
    );
}

#[test]
fn a_larger_product_spreads_the_same_pixels_thinner() {
    // The 12×12's square page is 12 in a side: 2000 px / 12 in.
    let report = run_on(
        &one_page(vec![photo("a", FULL_PAGE, PHOTO, 1.0)]),
        "square-12x12",
        &[(PHOTO, sized(3000, 2000))],
    );
    assert_eq!(
        without_messages(&report.warnings),
        vec![resolution("a", Rule::LowResolution, 166.67)]
    );
}

#[test]
fn a_larger_size_of_the_photo_is_named() {
    let pixels = PhotoPixels {
        printed: PixelSize::new(1500, 1000),
        largest: PixelSize::new(3000, 2000),
        remote: false,
    };
    let report = run(
        &one_page(vec![photo("a", FULL_PAGE, PHOTO, 1.0)]),
        &[(PHOTO, pixels)],
    );
    let expected = Finding {
        better_size_available: Some(true),
        better_ppi: Some(250.0),
        ..resolution("a", Rule::VeryLowResolution, 125.0)
    };
    assert_eq!(without_messages(&report.errors), vec![expected]);
    let msg = &report.errors[0].message;
    assert!(
        msg.contains("larger size") && msg.contains("3000×2000 px") && msg.contains("250 PPI"),
        "{msg}"
    );
}

#[test]
fn pan_does_not_change_the_ppi_but_a_bad_stored_zoom_is_clamped() {
    let mut panned = photo("a", FULL_PAGE, PHOTO, 2.0);
    panned.photo.as_mut().unwrap().pan = [1.0, -1.0];
    let report = run(&one_page(vec![panned]), &[(PHOTO, sized(3000, 2000))]);
    assert_eq!(report.errors[0].ppi, Some(125.0));
    // Zoom below 1 reads as 1 (cover, no empty bands), as the editor shows it.
    assert_eq!(
        run(
            &one_page(vec![photo("a", FULL_PAGE, PHOTO, 0.5)]),
            &[(PHOTO, sized(3000, 2000))]
        ),
        Report::default()
    );
}

// ---- boundaries -----------------------------------------------------------------------------

#[test]
fn a_text_box_over_the_gutter_warns_on_either_page_of_the_spread() {
    // Right page: the box spans x 7.2..122.4 pt; the gutter edge is at 36 (0.4 in past it) and
    // the safe line at 54 (0.65 in past it).
    let right = text("t", [-0.45, 0.0, 0.2, 0.1, 0.0], None);
    // Left page, mirrored: x 471.6..586.8; gutter edge 558, safe line 540.
    let left = text("t", [0.45, 0.0, 0.2, 0.1, 0.0], None);
    let b = book(vec![
        page("p0", PageKind::Page, vec![right]),
        page("p1", PageKind::Page, vec![left]),
    ]);
    let report = run(&b, &[]);
    assert!(report.errors.is_empty(), "{report:?}");
    let warnings = |i| {
        vec![
            Finding {
                depth_in: Some(0.4),
                ..expect(i, "t", Rule::CrossesGutter)
            },
            Finding {
                depth_in: Some(0.65),
                ..expect(i, "t", Rule::CrossesSafeArea)
            },
        ]
    };
    assert_eq!(
        without_messages(&report.warnings),
        [warnings(0), warnings(1)].concat()
    );
    assert!(
        report.warnings[0]
            .message
            .contains("0.40 in into the gutter"),
        "{}",
        report.warnings[0].message
    );
    assert!(
        report.warnings[1]
            .message
            .contains("0.65 in outside the safe area"),
        "{}",
        report.warnings[1].message
    );
}

#[test]
fn the_gutter_is_only_on_the_binding_side() {
    // The right page's box on a left page: its left edge at -46.8 pt is past the outer trim,
    // 73.8 pt (1.025 in) outside the safe line at 27, but nowhere near the gutter.
    let b = book(vec![
        page("p0", PageKind::Page, vec![]),
        page(
            "p1",
            PageKind::Page,
            vec![text("t", [-0.45, 0.0, 0.2, 0.1, 0.0], None)],
        ),
    ]);
    let report = run(&b, &[]);
    assert_eq!(
        without_messages(&report.warnings),
        vec![Finding {
            depth_in: Some(1.025),
            ..expect(1, "t", Rule::CrossesSafeArea)
        }]
    );
}

#[test]
fn a_photo_may_bleed_but_not_stop_in_the_trim_margin() {
    // Full bleed: every edge at the gutter edge or past the trim.
    assert_eq!(
        run(
            &one_page(vec![photo("a", FULL_PAGE, PHOTO, 1.0)]),
            &[(PHOTO, sized(6000, 4000))]
        ),
        Report::default()
    );
    // 90 % of the page, centred: the right edge at 583.2 pt stops between the safe line (567)
    // and the trim (585), 16.2 pt = 0.225 in outside the safe area. The left edge (64.8) is
    // inside the safe area; top and bottom (37.8, 556.2) too.
    let report = run(
        &one_page(vec![photo("a", [0.0, 0.0, 0.9, 0.9, 0.0], PHOTO, 1.0)]),
        &[(PHOTO, sized(6000, 4000))],
    );
    assert_eq!(
        without_messages(&report.warnings),
        vec![Finding {
            depth_in: Some(0.225),
            ..expect(0, "a", Rule::CrossesSafeArea)
        }]
    );
    assert!(
        report.warnings[0]
            .message
            .contains("0.23 in outside the safe area"),
        "{}",
        report.warnings[0].message
    );
    // The same photo as text would be warned too, for reaching 0.225 in past the line.
    let as_text = run(
        &one_page(vec![text("a", [0.0, 0.0, 0.9, 0.9, 0.0], None)]),
        &[],
    );
    assert_eq!(
        as_text.warnings.iter().map(|f| f.rule).collect::<Vec<_>>(),
        vec![Rule::CrossesSafeArea]
    );
}

#[test]
fn a_sticker_starting_in_the_margin_and_running_off_the_page_warns() {
    // x 0.48, w 0.1: edges 0.43..0.53, i.e. 571.68..629.28 pt. It starts 4.68 pt (0.065 in)
    // past the safe line at 567 and runs off the page: a sliver of it is left by the trim.
    let report = run(
        &one_page(vec![item(
            "s",
            ItemKind::Sticker,
            [0.48, 0.0, 0.1, 0.1, 0.0],
        )]),
        &[],
    );
    assert_eq!(
        without_messages(&report.warnings),
        vec![Finding {
            depth_in: Some(0.065),
            ..expect(0, "s", Rule::CrossesSafeArea)
        }]
    );
}

#[test]
fn an_item_wholly_off_the_page_is_an_error_and_nothing_else() {
    // x = 2 is a page width and a half right of the centre. Its photo is missing too, but an
    // item that will not print has nothing else worth saying.
    let off = Item {
        style: Style {
            font: Some("Nope".into()),
            ..Style::default()
        },
        ..photo("off", [2.0, 0.0, 0.2, 0.2, 0.0], GHOST, 1.0)
    };
    let report = run(&one_page(vec![off]), &[]);
    assert_eq!(
        without_messages(&report.errors),
        vec![expect(0, "off", Rule::OffPage)]
    );
    assert!(report.warnings.is_empty());
    assert!(
        report.errors[0].message.contains("wholly off the page"),
        "{}",
        report.errors[0].message
    );
}

// ---- missing things -------------------------------------------------------------------------

#[test]
fn an_unknown_photo_and_an_unknown_font_are_errors() {
    let items = vec![
        photo("a", [0.0, -0.2, 0.3, 0.3, 0.0], GHOST, 1.0),
        text("b", [0.0, 0.2, 0.3, 0.1, 0.0], Some("Comic Sans MS")),
        text("c", [0.0, 0.3, 0.3, 0.1, 0.0], Some(" inter ")),
        text("d", [0.0, 0.4, 0.3, 0.05, 0.0], None),
    ];
    let report = run(&one_page(items), &[]);
    assert_eq!(
        without_messages(&report.errors),
        vec![
            Finding {
                photo_id: Some(GHOST.into()),
                ..expect(0, "a", Rule::MissingPhoto)
            },
            Finding {
                font: Some("Comic Sans MS".into()),
                ..expect(0, "b", Rule::MissingFont)
            },
        ]
    );
    assert!(report.warnings.is_empty(), "{report:?}");
    assert!(report.errors[0].message.contains(GHOST));
    assert!(report.errors[1].message.contains("\"Comic Sans MS\""));
}

/// A remote photo has pixels, but the server does not fetch partners' files: it cannot print.
#[test]
fn a_remote_photo_is_an_error_however_sharp() {
    let remote = PhotoPixels {
        remote: true,
        ..sized(6000, 6000)
    };
    let from_meta = PhotoPixels::from_meta(
        &serde_json::json!({ "format": "remote", "sizes": [{ "w": 6000, "h": 6000 }] }),
    )
    .unwrap();
    assert_eq!(from_meta, remote);
    let report = run(
        &one_page(vec![photo("a", FULL_PAGE, PHOTO, 1.0)]),
        &[(PHOTO, remote)],
    );
    assert_eq!(
        without_messages(&report.errors),
        vec![Finding {
            photo_id: Some(PHOTO.into()),
            ..expect(0, "a", Rule::RemotePhoto)
        }]
    );
    assert!(
        report.errors[0].message.contains("upload the original"),
        "{:?}",
        report.errors[0]
    );
    assert!(!report.can_print());
}

#[test]
fn the_spine_is_checked_for_missing_things_only() {
    let spine_items = vec![
        photo("a", [5.0, 0.0, 1.0, 1.0, 0.0], GHOST, 1.0),
        text("b", [5.0, 0.0, 1.0, 1.0, 0.0], Some("Nope")),
    ];
    let b = book(vec![page("p0", PageKind::Spine, spine_items)]);
    let report = run(&b, &[]);
    assert_eq!(
        report.errors.iter().map(|f| f.rule).collect::<Vec<_>>(),
        vec![Rule::MissingPhoto, Rule::MissingFont]
    );
    assert!(report.warnings.is_empty());
}

#[test]
fn findings_come_in_book_order() {
    let b = book(vec![
        page(
            "p0",
            PageKind::FrontCover,
            vec![photo("a", FULL_PAGE, GHOST, 1.0)],
        ),
        page(
            "p1",
            PageKind::Page,
            vec![
                photo("b", FULL_PAGE, PHOTO, 1.0),
                text("c", [-0.45, 0.0, 0.2, 0.1, 0.0], Some("Nope")),
            ],
        ),
    ]);
    let report = run(&b, &[(PHOTO, sized(300, 200))]);
    let order: Vec<(usize, &str, Rule)> = report
        .all()
        .map(|f| (f.page_index, f.item_id.as_deref().unwrap(), f.rule))
        .collect();
    assert_eq!(
        order,
        vec![
            (0, "a", Rule::MissingPhoto),
            (1, "b", Rule::VeryLowResolution),
            (1, "c", Rule::MissingFont),
            (1, "c", Rule::CrossesGutter),
            (1, "c", Rule::CrossesSafeArea),
        ]
    );
}

// ---- pages, inputs, output ------------------------------------------------------------------

#[test]
fn pages_alternate_sides_from_a_right_hand_page_one() {
    use PageKind::*;
    use PageSide::{Left as L, Right as R};
    let kinds = |ks: &[PageKind]| {
        book(
            ks.iter()
                .enumerate()
                .map(|(i, k)| page(&format!("p{i}"), *k, vec![]))
                .collect(),
        )
    };
    assert_eq!(
        page_sides(&kinds(&[
            FrontCover,
            InsideFront,
            Page,
            Page,
            Page,
            InsideBack,
            BackCover,
            Spine
        ])),
        vec![
            Some(R),
            Some(L),
            Some(R),
            Some(L),
            Some(R),
            Some(L),
            Some(L),
            None
        ]
    );
    assert_eq!(
        page_sides(&kinds(&[FrontCover, Page, Page, Page])),
        vec![Some(R), Some(R), Some(L), Some(R)]
    );
    assert_eq!(page_sides(&kinds(&[])), vec![]);
}

#[test]
fn referenced_photos_are_every_photo_item_once() {
    let b = book(vec![
        page(
            "p0",
            PageKind::Page,
            vec![
                photo("a", FULL_PAGE, PHOTO, 1.0),
                text("t", FULL_PAGE, None),
            ],
        ),
        page(
            "p1",
            PageKind::Page,
            vec![
                photo("b", FULL_PAGE, PHOTO, 1.0),
                photo("c", FULL_PAGE, GHOST, 1.0),
            ],
        ),
    ]);
    assert_eq!(
        referenced_photos(&b),
        BTreeSet::from([PHOTO.to_owned(), GHOST.to_owned()])
    );
}

#[test]
fn photo_pixels_come_from_the_size_array() {
    let meta = json!({ "width": 3000, "height": 2000, "sizes": [
        { "w": 320, "h": 213, "part": "s320" }, { "w": 1600, "h": 1067, "part": "s1600" }, { "w": 3000, "h": 2000, "part": "original" }
    ]});
    let p = PhotoPixels::from_meta(&meta).unwrap();
    assert_eq!(p, sized(3000, 2000));
    assert!(!p.better_size_available());
    // A record whose printed (last) size is not its largest.
    let odd = json!({ "sizes": [{ "w": 4000, "h": 3000, "url": "https://x/4000" }, { "w": 400, "h": 300, "url": "https://x/400" }] });
    let p = PhotoPixels::from_meta(&odd).unwrap();
    assert_eq!(
        (p.printed, p.largest),
        (PixelSize::new(400, 300), PixelSize::new(4000, 3000))
    );
    assert!(p.better_size_available());
    assert_eq!(PhotoPixels::from_meta(&json!({ "sizes": [] })), None);
    assert_eq!(
        PhotoPixels::from_meta(&json!({ "sizes": [{ "w": 0, "h": 10 }] })),
        None
    );
    assert_eq!(PhotoPixels::from_meta(&json!({})), None);
}

#[test]
fn findings_serialise_as_the_api_says() {
    let report = run(
        &one_page(vec![
            photo("a", FULL_PAGE, PHOTO, 1.25),
            photo("g", [0.0, 0.0, 0.2, 0.2, 0.0], GHOST, 1.0),
        ]),
        &[(PHOTO, sized(3000, 2000))],
    );
    let json = serde_json::to_value(&report).unwrap();
    let w = &json["warnings"][0];
    assert_eq!(w["page_id"], "p0");
    assert_eq!(w["page_index"], 0);
    assert_eq!(w["item_id"], "a");
    assert_eq!(w["rule"], "low_resolution");
    assert_eq!(w["severity"], "warning");
    assert_eq!(w["ppi"], 200.0);
    assert_eq!(w["better_size_available"], false);
    assert!(w.get("depth_in").is_none() && w.get("better_ppi").is_none());
    let e = &json["errors"][0];
    assert_eq!(
        (
            e["rule"].as_str(),
            e["severity"].as_str(),
            e["photo_id"].as_str()
        ),
        (Some("missing_photo"), Some("error"), Some(GHOST))
    );
    assert!(e.get("ppi").is_none());
}

#[test]
fn print_fonts_are_the_theme_fonts() {
    let themes: BTreeSet<&str> = Library::get()
        .themes()
        .iter()
        .flat_map(|t| [t.fonts.heading.as_str(), t.fonts.body.as_str()])
        .collect();
    assert_eq!(themes, PRINT_FONTS.iter().copied().collect::<BTreeSet<_>>());
}

/// What automix lays out must pass: every layout of the library, its slots filled with photos
/// (well covered: 20000 px a side) and its caption areas with text in a theme font, on both
/// pages of a spread of every product of its group.
#[test]
fn every_library_layout_passes_on_every_product_of_its_group() {
    let pixels = sized(20_000, 20_000);
    for group in AspectGroup::ALL {
        for layout in Library::get().layouts_for(group) {
            let mut items = Vec::new();
            for (i, slot) in layout.slots.iter().enumerate() {
                items.push(photo(&format!("s{i}"), slot.frame.to_array(), PHOTO, 1.0));
                if let Some(c) = &slot.caption_box {
                    items.push(text(&format!("c{i}"), c.to_array(), Some("Inter")));
                }
            }
            let b = book(vec![
                page("p0", PageKind::Page, items.clone()),
                page("p1", PageKind::Page, items),
            ]);
            for product in group.products() {
                let report = run_on(&b, product.id, &[(PHOTO, pixels)]);
                assert_eq!(report, Report::default(), "{} on {}", layout.id, product.id);
            }
        }
    }
}
