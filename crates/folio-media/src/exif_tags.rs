//! What EXIF says about a photo: capture time, GPS position, orientation and camera, read
//! with kamadak-exif from a JPEG, PNG or WebP byte string. EXIF is optional and often
//! damaged, so nothing here fails: an unreadable tag is an absent tag.
//!
//! Only EXIF's own tags in the primary image (IFD0 and its Exif and GPS sub-IFDs) are read.
//! Maker notes, XMP and the thumbnail's IFD1 are not, on purpose: IFD1's orientation belongs
//! to the thumbnail, and XMP would need an XML parser for a few phones' duplicates.

use std::io::Cursor;
use std::panic::{catch_unwind, AssertUnwindSafe};

use exif::{Exif, Field, In, Reader, Tag, Value};
use serde::{Serialize, Serializer};

use super::capture::{capture_time, CaptureTime};

/// EXIF orientation, 1–8: how to turn the stored pixels to show the photo upright.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Orientation(u8);

impl Orientation {
    /// Stored as seen (also what a missing or out-of-range value means).
    pub const UPRIGHT: Orientation = Orientation(1);

    /// The tag's value; anything outside 1–8 is read as 1, as viewers do.
    pub fn from_exif(value: u32) -> Orientation {
        match value {
            1..=8 => Orientation(value as u8),
            _ => Orientation::UPRIGHT,
        }
    }

    pub fn value(self) -> u8 {
        self.0
    }

    /// Orientations 5–8 turn the picture a quarter, so width and height trade places.
    pub fn swaps_sides(self) -> bool {
        self.0 >= 5
    }

    /// The size as seen, from the size as stored.
    pub fn oriented_size(self, width: u32, height: u32) -> (u32, u32) {
        if self.swaps_sides() {
            (height, width)
        } else {
            (width, height)
        }
    }
}

impl Serialize for Orientation {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(self.0)
    }
}

/// A position in signed decimal degrees: south latitudes and west longitudes are negative.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Gps {
    pub lat: f64,
    pub lon: f64,
}

/// Everything read from EXIF.
#[derive(Clone, Debug, PartialEq)]
pub struct ExifMeta {
    pub orientation: Orientation,
    pub taken_at: Option<CaptureTime>,
    pub gps: Option<Gps>,
    /// Make and model in one string; see `camera_name`.
    pub camera: Option<String>,
}

impl ExifMeta {
    /// A photo without EXIF.
    pub const NONE: ExifMeta = ExifMeta {
        orientation: Orientation::UPRIGHT,
        taken_at: None,
        gps: None,
        camera: None,
    };
}

/// Reads the EXIF of a JPEG, PNG (eXIf) or WebP (EXIF chunk). Damaged EXIF gives whatever
/// could be parsed before the damage, or `ExifMeta::NONE`; a parser panic is caught the same
/// way, since a photo's pixels are still good without its EXIF.
pub fn read_exif(bytes: &[u8]) -> ExifMeta {
    catch_unwind(AssertUnwindSafe(|| {
        parse(bytes).map(|exif| from_exif(&exif))
    }))
    .ok()
    .flatten()
    .unwrap_or(ExifMeta::NONE)
}

fn parse(bytes: &[u8]) -> Option<Exif> {
    let mut reader = Reader::new();
    reader.continue_on_error(true);
    match reader.read_from_container(&mut Cursor::new(bytes)) {
        Ok(exif) => Some(exif),
        Err(e) => e.distill_partial_result(|_| {}).ok(),
    }
}

