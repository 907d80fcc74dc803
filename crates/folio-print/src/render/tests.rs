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

use super::*;
use folio_media::probe::probe;

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

#[test]
fn two_page_book_is_a_clean_print_pdf() {
    let jpeg = encoded(&quadrants(PHOTO_W, PHOTO_H), ImageFormat::Jpeg);
    let photos = sources(vec![(PHOTO, jpeg.clone())]);
    let book = two_page_book();
    let pdf = render(&book, "square-8x8", &photos);
    assert!(pdf.starts_with(b"%PDF-"));
    let jpeg_in_pdf = pdf.windows(jpeg.len()).any(|w| w == jpeg.as_slice());
    assert!(jpeg_in_pdf, "the JPEG is embedded byte for byte");

    let dir = tempfile::tempdir().unwrap();
    let path = write_pdf(dir.path(), &pdf);

    if have("qpdf") {
        let out = Command::new("qpdf")
            .arg("--check")
            .arg(&path)
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

    if have("pdfinfo") {
        let info = run("pdfinfo", &["-box", "-f", "1", "-l", "2"], &path);
        assert!(info.contains("Pages:           2"), "{info}");
        for n in 1..=2 {
            let b = boxes(&info, n);
            // 8.25 in = 594 pt of canvas; the 8 in = 576 pt trim inset by the 0.125 in = 9 pt bleed.
            assert!(
                close(&b["MediaBox"], &[0.0, 0.0, 594.0, 594.0], 0.01),
                "page {n}: {b:?}"
            );
            assert!(
                close(&b["BleedBox"], &[0.0, 0.0, 594.0, 594.0], 0.01),
                "page {n}: {b:?}"
            );
            assert!(
                close(&b["TrimBox"], &[9.0, 9.0, 585.0, 585.0], 0.01),
                "page {n}: {b:?}"
            );
        }
    }

    if have("pdffonts") {
        let fonts = run("pdffonts", &[], &path);
        let rows: Vec<&str> = fonts.lines().skip(2).collect();
        assert!(!rows.is_empty(), "a font is used: {fonts}");
        for row in rows {
            assert!(row.contains("Inter"), "{row}");
            let cols: Vec<&str> = row.split_whitespace().collect();
            // name type… emb sub uni object ID: emb is the fifth column from the end.
            assert_eq!(cols[cols.len() - 5], "yes", "embedded: {row}");
        }
    }

    if have("pdfimages") {
        let list = run("pdfimages", &["-list"], &path);
        let rows: Vec<Vec<&str>> = list
            .lines()
            .skip(2)
            .map(|l| l.split_whitespace().collect())
            .collect();
        assert_eq!(rows.len(), 1, "{list}");
        let row = &rows[0];
        // page num type width height color comp bpc enc interp object ID x-ppi y-ppi size ratio
        assert_eq!(
            (row[0], row[2], row[3], row[4], row[8]),
            ("1", "image", "3000", "2000", "jpeg"),
            "{list}"
        );
        let expected = preflight_ppi(
            "square-8x8",
            crdt_schema::geometry::PageSide::Right,
            PixelSize::new(PHOTO_W, PHOTO_H),
            BLEED_BOX,
            PAN,
            ZOOM,
        );
        let (x_ppi, y_ppi): (f64, f64) = (row[12].parse().unwrap(), row[13].parse().unwrap());
        assert!(
            (x_ppi - expected).abs() <= 1.0 && (y_ppi - expected).abs() <= 1.0,
            "ppi {x_ppi}×{y_ppi}, preflight {expected}: {list}"
        );
    }

    if have("pdftotext") {
        let text = run("pdftotext", &["-f", "2", "-l", "2", "-layout"], &path);
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        assert!(lines.len() >= 3, "the caption wraps: {text}");
        assert_eq!(lines.join(" "), CAPTION, "every word, in order");
    }
}

/// The photo's quadrant split, drawn, lies where the placement says, and the slot is filled
/// to the canvas edges (a full-bleed photo leaves no paper).
#[test]
fn photo_is_cropped_panned_and_zoomed_as_the_document_says() {
    if !have("pdftoppm") {
        return;
    }
    let jpeg = encoded(&quadrants(PHOTO_W, PHOTO_H), ImageFormat::Jpeg);
    let photos = sources(vec![(PHOTO, jpeg)]);
    let book = Book {
        pages: two_page_book().pages[..1].to_vec(),
        ..two_page_book()
    };
    let dir = tempfile::tempdir().unwrap();
    let path = write_pdf(dir.path(), &render(&book, "square-8x8", &photos));
    // 72 dpi: one pixel per point.
    let out = dir.path().join("page");
    let status = Command::new("pdftoppm")
        .args(["-r", "72", "-png", "-singlefile"])
        .arg(&path)
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let shown = image::open(dir.path().join("page.png")).unwrap().to_rgb8();
    assert_eq!(shown.dimensions(), (594, 594));

    let p = product("square-8x8").unwrap();
    let frame = PageFrame::at_car(
        p,
        core_aspect_ratio(AspectGroup::Square),
        crdt_schema::geometry::PageSide::Right,
    );
    let placed = frame
        .place_photo(
            PixelSize::new(PHOTO_W, PHOTO_H),
            &Box::try_from(BLEED_BOX).unwrap(),
            PhotoView::clamped(PAN, ZOOM),
        )
        .unwrap();
    let (crop, scale, slot) = (placed.fit.crop, placed.fit.scale, placed.slot);
    // Where the photo's split lines land on the page.
    let split_x = slot.x + (PHOTO_W as f64 / 2.0 - crop.x) * scale;
    let split_y = slot.y + (PHOTO_H as f64 / 2.0 - crop.y) * scale;
    assert!(
        split_x > 20.0 && split_x < 574.0 && split_y > 20.0 && split_y < 574.0,
        "the split is on the page: {split_x}, {split_y}"
    );

    let near = |a: &Rgb<u8>, b: [u8; 3]| {
        a.0.iter()
            .zip(b)
            .all(|(x, y)| (*x as i32 - y as i32).abs() <= 40)
    };
    let at = |x: f64, y: f64| *shown.get_pixel(x.round() as u32, y.round() as u32);
    let margin = 4.0;
    for (x, y, quadrant) in [
        (split_x - margin, split_y - margin, 0),
        (split_x + margin, split_y - margin, 1),
        (split_x - margin, split_y + margin, 2),
        (split_x + margin, split_y + margin, 3),
        // The canvas corners: the photo runs through the bleed.
        (0.0, 0.0, 0),
        (593.0, 0.0, 1),
        (0.0, 593.0, 2),
        (593.0, 593.0, 3),
    ] {
        assert!(
            near(&at(x, y), QUADRANTS[quadrant]),
            "({x:.1}, {y:.1}) shows {:?}, expected quadrant {quadrant}",
            at(x, y)
        );
    }
}

/// A PNG is decoded, cut to its crop and resampled down to the PPI cap.
#[test]
fn other_formats_are_decoded_and_capped_at_the_max_ppi() {
    if !have("pdfimages") {
        return;
    }
    // 2400×2400 across 4 in: 600 PPI, capped to 450; the crop is the whole photo.
    let png = encoded(&quadrants(2400, 2400), ImageFormat::Png);
    let photos = sources(vec![(PNG_PHOTO, png)]);
    let slot = [0.0, 0.0, 0.5, 0.5, 0.0];
    let book = Book {
        meta: Meta::new("Test", "square-8x8", "everyday"),
        pages: vec![page(
            "p0",
            vec![photo_item("png", slot, PNG_PHOTO, [0.0, 0.0], 1.0)],
            None,
        )],
    };
    let dir = tempfile::tempdir().unwrap();
    let path = write_pdf(dir.path(), &render(&book, "square-8x8", &photos));
    let list = run("pdfimages", &["-list"], &path);
    let rows: Vec<Vec<&str>> = list
        .lines()
        .skip(2)
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows.len(), 1, "{list}");
    assert_eq!(
        (rows[0][3], rows[0][4], rows[0][8]),
        ("1800", "1800", "jpeg"),
        "4 in at 450 PPI, re-encoded as JPEG: {list}"
    );
    assert_eq!((rows[0][12], rows[0][13]), ("450", "450"), "{list}");
}

