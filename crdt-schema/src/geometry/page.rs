//! Where a page's relative coordinates land on a screen or on a product's printed canvas: the
//! seed's fit of content at the core aspect ratio onto a product, as a reversible transform.

use serde::{Deserialize, Serialize};

use super::{core_aspect_ratio, overlap_loss, Box, GeometryError, Rect};
use crate::products::Product;

/// Points per inch, the unit of PDF and of [`PageFrame::new`].
pub const POINTS_PER_INCH: f64 = 72.0;

/// Which page of a spread a page is, which decides the side its gutter (binding) is on.
///
/// * A **right**-hand page (recto, odd page numbers) is bound on its **left** edge, so its
///   gutter is on the left.
/// * A **left**-hand page (verso, even page numbers) is bound on its **right** edge, so its
///   gutter is on the right.
///
/// A front cover binds like a right page and a back cover like a left page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PageSide {
    Left,
    Right,
}

impl PageSide {
    /// The other page of the spread.
    pub fn facing(self) -> PageSide {
        match self {
            PageSide::Left => PageSide::Right,
            PageSide::Right => PageSide::Left,
        }
    }
    /// Whether the gutter is on this page's left edge (true for a right-hand page).
    pub fn gutter_on_left(self) -> bool {
        self == PageSide::Right
    }
}

/// An affine map from relative page coordinates to some physical unit:
/// `physical = offset + scale ⊙ relative`, per axis, with `y` down in both.
///
/// `scale` is the size of the whole relative page (`[-0.5, 0.5]²`) in that unit, and `offset`
/// is where the page centre lands. The page is always shown without distortion, so
/// `scale[0] / scale[1]` is the page's aspect ratio (the CAR). Being affine, the map is exact
/// both ways; use [`to_physical`](Self::to_physical) and [`to_relative`](Self::to_relative).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PageTransform {
    pub scale: [f64; 2],
    pub offset: [f64; 2],
}

impl PageTransform {
    /// A page shown on screen: `width` units wide at aspect ratio `car` (height `width / car`),
    /// with the page's top-left corner at the origin. What the web client uses to draw a page.
    pub fn display(width: f64, car: f64) -> PageTransform {
        let height = width / car;
        PageTransform {
            scale: [width, height],
            offset: [width / 2.0, height / 2.0],
        }
    }

    /// The page's aspect ratio in this transform (width over height of the relative page).
    pub fn aspect(&self) -> f64 {
        self.scale[0] / self.scale[1]
    }

    /// A relative point to physical units.
    pub fn to_physical(&self, [x, y]: [f64; 2]) -> [f64; 2] {
        [
            self.offset[0] + self.scale[0] * x,
            self.offset[1] + self.scale[1] * y,
        ]
    }

    /// A physical point to relative coordinates; the inverse of [`to_physical`](Self::to_physical).
    pub fn to_relative(&self, [x, y]: [f64; 2]) -> [f64; 2] {
        [
            (x - self.offset[0]) / self.scale[0],
            (y - self.offset[1]) / self.scale[1],
        ]
    }

    /// The same map with its output multiplied by `k`: a change of unit (points to pixels at
    /// `dpi` is `k = dpi / 72`).
    pub fn scaled(&self, k: f64) -> PageTransform {
        PageTransform {
            scale: [self.scale[0] * k, self.scale[1] * k],
            offset: [self.offset[0] * k, self.offset[1] * k],
        }
    }

    /// The box's own rectangle in physical units, before rotation (rotate it about its centre
    /// by `b.rot()` to draw it).
    pub fn box_rect(&self, b: &Box) -> Rect {
        let [x, y] = self.to_physical([b.x() - b.w() / 2.0, b.y() - b.h() / 2.0]);
        Rect::new(x, y, b.w() * self.scale[0], b.h() * self.scale[1])
    }

    /// The axis-aligned bounds of the box after its rotation, in physical units: what the
    /// print-boundary checks use.
    pub fn box_bounds(&self, b: &Box) -> Rect {
        self.box_rect(b).rotated_bounds(b.rot())
    }

