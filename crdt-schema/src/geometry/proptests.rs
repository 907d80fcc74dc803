//! Property tests of the geometry: round trips and the invariants later users rely on.

use proptest::prelude::*;

use super::*;
use crate::products::{AspectGroup, Product, PRODUCTS};

fn any_product() -> impl Strategy<Value = &'static Product> {
    prop::sample::select(PRODUCTS.iter().collect::<Vec<_>>())
}

fn any_side() -> impl Strategy<Value = PageSide> {
    prop_oneof![Just(PageSide::Left), Just(PageSide::Right)]
}

fn any_group() -> impl Strategy<Value = AspectGroup> {
    prop::sample::select(AspectGroup::ALL.to_vec())
}

fn any_box() -> impl Strategy<Value = Box> {
    (
        -10.0..=10.0,
        -10.0..=10.0,
        0.0..=10.0,
        0.0..=10.0,
        -10.0..=10.0f64,
    )
        .prop_map(|(x, y, w, h, rot)| Box::new(x, y, w, h, rot).expect("in range"))
}

fn any_view() -> impl Strategy<Value = PhotoView> {
    (-1.0..=1.0, -1.0..=1.0, 1.0..=8.0f64)
        .prop_map(|(px, py, z)| PhotoView::new([px, py], z).expect("in range"))
}

fn any_photo() -> impl Strategy<Value = PixelSize> {
    (1u32..=12_000, 1u32..=12_000).prop_map(|(w, h)| PixelSize::new(w, h))
}

fn rel_close(a: f64, b: f64, eps: f64) -> bool {
    (a - b).abs() <= eps * a.abs().max(b.abs()).max(1.0)
}