fn from_exif(exif: &Exif) -> ExifMeta {
    let field = |tag| exif.get_field(tag, In::PRIMARY);
    let text = |tag| field(tag).and_then(ascii);
    let orientation = field(Tag::Orientation)
        .and_then(|f| f.value.get_uint(0))
        .map_or(Orientation::UPRIGHT, Orientation::from_exif);
    let taken_at = text(Tag::DateTimeOriginal).and_then(|dt| {
        // OffsetTime belongs to DateTime (last change) but is the camera's zone as well;
        // it stands in when OffsetTimeOriginal is absent or unreadable.
        let offset = [Tag::OffsetTimeOriginal, Tag::OffsetTime]
            .into_iter()
            .filter_map(&text)
            .find(|o| super::capture::parse_offset(o).is_some());
        capture_time(dt, text(Tag::SubSecTimeOriginal), offset)
    });
    let lat = coordinate(
        exif,
        Tag::GPSLatitude,
        Tag::GPSLatitudeRef,
        (b'N', b'S'),
        90.0,
    );
    let lon = coordinate(
        exif,
        Tag::GPSLongitude,
        Tag::GPSLongitudeRef,
        (b'E', b'W'),
        180.0,
    );
    let gps = lat.zip(lon).map(|(lat, lon)| Gps { lat, lon });
    let name = |tag| text(tag).map(String::from_utf8_lossy);
    let camera = camera_name(name(Tag::Make).as_deref(), name(Tag::Model).as_deref());
    ExifMeta {
        orientation,
        taken_at,
        gps,
        camera,
    }
}

/// The first non-empty string of a text field. Some cameras store text fields as BYTE or
/// UNDEFINED instead of ASCII; the bytes are the same.
fn ascii(field: &Field) -> Option<&[u8]> {
    match &field.value {
        Value::Ascii(strings) => strings.iter().map(|s| s.as_slice()).find(|s| !s.is_empty()),
        Value::Byte(bytes) | Value::Undefined(bytes, _) => {
            Some(bytes.as_slice()).filter(|b| !b.is_empty())
        }
        _ => None,
    }
}

fn coordinate(exif: &Exif, tag: Tag, ref_tag: Tag, refs: (u8, u8), limit: f64) -> Option<f64> {
    let parts: Vec<f64> = match &exif.get_field(tag, In::PRIMARY)?.value {
        Value::Rational(v) => v
            .iter()
            .map(|r| if r.denom == 0 { f64::NAN } else { r.to_f64() })
            .collect(),
        Value::SRational(v) => v
            .iter()
            .map(|r| if r.denom == 0 { f64::NAN } else { r.to_f64() })
            .collect(),
        _ => return None,
    };
    let reference = *ascii(exif.get_field(ref_tag, In::PRIMARY)?)?.first()?;
    signed_degrees(&parts, reference, refs, limit)
}

/// Degrees, minutes and seconds (one to three parts) to signed decimal degrees. The
/// reference letter gives the sign: `refs.1` (S or W) is negative. None when a part is not a
/// finite non-negative number, the reference is neither letter, or the result is beyond
/// `limit` (90 for latitude, 180 for longitude).
pub fn signed_degrees(parts: &[f64], reference: u8, refs: (u8, u8), limit: f64) -> Option<f64> {
    if parts.is_empty() || parts.len() > 3 || parts.iter().any(|p| !p.is_finite() || *p < 0.0) {
        return None;
    }
    let degrees: f64 = parts
        .iter()
        .zip([1.0, 60.0, 3600.0])
        .map(|(p, d)| p / d)
        .sum();
    let sign = match reference.to_ascii_uppercase() {
        r if r == refs.0 => 1.0,
        r if r == refs.1 => -1.0,
        _ => return None,
    };
    (degrees <= limit).then_some(sign * degrees)
}

