//! Fitting a photo into a slot on its limiting dimension (seed 004): cover the slot with one
//! uniform scale, never stretching, then pan and zoom within the overflow; and the crop loss
//! and effective resolution that follow.

use serde::{Deserialize, Serialize};

use super::{overlap_loss, Box, GeometryError, PageFrame, Rect};

/// A photo's (or one of its stored sizes') size in pixels, as in a size array `[{w, h}]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PixelSize {
    pub w: u32,
    pub h: u32,
}

impl PixelSize {
    /// A size from its width and height.
    pub const fn new(w: u32, h: u32) -> PixelSize {
        PixelSize { w, h }
    }
    /// Width over height.
    pub fn aspect(&self) -> f64 {
        self.w as f64 / self.h as f64
    }
    /// Number of pixels.
    pub fn area(&self) -> u64 {
        self.w as u64 * self.h as u64
    }
}

/// How a photo sits in its slot: the document's `photo.pan` and `photo.zoom`.
///
/// * `pan` `[px, py]`, each in `[-1, 1]`, is the fraction of the available overflow the visible
///   window is moved from the centre: `px = -1` shows the photo's left edge, `1` its right edge;
///   `py = -1` its top, `1` its bottom. A pan along the limiting dimension has no overflow to
///   use at zoom 1 and so does nothing until the photo is zoomed.
/// * `zoom` `>= 1` magnifies the photo beyond just covering the slot.
///
/// Built checked by [`PhotoView::new`], or leniently from stored data by
/// [`PhotoView::clamped`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PhotoView {
    pan: [f64; 2],
    zoom: f64,
}

impl PhotoView {
    /// Centred, just covering the slot: pan `[0, 0]`, zoom 1.
    pub const DEFAULT: PhotoView = PhotoView {
        pan: [0.0, 0.0],
        zoom: 1.0,
    };

    /// A checked view: `pan` finite and within `[-1, 1]`, `zoom` finite and at least 1.
    pub fn new(pan: [f64; 2], zoom: f64) -> Result<PhotoView, GeometryError> {
        if !pan
            .iter()
            .all(|p| p.is_finite() && (-1.0..=1.0).contains(p))
        {
            return Err(GeometryError::BadPan {
                x: pan[0],
                y: pan[1],
            });
        }
        if !(zoom.is_finite() && zoom >= 1.0) {
            return Err(GeometryError::BadZoom(zoom));
        }
        Ok(PhotoView { pan, zoom })
    }

    /// The nearest valid view: pans clamped to `[-1, 1]`, zoom raised to at least 1, and
    /// non-finite values replaced by the defaults. For reading what a client stored, where
    /// refusing to render would help nobody.
    pub fn clamped(pan: [f64; 2], zoom: f64) -> PhotoView {
        let p = |v: f64| {
            if v.is_finite() {
                v.clamp(-1.0, 1.0)
            } else {
                0.0
            }
        };
        let zoom = if zoom.is_finite() { zoom.max(1.0) } else { 1.0 };
        PhotoView {
            pan: [p(pan[0]), p(pan[1])],
            zoom,
        }
    }

    /// The pan `[px, py]`.
    pub fn pan(&self) -> [f64; 2] {
        self.pan
    }
    /// The zoom.
    pub fn zoom(&self) -> f64 {
        self.zoom
    }
}

impl Default for PhotoView {
    fn default() -> PhotoView {
        PhotoView::DEFAULT
    }
}

/// The dimension of the photo that exactly spans the slot when the photo just covers it; the
/// other dimension overflows and is cropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitingDimension {
    Width,
    Height,
}

/// The limiting dimension by the seed's test: with `width ratio = photo w / slot w` and
/// `height ratio = photo h / slot h`, a larger width ratio means the photo is relatively wider,
/// so its height limits; otherwise its width does (equal ratios: the width).
pub fn limiting_dimension(photo: [f64; 2], slot: [f64; 2]) -> LimitingDimension {
    if photo[0] / slot[0] > photo[1] / slot[1] {
        LimitingDimension::Height
    } else {
        LimitingDimension::Width
    }
}

/// A photo fitted into a slot; see [`fit_photo`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PhotoFit {
    /// The visible part of the photo, in the photo's pixel coordinates (top-left origin). It
    /// has the slot's aspect ratio and lies inside the photo.
    pub crop: Rect,
    /// Which photo dimension spans the slot at zoom 1.
    pub limiting: LimitingDimension,
    /// Slot units per photo pixel, the same along both axes: the photo is never stretched.
    pub scale: f64,
    /// The pan and zoom the crop was computed for.
    pub view: PhotoView,
    /// The fraction of the photo's area that is not visible, `1 - crop area / photo area`.
    /// At the default view this is [`overlap_loss`] of the two aspect ratios; automix sums
    /// it to prefer the layouts that crop least.
    pub crop_loss: f64,
}

