//! Synthetic photo streams with known events, for measuring automix (SPEC §10).
//!
//! A stream is a trip or a stretch of everyday life, made of **activities** (the true events):
//!
//! * **Kinds and time scales.** A *burst* (a meal, a party, a market: 2 to 60 photos, median
//!   10, gaps around 10 to 90 s), a *slow* outing (a hike, a beach day, a walk through a town:
//!   5 to 120 photos, median 22, gaps around 2 to 12 minutes, with an occasional lull 3 to 8
//!   times longer, and in 40 % of them a second scene with new colours half a kilometre or
//!   more away), or a *snap* (1 to 3 photos seconds apart). Inside an activity 30 % of gaps
//!   are camera bursts of under 4 s; the rest are exponential at the activity's scale.
//! * **Between activities**: 20 minutes to 3 hours (log-uniform) on the same day; nights.
//! * **Vacation**: 6 to 12 days. Day 0 has an airport snap at home, a flight of 3 to 14
//!   hours across 3 to 9 time zones and an arrival; in a third of trips a second destination
//!   1 to 2 zones further and hundreds of kilometres away. Days start 7:30 to 9:30 local
//!   with 2 to 5 activities each.
//! * **Everyday**: 45 to 90 days at home, a third of them with one or two activities.
//! * **Places and colours**: each activity has a place (kilometres from the day's base, which
//!   is tens of kilometres from the destination's centre) that photos wander from, and a
//!   palette of three CIELAB colours each photo's dominant colours are drawn around.
//! * **Devices and missing EXIF**: a phone (UTC with offset, GPS 90 % of the time; 4:3,
//!   16:9 or square, 30 % portrait); in 70 % of trips and 20 % of everyday streams also a
//!   camera for a quarter of the photos (local time only, its clock a minute or two off,
//!   no GPS; 3:2, 25 % portrait); and 3 % of photos received through a messaging app with no
//!   EXIF at all, saved to the phone's roll a few seconds to two minutes after they were
//!   taken (70 %) or 10 minutes to 12 hours later (30 %), two thirds of them keeping that save
//!   time as their file time. The phone's roll is uploaded first, in the order photos were
//!   saved to it, then the camera's card in capture order.
//!
//! Everything comes from one seed (`StdRng`), so a stream is the same on every run.

use chrono::{DateTime, Duration, FixedOffset, TimeZone, Utc};
use folio_automix::{LabShare, Photo, Taken};
use folio_domain::ids::PhotoId;
use folio_media::exif_tags::Gps;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scenario {
    Vacation,
    Everyday,
}

/// A generated stream with its ground truth.
pub struct Stream {
    pub scenario: Scenario,
    /// In upload order.
    pub photos: Vec<Photo>,
    /// The true event of each photo (same index as `photos`).
    pub truth: Vec<usize>,
    pub events: usize,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Burst,
    Slow,
    Snap,
}

/// One photo before it is given to a device: its true UTC instant (seconds after the
/// stream's start), the zone the photographer was in, its event, place and colours.
struct Shot {
    t: f64,
    offset: i32,
    event: usize,
    gps: Gps,
    colors: Vec<LabShare>,
}

struct Gen {
    rng: StdRng,
    shots: Vec<Shot>,
    events: usize,
}

