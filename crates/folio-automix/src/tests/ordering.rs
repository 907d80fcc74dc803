//! Step 1, order: capture time in UTC, local times, fallbacks, ties and natural names.

use super::*;

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
