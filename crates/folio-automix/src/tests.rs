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

// ---- 1. Order -------------------------------------------------------------------------

#[test]
fn automix_orders_by_utc_capture_time() {
    let photos = vec![at(0, 300.0), at(1, 100.0), at(2, 200.0)];
    assert_eq!(ids_in_order(&photos), [1, 2, 0]);
    let o = order(&photos);
    assert!(o.seconds.windows(2).all(|w| w[0] <= w[1]));
    assert!(o.source.iter().all(|&s| s == TimeSource::Utc));
}

#[test]
fn automix_orders_in_utc_across_time_zones() {
    // 10:00 in Paris (+2) is before 09:00 in London (+1)? No: 08:00Z against 08:00Z + 1 min.
    let mut paris = Photo::new(pid(0), "paris.jpg", 0, 4000, 3000);
    paris.taken = Some(Taken::Utc {
        at: utc(60.0),
        offset: Some(offset(2)),
    });
    let mut london = Photo::new(pid(1), "london.jpg", 1, 4000, 3000);
    london.taken = Some(Taken::Utc {
        at: utc(0.0),
        offset: Some(offset(1)),
    });
    assert_eq!(ids_in_order(&[paris, london]), [1, 0]);
}

#[test]
fn automix_local_times_take_the_nearest_known_offset() {
    // A phone in +02:00 at 10:00Z, 10:20Z and 10:40Z; a camera without an offset tag shot at
    // 12:30 local, which is 10:30Z: between the second and the third.
    let mut phone: Vec<Photo> = (0..3).map(|i| at(i, 1200.0 * i as f64)).collect();
    for p in &mut phone {
        if let Some(Taken::Utc { offset, .. }) = &mut p.taken {
            *offset = Some(self::offset(2));
        }
    }
    let mut camera = Photo::new(pid(3), "DSC_0001.jpg", 3, 6000, 4000);
    camera.taken = Some(Taken::Local(local(2.0 * 3600.0 + 1800.0)));
    let mut photos = phone.clone();
    photos.push(camera.clone());
    assert_eq!(ids_in_order(&photos), [0, 1, 3, 2]);
    let o = order(&photos);
    assert_eq!(o.source[2], TimeSource::LocalEstimated);
    assert_eq!(o.seconds[2], utc(1800.0).timestamp() as f64);

    // With no zoned photo at all, local time is read as UTC.
    let mut other = Photo::new(pid(4), "DSC_0002.jpg", 4, 6000, 4000);
    other.taken = Some(Taken::Local(local(10.0)));
    let o = order(&[camera, other]);
    assert_eq!(o.source, [TimeSource::LocalAsUtc, TimeSource::LocalAsUtc]);
    assert_eq!(o.index, [1, 0]);
}

#[test]
fn automix_falls_back_to_file_time_then_upload_order() {
    let mut file = Photo::new(pid(1), "scan.jpg", 1, 3000, 3000);
    file.file_time = Some(utc(150.0));
    // No time at all: anchored after the photo uploaded before it (upload 2 → after 2).
    let none_a = Photo::new(pid(3), "x.jpg", 3, 3000, 4000);
    let none_b = Photo::new(pid(4), "a.jpg", 4, 3000, 4000);
    // Uploaded first with no time: opens the book.
    let first = Photo::new(pid(0), "z.jpg", 0, 3000, 4000);
    let photos = vec![at(2, 100.0), file, none_a, none_b, first, at(5, 200.0)];
    // upload orders: 2 (t=100), 1 (file 150), 3 and 4 (anchored to 2: uploaded after it), 0 (leading), 5 (t=200)
    assert_eq!(ids_in_order(&photos), [0, 2, 3, 4, 1, 5]);
    let o = order(&photos);
    assert_eq!(
        o.source,
        [
            TimeSource::UploadOrder,
            TimeSource::Utc,
            TimeSource::UploadOrder,
            TimeSource::UploadOrder,
            TimeSource::File,
            TimeSource::Utc
        ]
    );
    assert!(
        o.seconds.windows(2).all(|w| w[0] <= w[1]),
        "{:?}",
        o.seconds
    );
    // Only timeless photos: upload order.
    let photos: Vec<Photo> = [2, 0, 1]
        .iter()
        .map(|&n| Photo::new(pid(n), "p.jpg", n, 10, 10))
        .collect();
    assert_eq!(ids_in_order(&photos), [0, 1, 2]);
}

