//! Boundaries: the gutter, the trim margin, the bleed and items off the page.

use super::*;

#[test]
fn a_text_box_over_the_gutter_warns_on_either_page_of_the_spread() {
    // Right page: the box spans x 7.2..122.4 pt; the gutter edge is at 36 (0.4 in past it) and
    // the safe line at 54 (0.65 in past it).
    let right = text("t", [-0.45, 0.0, 0.2, 0.1, 0.0], None);
    // Left page, mirrored: x 471.6..586.8; gutter edge 558, safe line 540.
    let left = text("t", [0.45, 0.0, 0.2, 0.1, 0.0], None);
    let b = book(vec![
        page("p0", PageKind::Page, vec![right]),
        page("p1", PageKind::Page, vec![left]),
    ]);
    let report = run(&b, &[]);
    assert!(report.errors.is_empty(), "{report:?}");
    let warnings = |i| {
        vec![
            Finding {
                depth_in: Some(0.4),
                ..expect(i, "t", Rule::CrossesGutter)
            },
            Finding {
                depth_in: Some(0.65),
                ..expect(i, "t", Rule::CrossesSafeArea)
            },
        ]
    };
    assert_eq!(
        without_messages(&report.warnings),
        [warnings(0), warnings(1)].concat()
    );
    assert!(
        report.warnings[0]
            .message
            .contains("0.40 in into the gutter"),
        "{}",
        report.warnings[0].message
    );
    assert!(
        report.warnings[1]
            .message
            .contains("0.65 in outside the safe area"),
        "{}",
        report.warnings[1].message
    );
}

#[test]
fn the_gutter_is_only_on_the_binding_side() {
    // The right page's box on a left page: its left edge at -46.8 pt is past the outer trim,
    // 73.8 pt (1.025 in) outside the safe line at 27, but nowhere near the gutter.
    let b = book(vec![
        page("p0", PageKind::Page, vec![]),
        page(
            "p1",
            PageKind::Page,
            vec![text("t", [-0.45, 0.0, 0.2, 0.1, 0.0], None)],
        ),
    ]);
    let report = run(&b, &[]);
    assert_eq!(
        without_messages(&report.warnings),
        vec![Finding {
            depth_in: Some(1.025),
            ..expect(1, "t", Rule::CrossesSafeArea)
        }]
    );
}

#[test]
fn a_photo_may_bleed_but_not_stop_in_the_trim_margin() {
    // Full bleed: every edge at the gutter edge or past the trim.
    assert_eq!(
        run(
            &one_page(vec![photo("a", FULL_PAGE, PHOTO, 1.0)]),
            &[(PHOTO, sized(6000, 4000))]
        ),
        Report::default()
    );
    // 90 % of the page, centred: the right edge at 583.2 pt stops between the safe line (567)
    // and the trim (585), 16.2 pt = 0.225 in outside the safe area. The left edge (64.8) is
    // inside the safe area; top and bottom (37.8, 556.2) too.
    let report = run(
        &one_page(vec![photo("a", [0.0, 0.0, 0.9, 0.9, 0.0], PHOTO, 1.0)]),
        &[(PHOTO, sized(6000, 4000))],
    );
    assert_eq!(
        without_messages(&report.warnings),
        vec![Finding {
            depth_in: Some(0.225),
            ..expect(0, "a", Rule::CrossesSafeArea)
        }]
    );
    assert!(
        report.warnings[0]
            .message
            .contains("0.23 in outside the safe area"),
        "{}",
        report.warnings[0].message
    );
    // The same photo as text would be warned too, for reaching 0.225 in past the line.
    let as_text = run(
        &one_page(vec![text("a", [0.0, 0.0, 0.9, 0.9, 0.0], None)]),
        &[],
    );
    assert_eq!(
        as_text.warnings.iter().map(|f| f.rule).collect::<Vec<_>>(),
        vec![Rule::CrossesSafeArea]
    );
}

#[test]
fn a_sticker_starting_in_the_margin_and_running_off_the_page_warns() {
    // x 0.48, w 0.1: edges 0.43..0.53, i.e. 571.68..629.28 pt. It starts 4.68 pt (0.065 in)
    // past the safe line at 567 and runs off the page: a sliver of it is left by the trim.
    let report = run(
        &one_page(vec![item(
            "s",
            ItemKind::Sticker,
            [0.48, 0.0, 0.1, 0.1, 0.0],
        )]),
        &[],
    );
    assert_eq!(
        without_messages(&report.warnings),
        vec![Finding {
            depth_in: Some(0.065),
            ..expect(0, "s", Rule::CrossesSafeArea)
        }]
    );
}

#[test]
fn an_item_wholly_off_the_page_is_an_error_and_nothing_else() {
    // x = 2 is a page width and a half right of the centre. Its photo is missing too, but an
    // item that will not print has nothing else worth saying.
    let off = Item {
        style: Style {
            font: Some("Nope".into()),
            ..Style::default()
        },
        ..photo("off", [2.0, 0.0, 0.2, 0.2, 0.0], GHOST, 1.0)
    };
    let report = run(&one_page(vec![off]), &[]);
    assert_eq!(
        without_messages(&report.errors),
        vec![expect(0, "off", Rule::OffPage)]
    );
    assert!(report.warnings.is_empty());
    assert!(
        report.errors[0].message.contains("wholly off the page"),
        "{}",
        report.errors[0].message
    );
}
