//! A photo item on the printed page: which pixels to embed and where they go.
//!
//! The placement is crdt-schema's [`PageFrame::place_photo`] (cover fit, pan, zoom), the same
//! call preflight grades resolution with, so the PDF shows exactly the crop preflight checked.
//! The slot is clipped and the photo drawn under it at `fit.scale` points per photo pixel,
//! offset so the crop's top-left corner lands on the slot's.
//!
//! * **Passthrough.** An upright JPEG that prints at no more than the PPI cap is embedded as
//!   its original file (krilla writes it as a `DCTDecode` stream without decoding it), whole:
//!   the clip does the cropping, and the image's own resolution on the page is the effective
//!   PPI.
//! * **Everything else** (PNG, WebP, JPEGs that need EXIF rotation, photos above the cap) is
//!   decoded and oriented, cut to the crop (rounded outwards to whole pixels), resampled with
//!   Lanczos3 down to the capped PPI when above it, and embedded losslessly.
//!
//! [`PageFrame::place_photo`]: crdt_schema::geometry::PageFrame::place_photo

use std::sync::Arc;

use crdt_schema::geometry::{PixelSize, PlacedPhoto, Rect};
use fast_image_resize::images::Image as ResizeImage;
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::DynamicImage;
use krilla::image::{BitsPerComponent, CustomImage, Image, ImageColorspace};

use super::{PhotoSource, RenderError};
use crate::photos::decode::{decode, orient};
use crate::photos::exif_tags::Orientation;
use crate::photos::probe::PhotoFormat;

/// A photo ready to draw: an image and the rectangle of the photo's (oriented) pixels it
/// covers.
pub(super) struct Raster {
    pub image: Image,
    pub covers: Rect,
}

impl Raster {
    /// Where the image goes in page units, for a photo placed as `placed`.
    pub fn page_rect(&self, placed: &PlacedPhoto) -> Rect {
        let (crop, scale, slot) = (placed.fit.crop, placed.fit.scale, placed.slot);
        Rect::new(
            slot.x + (self.covers.x - crop.x) * scale,
            slot.y + (self.covers.y - crop.y) * scale,
            self.covers.w * scale,
            self.covers.h * scale,
        )
    }
}

/// Whether `source` placed as `placed` is embedded as its original file.
pub(super) fn passes_through(source: &PhotoSource, placed: &PlacedPhoto, max_ppi: f64) -> bool {
    source.probe.format == PhotoFormat::Jpeg && source.orientation == Orientation::UPRIGHT && placed.effective_ppi <= max_ppi
}

/// The image to embed for `source` placed as `placed`.
pub(super) fn raster(photo_id: &str, source: &PhotoSource, placed: &PlacedPhoto, max_ppi: f64) -> Result<Raster, RenderError> {
    let problem = |problem: String| RenderError::Photo { photo_id: photo_id.to_owned(), problem };
    let pixels = source.pixels();
    if passes_through(source, placed, max_ppi) {
        let image = Image::from_jpeg(Arc::clone(&source.bytes).into(), false).map_err(problem)?;
        return Ok(Raster { image, covers: Rect::new(0.0, 0.0, pixels.w as f64, pixels.h as f64) });
    }
    // Decoding may allocate the canvas, an oriented copy and the crop, at up to 8 bytes a pixel.
    let max_alloc = source.probe.pixels().saturating_mul(8 * 3).max(1 << 20);
    let decoded = decode(&source.bytes, &source.probe, max_alloc).map_err(|e| problem(e.to_string()))?;
    let upright = orient(decoded, source.orientation);
    let covers = whole_pixels(&placed.fit.crop, pixels);
    let cut = upright.crop_imm(covers.x as u32, covers.y as u32, covers.w as u32, covers.h as u32);
    drop(upright);
    let k = (max_ppi / placed.effective_ppi).min(1.0);
    let target = PixelSize::new(((covers.w * k).round() as u32).max(1), ((covers.h * k).round() as u32).max(1));
    let image = embed(cut, target).map_err(problem)?;
    Ok(Raster { image, covers })
}

/// `crop` grown outwards to whole pixels, within the photo.
fn whole_pixels(crop: &Rect, photo: PixelSize) -> Rect {
    let left = crop.left().floor().max(0.0);
    let top = crop.top().floor().max(0.0);
    let right = crop.right().ceil().min(photo.w as f64).max(left + 1.0);
    let bottom = crop.bottom().ceil().min(photo.h as f64).max(top + 1.0);
    Rect::from_edges(left, top, right, bottom)
}

/// `pixels` resampled to `size` (when not already that size) as an 8-bit RGB or RGBA image.
fn embed(pixels: DynamicImage, size: PixelSize) -> Result<Image, String> {
    let alpha = pixels.color().has_alpha();
    let pixels = if alpha { DynamicImage::ImageRgba8(pixels.into_rgba8()) } else { DynamicImage::ImageRgb8(pixels.into_rgb8()) };
    let buffer = if (pixels.width(), pixels.height()) == (size.w, size.h) {
        pixels.into_bytes()
    } else {
        let mut dst = ResizeImage::new(size.w, size.h, if alpha { PixelType::U8x4 } else { PixelType::U8x3 });
        let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
        Resizer::new().resize(&pixels, &mut dst, &options).map_err(|e| format!("the photo could not be resized: {e}"))?;
        dst.into_vec()
    };
    if alpha {
        Ok(Image::from_rgba8(buffer, size.w, size.h))
    } else {
        Image::from_custom(Rgb8 { pixels: Arc::new(buffer), size }, false)
    }
}

/// Opaque 8-bit RGB pixels, embedded without the alpha channel krilla's RGBA constructor
/// would add.
#[derive(Clone, Hash)]
struct Rgb8 {
    pixels: Arc<Vec<u8>>,
    size: PixelSize,
}

impl CustomImage for Rgb8 {
    fn color_channel(&self) -> &[u8] {
        &self.pixels
    }
    fn alpha_channel(&self) -> Option<&[u8]> {
        None
    }
    fn bits_per_component(&self) -> BitsPerComponent {
        BitsPerComponent::Eight
    }
    fn size(&self) -> (u32, u32) {
        (self.size.w, self.size.h)
    }
    fn icc_profile(&self) -> Option<&[u8]> {
        None
    }
    fn color_space(&self) -> ImageColorspace {
        ImageColorspace::Rgb
    }
}
