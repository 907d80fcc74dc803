//! The two shapes everything else is made of: an item's checked `Box` in relative page
//! coordinates, and a `Rect` in physical units (points, pixels or inches).

use serde::{Deserialize, Serialize};

use super::GeometryError;
use crate::schema::box_limit;

/// An item's box `[x, y, w, h, rot]` in relative page coordinates (SPEC §6.1).
///
/// * `(x, y)` is the **centre** of the item. The origin is the page centre, `x` and `w` are
///   fractions of the page width, `y` and `h` fractions of the page height, and `y` grows
///   **downwards** (as on screen), so the visible page is `[-0.5, 0.5]²` and `(-0.5, -0.5)`
///   is its top-left corner. The centre is stored rather than a corner because an item
///   rotates about its centre (a rotation then changes one number) and because the facing
///   page's mirror image is simply `x → -x` (see [`Box::mirrored`]).
/// * `rot` is in degrees, clockwise on screen. The rotation happens in physical space (on
///   the printed page), not in relative units, which are anisotropic. The schema's ±10
///   limit applies to `rot` too, so an item can be tilted by up to 10°, not turned over.
///
/// A `Box` can only be built through [`Box::new`] (or deserialised through it), so every
/// `Box` in the program holds five finite numbers within their bounds ([`crate::schema::box_limit`]) and a non-negative
/// size: the rules of SPEC §6.3 rule 2 live in the type.
///
/// It serialises as the plain JSON array the document stores.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "[f64; 5]", into = "[f64; 5]")]
pub struct Box {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
    rot: f64,
}

impl Box {
    /// Checks and builds a box: each value finite, within ±[`crate::schema::BOX_LIMIT`] (`rot` within
    /// ±[`crate::schema::ROT_LIMIT`] degrees), `w` and `h`
    /// not negative. The error names the first offending value (0 = x … 4 = rot).
    pub fn new(x: f64, y: f64, w: f64, h: f64, rot: f64) -> Result<Box, GeometryError> {
        let values = [x, y, w, h, rot];
        for (index, &value) in values.iter().enumerate() {
            if !value.is_finite() {
                return Err(GeometryError::NotFinite { index });
            }
            if value.abs() > box_limit(index) {
                return Err(GeometryError::OutOfRange {
                    index,
                    value,
                    limit: box_limit(index),
                });
            }
            if (index == 2 || index == 3) && value < 0.0 {
                return Err(GeometryError::NegativeSize { index, value });
            }
        }
        let z = no_negative_zero;
        Ok(Box {
            x: z(x),
            y: z(y),
            w: z(w),
            h: z(h),
            rot: z(rot),
        })
    }

    /// A box of the whole visible page, `[0, 0, 1, 1, 0]`.
    pub const FULL_PAGE: Box = Box {
        x: 0.0,
        y: 0.0,
        w: 1.0,
        h: 1.0,
        rot: 0.0,
    };

    /// Centre x, a fraction of the page width from the page centre.
    pub fn x(&self) -> f64 {
        self.x
    }
    /// Centre y, a fraction of the page height from the page centre (down is positive).
    pub fn y(&self) -> f64 {
        self.y
    }
    /// Width, a fraction of the page width.
    pub fn w(&self) -> f64 {
        self.w
    }
    /// Height, a fraction of the page height.
    pub fn h(&self) -> f64 {
        self.h
    }
    /// Rotation in degrees, clockwise.
    pub fn rot(&self) -> f64 {
        self.rot
    }
    /// The stored form `[x, y, w, h, rot]`.
    pub fn to_array(&self) -> [f64; 5] {
        [self.x, self.y, self.w, self.h, self.rot]
    }

    /// The same box on the facing page: mirrored about the page's vertical centre line, with
    /// the rotation mirrored too. Automix uses this for mirrored facing layouts.
    pub fn mirrored(&self) -> Box {
        Box {
            x: no_negative_zero(-self.x),
            rot: no_negative_zero(-self.rot),
            ..*self
        }
    }

