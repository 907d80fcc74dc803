//! Missing things: unknown photos and fonts, remote photos, the spine; findings in book order.

use super::*;

#[test]
fn an_unknown_photo_and_an_unknown_font_are_errors() {
    let items = vec![
        photo("a", [0.0, -0.2, 0.3, 0.3, 0.0], GHOST, 1.0),
        text("b", [0.0, 0.2, 0.3, 0.1, 0.0], Some("Comic Sans MS")),
        text("c", [0.0, 0.3, 0.3, 0.1, 0.0], Some(" inter ")),
        text("d", [0.0, 0.4, 0.3, 0.05, 0.0], None),
    ];
    let report = run(&one_page(items), &[]);
    assert_eq!(
        without_messages(&report.errors),
        vec![
            Finding {
                photo_id: Some(GHOST.into()),
                ..expect(0, "a", Rule::MissingPhoto)
            },
            Finding {
                font: Some("Comic Sans MS".into()),
                ..expect(0, "b", Rule::MissingFont)
            },
        ]
    );
    assert!(report.warnings.is_empty(), "{report:?}");
    assert!(report.errors[0].message.contains(GHOST));
    assert!(report.errors[1].message.contains("\"Comic Sans MS\""));
}

/// A remote photo has pixels, but the server does not fetch partners' files: it cannot print.
#[test]
fn a_remote_photo_is_an_error_however_sharp() {
    let remote = PhotoPixels {
        remote: true,
        ..sized(6000, 6000)
    };
    let from_meta = PhotoPixels::from_meta(
        &serde_json::json!({ "format": "remote", "sizes": [{ "w": 6000, "h": 6000 }] }),
    )
    .unwrap();
    assert_eq!(from_meta, remote);
    let report = run(
        &one_page(vec![photo("a", FULL_PAGE, PHOTO, 1.0)]),
        &[(PHOTO, remote)],
    );
    assert_eq!(
        without_messages(&report.errors),
        vec![Finding {
            photo_id: Some(PHOTO.into()),
            ..expect(0, "a", Rule::RemotePhoto)
        }]
    );
    assert!(
        report.errors[0].message.contains("upload the original"),
        "{:?}",
        report.errors[0]
    );
    assert!(!report.can_print());
}

#[test]
fn the_spine_is_checked_for_missing_things_only() {
    let spine_items = vec![
        photo("a", [5.0, 0.0, 1.0, 1.0, 0.0], GHOST, 1.0),
        text("b", [5.0, 0.0, 1.0, 1.0, 0.0], Some("Nope")),
    ];
    let b = book(vec![page("p0", PageKind::Spine, spine_items)]);
    let report = run(&b, &[]);
    assert_eq!(
        report.errors.iter().map(|f| f.rule).collect::<Vec<_>>(),
        vec![Rule::MissingPhoto, Rule::MissingFont]
    );
    assert!(report.warnings.is_empty());
}

#[test]
fn findings_come_in_book_order() {
    let b = book(vec![
        page(
            "p0",
            PageKind::FrontCover,
            vec![photo("a", FULL_PAGE, GHOST, 1.0)],
        ),
        page(
            "p1",
            PageKind::Page,
            vec![
                photo("b", FULL_PAGE, PHOTO, 1.0),
                text("c", [-0.45, 0.0, 0.2, 0.1, 0.0], Some("Nope")),
            ],
        ),
    ]);
    let report = run(&b, &[(PHOTO, sized(300, 200))]);
    let order: Vec<(usize, &str, Rule)> = report
        .all()
        .map(|f| (f.page_index, f.item_id.as_deref().unwrap(), f.rule))
        .collect();
    assert_eq!(
        order,
        vec![
            (0, "a", Rule::MissingPhoto),
            (1, "b", Rule::VeryLowResolution),
            (1, "c", Rule::MissingFont),
            (1, "c", Rule::CrossesGutter),
            (1, "c", Rule::CrossesSafeArea),
        ]
    );
}
