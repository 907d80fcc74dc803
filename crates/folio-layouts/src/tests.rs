//! The shipped library validates and covers what automix needs; broken layouts are refused by
//! name.

use crdt_schema::geometry::{PageFrame, PageSide};

use super::*;

fn lib() -> &'static Library {
    Library::get()
}

/// Every multiset of `n` shapes, as slot lists.
fn multisets(n: usize) -> Vec<Vec<Shape>> {
    let mut out = Vec::new();
    for l in 0..=n {
        for p in 0..=n - l {
            let s = n - l - p;
            let mut shapes = vec![Shape::L; l];
            shapes.extend(vec![Shape::P; p]);
            shapes.extend(vec![Shape::S; s]);
            out.push(shapes);
        }
    }
    out
}

fn names(shapes: &[Shape]) -> String {
    shapes.iter().map(|&s| shape_char(s)).collect()
}

#[test]
fn the_shipped_library_validates() {
    let lib = Library::parse(LAYOUT_FILES, THEMES_FILE).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(lib.layouts().len(), Library::get().layouts().len());
}

#[test]
fn there_are_at_least_40_layouts_and_every_group_has_1_to_6_photos() {
    assert!(lib().layouts().len() >= 40, "{}", lib().layouts().len());
    for group in AspectGroup::ALL {
        for n in MIN_SLOTS..=MAX_SLOTS {
            let count = lib()
                .layouts_for(group)
                .filter(|l| l.slots.len() == n)
                .count();
            assert!(count >= 1, "{group:?} has no layout for {n} photos");
        }
    }
}

#[test]
fn every_shape_multiset_of_1_to_6_photos_has_an_exact_layout_in_every_group() {
    for group in AspectGroup::ALL {
        for n in 1..=6 {
            for shapes in multisets(n) {
                let found = lib().matching(group, &shapes, false).count();
                assert!(found >= 1, "{group:?}: nothing for {}", names(&shapes));
                if (2..=4).contains(&n) {
                    assert!(
                        found >= 2,
                        "{group:?}: only one layout for {}, so a remix cannot change it",
                        names(&shapes)
                    );
                }
            }
        }
    }
}

#[test]
fn every_shape_multiset_of_1_to_3_photos_has_a_captioned_layout_in_every_group() {
    for group in AspectGroup::ALL {
        for n in 1..=3 {
            for shapes in multisets(n) {
                assert!(
                    lib().matching(group, &shapes, true).next().is_some(),
                    "{group:?}: no captions for {}",
                    names(&shapes)
                );
            }
        }
    }
}

#[test]
fn every_group_has_a_full_bleed_single_photo_page() {
    for group in AspectGroup::ALL {
        let full = lib()
            .layouts_for(group)
            .find(|l| l.slots.len() == 1 && l.slots[0].frame == Box::FULL_PAGE);
        let full = full.unwrap_or_else(|| panic!("{group:?} has no full-bleed page"));
        let own = shape_of_aspect(core_aspect_ratio(group));
        assert_eq!(full.slots[0].shape, own);
    }
}

/// Whether a box reaches an edge of the page: a bleed slot, which may cross the safe area.
fn bleeds(b: &Box) -> bool {
    let edge = 0.5 - 1e-9;
    (b.x() - b.w() / 2.0) <= -edge
        || (b.x() + b.w() / 2.0) >= edge
        || (b.y() - b.h() / 2.0) <= -edge
        || (b.y() + b.h() / 2.0) >= edge
}

#[test]
fn bleed_slots_reach_the_edge_and_framed_ones_keep_a_margin() {
    // No slot stops a hair short of a page edge: it either bleeds or keeps 2 % of the page clear.
    for layout in lib().layouts() {
        for (i, slot) in layout.slots.iter().enumerate() {
            let b = &slot.frame;
            for edge in [
                b.x() - b.w() / 2.0,
                b.x() + b.w() / 2.0,
                b.y() - b.h() / 2.0,
                b.y() + b.h() / 2.0,
            ] {
                let distance = 0.5 - edge.abs();
                assert!(
                    distance.abs() < 1e-9 || distance >= 0.02,
                    "{} slot {i} is {distance} from a page edge",
                    layout.id
                );
            }
        }
    }
}