    /// Multiplies positions and sizes by `fx` (horizontal) and `fy` (vertical), keeping the
    /// rotation; this is the migration step of SPEC §6.2. Checked, as the result must still
    /// be a valid box.
    pub fn scaled(&self, fx: f64, fy: f64) -> Result<Box, GeometryError> {
        Box::new(self.x * fx, self.y * fy, self.w * fx, self.h * fy, self.rot)
    }
}

/// `-0.0` would be written as `-0.0` in JSON; equal boxes should print equal.
fn no_negative_zero(v: f64) -> f64 {
    if v == 0.0 {
        0.0
    } else {
        v
    }
}

impl TryFrom<[f64; 5]> for Box {
    type Error = GeometryError;
    fn try_from(v: [f64; 5]) -> Result<Box, GeometryError> {
        Box::new(v[0], v[1], v[2], v[3], v[4])
    }
}

impl From<Box> for [f64; 5] {
    fn from(b: Box) -> [f64; 5] {
        b.to_array()
    }
}

/// An axis-aligned rectangle in physical units: top-left corner `(x, y)` with `y` growing
/// downwards, and a size `(w, h)`.
///
/// The unit is whatever produced it (points from a [`super::PageFrame`], pixels after
/// [`super::PageFrame::in_pixels`], photo pixels for a crop); a `Rect` never converts units
/// by itself. Sizes are expected to be non-negative.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl Rect {
    /// A rectangle from its top-left corner and size.
    pub const fn new(x: f64, y: f64, w: f64, h: f64) -> Rect {
        Rect { x, y, w, h }
    }
    /// A rectangle from its four edges.
    pub fn from_edges(left: f64, top: f64, right: f64, bottom: f64) -> Rect {
        Rect {
            x: left,
            y: top,
            w: right - left,
            h: bottom - top,
        }
    }
    /// Left edge.
    pub fn left(&self) -> f64 {
        self.x
    }
    /// Top edge.
    pub fn top(&self) -> f64 {
        self.y
    }
    /// Right edge.
    pub fn right(&self) -> f64 {
        self.x + self.w
    }
    /// Bottom edge.
    pub fn bottom(&self) -> f64 {
        self.y + self.h
    }
    /// Centre point `[x, y]`.
    pub fn centre(&self) -> [f64; 2] {
        [self.x + self.w / 2.0, self.y + self.h / 2.0]
    }
    /// Area (`w × h`).
    pub fn area(&self) -> f64 {
        self.w * self.h
    }
    /// Width over height; infinite or NaN for a rectangle without height.
    pub fn aspect(&self) -> f64 {
        self.w / self.h
    }

    /// The common part of two rectangles, or `None` when they share no area (touching
    /// edges share none).
    pub fn intersection(&self, other: &Rect) -> Option<Rect> {
        let left = self.left().max(other.left());
        let top = self.top().max(other.top());
        let right = self.right().min(other.right());
        let bottom = self.bottom().min(other.bottom());
        (right > left && bottom > top).then(|| Rect::from_edges(left, top, right, bottom))
    }

    /// Whether the two share more than `tolerance` of overlap in both directions. The
    /// tolerance keeps an item placed exactly against an edge from counting as crossing it
    /// because of rounding.
    pub fn overlaps(&self, other: &Rect, tolerance: f64) -> bool {
        let dx = self.right().min(other.right()) - self.left().max(other.left());
        let dy = self.bottom().min(other.bottom()) - self.top().max(other.top());
        dx > tolerance && dy > tolerance
    }

    /// Whether `inner` lies within `self`, allowing `tolerance` of rounding on each edge.
    pub fn contains(&self, inner: &Rect, tolerance: f64) -> bool {
        inner.left() >= self.left() - tolerance
            && inner.top() >= self.top() - tolerance
            && inner.right() <= self.right() + tolerance
            && inner.bottom() <= self.bottom() + tolerance
    }

    /// This rectangle with every coordinate multiplied by `k` (a change of unit).
    pub fn scaled(&self, k: f64) -> Rect {
        Rect {
            x: self.x * k,
            y: self.y * k,
            w: self.w * k,
            h: self.h * k,
        }
    }

    /// The axis-aligned bounding box of this rectangle rotated by `rot_deg` degrees about
    /// its centre. Direction does not matter for the bounds, so clockwise or not is moot.
    pub fn rotated_bounds(&self, rot_deg: f64) -> Rect {
        if rot_deg % 360.0 == 0.0 {
            return *self;
        }
        let (sin, cos) = rot_deg.to_radians().sin_cos();
        let (sin, cos) = (sin.abs(), cos.abs());
        let w = self.w * cos + self.h * sin;
        let h = self.w * sin + self.h * cos;
        let [cx, cy] = self.centre();
        Rect {
            x: cx - w / 2.0,
            y: cy - h / 2.0,
            w,
            h,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn box_accepts_valid_values_and_round_trips_as_an_array() {
        let b = Box::new(0.1, -0.2, 0.5, 0.25, 5.0).unwrap();
        assert_eq!(b.to_array(), [0.1, -0.2, 0.5, 0.25, 5.0]);
        let json = serde_json::to_string(&b).unwrap();
        assert_eq!(json, "[0.1,-0.2,0.5,0.25,5.0]");
        let back: Box = serde_json::from_str(&json).unwrap();
        assert_eq!(back, b);
    }

    #[test]
    fn box_refuses_what_the_schema_refuses() {
        assert_eq!(
            Box::new(f64::NAN, 0.0, 1.0, 1.0, 0.0),
            Err(GeometryError::NotFinite { index: 0 })
        );
        assert_eq!(
            Box::new(0.0, 0.0, 1.0, 1.0, f64::INFINITY),
            Err(GeometryError::NotFinite { index: 4 })
        );
        assert!(matches!(
            Box::new(0.0, 10.5, 1.0, 1.0, 0.0),
            Err(GeometryError::OutOfRange { index: 1, .. })
        ));
        assert!(matches!(
            Box::new(0.0, 0.0, -0.1, 1.0, 0.0),
            Err(GeometryError::NegativeSize { index: 2, .. })
        ));
        assert!(matches!(
            Box::new(0.0, 0.0, 1.0, -0.1, 0.0),
            Err(GeometryError::NegativeSize { index: 3, .. })
        ));
        assert!(
            Box::new(-10.0, 10.0, 10.0, 0.0, -10.0).is_ok(),
            "limits are inclusive"
        );
        assert!(serde_json::from_str::<Box>("[0,0,1,1]").is_err());
        assert!(serde_json::from_str::<Box>("[0,0,1,1,400]").is_err());
    }

    #[test]
    fn mirrored_box_flips_x_and_rotation() {
        let b = Box::new(0.2, 0.1, 0.3, 0.4, 10.0).unwrap();
        assert_eq!(b.mirrored().to_array(), [-0.2, 0.1, 0.3, 0.4, -10.0]);
        assert_eq!(b.mirrored().mirrored(), b);
    }

    #[test]
    fn rect_intersection_and_containment() {
        let a = Rect::new(0.0, 0.0, 10.0, 10.0);
        let b = Rect::new(5.0, 5.0, 10.0, 10.0);
        assert_eq!(a.intersection(&b), Some(Rect::new(5.0, 5.0, 5.0, 5.0)));
        assert_eq!(
            a.intersection(&Rect::new(10.0, 0.0, 5.0, 5.0)),
            None,
            "touching is not overlapping"
        );
        assert!(a.contains(&Rect::new(1.0, 1.0, 9.0, 9.0), 0.0));
        assert!(!a.contains(&b, 0.0));
        assert!(a.overlaps(&b, 1e-9));
        assert!(!a.overlaps(&Rect::new(10.0, 0.0, 5.0, 5.0), 1e-9));
    }

    #[test]
    fn rotated_bounds_of_a_quarter_turn_swap_the_sides() {
        let r = Rect::new(0.0, 0.0, 4.0, 2.0).rotated_bounds(90.0);
        assert!((r.w - 2.0).abs() < 1e-12 && (r.h - 4.0).abs() < 1e-12);
        assert_eq!(r.centre(), [2.0, 1.0]);
        let d = Rect::new(0.0, 0.0, 2.0, 2.0).rotated_bounds(45.0);
        assert!((d.w - 8f64.sqrt()).abs() < 1e-12);
    }
}
