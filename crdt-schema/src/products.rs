//! The product catalogue (SPEC §6.2): trim, bleed, safe margin and gutter per product.
//!
//! Physical sizes live only here; the document stores relative coordinates, and
//! [`crate::geometry`] converts between the two through a product.

use serde::{Deserialize, Serialize};

/// Products of one orientation share an aspect-ratio group (ARG). All editing and preview of
/// a book happens at its group's core aspect ratio ([`crate::geometry::core_aspect_ratio`]),
/// so a book can be printed to any product of its group without an edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AspectGroup {
    Square,
    Portrait,
    Landscape,
}

impl AspectGroup {
    /// Every group, in a fixed order.
    pub const ALL: [AspectGroup; 3] = [
        AspectGroup::Square,
        AspectGroup::Portrait,
        AspectGroup::Landscape,
    ];

    /// The products of this group, in catalogue order.
    pub fn products(self) -> impl Iterator<Item = &'static Product> {
        PRODUCTS.iter().filter(move |p| p.group == self)
    }
}

/// A printable book format. All lengths are in inches and apply to one page.
///
/// * `bleed_in` is added on every side of the trim: the printed canvas is the trim plus the
///   bleed, and everything beyond the trim is cut off.
/// * `gutter_in` is the **gutter allowance**: the strip of the trim next to the binding that
///   the glue and the curve of the spine hide. It lies on the binding side only (the left edge
///   of a right-hand page, the right edge of a left-hand page), so the viewable area is the trim
///   less `gutter_in` in width and the full trim in height (seed 004: an 8.5×11 page with a
///   0.5 in gutter has an 8×11 viewable area).
/// * `safe_in` is the margin inside the viewable area (on all four sides, the gutter side
///   measured from the gutter edge) that text and important items should stay within,
///   because trimming may be off by about that much.
///
/// Gutters grow with the book's size because bigger books have thicker blocks, whose
/// pages curve further into the spine; the values are the allowance the seed's gutter
/// sizing balances between glue hiding content (too little) and a visible empty strip
/// (too much).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Product {
    pub id: &'static str,
    pub name: &'static str,
    /// Trim width and height of one page.
    pub trim_in: [f64; 2],
    pub bleed_in: f64,
    pub safe_in: f64,
    pub gutter_in: f64,
    pub group: AspectGroup,
}

impl Product {
    /// Trim width over trim height.
    pub fn trim_ratio(&self) -> f64 {
        self.trim_in[0] / self.trim_in[1]
    }

    /// The viewable area `[w, h]` in inches: the trim less the gutter allowance on the binding
    /// side. The core aspect ratio is fitted to these, not to the trim, because the gutter
    /// strip is never really seen.
    pub fn viewable_in(&self) -> [f64; 2] {
        [self.trim_in[0] - self.gutter_in, self.trim_in[1]]
    }

    /// Viewable width over viewable height.
    pub fn viewable_ratio(&self) -> f64 {
        let [w, h] = self.viewable_in();
        w / h
    }

    /// The printed canvas `[w, h]` in inches: the trim plus the bleed on every side.
    pub fn canvas_in(&self) -> [f64; 2] {
        [
            self.trim_in[0] + 2.0 * self.bleed_in,
            self.trim_in[1] + 2.0 * self.bleed_in,
        ]
    }
}

/// The product a new book starts with (SPEC §10.6: 8×8 hardcover).
pub const DEFAULT_PRODUCT: &str = "square-8x8";

