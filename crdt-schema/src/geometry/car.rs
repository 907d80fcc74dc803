//! The core aspect ratio (CAR) of an aspect-ratio group: the one page shape every book of the
//! group is edited and previewed at, chosen so that printing to any product of the group
//! loses as little content as possible (seed 004, SPEC §6.2).

use crate::products::AspectGroup;

/// The fraction of the page content that is cut off when content of aspect ratio `content`
/// (width / height) is fitted onto an area of aspect ratio `target` by the seed's rule.
///
/// * Content taller than the target (`content < target`): its width fits the target's width
///   and the excess height is cut, so `1 - content / target` of it is lost.
/// * Content wider than the target: its height fits and the excess width is cut, so
///   `1 - target / content` is lost.
///
/// Both cases are `1 - min(content / target, target / content)`: 0 for equal ratios,
/// approaching 1 as they part. This is the "percentage of overlap, left/right or
/// top/bottom" of the seed, and it is symmetric in the two ratios.
pub fn overlap_loss(content: f64, target: f64) -> f64 {
    1.0 - (content / target).min(target / content)
}

/// The quantity the CAR minimises: the mean over `ratios` of the squared
/// [`overlap_loss`] of fitting content at `candidate` onto each ratio,
/// `E(R) = (1/n) Σ (1 - min(R/rᵢ, rᵢ/R))²`.
///
/// Squaring makes one product losing a lot cost more than several losing a little, so the
/// CAR does not sacrifice one product for the rest. An empty slice has no error (0).
pub fn mean_squared_overlap_error(candidate: f64, ratios: &[f64]) -> f64 {
    if ratios.is_empty() {
        return 0.0;
    }
    ratios
        .iter()
        .map(|&r| overlap_loss(candidate, r).powi(2))
        .sum::<f64>()
        / ratios.len() as f64
}

/// Samples taken across `[min, max]` before refining; enough that the refinement always
/// starts in the basin of the global minimum for any catalogue-sized group.
const SAMPLES: usize = 1024;

/// The core aspect ratio (width / height) of `group`, the ratio at which all of its books are
/// edited and shown.
///
/// * Landscape and portrait: [`core_aspect_ratio_of`] the viewable ratios of the group's
///   products ([`crate::products::Product::viewable_ratio`]).
/// * Square: exactly 1, as seed 004 states for square groups. The viewable areas of square
///   products are slightly narrow (the gutter; ≈0.956 for the catalogue), but a square book
///   must look square on every screen and in the layout library, whose square layouts are
///   drawn on a square page; printing then trims the gutter allowance off the outer edge
///   (see [`super::PageFrame`]), which preflight checks against the safe area.
pub fn core_aspect_ratio(group: AspectGroup) -> f64 {
    match group {
        AspectGroup::Square => 1.0,
        AspectGroup::Landscape | AspectGroup::Portrait => {
            let ratios: Vec<f64> = group.products().map(|p| p.viewable_ratio()).collect();
            core_aspect_ratio_of(&ratios)
        }
    }
}

/// The ratio `R` in `[min(ratios), max(ratios)]` minimising [`mean_squared_overlap_error`].
///
/// The error is continuous but has a kink at every product ratio and need not be unimodal,
/// so the search is global first and local second: `SAMPLES` evenly spaced candidates
/// (ends included) pick the best neighbourhood, then golden-section search refines within the
/// two sample intervals around it. The answer is within about 1e-8 of the true minimum, the
/// limit of locating a minimum from f64 function values (the error is flat there). No minimum can lie outside the range: beyond
/// it every term grows.
///
/// Ratios that are not finite and positive are ignored. With none left the answer is 1 (a
/// square page, the neutral choice); with one ratio it is that ratio.
pub fn core_aspect_ratio_of(ratios: &[f64]) -> f64 {
    let ratios: Vec<f64> = ratios
        .iter()
        .copied()
        .filter(|r| r.is_finite() && *r > 0.0)
        .collect();
    let (lo, hi) = ratios
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &r| {
            (lo.min(r), hi.max(r))
        });
    if ratios.is_empty() {
        return 1.0;
    }
    if hi - lo <= f64::EPSILON * hi {
        return lo;
    }
    let error = |r: f64| mean_squared_overlap_error(r, &ratios);
    let at = |i: usize| lo + (hi - lo) * i as f64 / SAMPLES as f64;

    let best_sample = (0..=SAMPLES)
        .min_by(|&a, &b| error(at(a)).total_cmp(&error(at(b))))
        .unwrap_or(0);
    let (a, b) = (
        at(best_sample.saturating_sub(1)),
        at((best_sample + 1).min(SAMPLES)),
    );
    let refined = golden_section_min(error, a, b);
    // Golden section assumes one minimum in the bracket; never return worse than the sample.
    if error(refined) <= error(at(best_sample)) {
        refined
    } else {
        at(best_sample)
    }
}