#[test]
fn framed_slots_and_captions_stay_in_the_safe_area_of_every_product() {
    for group in AspectGroup::ALL {
        for product in group.products() {
            for side in [PageSide::Left, PageSide::Right] {
                let frame = PageFrame::new(product, side);
                for layout in lib().layouts_for(group) {
                    for (i, slot) in layout.slots.iter().enumerate() {
                        if !bleeds(&slot.frame) {
                            let check = frame.check_box(&slot.frame);
                            assert!(
                                check.is_clear(),
                                "{} slot {i} on {} {side:?}: {check:?}",
                                layout.id,
                                product.id
                            );
                        }
                        if let Some(c) = &slot.caption_box {
                            let check = frame.check_box(c);
                            assert!(
                                check.is_clear(),
                                "{} caption {i} on {} {side:?}: {check:?}",
                                layout.id,
                                product.id
                            );
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn layouts_serialise_as_the_api_contract() {
    let l = lib()
        .layout("square-2-ll-caption")
        .expect("a captioned layout");
    let json = serde_json::to_value(l).unwrap();
    assert_eq!(json["group"], "square");
    let slot = &json["slots"][0];
    assert_eq!(slot["box"].as_array().unwrap().len(), 5);
    assert_eq!(slot["shape"], "L");
    assert_eq!(slot["caption"], true);
    assert_eq!(slot["caption_box"].as_array().unwrap().len(), 5);
    let plain = serde_json::to_value(lib().layout("square-1-s-bleed").unwrap()).unwrap();
    assert_eq!(
        plain["slots"][0],
        serde_json::json!({"box": [0.0, 0.0, 1.0, 1.0, 0.0], "shape": "S", "caption": false})
    );
}

#[test]
fn shapes_follow_the_five_percent_rule() {
    assert_eq!(shape_of_aspect(1.0), Shape::S);
    assert_eq!(shape_of_aspect(1.05), Shape::S);
    assert_eq!(shape_of_aspect(1.0 / 1.05), Shape::S);
    assert_eq!(shape_of_aspect(1.06), Shape::L);
    assert_eq!(shape_of_aspect(0.94), Shape::P);
    assert_eq!(parse_group("portrait"), Some(AspectGroup::Portrait));
    assert_eq!(parse_group("Portrait"), None);
    for g in AspectGroup::ALL {
        assert_eq!(serde_json::to_value(g).unwrap(), group_name(g));
    }
}

#[test]
fn matching_ignores_slot_order() {
    let a = lib()
        .matching(
            AspectGroup::Landscape,
            &[Shape::P, Shape::L, Shape::L, Shape::P],
            false,
        )
        .count();
    let b = lib()
        .matching(
            AspectGroup::Landscape,
            &[Shape::L, Shape::L, Shape::P, Shape::P],
            false,
        )
        .count();
    assert!(a >= 2);
    assert_eq!(a, b);
}

// --- Broken layouts --------------------------------------------------------------------------

const THEMES: (&str, &str) = (
    "themes.json",
    r##"[{"id":"everyday","name":"Everyday","keywords":[],"colors":{"background":"#ffffff","text":"#000000","accent":"#333333"},"fonts":{"heading":"Inter","body":"Inter"},"backgrounds":[{"color":"#ffffff"}],"mirror_facing":false}]"##,
);

fn refuse(json: &str) -> (String, LayoutProblem, String) {
    match Library::parse(&[("test.json", json)], THEMES) {
        Err(e @ LibraryError::Layout { .. }) => {
            let message = e.to_string();
            let LibraryError::Layout { layout, problem } = e else {
                unreachable!()
            };
            (layout, problem, message)
        }
        Err(other) => panic!("expected a layout error, got {other}"),
        Ok(_) => panic!("accepted {json}"),
    }
}

#[test]
fn a_good_handmade_layout_is_accepted() {
    let json = r#"[{"id":"t-2","group":"square","slots":[
        {"box":[-0.22,0,0.4,0.3,0],"shape":"L","caption":false},
        {"box":[0.22,-0.05,0.3,0.3,0],"shape":"S","caption":true,"caption_box":[0.22,0.13,0.3,0.05,0]}]}]"#;
    let lib = Library::parse(&[("test.json", json)], THEMES).unwrap();
    assert_eq!(lib.layouts()[0].shapes(), "LS");
}

#[test]
fn overlapping_slots_are_refused_by_name() {
    let json = r#"[{"id":"t-overlap","group":"square","slots":[
        {"box":[0,0,0.4,0.4,0],"shape":"S","caption":false},
        {"box":[0.1,0.1,0.4,0.4,0],"shape":"S","caption":false}]}]"#;
    let (id, problem, message) = refuse(json);
    assert_eq!(id, "t-overlap");
    assert_eq!(
        problem,
        LayoutProblem::Overlap(Region::Photo(0), Region::Photo(1))
    );
    assert!(
        message.contains("t-overlap") && message.contains("slot 0") && message.contains("slot 1"),
        "{message}"
    );
}

#[test]
fn a_slot_outside_the_page_is_refused_by_name() {
    let json = r#"[{"id":"t-out","group":"portrait","slots":[
        {"box":[0,-0.2,0.5,0.3,0],"shape":"L","caption":false},
        {"box":[0.4,0.3,0.3,0.4,0],"shape":"P","caption":false}]}]"#;
    let (id, problem, message) = refuse(json);
    assert_eq!(
        (id.as_str(), problem),
        ("t-out", LayoutProblem::OutOfPage(Region::Photo(1)))
    );
    assert!(
        message.contains("t-out")
            && message.contains("slot 1")
            && message.contains("outside the page"),
        "{message}"
    );
    // Rotation counts: a slot that fits flat may not fit tilted.
    let tilted = r#"[{"id":"t-tilt","group":"square","slots":[{"box":[0,0,1,1,5],"shape":"S","caption":false}]}]"#;
    assert_eq!(refuse(tilted).1, LayoutProblem::OutOfPage(Region::Photo(0)));
}

