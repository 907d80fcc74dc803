//! Decoding under explicit `image::Limits`, the second line of defence after
//! `probe::check_pixels`; `image`'s errors turned into sentences naming the problem; and EXIF
//! orientation applied to decoded pixels before resizing.

use std::io::Cursor;
use std::panic::{catch_unwind, AssertUnwindSafe};

use image::error::{ImageError, LimitErrorKind};
use image::{DynamicImage, ImageReader, Limits};

use super::exif_tags::Orientation;
use super::meta::MetaError;
use super::probe::{PhotoFormat, Probe};

/// Decodes `bytes`, already probed as `probe`. The decoder may not produce a larger canvas
/// than the header declared (a second frame header claiming more is refused) nor allocate
/// more than `max_alloc_bytes`. A decoder panic, which should not happen, is caught and
/// reported as a corrupt file rather than taking the worker down.
pub fn decode(
    bytes: &[u8],
    probe: &Probe,
    max_alloc_bytes: u64,
) -> Result<DynamicImage, MetaError> {
    let format = probe.format;
    // zune-jpeg decodes a JPEG cut short inside its pixel data without complaint, filling
    // the rest with grey; a photo book must not print that.
    if format == PhotoFormat::Jpeg && !jpeg_is_complete(bytes) {
        return Err(ends_early(format));
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(probe.width);
    limits.max_image_height = Some(probe.height);
    limits.max_alloc = Some(max_alloc_bytes);
    let run = || {
        let mut reader = ImageReader::with_format(Cursor::new(bytes), format.image_format());
        reader.limits(limits);
        reader.decode()
    };
    match catch_unwind(AssertUnwindSafe(run)) {
        Ok(Ok(image)) => Ok(image),
        Ok(Err(e)) => Err(image_error(format, e)),
        Err(_) => Err(MetaError::Corrupt { format, problem: format!("the {format} decoder failed on this file (it panicked); the file is probably damaged") }),
    }
}

/// Turns an `image` error into a `MetaError` whose message names the problem.
pub(crate) fn image_error(format: PhotoFormat, error: ImageError) -> MetaError {
    match error {
        ImageError::Limits(limit) => match limit.kind() {
            LimitErrorKind::DimensionError => MetaError::Corrupt {
                format,
                problem: format!(
                    "the {format} data contains a larger image than its header declares"
                ),
            },
            _ => MetaError::TooLarge { format },
        },
        ImageError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            ends_early(format)
        }
        ImageError::Unsupported(e) => MetaError::Corrupt {
            format,
            problem: format!("this {format} file uses a feature Folio cannot decode: {e}"),
        },
        ImageError::Decoding(e) => {
            let detail = e.to_string();
            if says_truncated(&detail) {
                ends_early(format)
            } else if detail.contains("can only parse") {
                // zune-jpeg's word for 12-bit and other valid JPEGs it does not decode.
                MetaError::Corrupt {
                    format,
                    problem: format!(
                        "this {format} file uses a feature Folio cannot decode: {}",
                        tidy(strip_prefix(&detail))
                    ),
                }
            } else {
                MetaError::Corrupt {
                    format,
                    problem: format!(
                        "the {format} data is damaged: {}",
                        tidy(strip_prefix(&detail))
                    ),
                }
            }
        }
        other => MetaError::Corrupt {
            format,
            problem: format!("the {format} data could not be read: {other}"),
        },
    }
}

fn ends_early(format: PhotoFormat) -> MetaError {
    MetaError::Corrupt {
        format,
        problem: format!("the {format} data ends early; the file is truncated"),
    }
}

/// Whether a decoder's message says it ran out of data. The decoders phrase it differently
/// (zune-jpeg "No more bytes", png "unexpected end of data", image-webp "EOF").
fn says_truncated(detail: &str) -> bool {
    let d = detail.to_ascii_lowercase();
    [
        "no more bytes",
        "not enough bytes",
        "unexpected end",
        "unexpected eof",
        "end of file",
        "eof",
        "ended early",
        "truncated",
        "not enough data",
        "insufficient data",
    ]
    .iter()
    .any(|s| d.contains(s))
}

