//! Steps 5 and 6: the cover photo, the theme and backgrounds.

use super::*;

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