#[test]
fn automix_ties_break_by_subseconds_then_name_then_upload_order() {
    let mut a = at(0, 10.5);
    a.name = "IMG_2.jpg".into();
    let mut b = at(1, 10.25);
    b.name = "IMG_3.jpg".into();
    let mut c = at(2, 10.5);
    c.name = "IMG_10.jpg".into();
    let mut d = at(3, 10.5);
    d.name = "img_10.jpg".into();
    let mut e = at(4, 10.5);
    e.name = "IMG_10.jpg".into();
    // b first (sub-second .25), then IMG_2 < IMG_10 naturally; IMG_10 vs img_10 by raw string;
    // the two IMG_10 by upload order.
    assert_eq!(
        ids_in_order(&[e.clone(), d.clone(), c.clone(), b.clone(), a.clone()]),
        [1, 0, 2, 4, 3]
    );
}

#[test]
fn automix_natural_name_order() {
    use std::cmp::Ordering::*;
    assert_eq!(natural_cmp("IMG_9", "IMG_10"), Less);
    assert_eq!(natural_cmp("img_010", "IMG_9"), Greater);
    assert_eq!(natural_cmp("a", "B"), Less);
    assert_eq!(natural_cmp("a1b2", "a1b2"), Equal);
    assert_eq!(natural_cmp("photo", "photo 2"), Less);
    assert_eq!(natural_cmp("Été", "été"), Less);
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

#[test]
fn automix_clear_bursts_split_exactly() {
    let times = bursts(&[10, 10, 10], 10.0, 3.0 * 3600.0);
    assert_eq!(
        events::events(&times, &no_change, &EventParams::DEFAULT),
        [0, 10, 20]
    );
    // Events of other sizes and steps.
    let times = bursts(&[4, 12, 7, 30], 30.0, 2.0 * 3600.0);
    assert_eq!(
        events::events(&times, &no_change, &EventParams::DEFAULT),
        [0, 4, 16, 23]
    );
}

#[test]
fn automix_gaps_count_relative_to_their_neighbourhood() {
    // Two busy events (a photo every 30 s) 40 minutes apart split: 40 min is 80 times the
    // local gap, though under a fixed one-hour threshold.
    let times = bursts(&[15, 15], 30.0, 40.0 * 60.0);
    assert_eq!(
        events::events(&times, &no_change, &EventParams::DEFAULT),
        [0, 15]
    );
    // A slow hike, a photo every 25 minutes for six hours, stays one event though every gap
    // is over the absolute floor.
    let times = bursts(&[15], 25.0 * 60.0, 0.0);
    assert_eq!(
        events::events(&times, &no_change, &EventParams::DEFAULT),
        [0]
    );
    // Then a busy party 3 hours after the hike: one boundary.
    let mut times = bursts(&[15], 25.0 * 60.0, 0.0);
    let end = *times.last().unwrap();
    times.extend((0..20).map(|i| end + 3.0 * 3600.0 + 20.0 * i as f64));
    assert_eq!(
        events::events(&times, &no_change, &EventParams::DEFAULT),
        [0, 15]
    );
}

#[test]
fn automix_short_pauses_in_bursts_do_not_split() {
    // One-second bursts with a five-minute pause: 300 times the local gap, but under the
    // 15-minute floor.
    let times = bursts(&[20, 20], 1.0, 300.0);
    assert_eq!(
        events::events(&times, &no_change, &EventParams::DEFAULT),
        [0]
    );
    // Without the floor PhotoTOC's rule would split there.
    let p = EventParams {
        min_gap: 0.0,
        ..EventParams::DEFAULT
    };
    assert_eq!(events::events(&times, &no_change, &p), [0, 20]);
}

#[test]
fn automix_a_night_always_splits() {
    // A photo every ten hours: all gaps alike, so only the absolute rule splits them.
    let times: Vec<f64> = (0..6).map(|i| i as f64 * 10.0 * 3600.0).collect();
    assert_eq!(
        events::events(&times, &no_change, &EventParams::DEFAULT),
        [0, 1, 2, 3, 4, 5]
    );
    let p = EventParams {
        always_gap: f64::INFINITY,
        ..EventParams::DEFAULT
    };
    assert_eq!(events::events(&times, &no_change, &p), [0]);
}

#[test]
fn automix_stray_small_events_merge_into_the_nearer_neighbour() {
    // Events of 20 photos (every 20 s) 5 hours apart; a single photo 40 minutes after the
    // first event and 4 hours before the second is a far-too-small event (ln 1 is 2 standard
    // deviations under the mean log size) behind a weak boundary: it joins the first event.
    let mut times = bursts(&[20], 20.0, 0.0);
    let stray = times[19] + 40.0 * 60.0;
    times.push(stray);
    let mut t = stray + 4.0 * 3600.0;
    for _ in 0..4 {
        times.extend((0..20).map(|i| t + 20.0 * i as f64));
        t += 5.0 * 3600.0;
    }
    let p = EventParams::DEFAULT;
    let raw: Vec<usize> = events::boundaries(&times, &no_change, &p)
        .iter()
        .map(|b| b.after + 1)
        .collect();
    assert_eq!(
        raw,
        [20, 21, 41, 61, 81],
        "the log-gap rule alone isolates the stray photo"
    );
    assert_eq!(events::events(&times, &no_change, &p), [0, 21, 41, 61, 81]);
    // Merging off: it stays alone.
    let off = EventParams {
        merge_z: f64::NEG_INFINITY,
        ..p
    };
    assert_eq!(
        events::events(&times, &no_change, &off),
        [0, 20, 21, 41, 61, 81]
    );

    // A lone photo two days from anything is an event of its own: the boundary is strong.
    let mut times = bursts(&[20, 20, 20, 20], 20.0, 5.0 * 3600.0);
    let last = *times.last().unwrap();
    times.push(last + 2.0 * 86400.0);
    assert_eq!(events::events(&times, &no_change, &p), [0, 20, 40, 60, 80]);
}

#[test]
fn automix_a_change_of_scene_decides_close_calls() {
    // Two slow walks, a photo every 8 minutes, 50 minutes apart: too little by time alone
    // (the threshold there is about 2.5 hours), enough with a complete change of scene (which
    // lowers it by half of K, to about 37 minutes).
    let times = bursts(&[12, 12], 8.0 * 60.0, 50.0 * 60.0);
    assert_eq!(
        events::events(&times, &no_change, &EventParams::DEFAULT),
        [0]
    );
    let old_town = colored(at(0, 0.0), [60.0, 5.0, 20.0]);
    let mut beach = colored(at(1, 0.0), [80.0, -10.0, -30.0]);
    let place = |lat: f64| Some(Gps { lat, lon: -9.14 });
    let mut town = old_town.clone();
    town.gps = place(38.71);
    beach.gps = place(38.68);
    // The same scene on both sides: still one event.
    let same: Vec<Photo> = (0..24).map(|_| town.clone()).collect();
    let refs: Vec<&Photo> = same.iter().collect();
    let change = |i: usize| similarity::change_across(&refs, i, &Weights::DEFAULT);
    assert_eq!(change(11), Some(0.0));
    assert_eq!(events::events(&times, &change, &EventParams::DEFAULT), [0]);
    // Other colours 3 km away: two events.
    let moved: Vec<Photo> = (0..24)
        .map(|i| if i < 12 { town.clone() } else { beach.clone() })
        .collect();
    let refs: Vec<&Photo> = moved.iter().collect();
    let change = |i: usize| similarity::change_across(&refs, i, &Weights::DEFAULT);
    assert!(change(11).unwrap() > 0.8, "{:?}", change(11));
    assert_eq!(
        events::events(&times, &change, &EventParams::DEFAULT),
        [0, 12]
    );
    // The same scene also raises the threshold: three hours (a split by time alone) in the
    // very same place and light stays one event; a night splits whatever the photos look
    // like, and a gap under the floor never does.
    let times = bursts(&[12, 12], 8.0 * 60.0, 3.0 * 3600.0);
    assert_eq!(
        events::events(&times, &no_change, &EventParams::DEFAULT),
        [0, 12]
    );
    let refs: Vec<&Photo> = same.iter().collect();
    let change = |i: usize| similarity::change_across(&refs, i, &Weights::DEFAULT);
    assert_eq!(events::events(&times, &change, &EventParams::DEFAULT), [0]);
    let times = bursts(&[12, 12], 8.0 * 60.0, 9.0 * 3600.0);
    assert_eq!(
        events::events(&times, &change, &EventParams::DEFAULT),
        [0, 12]
    );
    let times = bursts(&[12, 12], 60.0, 10.0 * 60.0);
    let refs: Vec<&Photo> = moved.iter().collect();
    let change = |i: usize| similarity::change_across(&refs, i, &Weights::DEFAULT);
    assert_eq!(events::events(&times, &change, &EventParams::DEFAULT), [0]);
    // Without colours or places there is nothing to weigh.
    let bare = [at(0, 0.0), at(1, 1.0)];
    let refs: Vec<&Photo> = bare.iter().collect();
    assert_eq!(similarity::change_across(&refs, 0, &Weights::DEFAULT), None);
}

#[test]
fn automix_events_of_nothing_and_one_photo() {
    assert!(events::events(&[], &no_change, &EventParams::DEFAULT).is_empty());
    assert_eq!(
        events::events(&[5.0], &no_change, &EventParams::DEFAULT),
        [0]
    );
    assert_eq!(
        events::events(&[5.0, 5.0, 5.0], &no_change, &EventParams::DEFAULT),
        [0]
    );
}

// ---- 3. Pages -------------------------------------------------------------------------

fn page_sizes(plan: &BookPlan) -> Vec<usize> {
    plan.pages
        .iter()
        .map(|p| p.design.placements.len())
        .collect()
}

#[test]
fn automix_pages_break_where_colours_change() {
    // Eight photos a minute apart; the first three blue, the rest red. Two pages of four
    // would be even, but the colour change wins: 3 + 5.
    let blue = [40.0, 10.0, -50.0];
    let red = [50.0, 70.0, 50.0];
    let photos: Vec<Photo> = (0..8)
        .map(|i| colored(at(i, 60.0 * i as f64), if i < 3 { blue } else { red }))
        .collect();
    // Starting on a left page, two pages make a spread (on a right page the event would take
    // three so that two of them face each other).
    let mut input = book(photos);
    input.options.first_side = PageSide::Left;
    let plan = plan(&input, lib());
    assert_eq!(page_sizes(&plan), [3, 5]);
    assert_eq!(
        plan.pages.iter().map(|p| p.event).collect::<Vec<_>>(),
        [0, 0]
    );
}

#[test]
fn automix_pages_break_where_places_change() {
    // Same, by GPS: five photos at the harbour, three 3 km away at the old town.
    let photos: Vec<Photo> = (0..8)
        .map(|i| {
            let mut p = at(i, 60.0 * i as f64);
            p.gps = Some(if i < 5 {
                Gps {
                    lat: 38.7071,
                    lon: -9.1355,
                }
            } else {
                Gps {
                    lat: 38.7139,
                    lon: -9.1000,
                }
            });
            p
        })
        .collect();
    let mut input = book(photos);
    input.options.first_side = PageSide::Left;
    assert_eq!(page_sizes(&plan(&input, lib())), [5, 3]);
    input.options.first_side = PageSide::Right;
    assert_eq!(
        page_sizes(&plan(&input, lib())),
        [2, 3, 3],
        "a lone right page, then a spread; the break still at the place change"
    );
}

#[test]
fn automix_haversine_and_ciede2000_distances() {
    let lisbon = Gps {
        lat: 38.7223,
        lon: -9.1393,
    };
    let porto = Gps {
        lat: 41.1579,
        lon: -8.6291,
    };
    let km = similarity::haversine_km(lisbon, porto);
    assert!((km - 274.0).abs() < 2.0, "{km}");
    assert_eq!(similarity::haversine_km(lisbon, lisbon), 0.0);
    let c = |lab| vec![LabShare { lab, share: 1.0 }];
    assert_eq!(
        similarity::color_distance(&c([50.0, 0.0, 0.0]), &c([50.0, 0.0, 0.0])),
        Some(0.0)
    );
    let d = similarity::color_distance(&c([50.0, 2.6772, -79.7751]), &c([50.0, 0.0, -82.7485]))
        .unwrap();
    assert!((d - 2.0425).abs() < 1e-3, "Sharma et al. pair 1: {d}");
    assert_eq!(similarity::color_distance(&[], &c([1.0, 0.0, 0.0])), None);
}

#[test]
fn automix_pages_follow_the_even_split_without_other_evidence() {
    // Rewards flat but for one peak: the cut goes to the peak only if it is worth the
    // imbalance.
    assert_eq!(pages::split_for_tests(&[0.0; 7], 2), [(0, 4), (4, 8)]);
    assert_eq!(
        pages::split_for_tests(&[0.0, 0.0, 0.9, 0.0, 0.0, 0.0, 0.0], 2),
        [(0, 3), (3, 8)]
    );
    assert_eq!(
        pages::split_for_tests(&[0.9, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], 2),
        [(0, 4), (4, 8)],
        "a 1 + 7 split costs more than it earns"
    );
    assert_eq!(
        pages::split_for_tests(&[0.0; 11], 3),
        [(0, 4), (4, 8), (8, 12)]
    );
}

#[test]
fn automix_related_pages_face_each_other() {
    // Three events of 8 photos (two pages each), the first page a right-hand page alone.
    // Without adjustment each event would straddle two spreads; the plan shifts page counts
    // so every two-page event fills a spread.
    let times = bursts(&[8, 8, 8], 60.0, 4.0 * 3600.0);
    let photos: Vec<Photo> = times
        .iter()
        .enumerate()
        .map(|(i, &t)| at(i as u64, t))
        .collect();
    let plan = plan(&book(photos), lib());
    let mut by_event: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, p) in plan.pages.iter().enumerate() {
        by_event.entry(p.event).or_default().push(i);
    }
    assert_eq!(by_event.len(), 3);
    for (event, pages) in &by_event {
        let spreads = pages
            .windows(2)
            .filter(|w| plan.pages[w[0]].side == PageSide::Left && w[1] == w[0] + 1)
            .count();
        assert_eq!(spreads, pages.len() / 2, "event {event} on pages {pages:?}");
    }
    assert_eq!(plan.pages[0].side, PageSide::Right);
    assert!(plan.pages.windows(2).all(|w| w[0].side != w[1].side));
}

