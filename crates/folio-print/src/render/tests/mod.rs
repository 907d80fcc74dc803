//! The interior PDF of hand-made books, checked with the distribution's PDF tools (qpdf and
//! poppler-utils, which scripts/test installs). A missing tool skips its check with a notice,
//! except under `CI=true`, where it fails.
//!
//! The 8×8's right-hand page in points (see `crdt_schema::geometry::PageFrame`): canvas
//! 594×594, trim (9, 9, 576, 576); the square page is 576 pt a side from the gutter edge
//! x = 36, so relative `x` lands at 324 + 576·x and `y` at 297 + 576·y. The second page is a
//! left-hand page: relative `x` at 270 + 576·x.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use crdt_schema::geometry::{core_aspect_ratio, Box, PageFrame, PhotoView, PixelSize};
use crdt_schema::model::{Background, Book, Item, ItemKind, Meta, Page, PageKind, PhotoRef, Style};
use crdt_schema::{product, AspectGroup};
use image::{ImageFormat, Rgb, RgbImage};

use super::text::PrintFont;
use super::*;
use folio_media::probe::probe;

mod assembly;
mod cover_sheet;
mod interior;
mod rasters;
mod stickers;

const USER: &str = "00000000-0000-0000-0000-000000000001";
const PHOTO: &str = "11111111-1111-1111-1111-111111111111";
const PNG_PHOTO: &str = "22222222-2222-2222-2222-222222222222";

/// The photo's size: wider than the slot, so its height limits and pan x has room.
const PHOTO_W: u32 = 3000;
const PHOTO_H: u32 = 2000;
/// A full-bleed slot, past the canvas on every side of the right-hand page, zoomed and panned.
const BLEED_BOX: [f64; 5] = [-0.03, 0.0, 1.1, 1.05, 0.0];
const PAN: [f64; 2] = [0.4, -0.5];
const ZOOM: f64 = 1.2;

const CAPTION: &str = "A long caption that cannot fit on one line of a narrow box, so it wraps onto several lines of text";

/// Four flat quadrants (red, green / blue, yellow) split at (`PHOTO_W`/2, `PHOTO_H`/2), so
/// the split shows where the photo landed on the page.
const QUADRANTS: [[u8; 3]; 4] = [[220, 30, 30], [30, 200, 30], [30, 30, 220], [230, 220, 40]];

fn quadrants(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        Rgb(QUADRANTS[(x >= w / 2) as usize + 2 * (y >= h / 2) as usize])
    })
}

fn encoded(img: &RgbImage, format: ImageFormat) -> Vec<u8> {
    let mut bytes = std::io::Cursor::new(Vec::new());
    img.write_to(&mut bytes, format).expect("encode");
    bytes.into_inner()
}

fn source(bytes: Vec<u8>) -> PhotoSource {
    let probe = probe(&bytes).expect("probe");
    PhotoSource {
        bytes: Arc::new(bytes),
        probe,
        orientation: Orientation::UPRIGHT,
    }
}

