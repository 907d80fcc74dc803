//! What automix knows about one photo: its oriented size, when it was taken (as well as that is
//! known), its dominant colours and where it was taken. Built by the caller from the stored
//! photo metadata ([`Photo::from_meta`]) or directly (tests, the quality benchmark).

use chrono::{DateTime, FixedOffset, NaiveDateTime, Utc};
use serde_json::Value;

use folio_domain::ids::PhotoId;
use folio_media::capture::CaptureTime;
use folio_media::exif_tags::Gps;
use folio_media::meta::Shape;

/// One photo, as automix sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Photo {
    pub id: PhotoId,
    /// The file name; breaks ties between photos taken at the same instant.
    pub name: String,
    /// Position in the order the photos were uploaded (or added to the group): the last
    /// fallback for ordering, and what anchors a photo without any time (see [`super::order`]).
    pub upload_order: u64,
    /// Width and height after EXIF orientation, in pixels.
    pub width: u32,
    pub height: u32,
    /// The capture time from EXIF, when there is one.
    pub taken: Option<Taken>,
    /// The file's own time (for example a partner's "created" time or a file modification
    /// time kept by the client), the fallback when there is no capture time. Not the upload
    /// time: a photo with neither time is placed by upload order instead, which keeps it next
    /// to the photos uploaded with it.
    pub file_time: Option<DateTime<Utc>>,
    /// Dominant colours in CIELAB with their shares, largest first (SPEC §9).
    pub colors: Vec<LabShare>,
    pub gps: Option<Gps>,
    /// Text to show with the photo; a page with a captioned photo gets a layout with caption
    /// areas when the library has one. None by default.
    pub caption: Option<String>,
}

/// A capture time as EXIF gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taken {
    /// The instant is known (the file had an offset tag, or a partner gave UTC); `offset` is
    /// the camera's zone when known, which lets automix place local-only photos nearby.
    Utc {
        at: DateTime<Utc>,
        offset: Option<FixedOffset>,
    },
    /// Only the camera's wall-clock time; its zone is unknown.
    Local(NaiveDateTime),
}

impl From<CaptureTime> for Taken {
    fn from(t: CaptureTime) -> Taken {
        match t.utc() {
            Some(at) => Taken::Utc {
                at,
                offset: t.offset,
            },
            None => Taken::Local(t.local),
        }
    }
}

/// A dominant colour: `[L, a, b]` and its share of the picture.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LabShare {
    pub lab: [f32; 3],
    pub share: f64,
}

impl Photo {
    /// A photo with only a size and an upload position: no time, colours or place. Fill the
    /// other fields as known.
    pub fn new(id: PhotoId, name: &str, upload_order: u64, width: u32, height: u32) -> Photo {
        Photo {
            id,
            name: name.to_owned(),
            upload_order,
            width,
            height,
            taken: None,
            file_time: None,
            colors: Vec::new(),
            gps: None,
            caption: None,
        }
    }

    /// `L`, `P` or `S`, by the photos' rule.
    pub fn shape(&self) -> Shape {
        Shape::of(self.width, self.height)
    }

    /// Width over height.
    pub fn aspect(&self) -> f64 {
        self.width as f64 / self.height as f64
    }

    /// A photo from its stored metadata, the SPEC §4 `photo` fields (`width`, `height`,
    /// `taken_at`, `taken_at_offset`, `gps`, `dominant_colors`), as `photos::Library` stores
    /// them. Missing or malformed fields are read as unknown; a missing size as 0 × 0, which
    /// [`super::plan`] then skips.
    pub fn from_meta(
        id: PhotoId,
        name: &str,
        upload_order: u64,
        file_time: Option<DateTime<Utc>>,
        meta: &Value,
    ) -> Photo {
        let size = |key: &str| {
            meta[key]
                .as_u64()
                .and_then(|v| u32::try_from(v).ok())
                .unwrap_or(0)
        };
        let offset = meta["taken_at_offset"]
            .as_str()
            .and_then(|s| folio_media::capture::parse_offset(s.as_bytes()));
        let taken = meta["taken_at"]
            .as_str()
            .and_then(|s| parse_taken_at(s, offset));
        let gps = match (meta["gps"]["lat"].as_f64(), meta["gps"]["lon"].as_f64()) {
            (Some(lat), Some(lon))
                if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) =>
            {
                Some(Gps { lat, lon })
            }
            _ => None,
        };
        let colors = meta["dominant_colors"]
            .as_array()
            .map(|list| {
                list.iter()
                    .filter_map(|c| {
                        let lab = c["lab"].as_array()?;
                        let v = |i: usize| lab.get(i).and_then(Value::as_f64).map(|x| x as f32);
                        Some(LabShare {
                            lab: [v(0)?, v(1)?, v(2)?],
                            share: c["share"].as_f64().unwrap_or(0.0),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        Photo {
            id,
            name: name.to_owned(),
            upload_order,
            width: size("width"),
            height: size("height"),
            taken,
            file_time,
            colors,
            gps,
            caption: None,
        }
    }
}

/// SPEC §4 `taken_at`: RFC 3339 in UTC when the zone was known, else a local time without a
/// zone.
fn parse_taken_at(s: &str, offset: Option<FixedOffset>) -> Option<Taken> {
    if let Ok(at) = DateTime::parse_from_rfc3339(s) {
        // "…Z" says only that the instant is UTC; "…+02:00" also names the zone.
        let written = (!s.ends_with(['Z', 'z'])).then(|| *at.offset());
        return Some(Taken::Utc {
            at: at.with_timezone(&Utc),
            offset: offset.or(written),
        });
    }
    let local = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").ok()?;
    Some(Taken::Local(local))
}