#[test]
fn automix_pages_hold_at_most_six_photos_and_about_the_target() {
    let photos: Vec<Photo> = (0..50).map(|i| at(i, 30.0 * i as f64)).collect();
    let mut input = book(photos);
    let plan4 = plan(&input, lib());
    assert_eq!(plan4.stats.events, 1);
    assert!(
        page_sizes(&plan4).iter().all(|&n| (3..=5).contains(&n)),
        "{:?}",
        page_sizes(&plan4)
    );
    input.options.photos_per_page = 6.0;
    let plan6 = plan(&input, lib());
    assert!(
        page_sizes(&plan6).iter().all(|&n| n <= 6),
        "{:?}",
        page_sizes(&plan6)
    );
    assert_eq!(plan6.pages.len(), 9);
    input.options.photos_per_page = 40.0;
    assert!(page_sizes(&plan(&input, lib())).iter().all(|&n| n <= 6));
}

// ---- 4. Layouts -----------------------------------------------------------------------

#[test]
fn automix_photos_land_in_slots_of_their_own_shape() {
    // Every mix of up to six landscape, portrait and square photos, in every group: each
    // photo goes into a slot of its shape.
    let kinds = [
        (4000, 3000, Shape::L),
        (3000, 4000, Shape::P),
        (3000, 3000, Shape::S),
    ];
    for group in AspectGroup::ALL {
        for n in 1..=6usize {
            for code in 0..3usize.pow(n as u32) {
                let photos: Vec<Photo> = (0..n)
                    .map(|i| {
                        let (w, h, _) = kinds[code / 3usize.pow(i as u32) % 3];
                        sized(at(i as u64, i as f64), w, h)
                    })
                    .collect();
                let refs: Vec<&Photo> = photos.iter().collect();
                let design = layout::choose(lib(), group, &refs, None, 0).unwrap();
                let layout = lib().layout(&design.layout).unwrap();
                assert!(design.exact);
                for p in &design.placements {
                    let photo = photos.iter().find(|x| x.id == p.photo).unwrap();
                    assert_eq!(
                        layout.slots[p.slot].shape,
                        photo.shape(),
                        "{group:?} {} in {}",
                        design.shapes,
                        design.layout
                    );
                }
            }
        }
    }
}

