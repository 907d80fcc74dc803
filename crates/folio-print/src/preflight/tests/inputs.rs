//! Pages, inputs and output: page sides, referenced photos, photo pixels, the findings' JSON,
//! print fonts and every library layout.

use super::*;

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
