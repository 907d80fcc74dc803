//! Each automix step on hand-made inputs with exact expected results, and whole plans.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};
use crdt_schema::geometry::{
    core_aspect_ratio, fit_photo, slot_aspect, PageSide, PhotoView, PixelSize,
};
use crdt_schema::AspectGroup;
use serde_json::json;
use uuid::Uuid;

use super::order::{natural_cmp, order, TimeSource};
use super::*;
use folio_media::exif_tags::Gps;
use folio_media::meta::Shape;

mod cover_and_theme;
mod event_splits;
mod ordering;
mod page_breaks;
mod slots;
mod whole_plans;

fn lib() -> &'static Library {
    Library::get()
}

fn pid(n: u64) -> PhotoId {
    PhotoId(Uuid::from_u128(n as u128 + 1))
}

/// 2024-06-01 00:00:00 UTC plus `s` seconds.
fn utc(s: f64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_717_200_000, 0).unwrap() + chrono::Duration::nanoseconds((s * 1e9) as i64)
}

fn utc_of(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .with_timezone(&Utc)
}

fn local(s: f64) -> NaiveDateTime {
    utc(s).naive_utc()
}

fn offset(hours: i32) -> FixedOffset {
    FixedOffset::east_opt(hours * 3600).unwrap()
}

/// A 4:3 landscape photo uploaded `n`th, taken `s` seconds after the base in UTC.
fn at(n: u64, s: f64) -> Photo {
    let mut p = Photo::new(pid(n), &format!("IMG_{n:04}.jpg"), n, 4000, 3000);
    p.taken = Some(Taken::Utc {
        at: utc(s),
        offset: Some(offset(0)),
    });
    p
}

fn sized(mut p: Photo, w: u32, h: u32) -> Photo {
    p.width = w;
    p.height = h;
    p
}

fn colored(mut p: Photo, lab: [f32; 3]) -> Photo {
    p.colors = vec![LabShare { lab, share: 1.0 }];
    p
}

fn book(photos: Vec<Photo>) -> BookInput {
    BookInput {
        photos,
        group: AspectGroup::Square,
        title: "Album".into(),
        tags: Vec::new(),
        cover: None,
        options: Options::DEFAULT,
    }
}

fn ids_in_order(photos: &[Photo]) -> Vec<u64> {
    order(photos)
        .index
        .iter()
        .map(|&i| photos[i].upload_order)
        .collect()
}

/// Every photo id of a plan, page by page, in slot order.
fn placed(plan: &BookPlan) -> Vec<PhotoId> {
    plan.pages
        .iter()
        .flat_map(|p| p.design.placements.iter().map(|x| x.photo))
        .collect()
}

// ---- 2. Events ------------------------------------------------------------------------

/// Time alone: nothing known about colours or places.
fn no_change(_: usize) -> Option<f64> {
    None
}

/// Bursts of `sizes[i]` photos `step` seconds apart, each starting `gap` after the last.
fn bursts(sizes: &[usize], step: f64, gap: f64) -> Vec<f64> {
    let mut t = 0.0;
    let mut out = Vec::new();
    for &n in sizes {
        for _ in 0..n {
            out.push(t);
            t += step;
        }
        t += gap - step;
    }
    out
}

// ---- 3. Pages -------------------------------------------------------------------------

fn page_sizes(plan: &BookPlan) -> Vec<usize> {
    plan.pages
        .iter()
        .map(|p| p.design.placements.len())
        .collect()
}

/// A deterministic stream: events of 3 to 40 photos, a few seconds to minutes apart within an
/// event and hours apart between, mixed shapes, a colour per event, some photos without EXIF.
fn synthetic(n: usize, seed: u64) -> Vec<Photo> {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as f64 / (1u64 << 31) as f64
    };
    let sizes = [
        (4000, 3000),
        (3000, 4000),
        (6000, 4000),
        (4000, 6000),
        (3000, 3000),
        (1920, 1080),
    ];
    let mut out = Vec::with_capacity(n);
    let mut t = 0.0;
    let mut left_in_event = 0;
    let mut lab = [50.0f32, 0.0, 0.0];
    for i in 0..n {
        if left_in_event == 0 {
            left_in_event = 3 + (next() * 38.0) as usize;
            t += 3600.0 * (2.0 + next() * 30.0);
            lab = [
                30.0 + 50.0 * next() as f32,
                -60.0 + 120.0 * next() as f32,
                -60.0 + 120.0 * next() as f32,
            ];
        }
        left_in_event -= 1;
        t += if next() < 0.4 {
            1.0 + next() * 5.0
        } else {
            30.0 + next() * 300.0
        };
        let (w, h) = sizes[(next() * sizes.len() as f64) as usize % sizes.len()];
        let mut p = sized(at(i as u64, t), w, h);
        p.colors = vec![LabShare { lab, share: 1.0 }];
        if next() < 0.05 {
            p.taken = None;
        }
        out.push(p);
    }
    out
}
