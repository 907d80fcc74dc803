//! Moving a book to another aspect-ratio group (seed 004, SPEC §6.2): multiply positions and
//! sizes by factors derived from the two core aspect ratios, then report print-boundary
//! violations on the destination product.

use serde::Serialize;

use super::{core_aspect_ratio, Box, PageFrame, PageSide, Violation};
use crate::products::{AspectGroup, Product};

/// The factors relative `x`/`w` and `y`/`h` are multiplied by when a page moves between core
/// aspect ratios.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MigrationFactors {
    pub x: f64,
    pub y: f64,
}

/// The factors taking a page at `from_car` to a page at `to_car`.
///
/// The old page is scaled uniformly (in physical terms) to the largest size that fits inside
/// the new one, centred: `x = min(1, from/to)`, `y = min(1, to/from)`. So
/// * nothing is stretched: every item keeps its physical aspect ratio and its rotation;
/// * nothing is pushed off the page: the old page fits inside the new one, so an item that
///   was on the visible page still is (the seed's "without losing any content");
/// * the dimension that does not fit shrinks and the other keeps its extent, leaving bands
///   at the sides (or top and bottom) that the background fills.
///
/// Both factors are 1 between equal CARs. Non-finite or non-positive CARs give 1 and 1.
pub fn migration_factors(from_car: f64, to_car: f64) -> MigrationFactors {
    let ok = |r: f64| r.is_finite() && r > 0.0;
    if !ok(from_car) || !ok(to_car) {
        return MigrationFactors { x: 1.0, y: 1.0 };
    }
    MigrationFactors {
        x: (from_car / to_car).min(1.0),
        y: (to_car / from_car).min(1.0),
    }
}

/// Moves one page's boxes from group `from` to the product `to` (at its group's CAR) and
/// reports every print-boundary violation of the moved boxes on `to`'s `side` page.
///
/// The boxes come back in the same order, so [`Violation::index`] names both the old and the
/// new box. Because the factors are at most 1 a moved box is always valid; should one not be
/// (it cannot happen), it is kept unchanged rather than dropped, so indices stay aligned.
pub fn migrate_boxes(
    boxes: &[Box],
    from: AspectGroup,
    to: &Product,
    side: PageSide,
) -> (Vec<Box>, Vec<Violation>) {
    let car = core_aspect_ratio(to.group);
    let f = migration_factors(core_aspect_ratio(from), car);
    let moved: Vec<Box> = boxes
        .iter()
        .map(|b| b.scaled(f.x, f.y).unwrap_or(*b))
        .collect();
    let violations = PageFrame::at_car(to, car, side).violations(&moved);
    (moved, violations)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::BoundaryRule;
    use crate::products::product;

    fn b(x: f64, y: f64, w: f64, h: f64, rot: f64) -> Box {
        Box::new(x, y, w, h, rot).unwrap()
    }

    #[test]
    fn factors() {
        assert_eq!(
            migration_factors(1.3, 1.3),
            MigrationFactors { x: 1.0, y: 1.0 }
        );
        // Landscape 1.5 into square: widths keep, heights shrink to 1/1.5.
        let f = migration_factors(1.5, 1.0);
        assert_eq!(f.x, 1.0);
        assert!((f.y - 1.0 / 1.5).abs() < 1e-12);
        // Portrait 0.75 into square: heights keep, widths shrink.
        assert_eq!(
            migration_factors(0.75, 1.0),
            MigrationFactors { x: 0.75, y: 1.0 }
        );
        assert_eq!(
            migration_factors(f64::NAN, 1.0),
            MigrationFactors { x: 1.0, y: 1.0 }
        );
    }

    #[test]
    fn migrated_items_keep_their_physical_shape() {
        let from = AspectGroup::Portrait;
        let to = product("landscape-11x8.5").unwrap();
        let item = b(0.2, -0.1, 0.3, 0.2, 5.0);
        let (moved, _) = migrate_boxes(&[item], from, to, PageSide::Right);
        let aspect = |b: &Box, car: f64| b.w() / b.h() * car;
        let before = aspect(&item, core_aspect_ratio(from));
        let after = aspect(&moved[0], core_aspect_ratio(to.group));
        assert!((before - after).abs() < 1e-9, "{before} vs {after}");
        assert_eq!(moved[0].rot(), 5.0);
    }

    #[test]
    fn a_full_bleed_landscape_page_into_portrait_reports_what_breaks() {
        let to = product("portrait-8.5x11").unwrap();
        let boxes = [
            b(0.0, 0.0, 0.5, 0.5, 0.0),   // safe in the middle
            b(-0.45, 0.0, 0.1, 0.1, 0.0), // at the left edge: on a right page, against the gutter's safe margin
            b(0.0, 3.0, 0.2, 0.2, 0.0),   // was off the page, still is
        ];
        let (moved, v) = migrate_boxes(&boxes, AspectGroup::Landscape, to, PageSide::Right);
        assert_eq!(moved.len(), 3);
        assert!(v.iter().all(|v| v.index != 0), "{v:?}");
        assert!(
            v.contains(&Violation {
                index: 1,
                rule: BoundaryRule::CrossesSafeArea
            }),
            "{v:?}"
        );
        assert!(
            v.contains(&Violation {
                index: 2,
                rule: BoundaryRule::OffPage
            }),
            "{v:?}"
        );
    }
}