/// A decoder's message made readable: png's `ChunkType { type: IDAT, critical: true, … }`
/// becomes `IDAT`, and whitespace runs (zune-jpeg ends lines with newlines) become one space.
fn tidy(detail: &str) -> String {
    const CHUNK: &str = "ChunkType { type: ";
    let mut out = String::new();
    let mut rest = detail;
    while let Some(start) = rest.find(CHUNK) {
        let after = &rest[start + CHUNK.len()..];
        let (Some(name_end), Some(close)) = (after.find(','), after.find('}')) else {
            break;
        };
        out.push_str(&rest[..start]);
        out.push_str(&after[..name_end.min(close)]);
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether a JPEG runs to its end-of-image marker. Walks the marker segments by their
/// lengths and each scan's entropy-coded data up to the next marker (inside it a 0xFF is
/// always followed by 0x00 or a restart marker), so an EOI inside an EXIF thumbnail is not
/// mistaken for the end. Bytes after EOI (phone trailers) do not matter.
pub fn jpeg_is_complete(bytes: &[u8]) -> bool {
    const EOI: u8 = 0xD9;
    const SOS: u8 = 0xDA;
    let mut pos = 2; // after SOI
    loop {
        // Find the next marker, skipping fill bytes and any junk between segments.
        let Some(ff) = bytes
            .get(pos..)
            .and_then(|b| b.iter().position(|&x| x == 0xFF))
        else {
            return false;
        };
        pos += ff;
        while bytes.get(pos) == Some(&0xFF) {
            pos += 1;
        }
        let Some(&marker) = bytes.get(pos) else {
            return false;
        };
        pos += 1;
        match marker {
            EOI => return true,
            0x00 | 0x01 | 0xD0..=0xD8 => continue,
            _ => {}
        }
        let Some(len) = bytes
            .get(pos..pos + 2)
            .map(|l| u16::from_be_bytes([l[0], l[1]]) as usize)
        else {
            return false;
        };
        pos += len.max(2);
        if pos > bytes.len() {
            return false;
        }
        if marker == SOS {
            // Entropy-coded data runs to the first 0xFF not followed by 0x00, a restart
            // marker or another 0xFF.
            loop {
                let Some(ff) = bytes[pos..].iter().position(|&x| x == 0xFF) else {
                    return false;
                };
                pos += ff;
                match bytes.get(pos + 1) {
                    None => return false,
                    Some(0x00 | 0xD0..=0xD7) => pos += 2,
                    Some(0xFF) => pos += 1,
                    Some(_) => break,
                }
            }
        }
    }
}

/// `image` prefixes decoding errors with "Format error decoding Jpeg:"; the sentence around
/// it already names the format.
fn strip_prefix(detail: &str) -> &str {
    match detail.split_once(": ") {
        Some((head, rest)) if head.starts_with("Format error") => rest,
        _ => detail,
    }
}

/// Turns decoded pixels as stored into pixels as seen, by the EXIF orientation (rotations
/// and mirrorings 2–8; 1 returns the image unchanged).
pub fn orient(mut image: DynamicImage, orientation: Orientation) -> DynamicImage {
    if let Some(o) = image::metadata::Orientation::from_exif(orientation.value()) {
        image.apply_orientation(o);
    }
    image
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage};

    #[test]
    fn truncation_is_recognised_in_decoder_messages() {
        assert!(says_truncated("Format error decoding Jpeg: No more bytes"));
        assert!(says_truncated("unexpected EOF"));
        assert!(!says_truncated("Invalid Huffman table"));
        assert_eq!(
            strip_prefix("Format error decoding Png: CRC error"),
            "CRC error"
        );
    }

    #[test]
    fn decoder_messages_are_tidied() {
        assert_eq!(tidy("CRC error: expected 0x1 have 0x2 while decoding ChunkType { type: IDAT, critical: true, private: false, reserved: false, safecopy: false } chunk."), "CRC error: expected 0x1 have 0x2 while decoding IDAT chunk.");
        assert_eq!(
            tidy("I/O errors Not enough bytes\n"),
            "I/O errors Not enough bytes"
        );
        assert_eq!(tidy("ChunkType { type: IHD"), "ChunkType { type: IHD");
    }

    #[test]
    fn jpeg_completeness() {
        // SOI, an APP1 holding a thumbnail's EOI, SOS with stuffed 0xFF and a restart, EOI.
        let full = [
            &[0xFF, 0xD8][..],
            &[0xFF, 0xE1, 0x00, 0x06, 0xFF, 0xD9, 0x00, 0x00],
            &[
                0xFF, 0xDA, 0x00, 0x02, 0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56,
            ],
            &[0xFF, 0xD9],
        ]
        .concat();
        assert!(jpeg_is_complete(&full));
        assert!(jpeg_is_complete(&[&full[..], b"trailer"].concat()));
        for cut in 0..full.len() {
            assert!(!jpeg_is_complete(&full[..cut]), "cut at {cut}");
        }
    }

    #[test]
    fn orient_turns_and_mirrors() {
        // 2×1: red then blue.
        let mut img = RgbImage::new(2, 1);
        img.put_pixel(0, 0, Rgb([255, 0, 0]));
        img.put_pixel(1, 0, Rgb([0, 0, 255]));
        let img = DynamicImage::ImageRgb8(img);
        let at = |i: &DynamicImage, x, y| i.to_rgb8().get_pixel(x, y).0;
        let same = orient(img.clone(), Orientation::from_exif(1));
        assert_eq!((same.width(), same.height()), (2, 1));
        let mirrored = orient(img.clone(), Orientation::from_exif(2));
        assert_eq!(at(&mirrored, 0, 0), [0, 0, 255]);
        // 6: the stored top row becomes the right column, read top to bottom.
        let turned = orient(img.clone(), Orientation::from_exif(6));
        assert_eq!((turned.width(), turned.height()), (1, 2));
        assert_eq!(at(&turned, 0, 0), [255, 0, 0]);
        let turned = orient(img, Orientation::from_exif(8));
        assert_eq!(at(&turned, 0, 0), [0, 0, 255]);
    }
}
