//! The one error type of the geometry module: what a checked constructor or a fit refused.

use thiserror::Error;

/// Why a geometry value could not be built.
///
/// Every variant names the offending input so that the validator and the HTTP layer can
/// tell a user what to fix without re-deriving it.
#[derive(Debug, Clone, Copy, PartialEq, Error)]
pub enum GeometryError {
    /// A number of a box (`index` 0..5 for `x, y, w, h, rot`) is NaN or infinite.
    #[error("box value {index} is not a finite number")]
    NotFinite { index: usize },
    /// A number of a box lies outside ±[`crate::schema::BOX_LIMIT`].
    #[error("box value {index} is {value}, outside ±{limit}")]
    OutOfRange {
        index: usize,
        value: f64,
        limit: f64,
    },
    /// A box width (`index` 2) or height (`index` 3) is negative.
    #[error("box value {index} is a size and may not be negative (got {value})")]
    NegativeSize { index: usize, value: f64 },
    /// A photo has a zero width or height.
    #[error("photo has an empty size {w}×{h}")]
    EmptyPhoto { w: u32, h: u32 },
    /// A slot has no area, so no photo can cover it.
    #[error("slot has no area ({w}×{h})")]
    EmptySlot { w: f64, h: f64 },
    /// A pan is not a pair of finite numbers in [-1, 1].
    #[error("pan must be two finite numbers in [-1, 1], got [{x}, {y}]")]
    BadPan { x: f64, y: f64 },
    /// A zoom is not a finite number of at least 1.
    #[error("zoom must be a finite number >= 1, got {0}")]
    BadZoom(f64),
}