#[test]
fn rendering_is_deterministic_and_skips_missing_photos() {
    let jpeg = encoded(&quadrants(600, 400), ImageFormat::Jpeg);
    let photos = sources(vec![(PHOTO, jpeg)]);
    let book = two_page_book();
    assert_eq!(
        render(&book, "square-12x12", &photos),
        render(&book, "square-12x12", &photos)
    );
    // Without its photo the page still renders (a forced render), with an empty slot.
    let none = HashMap::new();
    assert!(render(&book, "square-12x12", &none).starts_with(b"%PDF-"));
}

#[test]
fn a_book_without_interior_pages_has_nothing_to_print() {
    let book = Book {
        meta: Meta::new("Test", "square-8x8", "everyday"),
        pages: vec![],
    };
    let p = product("square-8x8").unwrap();
    assert!(matches!(
        render_interior(&book, p, p.group, &|_| None),
        Err(RenderError::NoPages)
    ));
}

#[test]
fn colours_parse_in_both_hex_forms() {
    assert_eq!(parse_color("#f5f3ef"), Some([0xf5, 0xf3, 0xef]));
    assert_eq!(parse_color("#fff"), Some([255, 255, 255]));
    assert_eq!(parse_color("white"), None);
    assert_eq!(parse_color("#12345"), None);
    assert_eq!(parse_color("#ééé"), None);
}

