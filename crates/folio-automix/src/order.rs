//! Step 1 (SPEC §10.1): the book order. Photos sort by their capture instant in UTC, with
//! fallbacks for photos whose instant is not known:
//!
//! 1. **UTC** when EXIF had the offset (or a partner gave UTC).
//! 2. **Local time, zone estimated**: a photo with only the camera's wall-clock time takes the
//!    offset of the photo with a known offset whose local time is nearest to its own (the
//!    phone in the same pocket, on the same trip); with no such photo its local time is read
//!    as UTC, which keeps local-only photos in order among themselves.
//! 3. **File time**, when the caller has one.
//! 4. **Upload order**: a photo with no time at all is anchored right after the photo uploaded
//!    just before it that has a time (before the first one if none was uploaded earlier), so
//!    it stays with the photos it was uploaded with; several anchored to one photo keep their
//!    upload order. It takes its anchor's instant, so it never opens an event by itself.
//!
//! Ties on the instant (which includes sub-seconds) are broken by name in natural order
//! (`IMG_9` before `IMG_10`), then upload order, then id, so the order is total and stable.

use std::borrow::Borrow;
use std::cmp::Ordering;

use super::photo::{Photo, Taken};

/// Where a photo's instant came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeSource {
    Utc,
    /// Local time converted with a neighbour's offset.
    LocalEstimated,
    /// Local time read as UTC: no photo had a known offset.
    LocalAsUtc,
    File,
    /// No time: placed by upload order next to its anchor.
    UploadOrder,
}

/// The photos in book order.
#[derive(Debug, Clone, PartialEq)]
pub struct Ordered {
    /// Indices into the input slice, in book order.
    pub index: Vec<usize>,
    /// The instant of each photo in book order, seconds since the Unix epoch (an anchored
    /// photo has its anchor's). Never decreasing.
    pub seconds: Vec<f64>,
    pub source: Vec<TimeSource>,
}

/// Sorts `photos` into book order.
pub fn order<P: Borrow<Photo>>(photos: &[P]) -> Ordered {
    let photos: Vec<&Photo> = photos.iter().map(Borrow::borrow).collect();
    let instants = instants(&photos);
    let mut timed: Vec<usize> = (0..photos.len())
        .filter(|&i| instants[i].is_some())
        .collect();
    timed.sort_by(|&a, &b| {
        let (ta, tb) = (instants[a].map(|t| t.0), instants[b].map(|t| t.0));
        ta.cmp(&tb).then_with(|| tie_break(photos[a], photos[b]))
    });

    // Anchor timeless photos by upload order: after the latest-uploaded earlier timed photo.
    let mut by_upload: Vec<usize> = (0..photos.len()).collect();
    by_upload.sort_by(|&a, &b| {
        photos[a]
            .upload_order
            .cmp(&photos[b].upload_order)
            .then_with(|| photos[a].id.cmp(&photos[b].id))
    });
    let mut leading = Vec::new();
    let mut after: Vec<Vec<usize>> = vec![Vec::new(); photos.len()];
    let mut anchor: Option<usize> = None;
    for &i in &by_upload {
        if instants[i].is_some() {
            anchor = Some(i);
        } else {
            match anchor {
                Some(a) => after[a].push(i),
                None => leading.push(i),
            }
        }
    }

    let mut out = Ordered {
        index: Vec::with_capacity(photos.len()),
        seconds: Vec::with_capacity(photos.len()),
        source: Vec::with_capacity(photos.len()),
    };
    let first_time = timed
        .first()
        .and_then(|&i| instants[i])
        .map_or(0.0, |t| t.0 as f64 / 1e9);
    for &i in &leading {
        out.push(i, first_time, TimeSource::UploadOrder);
    }
    for &i in &timed {
        let (nanos, source) = instants[i].expect("timed photos have an instant");
        let seconds = nanos as f64 / 1e9;
        out.push(i, seconds, source);
        for &j in &after[i] {
            out.push(j, seconds, TimeSource::UploadOrder);
        }
    }
    out
}