#[test]
fn automix_the_chosen_layout_has_the_least_total_crop() {
    // A 16:9 landscape, a 2:3 portrait and a square: every exact layout and every assignment
    // is tried here by brute force, independently of the engine.
    let photos = [
        sized(at(0, 0.0), 1920, 1080),
        sized(at(1, 1.0), 2000, 3000),
        sized(at(2, 2.0), 2000, 2000),
    ];
    let refs: Vec<&Photo> = photos.iter().collect();
    for group in AspectGroup::ALL {
        let car = core_aspect_ratio(group);
        let design = layout::choose(lib(), group, &refs, None, 0).unwrap();
        let shapes: Vec<Shape> = photos.iter().map(Photo::shape).collect();
        let mut least = f64::INFINITY;
        for l in lib().matching(group, &shapes, false) {
            for perm in [
                [0, 1, 2],
                [0, 2, 1],
                [1, 0, 2],
                [1, 2, 0],
                [2, 0, 1],
                [2, 1, 0],
            ] {
                let loss: f64 = perm
                    .iter()
                    .enumerate()
                    .map(|(photo, &slot)| {
                        crdt_schema::geometry::crop_loss(
                            PixelSize::new(photos[photo].width, photos[photo].height),
                            slot_aspect(&l.slots[slot].frame, car),
                        )
                    })
                    .sum();
                least = least.min(loss);
            }
        }
        assert!(
            design.crop_loss <= least + layout::NEAR_TIE * 3.0 + 1e-12,
            "{group:?}: {} > {least}",
            design.crop_loss
        );
        assert!(
            (design.crop_loss - least).abs() < 1e-9,
            "with no previous page the least is taken: {group:?}"
        );
    }
}