#[test]
fn a_wrong_shape_is_refused_with_the_shape_it_has() {
    // 0.5 × 0.5 of a landscape page is wider than tall at its CAR: L, not S.
    let json = r#"[{"id":"t-shape","group":"landscape","slots":[{"box":[0,0,0.5,0.5,0],"shape":"S","caption":false}]}]"#;
    let (id, problem, message) = refuse(json);
    assert_eq!(id, "t-shape");
    assert!(
        matches!(
            problem,
            LayoutProblem::WrongShape {
                slot: 0,
                declared: Shape::S,
                actual: Shape::L,
                ..
            }
        ),
        "{problem:?}"
    );
    assert!(
        message.contains("t-shape") && message.contains("slot 0"),
        "{message}"
    );
    // The same box is square on a square page.
    let ok = r#"[{"id":"t-sq","group":"square","slots":[{"box":[0,0,0.5,0.5,0],"shape":"S","caption":false}]}]"#;
    assert!(Library::parse(&[("test.json", ok)], THEMES).is_ok());
}

#[test]
fn other_broken_layouts_are_refused() {
    let cases: &[(&str, LayoutProblem)] = &[
        (
            r#"[{"id":"t","group":"square","slots":[]}]"#,
            LayoutProblem::SlotCount(0),
        ),
        (
            r#"[{"id":"t","group":"square","slots":[{"box":[0,0,0.5,0.5,0],"shape":"Q","caption":false}]}]"#,
            LayoutProblem::UnknownShape {
                slot: 0,
                found: "Q".into(),
            },
        ),
        (
            r#"[{"id":"t","group":"square","slots":[{"box":[0,0,0.5,0.5,0],"shape":"S","caption":true}]}]"#,
            LayoutProblem::MissingCaptionBox { slot: 0 },
        ),
        (
            r#"[{"id":"t","group":"square","slots":[{"box":[0,0,0.5,0.5,0],"shape":"S","caption":false,"caption_box":[0,0.3,0.5,0.05,0]}]}]"#,
            LayoutProblem::StrayCaptionBox { slot: 0 },
        ),
        (
            r#"[{"id":"t","group":"square","slots":[{"box":[0,0,0.5,0.5,0],"shape":"S","caption":true,"caption_box":[0,0.4,0.5,0.05,0]}]}]"#,
            LayoutProblem::CaptionMisplaced { slot: 0 },
        ),
        (
            r#"[{"id":"t","group":"square","slots":[{"box":[0,0,0.5,0.5,0],"shape":"S","caption":true,"caption_box":[0,0.28,0.6,0.05,0]}]}]"#,
            LayoutProblem::CaptionMisplaced { slot: 0 },
        ),
        (
            r#"[{"id":"t","group":"square","slots":[
                {"box":[0,-0.1,0.5,0.5,0],"shape":"S","caption":true,"caption_box":[0,0.18,0.5,0.05,0]},
                {"box":[0,0.3,0.2,0.2,0],"shape":"S","caption":false}]}]"#,
            LayoutProblem::Overlap(Region::Caption(0), Region::Photo(1)),
        ),
        (
            r#"[{"id":"t","group":"square","slots":[{"box":[0,0,0.02,0.02,0],"shape":"S","caption":false}]}]"#,
            LayoutProblem::TooSmall { slot: 0 },
        ),
        (
            r#"[{"id":"T 1","group":"square","slots":[{"box":[0,0,0.5,0.5,0],"shape":"S","caption":false}]}]"#,
            LayoutProblem::BadId,
        ),
    ];
    for (json, want) in cases {
        assert_eq!(&refuse(json).1, want, "{json}");
    }
    let (_, problem, _) = refuse(
        r#"[{"id":"t","group":"square","slots":[{"box":[0,0,-0.5,0.5,0],"shape":"S","caption":false}]}]"#,
    );
    assert!(
        matches!(
            problem,
            LayoutProblem::BadBox {
                region: Region::Photo(0),
                ..
            }
        ),
        "{problem:?}"
    );
    let (id, problem, _) = refuse(r#"[{"id":"t-grp","group":"round","slots":[]}]"#);
    assert_eq!(id, "t-grp");
    assert!(
        matches!(problem, LayoutProblem::Malformed(_)),
        "{problem:?}"
    );
    let seven = format!(
        r#"[{{"id":"t7","group":"square","slots":[{}]}}]"#,
        [r#"{"box":[0,0,0.1,0.1,0],"shape":"S","caption":false}"#; 7].join(",")
    );
    assert_eq!(refuse(&seven).1, LayoutProblem::SlotCount(7));
    let twice = r#"[{"id":"t","group":"square","slots":[{"box":[0,0,0.5,0.5,0],"shape":"S","caption":false}]},
                    {"id":"t","group":"square","slots":[{"box":[0,0,0.5,0.5,0],"shape":"S","caption":false}]}]"#;
    assert_eq!(refuse(twice).1, LayoutProblem::DuplicateId);
}