/// Every product on sale. Ids are stored in books (`meta.product`), so an id is never reused
/// or renamed; add new products at the end.
///
/// `mini-6x4` is in the landscape group although its trim (1.5) is wider than the others
/// (1.27–1.33): SPEC §6.2 forms groups by orientation, the group is part of the wire contract
/// (three values), and its viewable ratio (5.75/4 = 1.4375) is within the spread seed 004's own
/// worked example accepts in one group (1.38 to 1.65; ours is 1.227 to 1.4375). Keeping it in
/// lets any landscape book print as a mini without migration. The price is paid in the core
/// aspect ratio: with the mini the landscape CAR is ≈1.2964 instead of ≈1.2559, so the
/// 14×11 loses ≈5.3% of the content width at its outer edge instead of ≈2.3%, and the mini
/// loses ≈9.8% of the content height (split top and bottom). Preflight reports whatever this
/// cuts into the safe area. If that trade turns out wrong, move the mini out by giving it a
/// group of its own; nothing else in the catalogue changes.
pub const PRODUCTS: &[Product] = &[
    Product {
        id: "square-8x8",
        name: "8×8 in hardcover",
        trim_in: [8.0, 8.0],
        bleed_in: 0.125,
        safe_in: 0.25,
        gutter_in: 0.375,
        group: AspectGroup::Square,
    },
    Product {
        id: "square-12x12",
        name: "12×12 in hardcover",
        trim_in: [12.0, 12.0],
        bleed_in: 0.125,
        safe_in: 0.375,
        gutter_in: 0.5,
        group: AspectGroup::Square,
    },
    Product {
        id: "landscape-11x8.5",
        name: "11×8.5 in landscape",
        trim_in: [11.0, 8.5],
        bleed_in: 0.125,
        safe_in: 0.25,
        gutter_in: 0.375,
        group: AspectGroup::Landscape,
    },
    Product {
        id: "landscape-8x6",
        name: "8×6 in landscape",
        trim_in: [8.0, 6.0],
        bleed_in: 0.125,
        safe_in: 0.25,
        gutter_in: 0.25,
        group: AspectGroup::Landscape,
    },
    Product {
        id: "landscape-14x11",
        name: "14×11 in landscape",
        trim_in: [14.0, 11.0],
        bleed_in: 0.125,
        safe_in: 0.375,
        gutter_in: 0.5,
        group: AspectGroup::Landscape,
    },
    Product {
        id: "portrait-8.5x11",
        name: "8.5×11 in portrait",
        trim_in: [8.5, 11.0],
        bleed_in: 0.125,
        safe_in: 0.25,
        gutter_in: 0.375,
        group: AspectGroup::Portrait,
    },
    Product {
        id: "mini-6x4",
        name: "6×4 in mini",
        trim_in: [6.0, 4.0],
        bleed_in: 0.125,
        safe_in: 0.1875,
        gutter_in: 0.25,
        group: AspectGroup::Landscape,
    },
];

/// The product with this id, if it is in the catalogue.
pub fn product(id: &str) -> Option<&'static Product> {
    PRODUCTS.iter().find(|p| p.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_has_the_required_products() {
        for id in [
            "square-8x8",
            "square-12x12",
            "landscape-11x8.5",
            "landscape-8x6",
            "landscape-14x11",
            "portrait-8.5x11",
            "mini-6x4",
        ] {
            assert!(product(id).is_some(), "{id}");
        }
        assert!(product(DEFAULT_PRODUCT).is_some());
        assert!(product("nope").is_none());
    }

    #[test]
    fn ids_are_unique() {
        for (i, a) in PRODUCTS.iter().enumerate() {
            assert!(
                PRODUCTS[i + 1..].iter().all(|b| b.id != a.id),
                "{} twice",
                a.id
            );
        }
    }

    #[test]
    fn every_product_is_sane_and_in_the_group_of_its_orientation() {
        for p in PRODUCTS {
            let [w, h] = p.trim_in;
            assert!(
                w > 0.0 && h > 0.0 && p.bleed_in >= 0.0 && p.safe_in >= 0.0 && p.gutter_in >= 0.0,
                "{}",
                p.id
            );
            // Room must be left inside the safe area on every side.
            assert!(
                w - p.gutter_in - 2.0 * p.safe_in > 0.0 && h - 2.0 * p.safe_in > 0.0,
                "{}",
                p.id
            );
            let expected = if w == h {
                AspectGroup::Square
            } else if w > h {
                AspectGroup::Landscape
            } else {
                AspectGroup::Portrait
            };
            assert_eq!(p.group, expected, "{}", p.id);
        }
        for g in AspectGroup::ALL {
            assert!(g.products().count() >= 1, "{g:?} has no product");
        }
    }

    #[test]
    fn viewable_area_is_the_trim_less_the_gutter_as_in_the_seed() {
        let seed = Product {
            id: "x",
            name: "x",
            trim_in: [8.5, 11.0],
            bleed_in: 0.125,
            safe_in: 0.25,
            gutter_in: 0.5,
            group: AspectGroup::Portrait,
        };
        assert_eq!(seed.viewable_in(), [8.0, 11.0]);
        let p = product("landscape-11x8.5").unwrap();
        assert_eq!(p.viewable_in(), [10.625, 8.5]);
        assert_eq!(p.canvas_in(), [11.25, 8.75]);
        assert!((p.viewable_ratio() - 1.25).abs() < 1e-12);
    }

    #[test]
    fn group_serialises_as_the_contract_says() {
        assert_eq!(
            serde_json::to_string(&AspectGroup::Landscape).unwrap(),
            "\"landscape\""
        );
        assert_eq!(
            serde_json::from_str::<AspectGroup>("\"square\"").unwrap(),
            AspectGroup::Square
        );
    }
}
