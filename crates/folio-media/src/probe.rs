//! Header probe: which image format a byte string is and how many pixels its header declares,
//! read without decoding pixel data. A small PNG that declares a 100000×100000 canvas is
//! answered here, before anything allocates for it.

use std::io::Cursor;

use image::{ImageFormat, ImageReader};

use super::decode::image_error;
use super::meta::MetaError;

/// The formats Folio decodes (SPEC §9).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum PhotoFormat {
    #[serde(rename = "jpeg")]
    Jpeg,
    #[serde(rename = "png")]
    Png,
    #[serde(rename = "webp")]
    WebP,
}

impl PhotoFormat {
    pub fn name(self) -> &'static str {
        match self {
            PhotoFormat::Jpeg => "JPEG",
            PhotoFormat::Png => "PNG",
            PhotoFormat::WebP => "WebP",
        }
    }

    pub fn mime_type(self) -> &'static str {
        match self {
            PhotoFormat::Jpeg => "image/jpeg",
            PhotoFormat::Png => "image/png",
            PhotoFormat::WebP => "image/webp",
        }
    }

    pub(crate) fn image_format(self) -> ImageFormat {
        match self {
            PhotoFormat::Jpeg => ImageFormat::Jpeg,
            PhotoFormat::Png => ImageFormat::Png,
            PhotoFormat::WebP => ImageFormat::WebP,
        }
    }
}

impl std::fmt::Display for PhotoFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What the header says: the format and the stored (not yet oriented) pixel size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Probe {
    pub format: PhotoFormat,
    pub width: u32,
    pub height: u32,
}

impl Probe {
    pub fn pixels(&self) -> u64 {
        self.width as u64 * self.height as u64
    }
}

/// Reads the format and dimensions from the header. HEIC, HEIF and AVIF are recognised by
/// their ISO-BMFF `ftyp` brands and answered `Unsupported`; other formats `image` knows (GIF,
/// TIFF, …) likewise; anything else is `Unrecognised`.
pub fn probe(bytes: &[u8]) -> Result<Probe, MetaError> {
    if let Some(format) = iso_bmff_image(bytes) {
        return Err(MetaError::Unsupported {
            format: format.to_owned(),
        });
    }
    // Reading from a slice cannot fail; the guess needs only the first 16 bytes.
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| MetaError::Unrecognised)?;
    let format = match reader.format() {
        Some(ImageFormat::Jpeg) => PhotoFormat::Jpeg,
        Some(ImageFormat::Png) => PhotoFormat::Png,
        Some(ImageFormat::WebP) => PhotoFormat::WebP,
        Some(other) => {
            return Err(MetaError::Unsupported {
                format: format!("{other:?}").to_uppercase(),
            })
        }
        None => return Err(MetaError::Unrecognised),
    };
    let (width, height) = reader
        .into_dimensions()
        .map_err(|e| image_error(format, e))?;
    if width == 0 || height == 0 {
        return Err(MetaError::Corrupt {
            format,
            problem: format!("the {format} header declares an empty image ({width}×{height})"),
        });
    }
    Ok(Probe {
        format,
        width,
        height,
    })
}

/// Refuses an image whose header declares more than `max_pixels`, before it is decoded.
pub fn check_pixels(probe: &Probe, max_pixels: u64) -> Result<(), MetaError> {
    if probe.pixels() > max_pixels {
        return Err(MetaError::TooManyPixels {
            width: probe.width,
            height: probe.height,
            max_pixels,
        });
    }
    Ok(())
}

/// HEIC-coded brands (HEVC in HEIF), generic HEIF brands, and AVIF brands.
const HEIC_BRANDS: [&[u8; 4]; 8] = [
    b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs",
];
const HEIF_BRANDS: [&[u8; 4]; 3] = [b"mif1", b"msf1", b"mif2"];
const AVIF_BRANDS: [&[u8; 4]; 2] = [b"avif", b"avis"];

/// "HEIC", "HEIF" or "AVIF" when `bytes` start with an ISO-BMFF `ftyp` box naming such a
/// brand. The major brand decides first, then the compatible brands: HEIC files usually list
/// `mif1` too, so a coding-specific brand anywhere wins over the generic one.
pub fn iso_bmff_image(bytes: &[u8]) -> Option<&'static str> {
    if bytes.len() < 16 || &bytes[4..8] != b"ftyp" {
        return None;
    }
    let size = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
    let end = size.clamp(16, 4096).min(bytes.len());
    let major = &bytes[8..12];
    // Bytes 12..16 are the minor version; compatible brands follow to the end of the box.
    let brands: Vec<&[u8]> = std::iter::once(major)
        .chain(bytes[16..end].chunks_exact(4))
        .collect();
    let any = |set: &[&[u8; 4]]| brands.iter().any(|b| set.iter().any(|s| &s[..] == *b));
    if AVIF_BRANDS.iter().any(|s| &s[..] == major) {
        Some("AVIF")
    } else if any(&HEIC_BRANDS) {
        Some("HEIC")
    } else if any(&AVIF_BRANDS) {
        Some("AVIF")
    } else if any(&HEIF_BRANDS) {
        Some("HEIF")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ftyp(major: &[u8; 4], compatible: &[&[u8; 4]]) -> Vec<u8> {
        let size = 16 + 4 * compatible.len() as u32;
        let mut b = size.to_be_bytes().to_vec();
        b.extend_from_slice(b"ftyp");
        b.extend_from_slice(major);
        b.extend_from_slice(&[0, 0, 0, 0]);
        for c in compatible {
            b.extend_from_slice(*c);
        }
        b.extend_from_slice(b"\0\0\0\x08meta");
        b
    }

    #[test]
    fn iso_bmff_brands() {
        assert_eq!(
            iso_bmff_image(&ftyp(b"heic", &[b"mif1", b"heic"])),
            Some("HEIC")
        );
        assert_eq!(iso_bmff_image(&ftyp(b"mif1", &[b"heic"])), Some("HEIC"));
        assert_eq!(iso_bmff_image(&ftyp(b"mif1", &[b"mif1"])), Some("HEIF"));
        assert_eq!(iso_bmff_image(&ftyp(b"avif", &[b"mif1"])), Some("AVIF"));
        assert_eq!(iso_bmff_image(&ftyp(b"isom", &[b"mp41"])), None);
        assert_eq!(iso_bmff_image(b"\0\0\0\x18ftyphe"), None);
    }

    #[test]
    fn heic_and_unknown_bytes_are_refused_by_the_probe() {
        assert_eq!(
            probe(&ftyp(b"heic", &[b"mif1"])),
            Err(MetaError::Unsupported {
                format: "HEIC".into()
            })
        );
        assert_eq!(probe(b"hello, world"), Err(MetaError::Unrecognised));
        assert_eq!(probe(b""), Err(MetaError::Unrecognised));
        assert_eq!(
            probe(b"GIF89a\x01\0\x01\0\0\0\0"),
            Err(MetaError::Unsupported {
                format: "GIF".into()
            })
        );
    }

    #[test]
    fn check_pixels_compares_the_declared_count() {
        let p = Probe {
            format: PhotoFormat::Png,
            width: 100_000,
            height: 100_000,
        };
        assert_eq!(check_pixels(&p, 10_000_000_000), Ok(()));
        assert!(matches!(
            check_pixels(&p, 100_000_000),
            Err(MetaError::TooManyPixels {
                width: 100_000,
                height: 100_000,
                ..
            })
        ));
    }
}