#[test]
fn automix_fits_never_stretch_and_stay_in_range() {
    let photos = synthetic(300, 7);
    for group in AspectGroup::ALL {
        let mut input = book(photos.clone());
        input.group = group;
        let plan = plan(&input, lib());
        let car = core_aspect_ratio(group);
        for page in &plan.pages {
            let layout = lib().layout(&page.design.layout).unwrap();
            assert_eq!(layout.group, group);
            for p in &page.design.placements {
                let [px, py] = p.view.pan();
                assert!(
                    p.view.zoom() >= 1.0
                        && (-1.0..=1.0).contains(&px)
                        && (-1.0..=1.0).contains(&py)
                );
                assert!(PhotoView::new(p.view.pan(), p.view.zoom()).is_ok());
                let photo = photos.iter().find(|x| x.id == p.photo).unwrap();
                let slot = layout.slots[p.slot].frame;
                assert_eq!(slot, p.frame);
                let fit = fit_photo(
                    PixelSize::new(photo.width, photo.height),
                    [slot.w() * car, slot.h()],
                    p.view,
                )
                .unwrap();
                // The visible window has the slot's shape (one scale for both axes) and lies in
                // the photo; one of its sides is the photo's whole side (cover, not zoomed in).
                let slot_shape = slot_aspect(&slot, car);
                assert!((fit.crop.w / fit.crop.h - slot_shape).abs() < 1e-6 * slot_shape.max(1.0));
                assert!(fit.crop.x >= 0.0 && fit.crop.y >= 0.0);
                assert!(
                    fit.crop.right() <= photo.width as f64 + 1e-6
                        && fit.crop.bottom() <= photo.height as f64 + 1e-6
                );
                assert!(
                    (fit.crop.w - photo.width as f64).abs() < 1e-6
                        || (fit.crop.h - photo.height as f64).abs() < 1e-6
                );
                assert!((fit.crop_loss - p.crop_loss).abs() < 1e-12);
            }
        }
    }
}