fn page(id: &str, items: Vec<Item>, color: Option<&str>) -> Page {
    let background = Background {
        color: color.map(Into::into),
        ..Background::default()
    };
    Page {
        id: id.into(),
        kind: PageKind::Page,
        layout: None,
        background,
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

fn photo_item(id: &str, bbox: [f64; 5], photo_id: &str, pan: [f64; 2], zoom: f64) -> Item {
    Item {
        photo: Some(PhotoRef {
            id: photo_id.into(),
            pan,
            zoom,
        }),
        ..item(id, ItemKind::Photo, bbox)
    }
}

/// Page 1 (right): the full-bleed JPEG. Page 2 (left): a cream background and a caption in a
/// narrow box.
fn two_page_book() -> Book {
    let caption = Item {
        text: Some(CAPTION.into()),
        style: Style {
            size: Some(0.03),
            color: Some("#223344".into()),
            ..Style::default()
        },
        ..item("text", ItemKind::Text, [0.0, 0.1, 0.5, 0.4, 0.0])
    };
    let pages = vec![
        page(
            "p0",
            vec![photo_item("photo", BLEED_BOX, PHOTO, PAN, ZOOM)],
            None,
        ),
        page("p1", vec![caption], Some("#f5f3ef")),
    ];
    Book {
        meta: Meta::new("Test", "square-8x8", "everyday"),
        pages,
    }
}

fn sources(list: Vec<(&str, Vec<u8>)>) -> HashMap<String, PhotoSource> {
    list.into_iter()
        .map(|(id, bytes)| (id.to_owned(), source(bytes)))
        .collect()
}

fn render(book: &Book, product_id: &str, photos: &HashMap<String, PhotoSource>) -> Vec<u8> {
    let p = product(product_id).expect("product");
    render_interior(book, p, p.group, &|id| photos.get(id).cloned()).expect("render")
}

fn write_pdf(dir: &Path, bytes: &[u8]) -> PathBuf {
    let path = dir.join("interior.pdf");
    std::fs::write(&path, bytes).expect("write pdf");
    path
}

/// Whether `tool` runs; without it the check is skipped, unless under CI=true.
fn have(tool: &str) -> bool {
    let runs = Command::new(tool).arg("-v").output().is_ok()
        || Command::new(tool).arg("--version").output().is_ok();
    if !runs {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("{tool} is not installed; scripts/test installs qpdf and poppler-utils (CI=true makes this fatal)");
        }
        eprintln!("skipping the {tool} check: {tool} is not installed (apt-get install qpdf poppler-utils)");
    }
    runs
}

/// `tool args… pdf`, its standard output; pdftotext is told to write there too.
fn run(tool: &str, args: &[&str], pdf: &Path) -> String {
    let stdout = if tool == "pdftotext" { &["-"][..] } else { &[] };
    let out = Command::new(tool)
        .args(args)
        .arg(pdf)
        .args(stdout)
        .output()
        .unwrap_or_else(|e| panic!("running {tool}: {e}"));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{tool} {args:?} failed ({}): {text}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

/// The effective PPI preflight computes for a photo of `pixels` in `bbox` on page `side`.
fn preflight_ppi(
    product_id: &str,
    side: crdt_schema::geometry::PageSide,
    pixels: PixelSize,
    bbox: [f64; 5],
    pan: [f64; 2],
    zoom: f64,
) -> f64 {
    let p = product(product_id).unwrap();
    let frame = PageFrame::at_car(p, core_aspect_ratio(p.group), side);
    frame
        .place_photo(
            pixels,
            &Box::try_from(bbox).unwrap(),
            PhotoView::clamped(pan, zoom),
        )
        .unwrap()
        .effective_ppi
}

/// `pdfinfo -box` lines for page `n` as `name -> [x0, y0, x1, y1]`.
fn boxes(info: &str, n: usize) -> HashMap<String, [f64; 4]> {
    let prefix = format!("Page {n:>4} ");
    info.lines()
        .filter_map(|l| l.strip_prefix(&prefix))
        .filter_map(|l| {
            let (name, nums) = l.split_once(':')?;
            let nums: Vec<f64> = nums
                .split_whitespace()
                .filter_map(|v| v.parse().ok())
                .collect();
            Some((name.trim().to_owned(), nums.try_into().ok()?))
        })
        .collect()
}

fn close(a: &[f64], b: &[f64], tol: f64) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= tol)
}

/// A `pages`-page book whose page k shows the caption "Page k" and, on every other page, the
/// JPEG.
fn captioned_book(pages: usize) -> Book {
    let pages = (1..=pages)
        .map(|k| {
            let caption = Item {
                text: Some(format!("Page {k}")),
                ..item(&format!("t{k}"), ItemKind::Text, [0.0, 0.35, 0.6, 0.1, 0.0])
            };
            let mut items = vec![caption];
            if k % 2 == 1 {
                items.push(photo_item(
                    &format!("ph{k}"),
                    [0.0, -0.1, 0.5, 0.5, 0.0],
                    PHOTO,
                    [0.0, 0.0],
                    1.0,
                ));
            }
            page(&format!("p{k}"), items, Some("#eef3ee"))
        })
        .collect();
    Book {
        meta: Meta::new("Test", "square-8x8", "nature"),
        pages,
    }
}

fn render_with(
    book: &Book,
    product_id: &str,
    photos: &HashMap<String, PhotoSource>,
    settings: &RenderSettings,
) -> (Vec<u8>, Vec<PrintedPage>) {
    let p = product(product_id).expect("product");
    let lookup = |id: &str| photos.get(id).cloned();
    let mut printed = Vec::new();
    let pdf = render_interior_to(
        &Source {
            book,
            product: p,
            group: p.group,
            photos: &lookup,
        },
        settings,
        Vec::new(),
        &mut |page| {
            printed.push(page);
            Ok(())
        },
    )
    .expect("render");
    (pdf, printed)
}

fn qpdf_clean(path: &Path) {
    if have("qpdf") {
        let out = Command::new("qpdf")
            .arg("--check")
            .arg(path)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "qpdf --check: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            text.contains("No syntax or stream encoding errors found"),
            "{text}"
        );
        assert!(
            out.stderr.is_empty(),
            "qpdf warned: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Page `n` (from 1) of `pdf` drawn by poppler at `dpi`.
fn poppler_page(dir: &Path, pdf: &Path, n: usize, dpi: u32) -> image::RgbImage {
    let out = dir.join(format!("poppler-{n}"));
    let n = n.to_string();
    let status = Command::new("pdftoppm")
        .args([
            "-r",
            &dpi.to_string(),
            "-f",
            &n,
            "-l",
            &n,
            "-png",
            "-singlefile",
        ])
        .arg(pdf)
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success(), "pdftoppm");
    image::open(out.with_extension("png")).unwrap().to_rgb8()
}

fn near(a: &Rgb<u8>, b: &Rgb<u8>, tol: i32) -> bool {
    a.0.iter()
        .zip(b.0)
        .all(|(x, y)| (*x as i32 - y as i32).abs() <= tol)
}
