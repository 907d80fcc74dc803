//! Step 3, pages: breaks where colours or places change, the even split, facing pages and
//! page sizes.

use super::*;

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