#[test]
fn automix_remix_changes_the_layout_and_keeps_the_photos() {
    let photos = vec![
        at(0, 0.0),
        sized(at(1, 1.0), 3000, 4000),
        at(2, 2.0),
        sized(at(3, 3.0), 3000, 4000),
    ];
    let refs: Vec<&Photo> = photos.iter().collect();
    for group in AspectGroup::ALL {
        let first = layout::choose(lib(), group, &refs, None, 0).unwrap();
        for seed in 0..8 {
            let again = remix(&photos, &first.layout, group, lib(), seed).unwrap();
            assert_ne!(again.layout, first.layout);
            let mut a: Vec<PhotoId> = first.placements.iter().map(|p| p.photo).collect();
            let mut b: Vec<PhotoId> = again.placements.iter().map(|p| p.photo).collect();
            a.sort();
            b.sort();
            assert_eq!(a, b);
            assert_eq!(
                again,
                remix(&photos, &first.layout, group, lib(), seed).unwrap(),
                "deterministic for a seed"
            );
            // Photo order in the call does not matter.
            let reversed: Vec<Photo> = photos.iter().rev().cloned().collect();
            assert_eq!(
                again,
                remix(&reversed, &first.layout, group, lib(), seed).unwrap()
            );
        }
        // Remixing the remix moves on again.
        let second = remix(&photos, &first.layout, group, lib(), 0).unwrap();
        assert_ne!(
            remix(&photos, &second.layout, group, lib(), 0)
                .unwrap()
                .layout,
            second.layout
        );
    }
    // One photo: the alternatives are the other single-photo layouts.
    let one = vec![at(0, 0.0)];
    let d = remix(&one, "square-1-l", AspectGroup::Square, lib(), 0).unwrap();
    assert_ne!(d.layout, "square-1-l");
    assert_eq!(d.placements.len(), 1);
    assert!(remix(&[], "square-1-l", AspectGroup::Square, lib(), 0).is_none());
}

#[test]
fn automix_captioned_photos_get_caption_areas() {
    let mut photos = vec![at(0, 0.0), sized(at(1, 10.0), 3000, 4000)];
    photos[1].caption = Some("Grandma at the beach".into());
    let captioned = plan(&book(photos), lib());
    assert_eq!(captioned.pages.len(), 1);
    let design = &captioned.pages[0].design;
    let layout = lib().layout(&design.layout).unwrap();
    assert!(layout.captions_all(), "{}", design.layout);
    assert!(!design.captions_dropped);
    let captions: Vec<Option<&str>> = design
        .placements
        .iter()
        .map(|p| p.caption.as_deref())
        .collect();
    assert!(captions.contains(&Some("Grandma at the beach")) && captions.contains(&None));
    // Without captions, no caption areas.
    let plain = plan(
        &book(vec![at(0, 0.0), sized(at(1, 10.0), 3000, 4000)]),
        lib(),
    );
    assert!(!lib()
        .layout(&plain.pages[0].design.layout)
        .unwrap()
        .captions_any());
}

