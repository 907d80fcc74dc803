//! How well an event split matches the truth, and the baselines it is compared with.

use std::collections::HashMap;

use serde::Serialize;

/// Boundary counts: a boundary is a position in the book order where the event changes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
}

impl Counts {
    pub fn add(&mut self, o: Counts) {
        self.tp += o.tp;
        self.fp += o.fp;
        self.fn_ += o.fn_;
    }
    pub fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }
    pub fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }
    pub fn f1(&self) -> f64 {
        ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn_)
    }
}

/// `a / b`, and 1 for `0 / 0` (nothing to find and nothing found is perfect).
fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}

/// Exact-position boundary matches between two labellings of one sequence.
pub fn boundaries(truth: &[usize], predicted: &[usize]) -> Counts {
    let mut c = Counts::default();
    for i in 1..truth.len().min(predicted.len()) {
        match (truth[i] != truth[i - 1], predicted[i] != predicted[i - 1]) {
            (true, true) => c.tp += 1,
            (false, true) => c.fp += 1,
            (true, false) => c.fn_ += 1,
            (false, false) => {}
        }
    }
    c
}

/// The adjusted Rand index (Hubert and Arabie, 1985) of two labellings of the same items.
pub fn adjusted_rand_index(a: &[usize], b: &[usize]) -> f64 {
    let n = a.len().min(b.len());
    let pairs = |k: usize| (k * k.saturating_sub(1) / 2) as f64;
    let mut joint: HashMap<(usize, usize), usize> = HashMap::new();
    let mut rows: HashMap<usize, usize> = HashMap::new();
    let mut cols: HashMap<usize, usize> = HashMap::new();
    for i in 0..n {
        *joint.entry((a[i], b[i])).or_default() += 1;
        *rows.entry(a[i]).or_default() += 1;
        *cols.entry(b[i]).or_default() += 1;
    }
    let index: f64 = joint.values().map(|&k| pairs(k)).sum();
    let sum_a: f64 = rows.values().map(|&k| pairs(k)).sum();
    let sum_b: f64 = cols.values().map(|&k| pairs(k)).sum();
    let expected = sum_a * sum_b / pairs(n).max(1.0);
    let max = (sum_a + sum_b) / 2.0;
    if (max - expected).abs() < 1e-12 {
        return 1.0;
    }
    (index - expected) / (max - expected)
}

/// Labels from event start positions.
pub fn labels_from_starts(starts: &[usize], n: usize) -> Vec<usize> {
    let mut out = Vec::with_capacity(n);
    let mut event = 0;
    for i in 0..n {
        while event + 1 < starts.len() && starts[event + 1] <= i {
            event += 1;
        }
        out.push(event);
    }
    out
}

/// Baseline: split at the `k - 1` largest gaps, giving `k` events (the true count: this
/// baseline is told how many events there are). Ties go to the earlier gap.
pub fn largest_gaps(seconds: &[f64], k: usize) -> Vec<usize> {
    let mut gaps: Vec<(usize, f64)> = seconds
        .windows(2)
        .enumerate()
        .map(|(i, w)| (i, w[1] - w[0]))
        .collect();
    gaps.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut starts: Vec<usize> = gaps
        .iter()
        .take(k.saturating_sub(1))
        .map(|&(i, _)| i + 1)
        .collect();
    starts.push(0);
    starts.sort_unstable();
    labels_from_starts(&starts, seconds.len())
}

/// Baseline: split wherever the gap exceeds `threshold` seconds.
pub fn fixed_threshold(seconds: &[f64], threshold: f64) -> Vec<usize> {
    let mut starts = vec![0];
    starts.extend(
        seconds
            .windows(2)
            .enumerate()
            .filter(|(_, w)| w[1] - w[0] > threshold)
            .map(|(i, _)| i + 1),
    );
    labels_from_starts(&starts, seconds.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ari_is_one_for_the_same_partition_under_any_names() {
        assert_eq!(adjusted_rand_index(&[0, 0, 1, 1, 2], &[5, 5, 3, 3, 9]), 1.0);
        assert_eq!(adjusted_rand_index(&[0, 0, 0], &[1, 1, 1]), 1.0);
    }

    #[test]
    fn ari_matches_a_worked_example() {
        // scikit-learn: adjusted_rand_score([0, 0, 1, 1], [0, 0, 1, 2]) == 0.5714285714285715
        let v = adjusted_rand_index(&[0, 0, 1, 1], &[0, 0, 1, 2]);
        assert!((v - 0.571_428_571_428_571_5).abs() < 1e-12, "{v}");
        // adjusted_rand_score([0, 0, 1, 2], [0, 0, 1, 1]) is symmetric.
        assert!((adjusted_rand_index(&[0, 0, 1, 2], &[0, 0, 1, 1]) - v).abs() < 1e-12);
        // A random-looking split scores near or below zero.
        assert!(adjusted_rand_index(&[0, 1, 0, 1, 0, 1], &[0, 0, 0, 1, 1, 1]) < 0.0);
    }

    #[test]
    fn boundary_counts_and_f1() {
        let c = boundaries(&[0, 0, 1, 1, 2, 2], &[0, 1, 1, 1, 2, 2]);
        assert_eq!(
            c,
            Counts {
                tp: 1,
                fp: 1,
                fn_: 1
            }
        );
        assert_eq!(c.f1(), 0.5);
        assert_eq!(boundaries(&[0, 0], &[0, 0]).f1(), 1.0);
    }

    #[test]
    fn baselines() {
        let t = [0.0, 1.0, 100.0, 101.0, 150.0, 151.0];
        assert_eq!(largest_gaps(&t, 2), [0, 0, 1, 1, 1, 1]);
        assert_eq!(largest_gaps(&t, 3), [0, 0, 1, 1, 2, 2]);
        assert_eq!(largest_gaps(&t, 1), [0; 6]);
        assert_eq!(fixed_threshold(&t, 60.0), [0, 0, 1, 1, 1, 1]);
        assert_eq!(fixed_threshold(&t, 10.0), [0, 0, 1, 1, 2, 2]);
        assert_eq!(labels_from_starts(&[0, 2, 5], 6), [0, 0, 1, 1, 1, 2]);
    }
}
