//! The cover sheet: back, spine and front, with the spine as thick as the paper.

use super::*;

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