#[test]
fn automix_pages_with_captions_hold_what_captioned_layouts_hold() {
    let mut photos: Vec<Photo> = (0..8).map(|i| at(i, 60.0 * i as f64)).collect();
    for p in &mut photos {
        p.caption = Some(format!("photo {}", p.upload_order));
    }
    let plan = plan(&book(photos), lib());
    assert!(
        page_sizes(&plan).iter().all(|&n| n <= 3),
        "{:?}",
        page_sizes(&plan)
    );
    assert!(plan
        .pages
        .iter()
        .all(|p| !p.design.captions_dropped
            && p.design.placements.iter().all(|x| x.caption.is_some())));
}

// ---- 5, 6. Cover, theme, backgrounds ---------------------------------------------------

#[test]
fn automix_cover_is_the_albums_cover_else_the_first_photo() {
    let photos = vec![at(0, 500.0), at(1, 100.0), at(2, 300.0)];
    let mut input = book(photos);
    input.title = "  Hawaii Vacation ".into();
    let p = plan(&input, lib());
    assert_eq!(p.cover.title, "Hawaii Vacation");
    assert_eq!(
        p.cover.photo(),
        Some(pid(1)),
        "the first photo in book order"
    );
    input.cover = Some(pid(2));
    assert_eq!(plan(&input, lib()).cover.photo(), Some(pid(2)));
    // A cover that is not among the photos is ignored.
    input.cover = Some(pid(99));
    assert_eq!(plan(&input, lib()).cover.photo(), Some(pid(1)));
    let cover = plan(&input, lib()).cover.design.unwrap();
    assert_eq!(lib().layout(&cover.layout).unwrap().slots.len(), 1);
    assert!(cover.placements[0].view.zoom() >= 1.0);
}

#[test]
fn automix_theme_comes_from_the_name_and_tags() {
    let mut input = book(vec![at(0, 0.0)]);
    input.title = "Hawaii Vacation".into();
    assert_eq!(plan(&input, lib()).theme, "vacation");
    input.title = "Emma".into();
    input.tags = vec!["5th birthday".into()];
    assert_eq!(plan(&input, lib()).theme, "birthday");
    input.tags.clear();
    assert_eq!(plan(&input, lib()).theme, "everyday");
}

#[test]
fn automix_backgrounds_mirror_on_facing_pages() {
    let times = bursts(&[8, 8, 8, 8], 60.0, 4.0 * 3600.0);
    let mut input = book(
        times
            .iter()
            .enumerate()
            .map(|(i, &t)| at(i as u64, t))
            .collect(),
    );
    input.title = "Summer vacation".into();
    let p = plan(&input, lib());
    assert_eq!(p.theme, "vacation");
    let theme = lib().theme("vacation").unwrap();
    assert!(theme.mirror_facing);
    for w in p.pages.windows(2) {
        if w[0].side == PageSide::Left {
            assert_eq!(
                w[0].background.asset, w[1].background.asset,
                "one background per spread"
            );
            assert_eq!(w[0].background.color, w[1].background.color);
            if w[0].background.asset.is_some() {
                assert_ne!(
                    w[0].background.flip, w[1].background.flip,
                    "mirrored on the left page"
                );
            }
        }
    }
    // A theme that does not mirror never flips.
    input.title = "Sunday".into();
    assert!(plan(&input, lib()).pages.iter().all(|pg| pg.background
        == lib().default_theme().background(pg.event, pg.side)
        || !pg.background.flip));
}

// ---- Whole plans ----------------------------------------------------------------------

#[test]
fn automix_nothing_and_one_photo() {
    let p = plan(&book(Vec::new()), lib());
    assert!(p.pages.is_empty());
    assert_eq!(p.cover.title, "Album");
    assert_eq!(p.cover.photo(), None);
    assert_eq!(p.theme, "everyday");
    assert_eq!(p.stats.photos, 0);

    let p = plan(&book(vec![sized(at(0, 0.0), 3000, 4000)]), lib());
    assert_eq!(p.pages.len(), 1);
    assert_eq!(p.pages[0].design.placements.len(), 1);
    assert_eq!(p.pages[0].design.placements[0].slot, 0);
    assert_eq!(
        lib().layout(&p.pages[0].design.layout).unwrap().slots[0].shape,
        Shape::P
    );
    assert_eq!(p.pages[0].event, 0);
    assert_eq!(p.cover.photo(), Some(pid(0)));
}

