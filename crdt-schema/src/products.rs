//! The product catalogue (SPEC §6.2): trim, bleed, safe margin and gutter per product.

use serde::Serialize;

/// Products of one orientation share an aspect-ratio group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AspectGroup {
    Square,
    Portrait,
    Landscape,
}

/// A printable book format. All lengths are in inches.
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

pub const DEFAULT_PRODUCT: &str = "square-8x8";

pub const PRODUCTS: &[Product] = &[
    Product { id: "square-8x8", name: "8×8 in hardcover", trim_in: [8.0, 8.0], bleed_in: 0.125, safe_in: 0.25, gutter_in: 0.375, group: AspectGroup::Square },
    Product { id: "square-12x12", name: "12×12 in hardcover", trim_in: [12.0, 12.0], bleed_in: 0.125, safe_in: 0.375, gutter_in: 0.5, group: AspectGroup::Square },
    Product { id: "landscape-11x8.5", name: "11×8.5 in landscape", trim_in: [11.0, 8.5], bleed_in: 0.125, safe_in: 0.25, gutter_in: 0.375, group: AspectGroup::Landscape },
    Product { id: "landscape-8x6", name: "8×6 in landscape", trim_in: [8.0, 6.0], bleed_in: 0.125, safe_in: 0.25, gutter_in: 0.25, group: AspectGroup::Landscape },
    Product { id: "landscape-14x11", name: "14×11 in landscape", trim_in: [14.0, 11.0], bleed_in: 0.125, safe_in: 0.375, gutter_in: 0.5, group: AspectGroup::Landscape },
    Product { id: "portrait-8.5x11", name: "8.5×11 in portrait", trim_in: [8.5, 11.0], bleed_in: 0.125, safe_in: 0.25, gutter_in: 0.375, group: AspectGroup::Portrait },
    Product { id: "mini-6x4", name: "6×4 in mini", trim_in: [6.0, 4.0], bleed_in: 0.125, safe_in: 0.1875, gutter_in: 0.25, group: AspectGroup::Landscape },
];

pub fn product(id: &str) -> Option<&'static Product> {
    PRODUCTS.iter().find(|p| p.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_has_the_required_products() {
        for id in ["square-8x8", "square-12x12", "landscape-11x8.5", "landscape-8x6", "landscape-14x11", "portrait-8.5x11", "mini-6x4"] {
            assert!(product(id).is_some(), "{id}");
        }
        assert!(product(DEFAULT_PRODUCT).is_some());
        assert!(product("nope").is_none());
    }
}