/// Make and model as one readable name. Both are trimmed and inner runs of spaces collapsed.
/// Most cameras repeat the brand in the model ("Canon" + "Canon EOS 40D", "NIKON
/// CORPORATION" + "NIKON D70"): when the model's first word is one of the make's words, the
/// model alone is the name ("Canon EOS 40D", "NIKON D70"); otherwise the make goes in front
/// ("Apple iPhone 6", "FUJIFILM FinePix E500"). Either alone is used as it is.
pub fn camera_name(make: Option<&str>, model: Option<&str>) -> Option<String> {
    let clean = |s: Option<&str>| {
        s.map(|s| {
            s.split(|c: char| c == '\0' || c.is_whitespace())
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .filter(|s| !s.is_empty())
    };
    match (clean(make), clean(model)) {
        (Some(make), Some(model)) => {
            let first = model.split(' ').next().unwrap_or_default();
            if make.split(' ').any(|w| w.eq_ignore_ascii_case(first)) {
                Some(model)
            } else {
                Some(format!("{make} {model}"))
            }
        }
        (make, model) => model.or(make),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gps_sign_comes_from_the_reference() {
        let dms = [40.0, 26.0, 49.1];
        let lat = signed_degrees(&dms, b'N', (b'N', b'S'), 90.0).unwrap();
        assert!((lat - 40.446_972).abs() < 1e-5, "{lat}");
        assert_eq!(signed_degrees(&dms, b'S', (b'N', b'S'), 90.0), Some(-lat));
        assert_eq!(
            signed_degrees(&[3.0, 43.0, 29.11], b'W', (b'E', b'W'), 180.0).map(|v| v < 0.0),
            Some(true)
        );
        assert_eq!(signed_degrees(&[3.0], b'e', (b'E', b'W'), 180.0), Some(3.0));
    }

    #[test]
    fn malformed_gps_is_absent() {
        assert_eq!(signed_degrees(&[], b'N', (b'N', b'S'), 90.0), None);
        assert_eq!(
            signed_degrees(&[f64::NAN, 0.0, 0.0], b'N', (b'N', b'S'), 90.0),
            None
        );
        assert_eq!(
            signed_degrees(&[91.0, 0.0, 0.0], b'N', (b'N', b'S'), 90.0),
            None
        );
        assert_eq!(
            signed_degrees(&[10.0, 0.0, 0.0], b'X', (b'N', b'S'), 90.0),
            None
        );
        assert_eq!(
            signed_degrees(&[10.0, -1.0, 0.0], b'N', (b'N', b'S'), 90.0),
            None
        );
        assert_eq!(
            signed_degrees(&[1.0, 2.0, 3.0, 4.0], b'N', (b'N', b'S'), 90.0),
            None
        );
    }

    #[test]
    fn orientation() {
        assert_eq!(Orientation::from_exif(6).value(), 6);
        assert_eq!(Orientation::from_exif(0), Orientation::UPRIGHT);
        assert_eq!(Orientation::from_exif(9), Orientation::UPRIGHT);
        assert_eq!(
            Orientation::from_exif(5).oriented_size(600, 450),
            (450, 600)
        );
        assert_eq!(
            Orientation::from_exif(4).oriented_size(600, 450),
            (600, 450)
        );
    }

    #[test]
    fn camera_names() {
        assert_eq!(
            camera_name(Some("Canon"), Some("Canon EOS 40D")).as_deref(),
            Some("Canon EOS 40D")
        );
        assert_eq!(
            camera_name(Some("NIKON CORPORATION"), Some("NIKON D70")).as_deref(),
            Some("NIKON D70")
        );
        assert_eq!(
            camera_name(
                Some("EASTMAN KODAK COMPANY"),
                Some("KODAK CX7530 ZOOM DIGITAL CAMERA")
            )
            .as_deref(),
            Some("KODAK CX7530 ZOOM DIGITAL CAMERA")
        );
        assert_eq!(
            camera_name(Some("Apple"), Some("iPhone 6")).as_deref(),
            Some("Apple iPhone 6")
        );
        assert_eq!(
            camera_name(Some("PENTAX Corporation "), Some("PENTAX K10D        ")).as_deref(),
            Some("PENTAX K10D")
        );
        assert_eq!(
            camera_name(Some("Jolla"), Some("Jolla")).as_deref(),
            Some("Jolla")
        );
        assert_eq!(
            camera_name(Some("  "), Some("RR330\0")).as_deref(),
            Some("RR330")
        );
        assert_eq!(camera_name(Some("Caplio"), None).as_deref(), Some("Caplio"));
        assert_eq!(camera_name(None, None), None);
    }

    #[test]
    fn no_exif_reads_as_none() {
        assert_eq!(read_exif(b"not an image"), ExifMeta::NONE);
        assert_eq!(read_exif(&[0xFF, 0xD8, 0xFF, 0xE1, 0x00]), ExifMeta::NONE);
    }
}