    /// A physical rectangle (before rotation) and a rotation back to a checked box; the inverse
    /// of [`box_rect`](Self::box_rect). Fails when the result is not a valid box.
    pub fn rect_to_box(&self, r: &Rect, rot: f64) -> Result<Box, GeometryError> {
        let [cx, cy] = self.to_relative(r.centre());
        Box::new(cx, cy, r.w / self.scale[0], r.h / self.scale[1], rot)
    }

    /// A physical rectangle in relative units, as a top-left-corner [`Rect`] (not a centred
    /// box): for drawing guides on the relative page.
    pub fn relative_rect(&self, r: &Rect) -> Rect {
        let [x, y] = self.to_relative([r.x, r.y]);
        Rect::new(x, y, r.w / self.scale[0], r.h / self.scale[1])
    }
}

/// One page of a product, printed: its canvas, trim, viewable, safe and gutter rectangles in
/// one physical unit, and the transform that places the book's relative page (shown at a CAR)
/// on it.
///
/// The frame's origin is the top-left corner of the canvas (trim plus bleed), `y` down. The
/// unit is points unless [`in_pixels`](Self::in_pixels) changed it;
/// [`units_per_inch`](Self::units_per_inch) says which.
///
/// **The fit (seed 004).** Content at aspect ratio `car` goes onto the viewable area (trim less
/// the gutter allowance on the binding side) of aspect ratio `r`:
/// * content taller than the area (`car < r`): its left and right edges fit the viewable
///   area's exactly, and the excess height is cut equally at the top and bottom;
/// * content wider (`car > r`): its top and bottom fit the viewable area's, its gutter-side
///   edge is aligned to the gutter edge (where the glue ends), and the excess runs off the
///   outer edge, through the bleed, and is cut.
///
/// Aligning to the gutter keeps content out of the glue, and cutting at the outer edge is
/// where a reader looks least. The relative page beyond ±0.5 lands in the gutter strip and the
/// bleed, so a background drawn over `[-0.5 - m, 0.5 + m]` fills them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PageFrame {
    side: PageSide,
    units_per_inch: f64,
    transform: PageTransform,
    canvas: Rect,
    trim: Rect,
    viewable: Rect,
    safe: Rect,
    gutter: Rect,
    content_loss: f64,
}

impl PageFrame {
    /// `product`'s `side` page, showing content at its group's core aspect ratio, in points.
    pub fn new(product: &Product, side: PageSide) -> PageFrame {
        PageFrame::at_car(product, core_aspect_ratio(product.group), side)
    }

    /// `product`'s `side` page showing content at aspect ratio `car`, in points. A `car` that
    /// is not finite and positive is taken as 1, so a bad input shows a square page rather
    /// than a broken one.
    pub fn at_car(product: &Product, car: f64, side: PageSide) -> PageFrame {
        let car = if car.is_finite() && car > 0.0 {
            car
        } else {
            1.0
        };
        let k = POINTS_PER_INCH;
        let [tw, th] = product.trim_in;
        let (b, g, s) = (
            product.bleed_in * k,
            product.gutter_in * k,
            product.safe_in * k,
        );
        let (tw, th) = (tw * k, th * k);

        let canvas = Rect::new(0.0, 0.0, tw + 2.0 * b, th + 2.0 * b);
        let trim = Rect::new(b, b, tw, th);
        let (viewable, gutter) = if side.gutter_on_left() {
            (
                Rect::new(b + g, b, tw - g, th),
                Rect::from_edges(0.0, 0.0, b + g, canvas.h),
            )
        } else {
            (
                Rect::new(b, b, tw - g, th),
                Rect::from_edges(b + tw - g, 0.0, canvas.w, canvas.h),
            )
        };
        let safe = Rect::new(
            viewable.x + s,
            viewable.y + s,
            viewable.w - 2.0 * s,
            viewable.h - 2.0 * s,
        );

        let r = viewable.w / viewable.h;
        let content = if car <= r {
            // Taller: widths match, centred vertically, top and bottom cut.
            let h = viewable.w / car;
            Rect::new(
                viewable.x,
                viewable.y + (viewable.h - h) / 2.0,
                viewable.w,
                h,
            )
        } else {
            // Wider: heights match, the gutter-side edge on the gutter edge, the outer edge cut.
            let w = viewable.h * car;
            let x = if side.gutter_on_left() {
                viewable.x
            } else {
                viewable.right() - w
            };
            Rect::new(x, viewable.y, w, viewable.h)
        };
        let transform = PageTransform {
            scale: [content.w, content.h],
            offset: content.centre(),
        };
        PageFrame {
            side,
            units_per_inch: k,
            transform,
            canvas,
            trim,
            viewable,
            safe,
            gutter,
            content_loss: overlap_loss(car, r),
        }
    }

