//! Geometry of products and pages: relative coordinates, aspect-ratio groups, the core aspect ratio, fitting.
//!
//! Conventions, shared with the web client's mirror of this module:
//! * An item's [`Box`] `[x, y, w, h, rot]` is relative to the page (SPEC §6.1): `(x, y)` is the
//!   item's centre, the origin is the page centre, `x`/`w` are fractions of the page width and
//!   `y`/`h` of its height, `y` grows downwards, `rot` is degrees clockwise.
//! * Every book is edited at its group's core aspect ratio ([`core_aspect_ratio`]). A
//!   [`PageFrame`] places that page on one product's left or right page ([`PageSide`]; the
//!   gutter is on the binding side) in points, or pixels via [`PageFrame::in_pixels`]; its
//!   [`PageTransform`] converts both ways. A [`Rect`] is a physical rectangle in the frame's
//!   unit, top-left origin, `y` down.
//! * Preflight uses [`PageFrame::check_box`] / [`PageFrame::violations`] and
//!   [`PageFrame::place_photo`] (effective PPI, [`PpiGrade`]); automix uses [`fit_photo`],
//!   [`crop_loss`] and [`slot_aspect`]; remote photos use [`choose_size`]; moving a book to
//!   another group uses [`migrate_boxes`].
//!
//! Everything here is a pure function of its arguments (STYLE habit 2).

mod bounds;
mod boxes;
mod car;
mod error;
mod migrate;
mod page;
mod photo;
#[cfg(test)]
mod proptests;
mod remote;

pub use bounds::{BoundaryCheck, BoundaryRule, Violation};
pub use boxes::{Box, Rect};
pub use car::{core_aspect_ratio, core_aspect_ratio_of, mean_squared_overlap_error, overlap_loss};
pub use error::GeometryError;
pub use migrate::{migrate_boxes, migration_factors, MigrationFactors};
pub use page::{Guides, PageFrame, PageSide, PageTransform, POINTS_PER_INCH};
pub use photo::{
    crop_loss, fit_photo, limiting_dimension, slot_aspect, LimitingDimension, PhotoFit, PhotoView,
    PixelSize, PlacedPhoto, PpiGrade, PPI_ERROR_BELOW, PPI_WARN_BELOW,
};
pub use remote::{choose_size, coverage, needed_pixels};
