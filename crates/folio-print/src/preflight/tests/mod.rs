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

mod boundaries;
mod inputs;
mod missing;
mod resolution;

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
