//! Backgrounds mirrored into the bleed, and large rasters tiled without seams.

use super::*;

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
