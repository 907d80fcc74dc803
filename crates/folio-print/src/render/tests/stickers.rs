//! Stickers in a symbol font, and shapes in the theme's accent.

use super::*;

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