/// Fits a `photo` into a slot of physical size `slot_size` (`[w, h]`, any unit) under `view`.
///
/// The photo is scaled uniformly so that its limiting dimension exactly spans the slot and
/// the other overflows (cover, no stretching, no empty bands); `view.zoom` then shrinks the
/// visible window about its centre and `view.pan` moves it within the overflow. Fails for a
/// photo without pixels or a slot without area.
pub fn fit_photo(
    photo: PixelSize,
    slot_size: [f64; 2],
    view: PhotoView,
) -> Result<PhotoFit, GeometryError> {
    if photo.w == 0 || photo.h == 0 {
        return Err(GeometryError::EmptyPhoto {
            w: photo.w,
            h: photo.h,
        });
    }
    let [sw, sh] = slot_size;
    if !(sw.is_finite() && sh.is_finite() && sw > 0.0 && sh > 0.0) {
        return Err(GeometryError::EmptySlot { w: sw, h: sh });
    }
    let (pw, ph) = (photo.w as f64, photo.h as f64);
    let limiting = limiting_dimension([pw, ph], [sw, sh]);
    // Photo pixels per slot unit along the limiting dimension, at zoom 1.
    let per_unit = match limiting {
        LimitingDimension::Height => ph / sh,
        LimitingDimension::Width => pw / sw,
    };
    let zoom = view.zoom();
    let cw = (sw * per_unit).min(pw) / zoom;
    let ch = (sh * per_unit).min(ph) / zoom;
    let [px, py] = view.pan();
    let x = ((pw - cw) / 2.0 * (1.0 + px)).clamp(0.0, pw - cw);
    let y = ((ph - ch) / 2.0 * (1.0 + py)).clamp(0.0, ph - ch);
    let crop = Rect::new(x, y, cw, ch);
    Ok(PhotoFit {
        crop,
        limiting,
        scale: zoom / per_unit,
        view,
        crop_loss: 1.0 - crop.area() / (pw * ph),
    })
}

/// The physical aspect ratio of a slot box on a page shown at `car`: relative `w` is a fraction
/// of the page width and `h` of its height, so the shape is `(w / h) × car`.
pub fn slot_aspect(slot: &Box, car: f64) -> f64 {
    slot.w() / slot.h() * car
}

/// The crop loss of `photo` in a slot of aspect `slot_aspect` at the default view, without
/// building a fit: the quick figure automix compares layouts by.
pub fn crop_loss(photo: PixelSize, slot_aspect: f64) -> f64 {
    overlap_loss(photo.aspect(), slot_aspect)
}

/// Below this effective PPI preflight warns (SPEC §11).
pub const PPI_WARN_BELOW: f64 = 250.0;
/// Below this effective PPI preflight reports an error (SPEC §11).
pub const PPI_ERROR_BELOW: f64 = 150.0;

/// How a photo's effective resolution grades for print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PpiGrade {
    /// At least [`PPI_WARN_BELOW`].
    Good,
    /// At least [`PPI_ERROR_BELOW`] but below [`PPI_WARN_BELOW`]: may print soft.
    Warning,
    /// Below [`PPI_ERROR_BELOW`] (or not a number): will print visibly pixelated.
    Error,
}

impl PpiGrade {
    /// The grade of an effective PPI.
    pub fn of(ppi: f64) -> PpiGrade {
        if ppi >= PPI_WARN_BELOW {
            PpiGrade::Good
        } else if ppi >= PPI_ERROR_BELOW {
            PpiGrade::Warning
        } else {
            PpiGrade::Error
        }
    }
}

/// A photo fitted into a slot of a product page; see [`PageFrame::place_photo`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PlacedPhoto {
    /// The crop and scale.
    pub fit: PhotoFit,
    /// The slot on the page in the frame's units, before rotation.
    pub slot: Rect,
    /// Photo pixels per printed inch, the same both ways since nothing stretches.
    pub effective_ppi: f64,
}

impl PlacedPhoto {
    /// The preflight grade of [`effective_ppi`](Self::effective_ppi).
    pub fn ppi_grade(&self) -> PpiGrade {
        PpiGrade::of(self.effective_ppi)
    }
}

