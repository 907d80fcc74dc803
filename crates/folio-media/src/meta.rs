//! `PhotoMeta`: everything Folio learns about one photo from its bytes (SPEC §4 `photo`,
//! §9), and `MetaError`, the one error type of the photo core. `read_photo` runs the whole
//! pipeline in the order that keeps a hostile file cheap: header probe, pixel-count check,
//! limited decode, then EXIF and colours.

use image::DynamicImage;
use serde::ser::{Serialize, SerializeStruct, Serializer};

use super::capture::CaptureTime;
use super::colors::{dominant_colors, DominantColor};
use super::decode::decode;
use super::exif_tags::{read_exif, ExifMeta, Gps, Orientation};
use super::probe::{check_pixels, probe, PhotoFormat, Probe};

/// Why a file cannot become a photo. Each message names the problem in words an uploader can
/// act on; `code()` gives the SPEC §4 snake_case code. Suggested statuses: `Unrecognised` and
/// `Unsupported` 415, `TooManyPixels` and `TooLarge` 413, `Corrupt` 422.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetaError {
    /// Not a format we know at all.
    #[error("this file is not a JPEG, PNG or WebP image")]
    Unrecognised,
    /// A known image format that Folio does not decode, such as HEIC.
    #[error("{format} photos are not supported; upload JPEG, PNG or WebP")]
    Unsupported { format: String },
    /// The header alone declares more pixels than allowed; nothing was decoded.
    #[error("the image declares {width}×{height} pixels, more than the {max_pixels} allowed")]
    TooManyPixels {
        width: u32,
        height: u32,
        max_pixels: u64,
    },
    /// The decoder would need more memory than its limits allow.
    #[error("decoding this {format} image would need more memory than allowed")]
    TooLarge { format: PhotoFormat },
    /// Broken or truncated data; `problem` is a whole sentence such as "the JPEG data ends early".
    #[error("{problem}")]
    Corrupt {
        format: PhotoFormat,
        problem: String,
    },
}

impl MetaError {
    /// The machine-readable code for the API's error body.
    pub fn code(&self) -> &'static str {
        match self {
            MetaError::Unrecognised => "unrecognised_image",
            MetaError::Unsupported { .. } => "unsupported_image_format",
            MetaError::TooManyPixels { .. } => "too_many_pixels",
            MetaError::TooLarge { .. } => "image_too_large",
            MetaError::Corrupt { .. } => "corrupt_image",
        }
    }
}

/// Limits for reading one uploaded photo. Callers build it from their config; there is no
/// default so that the numbers are chosen where they are configured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MetaLimits {
    /// Largest width × height accepted from the header (the decompression-bomb guard).
    pub max_pixels: u64,
    /// Most bytes the decoder may allocate, the second line of defence.
    pub max_alloc_bytes: u64,
    /// Most dominant colours returned.
    pub max_colors: usize,
}

/// `P`ortrait, `L`andscape or `S`quare, from the oriented size (SPEC §4 `shape`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Shape {
    L,
    P,
    S,
}

impl Shape {
    /// A photo is square when its long side is at most this much longer than its short side
    /// (5 %): a 1000×1040 crop reads as square on a page, and square slots take it without a
    /// visible loss.
    pub const SQUARE_TOLERANCE: f64 = 1.05;

    pub fn of(width: u32, height: u32) -> Shape {
        let (long, short) = (width.max(height) as f64, width.min(height).max(1) as f64);
        if long / short <= Self::SQUARE_TOLERANCE {
            Shape::S
        } else if width > height {
            Shape::L
        } else {
            Shape::P
        }
    }
}