impl Gen {
    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.rng.random::<f64>()
    }
    fn log_uniform(&mut self, lo: f64, hi: f64) -> f64 {
        self.uniform(lo.ln(), hi.ln()).exp()
    }
    fn normal(&mut self) -> f64 {
        // Box–Muller.
        let u = self.rng.random::<f64>().max(1e-12);
        let v = self.rng.random::<f64>();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
    fn exponential(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.rng.random::<f64>()).ln()
    }
    fn chance(&mut self, p: f64) -> bool {
        self.rng.random::<f64>() < p
    }
    fn count(&mut self, median: f64, sigma: f64, lo: usize, hi: usize) -> usize {
        ((median * (sigma * self.normal()).exp()).round() as usize).clamp(lo, hi)
    }

    fn near(&mut self, at: Gps, km: f64) -> Gps {
        let (dy, dx) = (self.normal() * km / 111.0, self.normal() * km / 111.0);
        Gps {
            lat: (at.lat + dy).clamp(-85.0, 85.0),
            lon: at.lon + dx / at.lat.to_radians().cos().max(0.2),
        }
    }

    fn palette(&mut self) -> Vec<[f32; 3]> {
        (0..3)
            .map(|_| {
                [
                    self.uniform(20.0, 90.0) as f32,
                    self.uniform(-40.0, 40.0) as f32,
                    self.uniform(-40.0, 60.0) as f32,
                ]
            })
            .collect()
    }

    fn colors(&mut self, palette: &[[f32; 3]]) -> Vec<LabShare> {
        let mut out: Vec<LabShare> = palette
            .iter()
            .map(|c| {
                let lab = [
                    (c[0] + 4.0 * self.normal() as f32).clamp(0.0, 100.0),
                    c[1] + 4.0 * self.normal() as f32,
                    c[2] + 4.0 * self.normal() as f32,
                ];
                LabShare {
                    lab,
                    share: self.uniform(0.1, 1.0),
                }
            })
            .collect();
        let total: f64 = out.iter().map(|c| c.share).sum();
        out.iter_mut().for_each(|c| c.share /= total);
        out.sort_by(|a, b| b.share.total_cmp(&a.share));
        out
    }

    fn kind(&mut self, burst: f64, slow: f64) -> Kind {
        let u = self.rng.random::<f64>();
        if u < burst {
            Kind::Burst
        } else if u < burst + slow {
            Kind::Slow
        } else {
            Kind::Snap
        }
    }

    /// One activity from `start` (UTC seconds) at `place`; returns when its last photo was taken.
    fn activity(&mut self, start: f64, offset: i32, kind: Kind, place: Gps) -> f64 {
        let (n, scale, wander_km) = match kind {
            Kind::Burst => (
                self.count(10.0, 0.7, 2, 60),
                self.log_uniform(10.0, 90.0),
                0.01,
            ),
            Kind::Slow => (
                self.count(22.0, 0.6, 5, 120),
                self.log_uniform(120.0, 720.0),
                0.08,
            ),
            Kind::Snap => (
                self.rng.random_range(1..=3),
                self.log_uniform(5.0, 40.0),
                0.005,
            ),
        };
        let event = self.events;
        self.events += 1;
        let mut palette = self.palette();
        let second_scene = if kind == Kind::Slow && self.chance(0.4) {
            Some(self.rng.random_range(n / 3..=(2 * n / 3).max(n / 3)))
        } else {
            None
        };
        let mut t = start;
        let mut at = place;
        for i in 0..n {
            if i > 0 {
                let mut gap = if self.chance(0.3) {
                    self.uniform(0.5, 4.0)
                } else {
                    self.exponential(scale)
                };
                if kind == Kind::Slow && self.chance(0.04) {
                    gap *= self.log_uniform(3.0, 8.0);
                }
                t += gap;
            }
            if second_scene == Some(i) {
                palette = self.palette();
                let km = self.log_uniform(0.5, 3.0);
                at = self.near(at, km);
            }
            at = self.near(at, wander_km);
            let colors = self.colors(&palette);
            self.shots.push(Shot {
                t,
                offset,
                event,
                gps: at,
                colors,
            });
        }
        t
    }

    /// Activities through one day whose first starts at local `day_start` (UTC seconds);
    /// returns the end of the last.
    fn day(
        &mut self,
        mut t: f64,
        offset: i32,
        base: Gps,
        activities: usize,
        mix: (f64, f64),
    ) -> f64 {
        let day_base = self.near(base, 15.0);
        let local_midnight = ((t + offset as f64) / 86400.0).floor() * 86400.0 - offset as f64;
        for a in 0..activities {
            if a > 0 {
                t += self.log_uniform(20.0 * 60.0, 3.0 * 3600.0);
            }
            if t - local_midnight > 23.0 * 3600.0 {
                break;
            }
            let kind = self.kind(mix.0, mix.1);
            let place = self.near(day_base, 5.0);
            t = self.activity(t, offset, kind, place);
        }
        t
    }
}