proptest! {
    // Failures are reported with their minimal input; no regression files are written into
    // the crate.
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn box_accepts_exactly_the_schema_rule(v in prop::array::uniform5(prop_oneof![-12.0..12.0f64, Just(f64::NAN), Just(f64::INFINITY)])) {
        let valid = v.iter().all(|x| x.is_finite() && x.abs() <= 10.0) && v[2] >= 0.0 && v[3] >= 0.0;
        let built = Box::new(v[0], v[1], v[2], v[3], v[4]);
        prop_assert_eq!(built.is_ok(), valid);
        if let Ok(b) = built {
            let json = serde_json::to_string(&b).unwrap();
            // serde_json's default float parser may be off by one unit in the last place.
            let back = serde_json::from_str::<Box>(&json).unwrap();
            for (a, e) in back.to_array().iter().zip(b.to_array()) {
                prop_assert!(rel_close(*a, e, 1e-15));
            }
        }
    }

    #[test]
    fn relative_to_physical_and_back_is_the_identity(
        product in any_product(), side in any_side(), car in 0.3..3.0f64, b in any_box(), dpi in 30.0..1200.0f64,
    ) {
        let group_car = core_aspect_ratio(product.group);
        let frames = [
            (PageFrame::at_car(product, car, side), car),
            (PageFrame::new(product, side), group_car),
            (PageFrame::at_car(product, car, side).in_pixels(dpi), car),
        ];
        for (frame, expected_car) in frames {
            let t = frame.transform();
            prop_assert!(rel_close(t.aspect(), expected_car, 1e-12));
            let [x, y] = t.to_relative(t.to_physical([b.x(), b.y()]));
            prop_assert!((x - b.x()).abs() < 1e-9 && (y - b.y()).abs() < 1e-9);
            let back = t.rect_to_box(&t.box_rect(&b), b.rot()).unwrap();
            for (a, e) in back.to_array().iter().zip(b.to_array()) {
                prop_assert!((a - e).abs() < 1e-9, "{:?} vs {:?}", back, b);
            }
        }
    }

    #[test]
    fn the_fit_puts_the_content_on_the_viewable_area_as_the_seed_says(product in any_product(), side in any_side(), car in 0.3..3.0f64) {
        let f = PageFrame::at_car(product, car, side);
        let (c, v) = (f.content(), f.viewable());
        let eps = 1e-9 * f.canvas().w;
        // One dimension matches the viewable area exactly and the other covers it.
        let widths_match = (c.left() - v.left()).abs() < eps && (c.right() - v.right()).abs() < eps;
        let heights_match = (c.top() - v.top()).abs() < eps && (c.bottom() - v.bottom()).abs() < eps;
        prop_assert!(widths_match || heights_match);
        prop_assert!(c.contains(&v, eps), "the content covers the viewable area: no gaps");
        if !widths_match {
            // Wider: the gutter-side edge sits on the gutter edge.
            let on_gutter_edge = if side == PageSide::Right { (c.left() - v.left()).abs() < eps } else { (c.right() - v.right()).abs() < eps };
            prop_assert!(on_gutter_edge);
        }
        prop_assert!(rel_close(c.aspect(), car, 1e-12));
        prop_assert!(rel_close(1.0 - v.area() / c.area(), f.content_loss(), 1e-9));
    }

    #[test]
    fn fitting_never_stretches_and_crops_inside_the_photo(
        photo in any_photo(), sw in 0.01..1000.0f64, sh in 0.01..1000.0f64, view in any_view(),
    ) {
        let fit = fit_photo(photo, [sw, sh], view).unwrap();
        let (pw, ph) = (photo.w as f64, photo.h as f64);
        let c = fit.crop;
        // Uniform scale: the same along both axes, and it is the reported one.
        prop_assert!(rel_close(sw / c.w, sh / c.h, 1e-9));
        prop_assert!(rel_close(sw / c.w, fit.scale, 1e-9));
        // The crop has the slot's shape and lies inside the photo.
        prop_assert!(rel_close(c.aspect(), sw / sh, 1e-9));
        let tol = 1e-9 * pw.max(ph);
        prop_assert!(c.x >= 0.0 && c.y >= 0.0 && c.right() <= pw + tol && c.bottom() <= ph + tol, "{:?} in {}x{}", c, pw, ph);
        // At zoom 1 the limiting dimension is used in full.
        let unzoomed = fit_photo(photo, [sw, sh], PhotoView::DEFAULT).unwrap();
        match unzoomed.limiting {
            LimitingDimension::Width => prop_assert!(rel_close(unzoomed.crop.w, pw, 1e-12)),
            LimitingDimension::Height => prop_assert!(rel_close(unzoomed.crop.h, ph, 1e-12)),
        }
        prop_assert!(rel_close(c.w * view.zoom(), unzoomed.crop.w, 1e-9));
        prop_assert!((0.0..1.0).contains(&fit.crop_loss) && fit.crop_loss >= unzoomed.crop_loss - 1e-12);
        prop_assert!((unzoomed.crop_loss - crop_loss(photo, sw / sh)).abs() < 1e-9);
    }

    #[test]
    fn placing_a_photo_is_the_same_in_points_and_pixels(
        product in any_product(), side in any_side(), photo in any_photo(), view in any_view(),
        w in 0.01..1.0f64, h in 0.01..1.0f64, dpi in 72.0..600.0f64,
    ) {
        let slot = Box::new(0.0, 0.0, w, h, 0.0).unwrap();
        let frame = PageFrame::new(product, side);
        let pt = frame.place_photo(photo, &slot, view).unwrap();
        let px = frame.in_pixels(dpi).place_photo(photo, &slot, view).unwrap();
        prop_assert!(rel_close(pt.effective_ppi, px.effective_ppi, 1e-9));
        prop_assert!(rel_close(pt.slot.aspect(), slot_aspect(&slot, core_aspect_ratio(product.group)), 1e-9));
    }

    #[test]
    fn car_lies_within_the_ratios_and_beats_every_other_candidate(
        ratios in prop::collection::vec(0.2..5.0f64, 1..8), probe in 0.0..=1.0f64,
    ) {
        let car = core_aspect_ratio_of(&ratios);
        let lo = ratios.iter().cloned().fold(f64::INFINITY, f64::min);
        let hi = ratios.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        prop_assert!(lo <= car && car <= hi, "{} outside [{}, {}]", car, lo, hi);
        let other = lo + (hi - lo) * probe;
        prop_assert!(mean_squared_overlap_error(car, &ratios) <= mean_squared_overlap_error(other, &ratios) + 1e-12);
    }

    #[test]
    fn migration_within_a_group_changes_nothing(group in any_group(), product in any_product(), side in any_side(), boxes in prop::collection::vec(any_box(), 0..6)) {
        let car = core_aspect_ratio(group);
        prop_assert_eq!(migration_factors(car, car), MigrationFactors { x: 1.0, y: 1.0 });
        let (moved, violations) = migrate_boxes(&boxes, product.group, product, side);
        prop_assert_eq!(&moved, &boxes);
        prop_assert_eq!(violations, PageFrame::new(product, side).violations(&boxes));
    }

    #[test]
    fn migration_keeps_shapes_and_the_page(from in any_group(), to in any_product(), side in any_side(), b in any_box()) {
        let (moved, violations) = migrate_boxes(&[b], from, to, side);
        let m = moved[0];
        let f = migration_factors(core_aspect_ratio(from), core_aspect_ratio(to.group));
        prop_assert!(f.x <= 1.0 && f.y <= 1.0 && (f.x == 1.0 || f.y == 1.0));
        if b.h() > 1e-6 && m.h() > 1e-9 {
            let before = b.w() / b.h() * core_aspect_ratio(from);
            let after = m.w() / m.h() * core_aspect_ratio(to.group);
            prop_assert!(rel_close(before, after, 1e-9));
        }
        // Something wholly inside the visible page stays wholly inside it.
        let inside = |b: &Box| b.x().abs() + b.w() / 2.0 <= 0.5 && b.y().abs() + b.h() / 2.0 <= 0.5;
        if inside(&b) {
            prop_assert!(inside(&m));
        }
        prop_assert!(violations.iter().all(|v| v.index == 0));
    }

    #[test]
    fn choose_size_covers_the_need_when_it_can(
        sizes in prop::collection::vec((1u32..8000, 1u32..8000).prop_map(|(w, h)| PixelSize::new(w, h)), 0..6),
        nw in 0.0..9000.0f64, nh in 0.0..9000.0f64,
    ) {
        let need = [nw, nh];
        let chosen = choose_size(&sizes, need);
        prop_assert_eq!(chosen.is_some(), !sizes.is_empty());
        let Some(i) = chosen else { return Ok(()) };
        let covering: Vec<&PixelSize> = sizes.iter().filter(|s| s.w as f64 >= nw && s.h as f64 >= nh).collect();
        if covering.is_empty() {
            prop_assert!(sizes.iter().all(|s| coverage(*s, need) <= coverage(sizes[i], need)));
        } else {
            prop_assert!(sizes[i].w as f64 >= nw && sizes[i].h as f64 >= nh, "{:?} for {:?}", sizes[i], need);
            prop_assert!(covering.iter().all(|s| s.area() >= sizes[i].area()), "the smallest that covers");
        }
    }

    #[test]
    fn rotated_bounds_are_the_tight_bounds_of_the_rotated_corners(
        x in -100.0..100.0f64, y in -100.0..100.0f64, w in 0.0..100.0f64, h in 0.0..100.0f64, rot in -360.0..360.0f64,
    ) {
        let r = Rect::new(x, y, w, h);
        let b = r.rotated_bounds(rot);
        let [cx, cy] = r.centre();
        let (sin, cos) = rot.to_radians().sin_cos();
        let corners = [(-w, -h), (w, -h), (w, h), (-w, h)].map(|(dx, dy)| (cx + (dx * cos - dy * sin) / 2.0, cy + (dx * sin + dy * cos) / 2.0));
        let eps = 1e-9;
        let min_x = corners.iter().map(|c| c.0).fold(f64::INFINITY, f64::min);
        let max_x = corners.iter().map(|c| c.0).fold(f64::NEG_INFINITY, f64::max);
        let min_y = corners.iter().map(|c| c.1).fold(f64::INFINITY, f64::min);
        let max_y = corners.iter().map(|c| c.1).fold(f64::NEG_INFINITY, f64::max);
        prop_assert!((b.left() - min_x).abs() < eps && (b.right() - max_x).abs() < eps);
        prop_assert!((b.top() - min_y).abs() < eps && (b.bottom() - max_y).abs() < eps);
    }

    #[test]
    fn a_box_inside_the_safe_area_breaks_no_rule(product in any_product(), side in any_side(), fx in 0.0..=1.0f64, fy in 0.0..=1.0f64, fw in 0.0..=1.0f64, fh in 0.0..=1.0f64) {
        let frame = PageFrame::new(product, side);
        let safe = frame.transform().relative_rect(&frame.safe());
        let (w, h) = (safe.w * fw, safe.h * fh);
        let b = Box::new(safe.x + w / 2.0 + (safe.w - w) * fx, safe.y + h / 2.0 + (safe.h - h) * fy, w, h, 0.0).unwrap();
        prop_assert!(frame.check_box(&b).is_clear(), "{:?}", frame.check_box(&b));
        // Its mirror image on the facing page is clear there too.
        prop_assert!(PageFrame::new(product, side.facing()).check_box(&b.mirrored()).is_clear());
    }
}
