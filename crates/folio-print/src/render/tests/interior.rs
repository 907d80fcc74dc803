//! The interior PDF of a two-page book: a clean print PDF, photos cropped, panned and zoomed,
//! other formats, determinism, colours and text wrapping.

use super::*;

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
