//! Parts assembled into one clean PDF with an output intent, and previews that match what
//! poppler draws.

use super::*;

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