    /// The same frame in pixels at `dpi` (rectangles and transform scaled by `dpi / 72`).
    pub fn in_pixels(&self, dpi: f64) -> PageFrame {
        let k = dpi / self.units_per_inch;
        PageFrame {
            units_per_inch: dpi,
            transform: self.transform.scaled(k),
            canvas: self.canvas.scaled(k),
            trim: self.trim.scaled(k),
            viewable: self.viewable.scaled(k),
            safe: self.safe.scaled(k),
            gutter: self.gutter.scaled(k),
            ..*self
        }
    }

    /// Which page of the spread this is.
    pub fn side(&self) -> PageSide {
        self.side
    }
    /// Units per inch: 72 for points, the DPI after [`in_pixels`](Self::in_pixels).
    pub fn units_per_inch(&self) -> f64 {
        self.units_per_inch
    }
    /// Relative page → this frame's units.
    pub fn transform(&self) -> &PageTransform {
        &self.transform
    }
    /// The whole printed canvas: trim plus bleed (the PDF's BleedBox / MediaBox).
    pub fn canvas(&self) -> Rect {
        self.canvas
    }
    /// The trimmed page (the PDF's TrimBox): "the page" for the off-page check.
    pub fn trim(&self) -> Rect {
        self.trim
    }
    /// The trim less the gutter allowance: the part of the page a reader sees.
    pub fn viewable(&self) -> Rect {
        self.viewable
    }
    /// The viewable area inset by the product's safe margin on every side.
    pub fn safe(&self) -> Rect {
        self.safe
    }
    /// The gutter strip on the binding side, from the canvas edge (through the bleed) to the
    /// gutter edge, full canvas height.
    pub fn gutter(&self) -> Rect {
        self.gutter
    }
    /// Where the relative page `[-0.5, 0.5]²` lands; may extend past the trim.
    pub fn content(&self) -> Rect {
        Rect::new(
            self.transform.offset[0] - self.transform.scale[0] / 2.0,
            self.transform.offset[1] - self.transform.scale[1] / 2.0,
            self.transform.scale[0],
            self.transform.scale[1],
        )
    }
    /// The fraction of the relative page cut off by the fit ([`overlap_loss`] of the CAR onto
    /// the viewable ratio): 0 when the product's viewable area has the CAR's shape.
    pub fn content_loss(&self) -> f64 {
        self.content_loss
    }

    /// A length in this frame's units, in inches.
    pub fn to_inches(&self, length: f64) -> f64 {
        length / self.units_per_inch
    }

    /// The frame's guides in relative page coordinates (top-left-corner rectangles), for an
    /// editor drawing the real product's trim, safe area and gutter over the CAR page.
    pub fn relative_guides(&self) -> Guides {
        let t = &self.transform;
        Guides {
            trim: t.relative_rect(&self.trim),
            viewable: t.relative_rect(&self.viewable),
            safe: t.relative_rect(&self.safe),
            gutter: t.relative_rect(&self.gutter),
        }
    }
}

