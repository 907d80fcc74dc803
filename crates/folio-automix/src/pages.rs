//! Step 3 (SPEC §10.3): pages. Each event gets a number of pages, then its photos are cut
//! into that many runs (book order is kept: people want their book chronological) at the
//! places where neighbouring photos differ most.
//!
//! **How many pages.** An event of `n` photos wants `round(n / photos_per_page)` pages, at
//! least as many as its photos need at the library's capacity (6 photos, or the most
//! captioned slots for a run with a captioned photo) and at most `n`. To put the pages of one
//! event on facing pages, each event may take one page more or less: a dynamic programme over
//! the events (its state is whether the next page is a left or a right page) minimises
//! `PAGE_COUNT_COST × |pages − wanted| + SPLIT_SPREAD_COST × (spreads the event could fill
//! but does not)`, where an event of `p` pages can fill `⌊p / 2⌋` spreads.
//!
//! **Where to cut.** Between neighbours `i` and `i + 1` of an event, the reward of a page break
//! is their [`dissimilarity`] (colour, place and the gap's `ln(1 + g)` relative to the event's
//! largest). A second dynamic programme picks the cuts that maximise the total reward less
//! `SIZE_COST × Σ (page size − n / pages)²`, so pages stay even unless the photos say
//! otherwise.

use crdt_schema::geometry::PageSide;

use super::photo::Photo;
use super::similarity::{dissimilarity, Weights};

/// The cost of one page more or fewer than an event wants.
pub const PAGE_COUNT_COST: f64 = 1.0;
/// The cost of a spread an event's pages could fill together but do not.
pub const SPLIT_SPREAD_COST: f64 = 2.0;
/// The cost per squared photo of a page's size away from the event's mean page size.
pub const SIZE_COST: f64 = 0.1;

/// The photos of one page, as positions in book order, and the event they belong to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageGroup {
    pub event: usize,
    pub photos: Vec<usize>,
}

/// How many photos a page can take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capacity {
    pub plain: usize,
    /// For a page with a captioned photo.
    pub captioned: usize,
}

/// The side of page `index` when the first page is on `first`.
pub fn side_of(index: usize, first: PageSide) -> PageSide {
    if index.is_multiple_of(2) {
        first
    } else {
        first.facing()
    }
}

/// Splits the photos (in book order, with the events' first positions `starts`) into pages.
pub fn paginate(
    photos: &[&Photo],
    seconds: &[f64],
    starts: &[usize],
    per_page: f64,
    cap: Capacity,
    first: PageSide,
    w: &Weights,
) -> Vec<PageGroup> {
    let n = photos.len();
    let captioned: Vec<bool> = photos.iter().map(|p| p.caption.is_some()).collect();
    let ranges: Vec<(usize, usize)> = starts
        .iter()
        .enumerate()
        .map(|(e, &s)| (s, starts.get(e + 1).copied().unwrap_or(n)))
        .collect();
    let counts = page_counts(&ranges, &captioned, per_page, cap, first);
    let mut pages = Vec::new();
    for (e, (&(s, t), &p)) in ranges.iter().zip(&counts).enumerate() {
        let rewards = cut_rewards(&photos[s..t], &seconds[s..t], w);
        for run in split(&rewards, &captioned[s..t], p, cap) {
            pages.push(PageGroup {
                event: e,
                photos: (s + run.0..s + run.1).collect(),
            });
        }
    }
    pages
}

/// The fewest pages a run can take: greedy filling is optimal because a sub-run of a valid
/// page is valid.
fn min_pages(captioned: &[bool], cap: Capacity) -> usize {
    let mut pages = 0;
    let mut i = 0;
    while i < captioned.len() {
        let mut j = i;
        let mut any = false;
        while j < captioned.len() {
            let next_any = any || captioned[j];
            let limit = if next_any { cap.captioned } else { cap.plain };
            if j + 1 - i > limit {
                break;
            }
            any = next_any;
            j += 1;
        }
        // A captioned photo alone always fits: a page has at least one slot.
        i = j.max(i + 1);
        pages += 1;
    }
    pages
}