fn city(g: &mut Gen) -> Gps {
    Gps {
        lat: g.uniform(-45.0, 60.0),
        lon: g.uniform(-170.0, 170.0),
    }
}

/// The next local `hour` (as a fraction of a day) in zone `offset` at least `min_gap`
/// seconds after `t`.
fn next_local(t: f64, offset: i32, hour: f64, min_gap: f64) -> f64 {
    let mut day = ((t + offset as f64) / 86400.0).floor();
    loop {
        let at = day * 86400.0 + hour * 3600.0 - offset as f64;
        if at >= t + min_gap {
            return at;
        }
        day += 1.0;
    }
}

/// A stream of the given scenario. With `min_photos`, a vacation goes on for more days until
/// it has that many photos and is then cut to exactly that many (in capture order).
pub fn generate(scenario: Scenario, seed: u64, min_photos: Option<usize>) -> Stream {
    let mut g = Gen {
        rng: StdRng::seed_from_u64(seed),
        shots: Vec::new(),
        events: 0,
    };
    let hours = |h: i32| h * 3600;
    match scenario {
        Scenario::Vacation => {
            let home_offset = hours([-8, -5, 0, 1, 2][g.rng.random_range(0..5)]);
            let shift = [-9, -6, -3, 3, 6, 9][g.rng.random_range(0..6)];
            let dest_offset = (home_offset + hours(shift)).clamp(hours(-11), hours(13));
            let (home, dest) = (city(&mut g), city(&mut g));
            let days = g.rng.random_range(6..=12);
            // Day 0: the airport at home, the flight, the arrival.
            let mut t = next_local(0.0, home_offset, g.uniform(6.0, 9.0), 0.0);
            if g.chance(0.7) {
                t = g.activity(t, home_offset, Kind::Snap, home);
            }
            t += 3600.0 * (3.0 + 0.8 * shift.abs() as f64 + g.uniform(0.0, 3.0));
            if g.chance(0.6) {
                let kind = g.kind(0.5, 0.0);
                t = g.activity(t, dest_offset, kind, dest);
            }
            let (mut offset, mut base) = (dest_offset, dest);
            let second = if g.chance(0.33) {
                Some(g.rng.random_range(days / 2..days.max(days / 2 + 1)))
            } else {
                None
            };
            let mut day = 1;
            while day <= days || min_photos.is_some_and(|n| g.shots.len() < n) {
                if second == Some(day) {
                    offset += hours([-2, -1, 1, 2][g.rng.random_range(0..4)]);
                    base = g.near(base, 400.0);
                }
                t = next_local(t, offset, g.uniform(7.5, 9.5), 6.0 * 3600.0);
                let activities = g.rng.random_range(2..=5);
                t = g.day(t, offset, base, activities, (0.4, 0.35));
                day += 1;
            }
        }
        Scenario::Everyday => {
            let offset = hours([-8, -5, 0, 1, 2][g.rng.random_range(0..5)]);
            let home = city(&mut g);
            let days = g.rng.random_range(45..=90);
            let mut t = 0.0;
            for _ in 0..days {
                let start = next_local(t, offset, g.uniform(8.0, 20.0), 6.0 * 3600.0);
                if g.chance(1.0 / 3.0) {
                    let activities = if g.chance(0.8) { 1 } else { 2 };
                    t = g.day(start, offset, home, activities, (0.5, 0.15));
                } else {
                    t = start;
                }
            }
        }
    }
    if let Some(n) = min_photos {
        g.shots.truncate(n);
    }
    devices(g, scenario, seed)
}

