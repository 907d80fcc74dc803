//! Dominant colours in CIELAB (SPEC §9), for matching photos to themes and to each other.
//!
//! The picture is shrunk to at most 128 px a side (colour proportions survive, and k-means
//! then costs the same for every upload), its opaque pixels go to CIELAB (D65), and k-means
//! with a fixed seed finds up to eight clusters, so the same file always gives the same
//! colours. Clusters then become a short list a person would agree with:
//! - near-duplicates, closer than `MERGE_DELTA_E` in CIEDE2000, merge into their
//!   share-weighted mean (k-means readily splits one sky into three blues);
//! - slivers under `MIN_SHARE` (edges, resampling blends) and anything past `max_colors`
//!   give their pixels to the nearest colour kept, without moving it.
//!
//! Every pixel counts towards exactly one colour kept, so shares sum to 1.

use image::DynamicImage;
use kmeans_colors::get_kmeans;
use palette::color_difference::Ciede2000;
use palette::{FromColor, Lab, Srgb};
use serde::Serialize;

/// CIEDE2000 distance below which two centroids are one colour. About 2 is a just-noticeable
/// difference side by side; 5 is still "the same colour" when the two are apart in a
/// photo, while clearly different hues (sky and sea) stay well above it.
pub const MERGE_DELTA_E: f32 = 5.0;

/// Smallest share of the picture reported as a colour of its own.
pub const MIN_SHARE: f64 = 0.01;

/// Longest side of the copy that is clustered.
const SAMPLE_SIDE: u32 = 128;
/// Clusters k-means looks for before merging (at least `max_colors`).
const CLUSTERS: usize = 8;
const MAX_ITERATIONS: usize = 30;
/// Convergence threshold on how far centroids still move (squared Lab units).
const CONVERGE: f32 = 0.01;
/// Fixed seed: the same photo always gets the same colours.
const SEED: u64 = 0x0046_6f6c_696f;
/// Pixels less opaque than this are background, not photo.
const MIN_ALPHA: u8 = 128;

/// One dominant colour: CIELAB (D65) `[L, a, b]` and the share of the picture's pixels
/// nearest to it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DominantColor {
    /// Rounded to hundredths, and written as those decimals (not as the nearest f32).
    #[serde(serialize_with = "lab_decimals")]
    pub lab: [f32; 3],
    pub share: f64,
}

fn lab_decimals<S: serde::Serializer>(lab: &[f32; 3], s: S) -> Result<S::Ok, S::Error> {
    let decimals = lab.map(|v| (v as f64 * 100.0).round() / 100.0);
    serde::Serialize::serialize(&decimals, s)
}

/// At most `max_colors` dominant colours, largest share first. Empty only when the image has
/// no opaque pixel or `max_colors` is 0.
pub fn dominant_colors(image: &DynamicImage, max_colors: usize) -> Vec<DominantColor> {
    if max_colors == 0 {
        return Vec::new();
    }
    let small;
    let sample = if image.width() > SAMPLE_SIDE || image.height() > SAMPLE_SIDE {
        small = image.thumbnail(SAMPLE_SIDE, SAMPLE_SIDE);
        &small
    } else {
        image
    };
    let pixels: Vec<Lab> = sample
        .to_rgba8()
        .pixels()
        .filter(|p| p.0[3] >= MIN_ALPHA)
        .map(|p| Lab::from_color(Srgb::new(p.0[0], p.0[1], p.0[2]).into_format::<f32>()))
        .collect();
    if pixels.is_empty() {
        return Vec::new();
    }
    // kmeans_colors indexes clusters with u8.
    let k = CLUSTERS.max(max_colors).min(u8::MAX as usize);
    let result = get_kmeans(k, MAX_ITERATIONS, CONVERGE, false, &pixels, SEED);
    // Count the final assignment ourselves: the library's indices date from before its last
    // centroid update, and a cluster left empty is re-seeded at a random colour.
    let mut counts = vec![0u64; result.centroids.len()];
    for p in &pixels {
        if let Some(i) = nearest(p, &result.centroids, squared_distance) {
            counts[i] += 1;
        }
    }
    let total = pixels.len() as f64;
    let clusters = result
        .centroids
        .iter()
        .zip(&counts)
        .filter(|(_, &n)| n > 0)
        .map(|(c, &n)| DominantColor {
            lab: [c.l, c.a, c.b],
            share: n as f64 / total,
        })
        .collect();
    let merged = merge_near_duplicates(clusters, MERGE_DELTA_E);
    let mut kept = keep_largest(merged, max_colors, MIN_SHARE);
    for c in &mut kept {
        c.lab = c.lab.map(|v| (v * 100.0).round() / 100.0);
    }
    kept
}

/// Merges, closest pair first, every two colours closer than `delta_e` (CIEDE2000) into
/// their share-weighted mean in Lab, until no such pair is left.
pub fn merge_near_duplicates(mut colors: Vec<DominantColor>, delta_e: f32) -> Vec<DominantColor> {
    loop {
        let mut closest: Option<(f32, usize, usize)> = None;
        for i in 0..colors.len() {
            for j in i + 1..colors.len() {
                let d = ciede2000(colors[i].lab, colors[j].lab);
                if d < delta_e && closest.is_none_or(|(best, _, _)| d < best) {
                    closest = Some((d, i, j));
                }
            }
        }
        let Some((_, i, j)) = closest else {
            return colors;
        };
        let b = colors.swap_remove(j);
        let a = &mut colors[i];
        let share = a.share + b.share;
        let (wa, wb) = ((a.share / share) as f32, (b.share / share) as f32);
        a.lab = [0, 1, 2].map(|n| a.lab[n] * wa + b.lab[n] * wb);
        a.share = share;
    }
}