/// What one photo is. Serialises with the SPEC §4 `photo` field names where they overlap
/// (`width`, `height`, `shape`, `taken_at`, `taken_at_offset`, `gps`, `camera`,
/// `dominant_colors`) plus `format` and `orientation`.
#[derive(Clone, Debug, PartialEq)]
pub struct PhotoMeta {
    pub format: PhotoFormat,
    /// Width after EXIF orientation is applied (SPEC §4).
    pub width: u32,
    /// Height after EXIF orientation is applied.
    pub height: u32,
    pub orientation: Orientation,
    pub shape: Shape,
    pub taken_at: Option<CaptureTime>,
    pub gps: Option<Gps>,
    pub camera: Option<String>,
    /// Sorted by share, largest first; shares sum to 1 unless the image has no opaque pixel.
    pub dominant_colors: Vec<DominantColor>,
}

impl PhotoMeta {
    /// Puts the parts together: the stored size is turned by the EXIF orientation.
    pub fn new(probe: Probe, exif: ExifMeta, dominant_colors: Vec<DominantColor>) -> PhotoMeta {
        let (width, height) = exif.orientation.oriented_size(probe.width, probe.height);
        PhotoMeta {
            format: probe.format,
            width,
            height,
            orientation: exif.orientation,
            shape: Shape::of(width, height),
            taken_at: exif.taken_at,
            gps: exif.gps,
            camera: exif.camera,
            dominant_colors,
        }
    }
}

impl Serialize for PhotoMeta {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("PhotoMeta", 10)?;
        s.serialize_field("format", &self.format)?;
        s.serialize_field("width", &self.width)?;
        s.serialize_field("height", &self.height)?;
        s.serialize_field("orientation", &self.orientation)?;
        s.serialize_field("shape", &self.shape)?;
        s.serialize_field("taken_at", &self.taken_at.map(|t| t.taken_at()))?;
        s.serialize_field(
            "taken_at_offset",
            &self.taken_at.and_then(|t| t.taken_at_offset()),
        )?;
        s.serialize_field("gps", &self.gps)?;
        s.serialize_field("camera", &self.camera)?;
        s.serialize_field("dominant_colors", &self.dominant_colors)?;
        s.end()
    }
}

/// A photo read in full: its metadata and its decoded pixels as stored (not yet turned by
/// the orientation; `decode::orient` does that before resizing).
#[derive(Debug)]
pub struct DecodedPhoto {
    pub meta: PhotoMeta,
    pub pixels: DynamicImage,
}

/// Reads one uploaded file: probe the header, refuse too many pixels before decoding,
/// decode under `limits`, then read EXIF and dominant colours.
pub fn read_photo(bytes: &[u8], limits: &MetaLimits) -> Result<DecodedPhoto, MetaError> {
    let probe = probe(bytes)?;
    check_pixels(&probe, limits.max_pixels)?;
    let pixels = decode(bytes, &probe, limits.max_alloc_bytes)?;
    let colors = dominant_colors(&pixels, limits.max_colors);
    let meta = PhotoMeta::new(probe, read_exif(bytes), colors);
    Ok(DecodedPhoto { meta, pixels })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_follows_the_oriented_size_with_a_square_tolerance() {
        assert_eq!(Shape::of(4000, 3000), Shape::L);
        assert_eq!(Shape::of(3000, 4000), Shape::P);
        assert_eq!(Shape::of(1000, 1000), Shape::S);
        assert_eq!(Shape::of(1000, 1050), Shape::S);
        assert_eq!(Shape::of(1051, 1000), Shape::L);
        assert_eq!(Shape::of(1000, 1051), Shape::P);
        assert_eq!(Shape::of(0, 0), Shape::S);
    }

    #[test]
    fn error_messages_and_codes() {
        let e = MetaError::Unsupported {
            format: "HEIC".into(),
        };
        assert_eq!(
            e.to_string(),
            "HEIC photos are not supported; upload JPEG, PNG or WebP"
        );
        assert_eq!(e.code(), "unsupported_image_format");
        let e = MetaError::TooManyPixels {
            width: 100_000,
            height: 100_000,
            max_pixels: 100_000_000,
        };
        assert_eq!(e.code(), "too_many_pixels");
        assert!(e.to_string().contains("100000×100000"), "{e}");
    }
}
