//! Counters and latency histograms shared by every simulated client, on one clock.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};
use std::time::Instant;

use hdrhistogram::Histogram;

/// The generator's single clock: every send time and arrival time comes from it.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    start: Instant,
}

impl Clock {
    pub fn new() -> Clock {
        Clock {
            start: Instant::now(),
        }
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
    /// With several nodes: the same latencies split by route, `[same node, cross node]`.
    update_by_hop: Mutex<[Histogram<u64>; 2]>,
    awareness_by_hop: Mutex<[Histogram<u64>; 2]>,
    /// The node each editor's Yjs client id is connected to.
    nodes: RwLock<HashMap<u64, usize>>,
    /// Some editor is on a node other than the first.
    several_nodes: AtomicBool,
    /// Only arrivals after this instant (µs on the clock) are counted.
    pub measure_from_us: AtomicU64,
}

/// Which way a timed message went: between two clients of one node, or from a client of
/// one node to a client of another (through the fan-out between nodes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hop {
    SameNode = 0,
    CrossNode = 1,
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
            update_by_hop: Mutex::new([histogram(), histogram()]),
            awareness_by_hop: Mutex::new([histogram(), histogram()]),
            nodes: RwLock::new(HashMap::new()),
            several_nodes: AtomicBool::new(false),
            measure_from_us: AtomicU64::new(0),
        }
    }

    fn measuring(&self, sent_us: u64) -> bool {
        sent_us >= self.measure_from_us.load(Ordering::Relaxed)
    }

    /// Notes that the editor with Yjs client id `client` is connected to node `node`.
    pub fn register(&self, client: u64, node: usize) {
        self.nodes.write().unwrap().insert(client, node);
        if node > 0 {
            self.several_nodes.store(true, Ordering::Relaxed);
        }
    }

    /// The route from the editor with client id `from` to a receiver on node `to`, when
    /// the sender is known.
    pub fn hop(&self, from: u64, to: usize) -> Option<Hop> {
        let node = *self.nodes.read().unwrap().get(&from)?;
        Some(if node == to {
            Hop::SameNode
        } else {
            Hop::CrossNode
        })
    }

    pub fn update_arrived(&self, sent_us: Option<u64>) {
        self.update_arrived_via(sent_us, None);
    }

    pub fn awareness_arrived(&self, sent_us: Option<u64>) {
        self.awareness_arrived_via(sent_us, None);
    }

    /// An update arrived; `hop` says which route it took, when known.
    pub fn update_arrived_via(&self, sent_us: Option<u64>, hop: Option<Hop>) {
        self.delivered_updates.fetch_add(1, Ordering::Relaxed);
        if let Some(t) = sent_us.filter(|t| self.measuring(*t)) {
            let lat = self.clock.now_us().saturating_sub(t).max(1);
            let _ = self.update_latency.lock().unwrap().record(lat);
            if let Some(h) = hop {
                let _ = self.update_by_hop.lock().unwrap()[h as usize].record(lat);
            }
        }
    }

    /// An awareness entry arrived; `hop` says which route it took, when known.
    pub fn awareness_arrived_via(&self, sent_us: Option<u64>, hop: Option<Hop>) {
        self.delivered_awareness.fetch_add(1, Ordering::Relaxed);
        if let Some(t) = sent_us.filter(|t| self.measuring(*t)) {
            let lat = self.clock.now_us().saturating_sub(t).max(1);
            let _ = self.awareness_latency.lock().unwrap().record(lat);
            if let Some(h) = hop {
                let _ = self.awareness_by_hop.lock().unwrap()[h as usize].record(lat);
            }
        }
    }

    /// Starts a fresh measurement window: counters and histograms restart at zero.
    pub fn reset(&self) {
        for c in [
            &self.sent_updates,
            &self.sent_awareness,
            &self.delivered_updates,
            &self.delivered_awareness,
            &self.errors,
            &self.denied,
            &self.drops,
        ] {
            c.store(0, Ordering::Relaxed);
        }
        self.update_latency.lock().unwrap().reset();
        self.awareness_latency.lock().unwrap().reset();
        for h in self
            .update_by_hop
            .lock()
            .unwrap()
            .iter_mut()
            .chain(self.awareness_by_hop.lock().unwrap().iter_mut())
        {
            h.reset();
        }
        self.measure_from_us
            .store(self.clock.now_us(), Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> Snapshot {
        let u = self.update_latency.lock().unwrap();
        let a = self.awareness_latency.lock().unwrap();
        let ms = |h: &Histogram<u64>, q: f64| {
            if h.is_empty() {
                None
            } else {
                Some(h.value_at_quantile(q) as f64 / 1000.0)
            }
        };
        let (same_node, cross_node) = if self.several_nodes.load(Ordering::Relaxed) {
            let uh = self.update_by_hop.lock().unwrap();
            let ah = self.awareness_by_hop.lock().unwrap();
            let route = |i: usize| RouteLatency {
                latency_samples: uh[i].len(),
                p50_ms: ms(&uh[i], 0.5),
                p99_ms: ms(&uh[i], 0.99),
                p999_ms: ms(&uh[i], 0.999),
                awareness_samples: ah[i].len(),
                awareness_p50_ms: ms(&ah[i], 0.5),
                awareness_p99_ms: ms(&ah[i], 0.99),
                awareness_p999_ms: ms(&ah[i], 0.999),
            };
            (
                Some(route(Hop::SameNode as usize)),
                Some(route(Hop::CrossNode as usize)),
            )
        } else {
            (None, None)
        };
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
            awareness_p999_ms: ms(&a, 0.999),
            same_node,
            cross_node,
        }
    }
}

/// Latency of the messages that took one route (several nodes only).
#[derive(Debug, Clone, serde::Serialize)]
pub struct RouteLatency {
    pub latency_samples: u64,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub p999_ms: Option<f64>,
    pub awareness_samples: u64,
    pub awareness_p50_ms: Option<f64>,
    pub awareness_p99_ms: Option<f64>,
    pub awareness_p999_ms: Option<f64>,
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
    pub awareness_p999_ms: Option<f64>,
    /// With several nodes: messages between two clients of one node.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub same_node: Option<RouteLatency>,
    /// With several nodes: messages from a client of one node to a client of another.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cross_node: Option<RouteLatency>,
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

    #[test]
    fn arrivals_split_by_route_once_a_second_node_is_in_use() {
        let s = Stats::new(Clock::new());
        s.register(1, 0);
        s.register(2, 0);
        s.update_arrived_via(Some(0), s.hop(2, 0));
        assert!(s.snapshot().same_node.is_none(), "one node: no split");
        s.register(3, 1);
        assert_eq!(s.hop(3, 0), Some(Hop::CrossNode));
        assert_eq!(s.hop(3, 1), Some(Hop::SameNode));
        assert_eq!(s.hop(9, 1), None);
        s.update_arrived_via(Some(0), s.hop(3, 0));
        s.awareness_arrived_via(Some(0), s.hop(1, 1));
        let snap = s.snapshot();
        let (same, cross) = (snap.same_node.unwrap(), snap.cross_node.unwrap());
        assert_eq!(
            (
                same.latency_samples,
                cross.latency_samples,
                snap.latency_samples
            ),
            (1, 1, 2)
        );
        assert_eq!((same.awareness_samples, cross.awareness_samples), (0, 1));
    }
}