/// The largest colours (at most `max_colors`, each at least `min_share`, and always the
/// largest one), sorted by share; every other colour's share goes to its nearest kept colour
/// by CIEDE2000, so the shares still sum to what they did.
fn keep_largest(
    mut colors: Vec<DominantColor>,
    max_colors: usize,
    min_share: f64,
) -> Vec<DominantColor> {
    let by_share = |a: &DominantColor, b: &DominantColor| {
        b.share
            .total_cmp(&a.share)
            .then(a.lab[0].total_cmp(&b.lab[0]))
    };
    colors.sort_by(by_share);
    let keep = colors
        .iter()
        .take(max_colors)
        .take_while(|c| c.share >= min_share)
        .count()
        .max(1)
        .min(colors.len());
    let rest = colors.split_off(keep);
    for c in rest {
        let labs: Vec<[f32; 3]> = colors.iter().map(|k| k.lab).collect();
        if let Some(i) = nearest(&c.lab, &labs, |a, b| ciede2000(*a, *b)) {
            colors[i].share += c.share;
        }
    }
    colors.sort_by(by_share);
    colors
}

fn nearest<T>(point: &T, among: &[T], distance: impl Fn(&T, &T) -> f32) -> Option<usize> {
    among
        .iter()
        .map(|c| distance(point, c))
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| i)
}

fn squared_distance(a: &Lab, b: &Lab) -> f32 {
    (a.l - b.l).powi(2) + (a.a - b.a).powi(2) + (a.b - b.b).powi(2)
}

/// CIEDE2000 colour difference between two `[L, a, b]` colours.
pub fn ciede2000(a: [f32; 3], b: [f32; 3]) -> f32 {
    let lab = |c: [f32; 3]| Lab::<palette::white_point::D65, f32>::new(c[0], c[1], c[2]);
    lab(a).difference(lab(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage, Rgba, RgbaImage};

    fn stripes(width: u32, height: u32, parts: &[(u32, [u8; 3])]) -> DynamicImage {
        let mut img = RgbImage::new(width, height);
        for (x, _, p) in img.enumerate_pixels_mut() {
            let mut edge = 0;
            for (w, c) in parts {
                edge += w;
                if x < edge {
                    *p = Rgb(*c);
                    break;
                }
            }
        }
        DynamicImage::ImageRgb8(img)
    }

    #[test]
    fn a_flat_image_is_one_colour() {
        let colors = dominant_colors(&stripes(50, 50, &[(50, [255, 255, 255])]), 5);
        assert_eq!(colors.len(), 1);
        assert_eq!(colors[0].share, 1.0);
        assert!((colors[0].lab[0] - 100.0).abs() < 0.01, "{colors:?}");
    }

    #[test]
    fn colours_are_deterministic() {
        let img = stripes(
            300,
            200,
            &[
                (100, [200, 40, 40]),
                (100, [40, 200, 40]),
                (100, [40, 40, 200]),
            ],
        );
        assert_eq!(dominant_colors(&img, 5), dominant_colors(&img, 5));
    }

    #[test]
    fn max_colors_folds_the_rest_into_the_nearest() {
        let img = stripes(
            100,
            10,
            &[(50, [255, 0, 0]), (30, [0, 0, 255]), (20, [0, 255, 0])],
        );
        let colors = dominant_colors(&img, 2);
        assert_eq!(colors.len(), 2);
        let sum: f64 = colors.iter().map(|c| c.share).sum();
        assert!((sum - 1.0).abs() < 1e-9);
        assert_eq!(dominant_colors(&img, 0), vec![]);
    }

    #[test]
    fn transparent_pixels_are_ignored() {
        let mut img = RgbaImage::new(10, 10);
        for (x, _, p) in img.enumerate_pixels_mut() {
            *p = if x < 5 {
                Rgba([0, 0, 0, 0])
            } else {
                Rgba([255, 255, 255, 255])
            };
        }
        let colors = dominant_colors(&DynamicImage::ImageRgba8(img.clone()), 5);
        assert_eq!(colors.len(), 1);
        img.pixels_mut().for_each(|p| p.0[3] = 0);
        assert_eq!(dominant_colors(&DynamicImage::ImageRgba8(img), 5), vec![]);
    }

    #[test]
    fn merging_uses_the_weighted_mean() {
        let colors = vec![
            DominantColor {
                lab: [50.0, 10.0, 10.0],
                share: 0.75,
            },
            DominantColor {
                lab: [52.0, 10.0, 10.0],
                share: 0.25,
            },
            DominantColor {
                lab: [50.0, -60.0, 10.0],
                share: 0.0,
            },
        ];
        let merged = merge_near_duplicates(colors, MERGE_DELTA_E);
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].lab, [50.5, 10.0, 10.0]);
        assert_eq!(merged[0].share, 1.0);
    }
}
