//! Whole plans: nothing, one photo, unusable photos, stored metadata and a thousand photos.

use super::*;

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