#[test]
fn text_wraps_to_the_box_width() {
    let font = PrintFont::inter().unwrap();
    let size = 12.0;
    let width = font.width("A long caption", size) + 1.0;
    let lines = text::wrap(
        &font,
        "A long caption that   wraps\n\nafter a blank line",
        size,
        width,
    );
    assert!(
        lines
            .iter()
            .all(|l| font.width(l, size) <= width || !l.contains(' ')),
        "{lines:?}"
    );
    assert_eq!(lines.first().map(String::as_str), Some("A long caption"));
    assert!(
        lines.contains(&String::new()),
        "the blank paragraph is kept: {lines:?}"
    );
    assert_eq!(
        lines
            .join(" ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
        "A long caption that wraps after a blank line"
    );
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

/// Six pages in parts of four: one clean file, every page with its boxes and its text in
/// order, the sRGB output intent in the catalog, and the same bytes every time.
#[test]
fn parts_assemble_into_one_clean_pdf_with_an_output_intent() {
    let photos = sources(vec![(
        PHOTO,
        encoded(&quadrants(900, 600), ImageFormat::Jpeg),
    )]);
    let book = captioned_book(6);
    let settings = RenderSettings {
        part_pages: 4,
        preview_px: None,
        ..RenderSettings::DEFAULT
    };
    let (pdf, printed) = render_with(&book, "square-8x8", &photos, &settings);
    assert_eq!(
        pdf,
        render_with(&book, "square-8x8", &photos, &settings).0,
        "the same book gives the same bytes"
    );
    assert_eq!(
        printed
            .iter()
            .map(|p| (p.index, p.page_id.as_str()))
            .collect::<Vec<_>>(),
        (0..6)
            .map(|i| (i, ["p1", "p2", "p3", "p4", "p5", "p6"][i]))
            .collect::<Vec<_>>()
    );

    let doc = lopdf::Document::load_mem(&pdf).expect("lopdf reads it");
    assert_eq!(doc.get_pages().len(), 6);
    let catalog = doc.catalog().unwrap();
    let intents = catalog.get(b"OutputIntents").unwrap().as_array().unwrap();
    let intent = intents[0].as_dict().unwrap();
    assert_eq!(intent.get(b"S").unwrap().as_name().unwrap(), b"GTS_PDFX");
    let profile = doc
        .get_object(
            intent
                .get(b"DestOutputProfile")
                .unwrap()
                .as_reference()
                .unwrap(),
        )
        .unwrap()
        .as_stream()
        .unwrap();
    assert_eq!(
        profile.content,
        OutputProfile::SRGB.icc,
        "the sRGB profile is embedded whole"
    );

    let dir = tempfile::tempdir().unwrap();
    let path = write_pdf(dir.path(), &pdf);
    qpdf_clean(&path);
    if have("pdfinfo") {
        let info = run("pdfinfo", &["-box", "-f", "1", "-l", "6"], &path);
        assert!(info.contains("Pages:           6"), "{info}");
        for n in 1..=6 {
            let b = boxes(&info, n);
            assert!(
                close(&b["TrimBox"], &[9.0, 9.0, 585.0, 585.0], 0.01),
                "page {n}: {b:?}"
            );
            assert!(
                close(&b["BleedBox"], &[0.0, 0.0, 594.0, 594.0], 0.01),
                "page {n}: {b:?}"
            );
        }
    }
    if have("pdftotext") {
        for n in 1..=6 {
            let text = run(
                "pdftotext",
                &["-f", &n.to_string(), "-l", &n.to_string()],
                &path,
            );
            assert_eq!(text.trim(), format!("Page {n}"), "page {n}");
        }
    }
    if have("pdffonts") {
        let fonts = run("pdffonts", &[], &path);
        for row in fonts.lines().skip(2) {
            let cols: Vec<&str> = row.split_whitespace().collect();
            assert_eq!(cols[cols.len() - 5], "yes", "embedded: {row}");
        }
    }
}

/// The preview of a page is the page: poppler's drawing of the PDF page and the PNG preview
/// differ by little more than anti-aliasing.
#[test]
fn previews_match_the_pages_poppler_draws() {
    if !have("pdftoppm") {
        return;
    }
    let photos = sources(vec![(
        PHOTO,
        encoded(&quadrants(PHOTO_W, PHOTO_H), ImageFormat::Jpeg),
    )]);
    let mut book = two_page_book();
    book.pages[0].background = Background {
        asset: Some("themes/sports/diagonal-stripes.svg".into()),
        ..Background::default()
    };
    // 594 px for 594 pt: 72 dpi, as poppler is asked for below.
    let settings = RenderSettings {
        preview_px: Some(594),
        ..RenderSettings::DEFAULT
    };
    let (pdf, printed) = render_with(&book, "square-8x8", &photos, &settings);
    let dir = tempfile::tempdir().unwrap();
    let path = write_pdf(dir.path(), &pdf);
    for page in &printed {
        let preview = image::load_from_memory(page.preview.as_ref().expect("a preview"))
            .unwrap()
            .to_rgb8();
        let poppler = poppler_page(dir.path(), &path, page.index + 1, 72);
        assert_eq!(
            preview.dimensions(),
            poppler.dimensions(),
            "page {}",
            page.index
        );
        let (mut total, mut far) = (0u64, 0usize);
        for (a, b) in preview.pixels().zip(poppler.pixels()) {
            let d =
                a.0.iter()
                    .zip(b.0)
                    .map(|(x, y)| (*x as i32 - y as i32).unsigned_abs())
                    .max()
                    .unwrap();
            total += d as u64;
            far += (d > 48) as usize;
        }
        let n = (preview.width() * preview.height()) as f64;
        let mean = total as f64 / n;
        assert!(mean < 4.0, "page {}: mean difference {mean:.2}", page.index);
        assert!(
            (far as f64) < 0.01 * n,
            "page {}: {far} pixels differ by more than 48",
            page.index
        );
    }
}

/// Background artwork continues into the bleed and the gutter strip as its mirror image about
/// the page's edge, flips on request, and stays inside the page when mirroring is off.
#[test]
fn backgrounds_mirror_into_the_bleed_and_flip_on_request() {
    if !have("pdftoppm") {
        return;
    }
    let asset = Background {
        asset: Some("themes/sports/diagonal-stripes.svg".into()),
        color: Some("#ffffff".into()),
        flip: false,
    };
    let one_page = |background: Background| Book {
        meta: Meta::new("Test", "square-8x8", "sports"),
        pages: vec![Page {
            background,
            ..page("p", vec![], None)
        }],
    };
    let draw = |book: &Book, mirror_bleed: bool| {
        let settings = RenderSettings {
            mirror_bleed,
            preview_px: None,
            ..RenderSettings::DEFAULT
        };
        let (pdf, _) = render_with(book, "square-8x8", &HashMap::new(), &settings);
        let dir = tempfile::tempdir().unwrap();
        let path = write_pdf(dir.path(), &pdf);
        poppler_page(dir.path(), &path, 1, 72)
    };
    let plain = draw(&one_page(asset.clone()), true);
    // The right-hand page's relative page starts at the gutter edge, x = 36 pt, and at the top
    // trim, y = 9 pt: what lies left of and above them mirrors what lies right of and below.
    let mut compared = 0;
    for y in (60..540).step_by(37) {
        for d in 1..=24u32 {
            let (inside, outside) = (plain.get_pixel(36 + d - 1, y), plain.get_pixel(36 - d, y));
            assert!(
                near(inside, outside, 40),
                "row {y}, {d} pt from the gutter edge: {inside:?} vs {outside:?}"
            );
            compared += 1;
        }
    }
    for x in (60..540).step_by(37) {
        for d in 1..=8u32 {
            assert!(
                near(plain.get_pixel(x, 9 + d - 1), plain.get_pixel(x, 9 - d), 40),
                "column {x}, {d} pt above the trim"
            );
        }
    }
    assert!(compared > 0);
    // The artwork is not blank, so the comparisons above meant something.
    let colours: std::collections::HashSet<[u8; 3]> = plain.pixels().map(|p| p.0).collect();
    assert!(colours.len() > 3, "the stripes show");

    // Flipped: the mirror image about the relative page's centre, x = 36 + 288 = 324 pt.
    let flipped = draw(
        &one_page(Background {
            flip: true,
            ..asset.clone()
        }),
        true,
    );
    for y in (60..540).step_by(53) {
        for u in (40..540u32).step_by(13) {
            let mirrored_x = 648 - u - 1;
            if mirrored_x >= 594 {
                continue;
            }
            assert!(
                near(flipped.get_pixel(u, y), plain.get_pixel(mirrored_x, y), 40),
                "({u}, {y}) flipped vs ({mirrored_x}, {y})"
            );
        }
    }

    // Without mirroring, the gutter strip and the bleed show only the colour.
    let unmirrored = draw(&one_page(asset), false);
    for y in (20..580).step_by(40) {
        assert_eq!(
            unmirrored.get_pixel(20, y).0,
            [255, 255, 255],
            "row {y} of the gutter strip"
        );
    }
}

/// A raster above the tile size is embedded as bands that abut exactly: poppler's drawing shows
/// each quadrant's colour right across every band boundary.
#[test]
fn large_rasters_are_tiled_without_seams() {
    if !have("pdfimages") || !have("pdftoppm") {
        return;
    }
    // 2400 px over 4 in, capped to 450 PPI: 1800×1800 out, in bands of 300 rows.
    let photos = sources(vec![(
        PNG_PHOTO,
        encoded(&quadrants(2400, 2400), ImageFormat::Png),
    )]);
    let book = Book {
        meta: Meta::new("Test", "square-8x8", "everyday"),
        pages: vec![page(
            "p0",
            vec![photo_item(
                "png",
                [0.0, 0.0, 0.5, 0.5, 0.0],
                PNG_PHOTO,
                [0.0, 0.0],
                1.0,
            )],
            None,
        )],
    };
    let settings = RenderSettings {
        tile_pixels: 1800 * 300,
        preview_px: None,
        ..RenderSettings::DEFAULT
    };
    let (pdf, _) = render_with(&book, "square-8x8", &photos, &settings);
    let dir = tempfile::tempdir().unwrap();
    let path = write_pdf(dir.path(), &pdf);
    qpdf_clean(&path);
    let list = run("pdfimages", &["-list"], &path);
    let rows: Vec<Vec<&str>> = list
        .lines()
        .skip(2)
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows.len(), 6, "six bands: {list}");
    assert!(
        rows.iter()
            .all(|r| r[3] == "1800" && r[4] == "300" && r[12] == "450"),
        "{list}"
    );

    // The slot: 288 pt square centred on the page's centre (324, 297); its split at the middle.
    let shown = poppler_page(dir.path(), &path, 1, 144);
    let k = 2.0; // pixels per point at 144 dpi
    let (left, top, side) = (180.0 * k, 153.0 * k, 288.0 * k);
    // Boundary 3 is the quadrants' own split; the others cross a band inside one quadrant.
    for band in [1, 2, 4, 5] {
        let y = top + side * band as f64 / 6.0;
        for dy in [-1.0, 0.0, 1.0] {
            for (x, quadrant) in [
                (left + side * 0.25, if band < 3 { 0 } else { 2 }),
                (left + side * 0.75, if band < 3 { 1 } else { 3 }),
            ] {
                let at = *shown.get_pixel(x as u32, (y + dy) as u32);
                assert!(
                    near(&at, &Rgb(QUADRANTS[quadrant]), 30),
                    "band boundary {band}, ({x}, {}): {at:?}",
                    y + dy
                );
            }
        }
    }
}

#[test]
fn the_spine_is_as_thick_as_the_paper_but_never_thinner_than_the_minimum() {
    assert_eq!(spine_width_in(20), MIN_SPINE_IN);
    assert!((spine_width_in(100) - 50.0 * LEAF_THICKNESS_IN).abs() < 1e-12);
    assert!(
        (spine_width_in(101) - 51.0 * LEAF_THICKNESS_IN).abs() < 1e-12,
        "an odd page still takes a leaf"
    );
}

/// The cover sheet: back cover, spine and front cover left to right, with the bleed around
/// the whole, the spine as wide as the page count makes it, and each panel's page on it.
#[test]
fn the_cover_is_back_spine_and_front_on_one_sheet() {
    let photos = sources(vec![(
        PHOTO,
        encoded(&quadrants(PHOTO_W, PHOTO_H), ImageFormat::Jpeg),
    )]);
    let cover_page = |kind: PageKind, color: &str, items: Vec<Item>| Page {
        kind,
        ..page(&format!("{kind:?}"), items, Some(color))
    };
    let title = Item {
        text: Some("Summer".into()),
        style: Style {
            font: Some("Lora".into()),
            ..Style::default()
        },
        ..item("title", ItemKind::Text, [0.0, 0.0, 0.8, 0.3, 0.0])
    };
    let book = Book {
        meta: Meta::new("Test", "square-8x8", "everyday"),
        pages: vec![
            cover_page(
                PageKind::FrontCover,
                "#ffffff",
                vec![photo_item(
                    "front-photo",
                    [0.0, 0.0, 1.2, 1.2, 0.0],
                    PHOTO,
                    [0.0, 0.0],
                    1.0,
                )],
            ),
            cover_page(PageKind::Spine, "#204060", vec![title]),
            cover_page(PageKind::BackCover, "#f0e0c0", vec![]),
        ],
    };
    let p = product("square-8x8").unwrap();
    let lookup = |id: &str| photos.get(id).cloned();
    let source = Source {
        book: &book,
        product: p,
        group: p.group,
        photos: &lookup,
    };
    let pages = 100;
    let pdf = render_cover(&source, pages).expect("cover");
    assert_eq!(pdf, render_cover(&source, pages).unwrap(), "deterministic");
    let layout = CoverLayout::new(p, pages);
    let spine = 50.0 * LEAF_THICKNESS_IN * 72.0;
    assert!((layout.spine.w - spine).abs() < 1e-9);
    let width = 2.0 * 576.0 + spine + 18.0;

    let dir = tempfile::tempdir().unwrap();
    let path = write_pdf(dir.path(), &pdf);
    qpdf_clean(&path);
    if have("pdfinfo") {
        let info = run("pdfinfo", &["-box", "-f", "1", "-l", "1"], &path);
        let b = boxes(&info, 1);
        assert!(
            close(&b["MediaBox"], &[0.0, 0.0, width, 594.0], 0.01),
            "{b:?}"
        );
        assert!(
            close(&b["BleedBox"], &[0.0, 0.0, width, 594.0], 0.01),
            "{b:?}"
        );
        assert!(
            close(
                &b["TrimBox"],
                &[9.0, 9.0, 9.0 + 1152.0 + spine, 585.0],
                0.01
            ),
            "{b:?}"
        );
    }
    if have("pdffonts") {
        let fonts = run("pdffonts", &[], &path);
        assert!(
            fonts.contains("Lora"),
            "the spine title is in its font: {fonts}"
        );
    }
    if have("pdftoppm") {
        let shown = poppler_page(dir.path(), &path, 1, 72);
        let at = |x: f64, y: f64| *shown.get_pixel(x as u32, y as u32);
        // The back cover's colour, the spine's at its top (clear of the title), the photo's
        // quadrants on the front cover.
        assert!(
            near(&at(300.0, 300.0), &Rgb([0xf0, 0xe0, 0xc0]), 6),
            "back: {:?}",
            at(300.0, 300.0)
        );
        assert!(
            near(
                &at(9.0 + 576.0 + spine / 2.0, 30.0),
                &Rgb([0x20, 0x40, 0x60]),
                6
            ),
            "spine: {:?}",
            at(9.0 + 576.0 + spine / 2.0, 30.0)
        );
        let front = 9.0 + 576.0 + spine;
        assert!(
            near(&at(front + 100.0, 100.0), &Rgb(QUADRANTS[0]), 40),
            "front top-left: {:?}",
            at(front + 100.0, 100.0)
        );
        assert!(
            near(&at(front + 476.0, 494.0), &Rgb(QUADRANTS[3]), 40),
            "front bottom-right: {:?}",
            at(front + 476.0, 494.0)
        );
    }
}

/// Stickers are symbols set in a symbol font the PDF embeds; a shape without a colour takes
/// the theme's accent, as the web client shows it.
#[test]
fn stickers_print_in_a_symbol_font_and_shapes_in_the_theme_accent() {
    let stickers: Vec<Item> = ["★", "♫"]
        .iter()
        .enumerate()
        .map(|(i, s)| Item {
            text: Some((*s).into()),
            ..item(
                &format!("s{i}"),
                ItemKind::Sticker,
                [-0.25 + 0.5 * i as f64, -0.25, 0.3, 0.3, 0.0],
            )
        })
        .collect();
    let shape = item("shape", ItemKind::Shape, [0.0, 0.3, 0.4, 0.2, 0.0]);
    let mut items = stickers;
    items.push(shape);
    // The "everyday" theme's accent is #4a7fb5.
    let book = Book {
        meta: Meta::new("Test", "square-8x8", "everyday"),
        pages: vec![page("p", items, None)],
    };
    let settings = RenderSettings {
        preview_px: None,
        ..RenderSettings::DEFAULT
    };
    let (pdf, _) = render_with(&book, "square-8x8", &HashMap::new(), &settings);
    let dir = tempfile::tempdir().unwrap();
    let path = write_pdf(dir.path(), &pdf);
    qpdf_clean(&path);
    if have("pdffonts") {
        let fonts = run("pdffonts", &[], &path);
        assert!(
            fonts.contains("NotoSansSymbols2"),
            "★ is in Noto Sans Symbols 2: {fonts}"
        );
        assert!(
            fonts.lines().any(|l| l.contains("NotoSansSymbols-Regular")),
            "♫ is in Noto Sans Symbols: {fonts}"
        );
    }
    if have("pdftotext") {
        let text = run("pdftotext", &[], &path);
        assert!(text.contains('★') && text.contains('♫'), "{text}");
    }
    if have("pdftoppm") {
        let shown = poppler_page(dir.path(), &path, 1, 72);
        // The shape's centre: relative (0, 0.3) on the right-hand page, x = 324, y = 297 + 0.3·576.
        let at = *shown.get_pixel(324, (297.0 + 0.3 * 576.0) as u32);
        assert!(near(&at, &Rgb([0x4a, 0x7f, 0xb5]), 4), "{at:?}");
        // The star's centre is inked.
        let star = *shown.get_pixel((324.0 - 0.25 * 576.0) as u32, (297.0 - 0.25 * 576.0) as u32);
        assert!(
            star.0.iter().all(|c| *c < 120),
            "the star is drawn: {star:?}"
        );
    }
}
