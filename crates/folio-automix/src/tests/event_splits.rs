//! Step 2, events: bursts, gaps relative to their neighbourhood, nights, stray events and
//! changes of scene.

use super::*;

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