#[test]
fn automix_unusable_photos_are_skipped_with_a_reason() {
    let photos = vec![
        at(0, 0.0),
        sized(at(1, 1.0), 0, 100),
        at(0, 5.0),
        at(2, 2.0),
    ];
    let p = plan(&book(photos), lib());
    assert_eq!(placed(&p).len(), 2);
    assert_eq!(
        p.skipped,
        [
            Skipped {
                photo: pid(1),
                reason: SkipReason::NoPixels
            },
            Skipped {
                photo: pid(0),
                reason: SkipReason::Duplicate
            }
        ]
    );
}

#[test]
fn automix_photos_are_read_from_stored_metadata() {
    let meta = json!({
        "width": 4000, "height": 3000, "shape": "L",
        "taken_at": "2008-05-30T13:56:01.500Z", "taken_at_offset": "+02:00",
        "gps": {"lat": 38.7, "lon": -9.1},
        "dominant_colors": [{"lab": [50.0, 10.0, -20.0], "share": 0.7}, {"lab": [90.0, 0.0, 0.0], "share": 0.3}],
    });
    let p = Photo::from_meta(pid(0), "a.jpg", 3, None, &meta);
    assert_eq!((p.width, p.height, p.upload_order), (4000, 3000, 3));
    let at = DateTime::parse_from_rfc3339("2008-05-30T13:56:01.500Z")
        .unwrap()
        .with_timezone(&Utc);
    assert_eq!(
        p.taken,
        Some(Taken::Utc {
            at,
            offset: Some(offset(2))
        })
    );
    assert_eq!(
        p.gps,
        Some(Gps {
            lat: 38.7,
            lon: -9.1
        })
    );
    assert_eq!(p.colors.len(), 2);
    assert_eq!(
        p.colors[0],
        LabShare {
            lab: [50.0, 10.0, -20.0],
            share: 0.7
        }
    );

    let local_only = Photo::from_meta(
        pid(1),
        "b.jpg",
        0,
        Some(utc(0.0)),
        &json!({"width": 10, "height": 20, "taken_at": "2015-04-10T20:12:23.016", "taken_at_offset": null, "gps": null, "dominant_colors": []}),
    );
    assert_eq!(
        local_only.taken,
        Some(Taken::Local(
            NaiveDateTime::parse_from_str("2015-04-10T20:12:23.016", "%Y-%m-%dT%H:%M:%S%.f")
                .unwrap()
        ))
    );
    assert_eq!(local_only.gps, None);
    assert_eq!(local_only.file_time, Some(utc(0.0)));
    let zoned = Photo::from_meta(
        pid(3),
        "d.jpg",
        0,
        None,
        &json!({"taken_at": "2008-05-30T15:56:01+02:00"}),
    );
    assert_eq!(
        zoned.taken,
        Some(Taken::Utc {
            at: utc_of("2008-05-30T13:56:01Z"),
            offset: Some(offset(2))
        })
    );
    let bare = Photo::from_meta(pid(2), "c.jpg", 0, None, &json!({}));
    assert_eq!((bare.width, bare.taken, bare.colors.len()), (0, None, 0));
    // EXIF capture times convert the same way.
    let ct =
        folio_media::capture::capture_time(b"2008:05:30 15:56:01", Some(b"5"), Some(b"+02:00"))
            .unwrap();
    assert_eq!(
        Taken::from(ct),
        Taken::Utc {
            at,
            offset: Some(offset(2))
        }
    );
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

#[test]
fn automix_plans_a_thousand_photos() {
    let photos = synthetic(1000, 42);
    let started = std::time::Instant::now();
    let p = plan(&book(photos.clone()), lib());
    let took = started.elapsed();
    // Every photo exactly once; pages of 1 to 6; every page exact; events in order.
    let mut ids = placed(&p);
    assert_eq!(ids.len(), 1000);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 1000);
    assert!(page_sizes(&p).iter().all(|&n| (1..=6).contains(&n)));
    assert_eq!(p.stats.inexact_pages, 0);
    assert!(p
        .pages
        .windows(2)
        .all(|w| w[1].event == w[0].event || w[1].event == w[0].event + 1));
    assert_eq!(p.pages.last().unwrap().event + 1, p.stats.events);
    assert!(p.stats.mean_crop_loss < 0.15, "{:?}", p.stats);
    // Generous even for an unoptimised build; the release figure is in the benchmark.
    assert!(took.as_secs_f64() < 10.0, "{took:?}");
    // Deterministic.
    assert_eq!(plan(&book(photos), lib()), p);
}