/// Golden-section search for the minimum of `f` on `[a, b]`, assuming it is unimodal there.
fn golden_section_min(f: impl Fn(f64) -> f64, mut a: f64, mut b: f64) -> f64 {
    let inv_phi = (5f64.sqrt() - 1.0) / 2.0;
    let mut c = b - inv_phi * (b - a);
    let mut d = a + inv_phi * (b - a);
    let (mut fc, mut fd) = (f(c), f(d));
    // Each step shrinks the bracket by 0.618; 200 steps is far below f64 resolution.
    for _ in 0..200 {
        if b - a <= 1e-13 * b.abs().max(1.0) {
            break;
        }
        if fc <= fd {
            b = d;
            d = c;
            fd = fc;
            c = b - inv_phi * (b - a);
            fc = f(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + inv_phi * (b - a);
            fd = f(d);
        }
    }
    (a + b) / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlap_loss_is_the_fraction_cut_off() {
        assert_eq!(overlap_loss(1.5, 1.5), 0.0);
        // 1.2-wide content on a 1.5 area: width fits, height 1/1.2 shown as 1/1.5 → 20% lost.
        assert!((overlap_loss(1.2, 1.5) - 0.2).abs() < 1e-12);
        assert!((overlap_loss(1.5, 1.2) - 0.2).abs() < 1e-12);
    }

    /// Seed 004's worked example: candidates 1.5, 1.38 and 1.65.
    #[test]
    fn seed_example_minimises_the_error_inside_the_range() {
        let ratios = [1.5, 1.38, 1.65];
        let car = core_aspect_ratio_of(&ratios);
        assert!((1.38..=1.65).contains(&car), "{car}");
        let e = mean_squared_overlap_error(car, &ratios);
        for delta in [1e-2, 1e-3, 1e-4, 1e-5] {
            assert!(
                mean_squared_overlap_error(car + delta, &ratios) > e,
                "+{delta}"
            );
            assert!(
                mean_squared_overlap_error(car - delta, &ratios) > e,
                "-{delta}"
            );
        }
        // Brute force over a fine grid never beats it.
        for i in 0..=27_000 {
            let r = 1.38 + 0.27 * i as f64 / 27_000.0;
            assert!(mean_squared_overlap_error(r, &ratios) >= e - 1e-15, "{r}");
        }
        // The optimum sits just above the middle ratio: 1.38 pulls harder than 1.65 because
        // the loss is relative.
        assert!((car - 1.50541).abs() < 1e-4, "{car}");
    }

    #[test]
    fn degenerate_inputs() {
        assert_eq!(core_aspect_ratio_of(&[]), 1.0);
        assert_eq!(core_aspect_ratio_of(&[f64::NAN, -1.0, 0.0]), 1.0);
        assert_eq!(core_aspect_ratio_of(&[1.3]), 1.3);
        assert_eq!(core_aspect_ratio_of(&[0.75, 0.75]), 0.75);
        // Two ratios: the optimum balances the relative losses, i.e. the geometric mean.
        let car = core_aspect_ratio_of(&[1.0, 2.0]);
        assert!((car - 2f64.sqrt()).abs() < 1e-7, "{car}");
    }

    #[test]
    fn group_cars() {
        assert_eq!(core_aspect_ratio(AspectGroup::Square), 1.0);
        // One portrait product: its viewable ratio exactly, 8.125 / 11.
        assert!((core_aspect_ratio(AspectGroup::Portrait) - 8.125 / 11.0).abs() < 1e-9);
        let landscape = core_aspect_ratio(AspectGroup::Landscape);
        assert!((landscape - 1.29636).abs() < 1e-4, "{landscape}");
        let ratios: Vec<f64> = AspectGroup::Landscape
            .products()
            .map(|p| p.viewable_ratio())
            .collect();
        let (lo, hi) = (
            ratios.iter().cloned().fold(f64::MAX, f64::min),
            ratios.iter().cloned().fold(0.0, f64::max),
        );
        assert!(lo <= landscape && landscape <= hi);
    }
}