/// Gives each shot to a device, which decides what metadata the photo keeps.
fn devices(mut g: Gen, scenario: Scenario, seed: u64) -> Stream {
    let base: DateTime<Utc> = Utc
        .with_ymd_and_hms(2025, 7, 1, 0, 0, 0)
        .single()
        .expect("a valid date");
    let has_camera = g.chance(if scenario == Scenario::Vacation {
        0.7
    } else {
        0.2
    });
    let drift = g.uniform(-120.0, 120.0);
    let shots = std::mem::take(&mut g.shots);
    // (device, photo, event, upload key): device 0 phone, 1 camera, 2 messages; the phone's
    // roll (phone and messages) uploads first, by save time, then the camera's card.
    let mut made: Vec<(u8, Photo, usize, (u8, f64))> = Vec::with_capacity(shots.len());
    for (i, shot) in shots.iter().enumerate() {
        let device = if g.chance(0.03) {
            2
        } else if has_camera && g.chance(0.25) {
            1
        } else {
            0
        };
        let id = PhotoId(Uuid::from_u128(((seed as u128) << 64) | (i as u128 + 1)));
        let utc = base + Duration::milliseconds((shot.t * 1000.0).round() as i64);
        let offset = FixedOffset::east_opt(shot.offset).expect("offsets are within a day");
        let (w, h, portrait) = match device {
            0 => {
                let (w, h) = [(4032, 3024), (4032, 2268), (3024, 3024)][if g.chance(0.8) {
                    0
                } else if g.chance(0.75) {
                    1
                } else {
                    2
                }];
                (w, h, g.chance(0.3))
            }
            1 => (6000, 4000, g.chance(0.25)),
            _ => (1600, 1200, g.chance(0.3)),
        };
        let (w, h) = if portrait { (h, w) } else { (w, h) };
        let mut p = Photo::new(id, "", 0, w, h);
        p.colors = shot.colors.clone();
        match device {
            0 => {
                p.taken = Some(Taken::Utc {
                    at: utc,
                    offset: Some(offset),
                });
                p.gps = if g.chance(0.9) { Some(shot.gps) } else { None };
            }
            1 => {
                let local = utc.naive_utc()
                    + Duration::seconds(shot.offset as i64)
                    + Duration::milliseconds((drift * 1000.0) as i64);
                p.taken = Some(Taken::Local(local));
            }
            _ => {}
        }
        let saved = match device {
            2 => {
                let delay = if g.chance(0.7) {
                    g.uniform(5.0, 120.0)
                } else {
                    g.log_uniform(600.0, 12.0 * 3600.0)
                };
                if g.chance(2.0 / 3.0) {
                    p.file_time = Some(utc + Duration::milliseconds((delay * 1000.0) as i64));
                }
                shot.t + delay
            }
            _ => shot.t,
        };
        made.push((device, p, shot.event, (u8::from(device == 1), saved)));
    }
    made.sort_by(|a, b| a.3 .0.cmp(&b.3 .0).then(a.3 .1.total_cmp(&b.3 .1)));
    let mut counters = [0usize; 3];
    let mut photos = Vec::with_capacity(made.len());
    let mut truth = Vec::with_capacity(made.len());
    for (upload, (device, mut p, event, _)) in made.into_iter().enumerate() {
        counters[device as usize] += 1;
        let n = counters[device as usize];
        p.name = match device {
            0 => format!("IMG_{n:04}.JPG"),
            1 => format!("DSC{n:05}.JPG"),
            _ => format!("IMG-20250701-WA{n:04}.jpg"),
        };
        p.upload_order = upload as u64;
        photos.push(p);
        truth.push(event);
    }
    let events = truth.iter().copied().max().map_or(0, |m| m + 1);
    Stream {
        scenario,
        photos,
        truth,
        events,
    }
}
