//! Print-boundary checks of one item on one product page (SPEC §11 preflight, seed 004's
//! print-boundary violations): off the page, into the gutter, outside the safe area.

use serde::Serialize;

use super::{Box, PageFrame};

/// A print boundary an item can break.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BoundaryRule {
    /// No part of the item is on the trimmed page: it will not be printed at all.
    OffPage,
    /// Part of the item lies in the gutter strip, where the binding glue hides it.
    IntersectsGutter,
    /// Part of the item lies outside the safe area and may be trimmed off or sit too close to
    /// an edge. Intended for text and important items; a full-bleed photo crosses it on purpose,
    /// so preflight decides per item kind.
    CrossesSafeArea,
}

/// The facts about one item's rotated bounds on a page; see [`PageFrame::check_box`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct BoundaryCheck {
    pub off_page: bool,
    pub intersects_gutter: bool,
    pub crosses_safe_area: bool,
}

impl BoundaryCheck {
    /// True when the item breaks no boundary.
    pub fn is_clear(&self) -> bool {
        !(self.off_page || self.intersects_gutter || self.crosses_safe_area)
    }

    /// The broken rules worth reporting. An item wholly off the page is reported as
    /// [`BoundaryRule::OffPage`] only: it also lies outside the safe area (and maybe in the
    /// bleed-side gutter), but saying so would only bury the real problem.
    pub fn rules(&self) -> Vec<BoundaryRule> {
        if self.off_page {
            return vec![BoundaryRule::OffPage];
        }
        let mut rules = Vec::new();
        if self.intersects_gutter {
            rules.push(BoundaryRule::IntersectsGutter);
        }
        if self.crosses_safe_area {
            rules.push(BoundaryRule::CrossesSafeArea);
        }
        rules
    }
}

/// One broken print boundary: the item's index in the list checked, and the rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Violation {
    pub index: usize,
    pub rule: BoundaryRule,
}

impl PageFrame {
    /// Checks a box against this page's trim, gutter and safe area, using the axis-aligned
    /// bounds of the rotated box (a slight overstatement for rotated items, which errs on the
    /// side of warning).
    ///
    /// Edges count as inside: an item placed exactly against the gutter edge or the safe line
    /// passes, with a tolerance of a billionth of the canvas width for rounding.
    pub fn check_box(&self, b: &Box) -> BoundaryCheck {
        let bounds = self.transform().box_bounds(b);
        let tol = 1e-9 * self.canvas().w;
        let trim = self.trim();
        // A zero-size item has no area to overlap with; it is on the page if it is inside it.
        let on_page = bounds.overlaps(&trim, tol) || trim.contains(&bounds, 0.0);
        BoundaryCheck {
            off_page: !on_page,
            intersects_gutter: bounds.overlaps(&self.gutter(), tol),
            crosses_safe_area: !self.safe().contains(&bounds, tol),
        }
    }

    /// Every reportable violation of every box, in box order (see [`BoundaryCheck::rules`]).
    pub fn violations(&self, boxes: &[Box]) -> Vec<Violation> {
        boxes
            .iter()
            .enumerate()
            .flat_map(|(index, b)| {
                self.check_box(b)
                    .rules()
                    .into_iter()
                    .map(move |rule| Violation { index, rule })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::PageSide;
    use crate::products::product;

    fn frame(side: PageSide) -> PageFrame {
        PageFrame::new(product("square-8x8").unwrap(), side)
    }

    fn b(x: f64, y: f64, w: f64, h: f64, rot: f64) -> Box {
        Box::new(x, y, w, h, rot).unwrap()
    }

    #[test]
    fn a_centred_item_is_clear() {
        assert!(frame(PageSide::Right)
            .check_box(&b(0.0, 0.0, 0.5, 0.5, 0.0))
            .is_clear());
    }

    #[test]
    fn the_gutter_is_on_the_binding_side() {
        // The relative page starts at the gutter edge, so anything left of x = -0.5 is in it.
        let left_edge = b(-0.55, 0.0, 0.2, 0.2, 0.0);
        let right = frame(PageSide::Right).check_box(&left_edge);
        assert!(right.intersects_gutter && right.crosses_safe_area && !right.off_page);
        let left = frame(PageSide::Left).check_box(&left_edge);
        assert!(!left.intersects_gutter && left.crosses_safe_area);
        // Mirrored onto the facing page it is in that page's gutter.
        assert!(
            frame(PageSide::Left)
                .check_box(&left_edge.mirrored())
                .intersects_gutter
        );
    }

    #[test]
    fn an_item_against_the_gutter_edge_does_not_intersect_it() {
        let against = b(-0.4, 0.0, 0.2, 0.2, 0.0); // left edge exactly at -0.5
        let check = frame(PageSide::Right).check_box(&against);
        assert!(!check.intersects_gutter && check.crosses_safe_area);
    }

    #[test]
    fn wholly_off_page_is_reported_alone() {
        let f = frame(PageSide::Right);
        let off = b(0.0, 2.0, 0.2, 0.2, 0.0);
        let check = f.check_box(&off);
        assert!(check.off_page && check.crosses_safe_area);
        assert_eq!(check.rules(), vec![BoundaryRule::OffPage]);
        let v = f.violations(&[
            b(0.0, 0.0, 0.1, 0.1, 0.0),
            off,
            b(-0.55, 0.0, 0.2, 0.2, 0.0),
        ]);
        assert_eq!(
            v,
            vec![
                Violation {
                    index: 1,
                    rule: BoundaryRule::OffPage
                },
                Violation {
                    index: 2,
                    rule: BoundaryRule::IntersectsGutter
                },
                Violation {
                    index: 2,
                    rule: BoundaryRule::CrossesSafeArea
                },
            ]
        );
    }

    #[test]
    fn rotation_uses_the_rotated_bounds() {
        let f = frame(PageSide::Right);
        // A square tucked into the safe area's top-left corner: clear flat, out when tilted.
        let safe = f.transform().relative_rect(&f.safe());
        let side = 0.2;
        let tucked = b(safe.x + side / 2.0, safe.y + side / 2.0, side, side, 0.0);
        assert!(f.check_box(&tucked).is_clear());
        assert!(
            f.check_box(&b(tucked.x(), tucked.y(), side, side, 10.0))
                .crosses_safe_area
        );
        assert!(
            f.check_box(&b(tucked.x(), tucked.y(), side, side, -10.0))
                .crosses_safe_area
        );
    }

    #[test]
    fn a_zero_size_item_on_the_page_is_not_off_it() {
        assert!(
            !frame(PageSide::Right)
                .check_box(&b(0.1, 0.1, 0.0, 0.0, 0.0))
                .off_page
        );
        assert!(
            frame(PageSide::Right)
                .check_box(&b(3.0, 0.1, 0.0, 0.0, 0.0))
                .off_page
        );
    }

    #[test]
    fn square_outer_edge_is_trimmed() {
        // The square CAR is 1 but the 8×8 viewable area is 7.625 wide: the outer 0.375 in of the
        // relative page is cut, so an item at the page's outer edge crosses the safe area.
        let check = frame(PageSide::Right).check_box(&b(0.45, 0.0, 0.1, 0.1, 0.0));
        assert!(check.crosses_safe_area && !check.off_page);
    }
}
