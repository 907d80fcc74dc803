//! A photo item on the printed page: which pixels to embed and where they go.
//!
//! The placement is crdt-schema's fit (cover fit, pan, zoom; [`super::Panel::place_photo`]),
//! the same one preflight grades resolution with, so the PDF shows exactly the crop preflight
//! checked. The slot is clipped and the photo drawn under it at `fit.scale` points per photo
//! pixel, offset so the crop's top-left corner lands on the slot's.
//!
//! * **Passthrough.** An upright JPEG that prints at no more than the PPI cap is embedded as
//!   its original file (krilla writes it as a `DCTDecode` stream without decoding it), whole:
//!   the clip does the cropping, and the image's own resolution on the page is the effective
//!   PPI.
//! * **Everything else** (PNG, WebP, JPEGs that need EXIF rotation, photos above the cap) is
//!   decoded and oriented, cut to the crop (rounded outwards to whole pixels), resampled with
//!   Lanczos3 down to the capped PPI when above it, and embedded as a JPEG at
//!   [`JPEG_QUALITY`] (sources with transparency losslessly, to keep their alpha).
//! * **Tiling.** An output raster above [`TILE_PIXELS`] is made and embedded in horizontal
//!   bands of at most that many pixels, each resampled from its own rows of the source, so
//!   the resampled copy of a huge photo is never held whole (seed 004's print engine tiles
//!   large rasters the same way). The bands abut exactly on the page.

use std::sync::Arc;

use crdt_schema::geometry::{PixelSize, PlacedPhoto, Rect};
use fast_image_resize::images::Image as ResizeImage;
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ExtendedColorType};
use krilla::image::Image;

use super::{PhotoSource, RenderError};
use folio_media::decode::{decode, orient};
use folio_media::exif_tags::Orientation;
use folio_media::probe::PhotoFormat;

/// Output rasters above this many pixels are made in bands (about 16 MB of RGB).
pub const TILE_PIXELS: u64 = 16 * 1024 * 1024 / 3;

/// JPEG quality of re-encoded photos: visually lossless in print.
pub const JPEG_QUALITY: u8 = 92;

/// A photo, or one band of it, ready to draw: an image and the rectangle of the photo's
/// (oriented) pixels it covers.
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
    source.probe.format == PhotoFormat::Jpeg
        && source.orientation == Orientation::UPRIGHT
        && placed.effective_ppi <= max_ppi
}

/// The images to embed for `source` placed as `placed`: one, or the bands (of at most
/// `tile_pixels` output pixels each) of a tiled raster, top to bottom.
pub(super) fn raster(
    photo_id: &str,
    source: &PhotoSource,
    placed: &PlacedPhoto,
    max_ppi: f64,
    tile_pixels: u64,
) -> Result<Vec<Raster>, RenderError> {
    let problem = |problem: String| RenderError::Photo {
        photo_id: photo_id.to_owned(),
        problem,
    };
    let pixels = source.pixels();
    if passes_through(source, placed, max_ppi) {
        let image = Image::from_jpeg(Arc::clone(&source.bytes).into(), false).map_err(problem)?;
        return Ok(vec![Raster {
            image,
            covers: Rect::new(0.0, 0.0, pixels.w as f64, pixels.h as f64),
        }]);
    }
    // Decoding may allocate the canvas, an oriented copy and the crop, at up to 8 bytes a pixel.
    let max_alloc = source.probe.pixels().saturating_mul(8 * 3).max(1 << 20);
    let decoded =
        decode(&source.bytes, &source.probe, max_alloc).map_err(|e| problem(e.to_string()))?;
    let upright = orient(decoded, source.orientation);
    let covers = whole_pixels(&placed.fit.crop, pixels);
    let alpha = upright.color().has_alpha();
    let upright = if alpha {
        DynamicImage::ImageRgba8(upright.into_rgba8())
    } else {
        DynamicImage::ImageRgb8(upright.into_rgb8())
    };
    let k = (max_ppi / placed.effective_ppi).min(1.0);
    let target = PixelSize::new(
        ((covers.w * k).round() as u32).max(1),
        ((covers.h * k).round() as u32).max(1),
    );

    // Bands of whole output rows, each resampled from the source rows it maps back to.
    let rows_per_band = ((tile_pixels / target.w as u64).max(1) as u32).min(target.h);
    let source_per_row = covers.h / target.h as f64;
    let mut bands = Vec::new();
    let mut row = 0u32;
    while row < target.h {
        let rows = rows_per_band.min(target.h - row);
        let band = Rect::new(
            covers.x,
            covers.y + row as f64 * source_per_row,
            covers.w,
            rows as f64 * source_per_row,
        );
        let image =
            embed(&upright, &band, PixelSize::new(target.w, rows), alpha).map_err(problem)?;
        bands.push(Raster {
            image,
            covers: band,
        });
        row += rows;
    }
    Ok(bands)
}

/// `crop` grown outwards to whole pixels, within the photo.
fn whole_pixels(crop: &Rect, photo: PixelSize) -> Rect {
    let left = crop.left().floor().max(0.0);
    let top = crop.top().floor().max(0.0);
    let right = crop.right().ceil().min(photo.w as f64).max(left + 1.0);
    let bottom = crop.bottom().ceil().min(photo.h as f64).max(top + 1.0);
    Rect::from_edges(left, top, right, bottom)
}

/// The `region` of `pixels` (8-bit RGB or RGBA) resampled to `size`, as an image to embed.
fn embed(
    pixels: &DynamicImage,
    region: &Rect,
    size: PixelSize,
    alpha: bool,
) -> Result<Image, String> {
    let mut dst = ResizeImage::new(
        size.w,
        size.h,
        if alpha {
            PixelType::U8x4
        } else {
            PixelType::U8x3
        },
    );
    let options = ResizeOptions::new()
        .resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3))
        .crop(region.x, region.y, region.w, region.h);
    Resizer::new()
        .resize(pixels, &mut dst, &options)
        .map_err(|e| format!("the photo could not be resized: {e}"))?;
    let buffer = dst.into_vec();
    if alpha {
        return Ok(Image::from_rgba8(buffer, size.w, size.h));
    }
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, JPEG_QUALITY)
        .encode(&buffer, size.w, size.h, ExtendedColorType::Rgb8)
        .map_err(|e| format!("the photo could not be encoded: {e}"))?;
    Image::from_jpeg(Arc::new(jpeg).into(), false)
}
