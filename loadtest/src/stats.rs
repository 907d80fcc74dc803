//! Counters and latency histograms shared by every simulated client, on one clock.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use hdrhistogram::Histogram;

/// The generator's single clock: every send time and arrival time comes from it.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    start: Instant,
}

impl Clock {
    pub fn new() -> Clock {
        Clock { start: Instant::now() }
    }

    pub fn now_us(&self) -> u64 {
        self.start.elapsed().as_micros() as u64
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::new()
    }
}

/// A send time carried inside an item move: `box = [secs/1000, frac, w, h, rot]`. Both
/// numbers stay within the ±10 every box value must keep (for 10,000 s of run time) and
/// decode exactly.
pub fn stamp_to_box(t_us: u64) -> [f64; 2] {
    let secs = t_us / 1_000_000;
    let frac = t_us % 1_000_000;
    [secs as f64 / 1000.0, frac as f64 / 1_000_000.0]
}

pub fn box_to_stamp(a: f64, b: f64) -> Option<u64> {
    if !(a.is_finite() && b.is_finite()) || a < 0.0 || !(0.0..1.0).contains(&b) {
        return None;
    }
    Some((a * 1000.0).round() as u64 * 1_000_000 + (b * 1_000_000.0).round() as u64)
}

fn histogram() -> Histogram<u64> {
    // 1 µs to 60 s, 3 significant digits.
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid bounds")
}

/// Everything the clients count during one measurement.
pub struct Stats {
    pub clock: Clock,
    pub sent_updates: AtomicU64,
    pub sent_awareness: AtomicU64,
    pub delivered_updates: AtomicU64,
    pub delivered_awareness: AtomicU64,
    pub errors: AtomicU64,
    pub denied: AtomicU64,
    /// Connections the server dropped (closed while the run was on).
    pub drops: AtomicU64,
    pub connected: AtomicU64,
    update_latency: Mutex<Histogram<u64>>,
    awareness_latency: Mutex<Histogram<u64>>,
    /// Only arrivals after this instant (µs on the clock) are counted.
    pub measure_from_us: AtomicU64,
}

impl Stats {
    pub fn new(clock: Clock) -> Stats {
        Stats {
            clock,
            sent_updates: AtomicU64::new(0),
            sent_awareness: AtomicU64::new(0),
            delivered_updates: AtomicU64::new(0),
            delivered_awareness: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            denied: AtomicU64::new(0),
            drops: AtomicU64::new(0),
            connected: AtomicU64::new(0),
            update_latency: Mutex::new(histogram()),
            awareness_latency: Mutex::new(histogram()),
            measure_from_us: AtomicU64::new(0),
        }
    }

    fn measuring(&self, sent_us: u64) -> bool {
        sent_us >= self.measure_from_us.load(Ordering::Relaxed)
    }

    pub fn update_arrived(&self, sent_us: Option<u64>) {
        self.delivered_updates.fetch_add(1, Ordering::Relaxed);
        if let Some(t) = sent_us.filter(|t| self.measuring(*t)) {
            let lat = self.clock.now_us().saturating_sub(t).max(1);
            let _ = self.update_latency.lock().unwrap().record(lat);
        }
    }

    pub fn awareness_arrived(&self, sent_us: Option<u64>) {
        self.delivered_awareness.fetch_add(1, Ordering::Relaxed);
        if let Some(t) = sent_us.filter(|t| self.measuring(*t)) {
            let lat = self.clock.now_us().saturating_sub(t).max(1);
            let _ = self.awareness_latency.lock().unwrap().record(lat);
        }
    }

    /// Starts a fresh measurement window: counters and histograms restart at zero.
    pub fn reset(&self) {
        for c in [&self.sent_updates, &self.sent_awareness, &self.delivered_updates, &self.delivered_awareness, &self.errors, &self.denied, &self.drops] {
            c.store(0, Ordering::Relaxed);
        }
        self.update_latency.lock().unwrap().reset();
        self.awareness_latency.lock().unwrap().reset();
        self.measure_from_us.store(self.clock.now_us(), Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> Snapshot {
        let u = self.update_latency.lock().unwrap();
        let a = self.awareness_latency.lock().unwrap();
        let ms = |h: &Histogram<u64>, q: f64| if h.is_empty() { None } else { Some(h.value_at_quantile(q) as f64 / 1000.0) };
        Snapshot {
            sent_updates: self.sent_updates.load(Ordering::Relaxed),
            sent_awareness: self.sent_awareness.load(Ordering::Relaxed),
            delivered_updates: self.delivered_updates.load(Ordering::Relaxed),
            delivered_awareness: self.delivered_awareness.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
            denied: self.denied.load(Ordering::Relaxed),
            drops: self.drops.load(Ordering::Relaxed),
            latency_samples: u.len(),
            p50_ms: ms(&u, 0.5),
            p99_ms: ms(&u, 0.99),
            p999_ms: ms(&u, 0.999),
            awareness_p50_ms: ms(&a, 0.5),
            awareness_p99_ms: ms(&a, 0.99),
        }
    }
}

/// Counters and percentiles at one instant.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Snapshot {
    pub sent_updates: u64,
    pub sent_awareness: u64,
    pub delivered_updates: u64,
    pub delivered_awareness: u64,
    pub errors: u64,
    pub denied: u64,
    pub drops: u64,
    pub latency_samples: u64,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub p999_ms: Option<f64>,
    pub awareness_p50_ms: Option<f64>,
    pub awareness_p99_ms: Option<f64>,
}

impl Snapshot {
    pub fn delivered(&self) -> u64 {
        self.delivered_updates + self.delivered_awareness
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_round_trip_and_stay_within_box_limits() {
        for t in [0u64, 1, 999_999, 1_000_000, 123_456_789, 9_999_999_999] {
            let [a, b] = stamp_to_box(t);
            assert!(a.abs() <= 10.0 && b.abs() <= 10.0);
            assert_eq!(box_to_stamp(a, b), Some(t));
        }
    }
}