impl Ordered {
    fn push(&mut self, index: usize, seconds: f64, source: TimeSource) {
        self.index.push(index);
        self.seconds.push(seconds);
        self.source.push(source);
    }
}

/// Each photo's instant in nanoseconds since the epoch and where it came from, or None.
fn instants(photos: &[&Photo]) -> Vec<Option<(i64, TimeSource)>> {
    // Photos whose zone is known, by local time: the reference for local-only ones.
    let mut zoned: Vec<(i64, i64)> = photos
        .iter()
        .filter_map(|p| match p.taken {
            Some(Taken::Utc {
                at,
                offset: Some(offset),
            }) => {
                let offset_nanos = offset.local_minus_utc() as i64 * 1_000_000_000;
                Some((nanos(at.naive_utc()) + offset_nanos, offset_nanos))
            }
            _ => None,
        })
        .collect();
    zoned.sort_unstable();
    photos
        .iter()
        .map(|p| match p.taken {
            Some(Taken::Utc { at, .. }) => Some((nanos(at.naive_utc()), TimeSource::Utc)),
            Some(Taken::Local(local)) => {
                let local = nanos(local);
                Some(match nearest_offset(&zoned, local) {
                    Some(offset) => (local - offset, TimeSource::LocalEstimated),
                    None => (local, TimeSource::LocalAsUtc),
                })
            }
            None => p
                .file_time
                .map(|t| (nanos(t.naive_utc()), TimeSource::File)),
        })
        .collect()
}

fn nanos(t: chrono::NaiveDateTime) -> i64 {
    let utc = t.and_utc();
    // Beyond ±292 years from 1970 nanoseconds overflow; such dates are junk, clamp them.
    utc.timestamp_nanos_opt().unwrap_or(if utc.timestamp() < 0 {
        i64::MIN
    } else {
        i64::MAX
    })
}

/// The offset of the zoned photo whose local time is nearest `local` (the earlier on a tie).
fn nearest_offset(zoned: &[(i64, i64)], local: i64) -> Option<i64> {
    let at = zoned.partition_point(|&(t, _)| t < local);
    let before = at.checked_sub(1).map(|i| zoned[i]);
    let after = zoned.get(at).copied();
    match (before, after) {
        (Some(b), Some(a)) => Some(if local.abs_diff(b.0) <= a.0.abs_diff(local) {
            b.1
        } else {
            a.1
        }),
        (Some(x), None) | (None, Some(x)) => Some(x.1),
        (None, None) => None,
    }
}

fn tie_break(a: &Photo, b: &Photo) -> Ordering {
    natural_cmp(&a.name, &b.name)
        .then_with(|| a.upload_order.cmp(&b.upload_order))
        .then_with(|| a.id.cmp(&b.id))
}

/// Compares names as people read them: runs of digits by value (`9` < `10`), the rest
/// case-insensitively; equal that way, by the raw strings.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (a, b);
    loop {
        match (x.chars().next(), y.chars().next()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(cx), Some(cy)) if cx.is_ascii_digit() && cy.is_ascii_digit() => {
                let (dx, rx) = split_run(x, |c| c.is_ascii_digit());
                let (dy, ry) = split_run(y, |c| c.is_ascii_digit());
                let (tx, ty) = (dx.trim_start_matches('0'), dy.trim_start_matches('0'));
                let by_value = tx.len().cmp(&ty.len()).then_with(|| tx.cmp(ty));
                if by_value != Ordering::Equal {
                    return by_value;
                }
                (x, y) = (rx, ry);
            }
            (Some(cx), Some(cy)) => {
                let by_letter = cx.to_lowercase().cmp(cy.to_lowercase());
                if by_letter != Ordering::Equal {
                    return by_letter;
                }
                (x, y) = (&x[cx.len_utf8()..], &y[cy.len_utf8()..]);
            }
        }
    }
}

fn split_run(s: &str, f: impl Fn(char) -> bool) -> (&str, &str) {
    let end = s
        .char_indices()
        .find(|&(_, c)| !f(c))
        .map_or(s.len(), |(i, _)| i);
    s.split_at(end)
}