/// A product's print boundaries in relative page coordinates; see [`PageFrame::relative_guides`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Guides {
    pub trim: Rect,
    pub viewable: Rect,
    pub safe: Rect,
    pub gutter: Rect,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::products::{product, AspectGroup};

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn taller_content_fits_the_viewable_width_and_is_cut_top_and_bottom() {
        // 8×6 landscape: viewable 7.75×6 (1.2917) and the landscape CAR ≈1.2964 is wider;
        // use a taller CAR on purpose.
        let p = product("landscape-8x6").unwrap();
        let f = PageFrame::at_car(p, 1.2, PageSide::Right);
        let c = f.content();
        assert!(close(c.left(), f.viewable().left()) && close(c.right(), f.viewable().right()));
        assert!(c.h > f.viewable().h);
        assert!(
            close(
                f.viewable().top() - c.top(),
                c.bottom() - f.viewable().bottom()
            ),
            "cut equally"
        );
        assert!(close(f.content_loss(), 1.0 - 1.2 / (7.75 / 6.0)));
    }

    #[test]
    fn wider_content_aligns_to_the_gutter_and_runs_off_the_outer_edge() {
        let p = product("landscape-14x11").unwrap();
        let car = core_aspect_ratio(AspectGroup::Landscape);
        assert!(car > p.viewable_ratio());
        let right = PageFrame::new(p, PageSide::Right);
        let c = right.content();
        assert!(
            close(c.top(), right.viewable().top()) && close(c.bottom(), right.viewable().bottom())
        );
        assert!(
            close(c.left(), right.gutter().right()),
            "content starts at the gutter edge (left)"
        );
        assert!(
            c.right() > right.trim().right(),
            "and is cut at the outer (right) edge"
        );

        let left = PageFrame::new(p, PageSide::Left);
        let c = left.content();
        assert!(
            close(c.right(), left.gutter().left()),
            "content ends at the gutter edge (right)"
        );
        assert!(c.left() < left.trim().left());
        assert!(close(left.gutter().right(), left.canvas().right()));
    }

    #[test]
    fn physical_rects_of_the_8x8() {
        let f = PageFrame::new(product("square-8x8").unwrap(), PageSide::Right);
        assert_eq!(f.canvas(), Rect::new(0.0, 0.0, 594.0, 594.0));
        assert_eq!(f.trim(), Rect::new(9.0, 9.0, 576.0, 576.0));
        assert_eq!(f.viewable(), Rect::new(36.0, 9.0, 549.0, 576.0));
        assert_eq!(f.safe(), Rect::new(54.0, 27.0, 513.0, 540.0));
        assert_eq!(f.gutter(), Rect::new(0.0, 0.0, 36.0, 594.0));
        // Square CAR 1 on a 549×576 viewable area: wider, so 576 wide from the gutter edge.
        assert_eq!(f.content(), Rect::new(36.0, 9.0, 576.0, 576.0));
        let px = f.in_pixels(300.0);
        assert!(close(px.trim().w, 2400.0) && close(px.units_per_inch(), 300.0));
        assert!(close(px.to_inches(px.trim().w), 8.0));
    }

    #[test]
    fn box_to_rect_and_back() {
        let f = PageFrame::new(product("portrait-8.5x11").unwrap(), PageSide::Left);
        let t = f.transform();
        let b = Box::new(0.1, -0.2, 0.3, 0.4, 7.0).unwrap();
        let r = t.box_rect(&b);
        let back = t.rect_to_box(&r, b.rot()).unwrap();
        for (a, b) in back.to_array().iter().zip(b.to_array()) {
            assert!(close(*a, b));
        }
        assert_eq!(t.box_rect(&Box::FULL_PAGE), f.content());
    }

    #[test]
    fn display_transform_keeps_the_car() {
        let t = PageTransform::display(800.0, 1.25);
        assert_eq!(t.scale, [800.0, 640.0]);
        assert_eq!(t.to_physical([-0.5, -0.5]), [0.0, 0.0]);
        assert_eq!(t.aspect(), 1.25);
    }

    #[test]
    fn guides_of_a_product_whose_viewable_area_is_the_car_are_the_unit_page() {
        let p = product("portrait-8.5x11").unwrap(); // the only portrait product
        let g = PageFrame::new(p, PageSide::Right).relative_guides();
        assert!(close(g.viewable.x, -0.5) && close(g.viewable.w, 1.0) && close(g.viewable.h, 1.0));
        assert!(g.gutter.right() <= -0.5 + 1e-9);
    }
}
