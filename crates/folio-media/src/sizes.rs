//! The size array of an uploaded photo (SPEC §9, seed 004): 256, 1024 and 2048 px on the
//! long edge, each smaller than the original, all with the oriented original's aspect ratio,
//! resized with Lanczos3 by fast_image_resize. Pure: pixels in, encoded files out.
//!
//! Each size is resized from the next larger one rather than from the original: downscaling
//! a 12 MP photo once to 2048 px and then by 2 and by 8 costs a fraction of three full-size
//! passes, and a Lanczos3 step of 2× or more keeps the smaller sizes just as sharp.

use fast_image_resize::images::Image;
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::{DynamicImage, ExtendedColorType, ImageEncoder};

use super::meta::MetaError;
use super::probe::PhotoFormat;

/// Long edges of the generated sizes, ascending.
pub const LONG_EDGES: [u32; 3] = [256, 1024, 2048];

/// JPEG quality of generated sizes: visually lossless for photos on screen.
const JPEG_QUALITY: u8 = 85;

/// One generated size, encoded.
#[derive(Debug, Clone)]
pub struct Rendition {
    pub width: u32,
    pub height: u32,
    pub format: PhotoFormat,
    pub bytes: Vec<u8>,
}

/// Width and height with `long` on the long edge and the aspect ratio of `w`×`h`, rounded,
/// never below 1 px.
pub fn scaled(w: u32, h: u32, long: u32) -> (u32, u32) {
    let scale = long as f64 / w.max(h).max(1) as f64;
    let side = |v: u32| ((v as f64 * scale).round() as u32).max(1);
    if w >= h {
        (long, side(h))
    } else {
        (side(w), long)
    }
}

/// The generated sizes a `w`×`h` photo gets: every long edge smaller than its own.
pub fn planned_sizes(w: u32, h: u32) -> Vec<(u32, u32)> {
    LONG_EDGES
        .iter()
        .filter(|&&e| e < w.max(h))
        .map(|&e| scaled(w, h, e))
        .collect()
}

/// Resizes the upright `pixels` to every planned size and encodes each: JPEG, or PNG when the
/// photo has an alpha channel. Ascending by size.
pub fn renditions(pixels: &DynamicImage) -> Result<Vec<Rendition>, MetaError> {
    let alpha = pixels.color().has_alpha();
    // 8 bits per channel is what every size is encoded with; 16-bit PNGs come down here.
    let source = match (alpha, pixels) {
        (false, DynamicImage::ImageRgb8(_)) | (true, DynamicImage::ImageRgba8(_)) => {
            std::borrow::Cow::Borrowed(pixels)
        }
        (false, p) => std::borrow::Cow::Owned(DynamicImage::ImageRgb8(p.to_rgb8())),
        (true, p) => std::borrow::Cow::Owned(DynamicImage::ImageRgba8(p.to_rgba8())),
    };
    let (pixel_type, color) = if alpha {
        (PixelType::U8x4, ExtendedColorType::Rgba8)
    } else {
        (PixelType::U8x3, ExtendedColorType::Rgb8)
    };
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    let mut resizer = Resizer::new();
    let mut out = Vec::new();
    // Largest first, each from the one before.
    let mut previous: Option<Image<'static>> = None;
    for (w, h) in planned_sizes(source.width(), source.height())
        .into_iter()
        .rev()
    {
        let mut dst = Image::new(w, h, pixel_type);
        let done = match &previous {
            Some(prev) => resizer.resize(prev, &mut dst, &options),
            None => resizer.resize(source.as_ref(), &mut dst, &options),
        };
        done.map_err(|e| MetaError::Corrupt {
            format: PhotoFormat::Png,
            problem: format!("the photo could not be resized: {e}"),
        })?;
        let bytes = encode(dst.buffer(), w, h, color)?;
        out.push(Rendition {
            width: w,
            height: h,
            format: if alpha {
                PhotoFormat::Png
            } else {
                PhotoFormat::Jpeg
            },
            bytes,
        });
        previous = Some(dst);
    }
    out.reverse();
    Ok(out)
}

fn encode(buffer: &[u8], w: u32, h: u32, color: ExtendedColorType) -> Result<Vec<u8>, MetaError> {
    let mut bytes = Vec::new();
    let done = match color {
        ExtendedColorType::Rgba8 => PngEncoder::new(&mut bytes).write_image(buffer, w, h, color),
        _ => {
            JpegEncoder::new_with_quality(&mut bytes, JPEG_QUALITY).write_image(buffer, w, h, color)
        }
    };
    done.map_err(|e| MetaError::Corrupt {
        format: PhotoFormat::Jpeg,
        problem: format!("a size of the photo could not be encoded: {e}"),
    })?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_keep_the_aspect_ratio_and_never_enlarge() {
        assert_eq!(
            planned_sizes(4000, 3000),
            vec![(256, 192), (1024, 768), (2048, 1536)]
        );
        assert_eq!(
            planned_sizes(3000, 2000),
            vec![(256, 171), (1024, 683), (2048, 1365)]
        );
        assert_eq!(
            planned_sizes(2000, 3000),
            vec![(171, 256), (683, 1024), (1365, 2048)]
        );
        assert_eq!(planned_sizes(1024, 10), vec![(256, 3)]);
        assert_eq!(
            planned_sizes(10_000, 1),
            vec![(256, 1), (1024, 1), (2048, 1)]
        );
        assert!(planned_sizes(256, 100).is_empty());
        assert_eq!(planned_sizes(2048, 2048).len(), 2);
    }

    #[test]
    fn renditions_are_encoded_at_their_sizes() {
        let img = DynamicImage::ImageRgb8(image::RgbImage::from_fn(1200, 800, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
        }));
        let out = renditions(&img).unwrap();
        assert_eq!(
            out.iter().map(|r| (r.width, r.height)).collect::<Vec<_>>(),
            vec![(256, 171), (1024, 683)]
        );
        for r in &out {
            let back = image::load_from_memory(&r.bytes).unwrap();
            assert_eq!(
                (back.width(), back.height(), r.format),
                (r.width, r.height, PhotoFormat::Jpeg)
            );
        }
        let rgba = DynamicImage::ImageRgba8(image::RgbaImage::from_pixel(
            300,
            600,
            image::Rgba([10, 20, 30, 40]),
        ));
        let out = renditions(&rgba).unwrap();
        assert_eq!(
            (out.len(), out[0].width, out[0].height, out[0].format),
            (1, 128, 256, PhotoFormat::Png)
        );
    }
}
