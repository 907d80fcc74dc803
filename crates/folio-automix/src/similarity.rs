//! How different two neighbouring photos are, for choosing page breaks inside an event
//! (SPEC §10.3, seed 000): dominant colours by CIEDE2000, places by haversine distance, and
//! the time between them, weighted.

use serde::Serialize;

use super::photo::{LabShare, Photo};
use folio_media::colors::ciede2000;
use folio_media::exif_tags::Gps;

/// The mean Earth radius, in kilometres.
const EARTH_RADIUS_KM: f64 = 6371.0088;
/// A colour distance (ΔE00) at which two photos count as fully different: beyond about 30,
/// dominant colours read as different scenes (a beach against a restaurant).
pub const COLOR_SCALE: f64 = 30.0;
/// The distance (km) at which two photos count as half different: a few hundred metres is
/// another spot of the same outing, a few kilometres another place.
pub const GPS_HALF_KM: f64 = 0.5;

/// How much each kind of metadata counts (seed 004: "priorities and weightings of metadata").
/// A kind missing on either photo drops out and the others are renormalised.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Weights {
    pub color: f64,
    pub gps: f64,
    pub time: f64,
}

impl Weights {
    /// Colour, place and time count alike.
    pub const DEFAULT: Weights = Weights {
        color: 1.0,
        gps: 1.0,
        time: 1.0,
    };
}

impl Default for Weights {
    fn default() -> Weights {
        Weights::DEFAULT
    }
}

/// The great-circle distance in kilometres.
pub fn haversine_km(a: Gps, b: Gps) -> f64 {
    let (la, lb) = (a.lat.to_radians(), b.lat.to_radians());
    let dlat = lb - la;
    let dlon = (b.lon - a.lon).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + la.cos() * lb.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

/// The colour distance of two photos' dominant colours: each colour's CIEDE2000 distance to
/// the nearest colour of the other photo, weighted by its share, averaged both ways (a
/// symmetric Chamfer distance). None when either photo has no colours.
pub fn color_distance(a: &[LabShare], b: &[LabShare]) -> Option<f64> {
    let one_way = |from: &[LabShare], to: &[LabShare]| -> Option<f64> {
        let total: f64 = from.iter().map(|c| c.share.max(0.0)).sum();
        if from.is_empty() || to.is_empty() {
            return None;
        }
        let mut sum = 0.0;
        for c in from {
            let nearest = to
                .iter()
                .map(|d| ciede2000(c.lab, d.lab) as f64)
                .fold(f64::INFINITY, f64::min);
            let weight = if total > 0.0 {
                c.share.max(0.0) / total
            } else {
                1.0 / from.len() as f64
            };
            sum += weight * nearest;
        }
        Some(sum)
    };
    Some((one_way(a, b)? + one_way(b, a)?) / 2.0)
}

/// How different photos `a` and `b` are, in `[0, 1]`: the weighted mean of
/// * colour: `min(ΔE / COLOR_SCALE, 1)`,
/// * place: `km / (km + GPS_HALF_KM)`,
/// * time: `time_score`, the caller's normalised gap between them,
///
/// over the kinds both photos have.
pub fn dissimilarity(a: &Photo, b: &Photo, time_score: f64, w: &Weights) -> f64 {
    let mut sum = w.time.max(0.0) * time_score.clamp(0.0, 1.0);
    let mut weight = w.time.max(0.0);
    if let Some(d) = color_distance(&a.colors, &b.colors) {
        sum += w.color.max(0.0) * (d / COLOR_SCALE).min(1.0);
        weight += w.color.max(0.0);
    }
    if let (Some(ga), Some(gb)) = (a.gps, b.gps) {
        let km = haversine_km(ga, gb);
        sum += w.gps.max(0.0) * km / (km + GPS_HALF_KM);
        weight += w.gps.max(0.0);
    }
    if weight > 0.0 {
        sum / weight
    } else {
        0.0
    }
}

/// Photos on each side of a gap that [`change_across`] compares: just the two at the gap.
/// Wider windows (2, 3 and 5 were tried on the quality benchmark's tuning streams) reach
/// into other moments of the same outing, or across the previous boundary, and blur the
/// evidence; the photos either side of a gap are the last of one scene and the first of the
/// next.
pub const CHANGE_SPAN: usize = 1;

/// How much the scene changes across the gap after photo `after` of `photos` (book order),
/// in `[0, 1]`: the weighted mean of the colour and place terms of [`dissimilarity`], each
/// averaged over the pairs of the last [`CHANGE_SPAN`] photos before the gap and the first
/// after it that have that kind of data. Time is left out: the event rule weighs it itself.
/// None when neither kind is known on both sides.
pub fn change_across(photos: &[&Photo], after: usize, w: &Weights) -> Option<f64> {
    change_across_span(photos, after, CHANGE_SPAN, w)
}

/// [`change_across`] with `span` photos on each side (at least 1).
pub fn change_across_span(
    photos: &[&Photo],
    after: usize,
    span: usize,
    w: &Weights,
) -> Option<f64> {
    let span = span.max(1);
    let before = &photos[(after + 1).saturating_sub(span)..=after];
    let next = &photos[after + 1..(after + 1 + span).min(photos.len())];
    let mean_over_pairs = |f: &dyn Fn(&Photo, &Photo) -> Option<f64>| -> Option<f64> {
        let values: Vec<f64> = before
            .iter()
            .flat_map(|a| next.iter().filter_map(move |b| f(a, b)))
            .collect();
        (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
    };
    let color = mean_over_pairs(&|a, b| {
        color_distance(&a.colors, &b.colors).map(|d| (d / COLOR_SCALE).min(1.0))
    });
    let place = mean_over_pairs(&|a, b| {
        let km = haversine_km(a.gps?, b.gps?);
        Some(km / (km + GPS_HALF_KM))
    });
    let (wc, wg) = (w.color.max(0.0), w.gps.max(0.0));
    match (color, place) {
        (Some(c), Some(g)) if wc + wg > 0.0 => Some((wc * c + wg * g) / (wc + wg)),
        (Some(c), None) if wc > 0.0 => Some(c),
        (None, Some(g)) if wg > 0.0 => Some(g),
        _ => None,
    }
}
