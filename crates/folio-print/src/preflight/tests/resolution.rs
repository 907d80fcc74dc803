//! Effective resolution: PPI from pixels, slot size, zoom and product, and the size named.

use super::*;

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
