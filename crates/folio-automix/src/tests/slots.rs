//! Step 4, layouts: slots of the photo's own shape, the least crop, fits, remix and captions.

use super::*;

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