impl PageFrame {
    /// Fits `photo` (the pixel size of the original, or of whichever size will be printed)
    /// into the `slot` box on this page under `view`, and gives its effective resolution:
    /// the crop's pixels over the slot's printed inches. The slot's physical shape comes from
    /// the frame, so the crop is right for the page as printed.
    pub fn place_photo(
        &self,
        photo: PixelSize,
        slot: &Box,
        view: PhotoView,
    ) -> Result<PlacedPhoto, GeometryError> {
        let rect = self.transform().box_rect(slot);
        let fit = fit_photo(photo, [rect.w, rect.h], view)?;
        Ok(PlacedPhoto {
            fit,
            slot: rect,
            effective_ppi: fit.crop.w / self.to_inches(rect.w),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::PageSide;
    use crate::products::product;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn a_wide_photo_in_a_square_slot_is_limited_by_its_height() {
        let fit = fit_photo(
            PixelSize::new(4000, 2000),
            [100.0, 100.0],
            PhotoView::DEFAULT,
        )
        .unwrap();
        assert_eq!(fit.limiting, LimitingDimension::Height);
        assert_eq!(fit.crop, Rect::new(1000.0, 0.0, 2000.0, 2000.0));
        assert!(close(fit.scale, 0.05));
        assert!(close(fit.crop_loss, 0.5));
        assert!(close(
            fit.crop_loss,
            crop_loss(PixelSize::new(4000, 2000), 1.0)
        ));
    }

    #[test]
    fn a_tall_photo_in_a_wide_slot_is_limited_by_its_width() {
        let fit = fit_photo(
            PixelSize::new(3000, 4000),
            [300.0, 100.0],
            PhotoView::DEFAULT,
        )
        .unwrap();
        assert_eq!(fit.limiting, LimitingDimension::Width);
        assert_eq!(fit.crop, Rect::new(0.0, 1500.0, 3000.0, 1000.0));
    }

    #[test]
    fn pan_moves_within_the_overflow_and_zoom_shrinks_the_window() {
        let photo = PixelSize::new(4000, 2000);
        let left = fit_photo(photo, [1.0, 1.0], PhotoView::new([-1.0, 0.0], 1.0).unwrap()).unwrap();
        assert_eq!(left.crop.x, 0.0);
        let right = fit_photo(photo, [1.0, 1.0], PhotoView::new([1.0, 0.0], 1.0).unwrap()).unwrap();
        assert_eq!(right.crop.right(), 4000.0);
        // Zoom 2: a 1000 px window, centred; then panned to the bottom-right corner.
        let z = fit_photo(photo, [1.0, 1.0], PhotoView::new([0.0, 0.0], 2.0).unwrap()).unwrap();
        assert_eq!(z.crop, Rect::new(1500.0, 500.0, 1000.0, 1000.0));
        let zc = fit_photo(photo, [1.0, 1.0], PhotoView::new([1.0, 1.0], 2.0).unwrap()).unwrap();
        assert_eq!(zc.crop, Rect::new(3000.0, 1000.0, 1000.0, 1000.0));
        assert!(close(zc.crop_loss, 1.0 - 1e6 / 8e6));
    }

    #[test]
    fn views_are_checked_or_clamped() {
        assert!(PhotoView::new([1.5, 0.0], 1.0).is_err());
        assert!(PhotoView::new([0.0, f64::NAN], 1.0).is_err());
        assert!(PhotoView::new([0.0, 0.0], 0.5).is_err());
        let v = PhotoView::clamped([2.0, f64::NAN], 0.2);
        assert_eq!((v.pan(), v.zoom()), ([1.0, 0.0], 1.0));
        assert_eq!(PhotoView::default(), PhotoView::DEFAULT);
    }

    #[test]
    fn empty_inputs_are_refused() {
        assert!(matches!(
            fit_photo(PixelSize::new(0, 10), [1.0, 1.0], PhotoView::DEFAULT),
            Err(GeometryError::EmptyPhoto { .. })
        ));
        assert!(matches!(
            fit_photo(PixelSize::new(10, 10), [0.0, 1.0], PhotoView::DEFAULT),
            Err(GeometryError::EmptySlot { .. })
        ));
    }

    #[test]
    fn placing_a_photo_gives_its_effective_ppi() {
        // A 4×4 in slot on the 8×8 (CAR 1, 576 pt content): relative 0.5 × 0.5.
        let f = PageFrame::new(product("square-8x8").unwrap(), PageSide::Right);
        let slot = Box::new(0.0, 0.0, 0.5, 0.5, 0.0).unwrap();
        let placed = f
            .place_photo(PixelSize::new(1200, 1600), &slot, PhotoView::DEFAULT)
            .unwrap();
        assert!(close(placed.slot.w, 288.0));
        assert!(close(placed.effective_ppi, 300.0));
        assert_eq!(placed.ppi_grade(), PpiGrade::Good);
        let zoomed = f
            .place_photo(
                PixelSize::new(1200, 1600),
                &slot,
                PhotoView::new([0.0, 0.0], 2.0).unwrap(),
            )
            .unwrap();
        assert!(close(zoomed.effective_ppi, 150.0));
        assert_eq!(zoomed.ppi_grade(), PpiGrade::Warning);
        assert_eq!(PpiGrade::of(149.9), PpiGrade::Error);
        assert_eq!(PpiGrade::of(f64::NAN), PpiGrade::Error);
        // In pixels the answer is the same.
        let px = f
            .in_pixels(300.0)
            .place_photo(PixelSize::new(1200, 1600), &slot, PhotoView::DEFAULT)
            .unwrap();
        assert!(close(px.effective_ppi, 300.0));
    }

    #[test]
    fn slot_aspect_uses_the_car() {
        let slot = Box::new(0.0, 0.0, 0.5, 0.5, 0.0).unwrap();
        assert!(close(slot_aspect(&slot, 1.3), 1.3));
    }
}