/// Pages per event, by the facing-pages programme of the module doc.
fn page_counts(
    ranges: &[(usize, usize)],
    captioned: &[bool],
    per_page: f64,
    cap: Capacity,
    first: PageSide,
) -> Vec<usize> {
    let per_page = if per_page.is_finite() && per_page >= 1.0 {
        per_page
    } else {
        1.0
    };
    // For each event: the candidate counts, preferred first, with their deviation.
    let options: Vec<Vec<(usize, usize)>> = ranges
        .iter()
        .map(|&(s, t)| {
            let n = t - s;
            let least = min_pages(&captioned[s..t], cap).max(1);
            let wanted = ((n as f64 / per_page).round() as usize).clamp(least, n.max(1));
            [wanted, wanted + 1, wanted.wrapping_sub(1)]
                .into_iter()
                .filter(|&p| p >= least && p <= n.max(1))
                .map(|p| (p, p.abs_diff(wanted)))
                .collect()
        })
        .collect();
    // cost[parity] of the best prefix ending with the next page at that parity of index.
    const INF: f64 = f64::INFINITY;
    let mut cost = [0.0, INF];
    let mut choice: Vec<[Option<(usize, usize)>; 2]> = Vec::with_capacity(ranges.len());
    for opts in &options {
        let mut next = [INF, INF];
        let mut back = [None, None];
        for (parity, &c) in cost.iter().enumerate() {
            if !c.is_finite() {
                continue;
            }
            for &(p, deviation) in opts {
                let filled = (parity..parity + p.saturating_sub(1))
                    .filter(|&i| side_of(i, first) == PageSide::Left)
                    .count();
                let missed = p / 2 - filled.min(p / 2);
                let total =
                    c + PAGE_COUNT_COST * deviation as f64 + SPLIT_SPREAD_COST * missed as f64;
                let to = (parity + p) % 2;
                // Strictly less: earlier options (the wanted count first) win ties.
                if total < next[to] {
                    next[to] = total;
                    back[to] = Some((parity, p));
                }
            }
        }
        choice.push(back);
        cost = next;
    }
    let mut parity = if cost[0] <= cost[1] { 0 } else { 1 };
    let mut counts = vec![0; ranges.len()];
    for e in (0..ranges.len()).rev() {
        let (from, p) = choice[e][parity].expect("every event has a feasible page count");
        counts[e] = p;
        parity = from;
    }
    counts
}

/// The reward of a break after each photo but the last of an event.
fn cut_rewards(photos: &[&Photo], seconds: &[f64], w: &Weights) -> Vec<f64> {
    let logs: Vec<f64> = seconds
        .windows(2)
        .map(|s| (s[1] - s[0]).max(0.0).ln_1p())
        .collect();
    let most = logs.iter().copied().fold(0.0, f64::max);
    logs.iter()
        .enumerate()
        .map(|(i, &l)| {
            let time = if most > 0.0 { l / most } else { 0.0 };
            dissimilarity(photos[i], photos[i + 1], time, w)
        })
        .collect()
}

/// Cuts `n = rewards.len() + 1` photos into `pages` runs `[start, end)` by the second
/// programme of the module doc.
fn split(rewards: &[f64], captioned: &[bool], pages: usize, cap: Capacity) -> Vec<(usize, usize)> {
    let n = captioned.len();
    if pages <= 1 || n <= 1 {
        return vec![(0, n)];
    }
    let mean = n as f64 / pages as f64;
    // captions[i]: captioned photos among the first i.
    let mut captions = vec![0usize; n + 1];
    for i in 0..n {
        captions[i + 1] = captions[i] + captioned[i] as usize;
    }
    let fits = |a: usize, b: usize| {
        b - a
            <= if captions[b] > captions[a] {
                cap.captioned
            } else {
                cap.plain
            }
    };
    let most = cap.plain.max(cap.captioned).max(1);
    const NEG: f64 = f64::NEG_INFINITY;
    // best[k][j]: the best score of the first j photos in k pages, the k-th ending at j.
    let mut best = vec![vec![NEG; n + 1]; pages + 1];
    let mut from = vec![vec![0usize; n + 1]; pages + 1];
    best[0][0] = 0.0;
    for k in 1..=pages {
        for j in k..=n {
            for size in 1..=most.min(j) {
                let i = j - size;
                if best[k - 1][i] == NEG || !fits(i, j) {
                    continue;
                }
                // A break before photo i (after photo i - 1) earns its reward.
                let reward = if i > 0 { rewards[i - 1] } else { 0.0 };
                let score = best[k - 1][i] + reward - SIZE_COST * (size as f64 - mean).powi(2);
                if score > best[k][j] {
                    best[k][j] = score;
                    from[k][j] = i;
                }
            }
        }
    }
    if best[pages][n] == NEG {
        // Cannot happen when `pages` is at least the minimum; keep every photo anyway.
        return vec![(0, n)];
    }
    let mut runs = Vec::with_capacity(pages);
    let mut j = n;
    for k in (1..=pages).rev() {
        let i = from[k][j];
        runs.push((i, j));
        j = i;
    }
    runs.reverse();
    runs
}

#[cfg(test)]
pub(super) fn split_for_tests(rewards: &[f64], pages: usize) -> Vec<(usize, usize)> {
    split(
        rewards,
        &vec![false; rewards.len() + 1],
        pages,
        Capacity {
            plain: 6,
            captioned: 3,
        },
    )
}
