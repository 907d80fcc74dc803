//! Choosing which size of a photo's size array to fetch for a slot (seed 004's remote-photo
//! algorithm, SPEC §9): the smallest that covers the slot on its limiting dimension.

use super::{Box, PageFrame, PixelSize};

/// The photo pixels a slot needs: its physical size in inches × the target `dpi` × the `zoom`
/// (zooming in shows fewer of the photo's pixels across the slot, so more are needed).
/// For the screen, pass the slot's size in CSS inches and 96 × the device pixel ratio.
pub fn needed_pixels(slot_size_in: [f64; 2], dpi: f64, zoom: f64) -> [f64; 2] {
    [slot_size_in[0] * dpi * zoom, slot_size_in[1] * dpi * zoom]
}

impl PageFrame {
    /// The photo pixels the `slot` box on this page needs at `dpi` and `zoom`; see
    /// [`needed_pixels`].
    pub fn needed_pixels(&self, slot: &Box, dpi: f64, zoom: f64) -> [f64; 2] {
        let r = self.transform().box_rect(slot);
        needed_pixels([self.to_inches(r.w), self.to_inches(r.h)], dpi, zoom)
    }
}

/// How many times over `size` covers `need` on its limiting dimension: the smaller of
/// `w / need w` and `h / need h` (seed 004's width and height ratios). At least 1 means a
/// cover-fit of this size into the slot never enlarges it.
pub fn coverage(size: PixelSize, need: [f64; 2]) -> f64 {
    (size.w as f64 / need[0]).min(size.h as f64 / need[1])
}

/// The index in `sizes` of the size to fetch for a slot needing `need` pixels (`[w, h]`), or
/// `None` for an empty array.
///
/// The seed orders the sizes by the limiting dimension and walks up until one is at least the
/// slot's; here that is: the smallest size (by pixel count) whose [`coverage`] is at least 1,
/// else the one with the highest coverage (the largest), ties going to the earlier index. The
/// limiting dimension is taken per size, so an array whose sizes differ slightly in shape
/// (partners round differently) is still judged right; the array need not be sorted.
/// A need that is not finite is covered by nothing, which gives the largest size; a negative
/// need counts as 0.
pub fn choose_size(sizes: &[PixelSize], need: [f64; 2]) -> Option<usize> {
    let largest = || {
        sizes
            .iter()
            .enumerate()
            .max_by(|(i, a), (j, b)| a.area().cmp(&b.area()).then(j.cmp(i)))
            .map(|(i, _)| i)
    };
    if !need.iter().all(|v| v.is_finite()) {
        return largest();
    }
    let need = need.map(|v| v.max(0.0));
    let covering = sizes
        .iter()
        .enumerate()
        .filter(|(_, s)| coverage(**s, need) >= 1.0)
        .min_by_key(|(i, s)| (s.area(), *i));
    match covering {
        Some((i, _)) => Some(i),
        None => sizes
            .iter()
            .enumerate()
            .max_by(|(i, a), (j, b)| {
                coverage(**a, need)
                    .total_cmp(&coverage(**b, need))
                    .then(a.area().cmp(&b.area()))
                    .then(j.cmp(i))
            })
            .map(|(i, _)| i),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::PageSide;
    use crate::products::product;

    fn sizes() -> Vec<PixelSize> {
        vec![
            PixelSize::new(256, 171),
            PixelSize::new(1024, 683),
            PixelSize::new(2048, 1365),
            PixelSize::new(6000, 4000),
        ]
    }

    #[test]
    fn picks_the_smallest_size_that_covers() {
        assert_eq!(choose_size(&sizes(), [200.0, 100.0]), Some(0));
        assert_eq!(choose_size(&sizes(), [300.0, 100.0]), Some(1));
        // A tall slot: the height limits. 683 ≥ 600 so the 1024 size will do.
        assert_eq!(choose_size(&sizes(), [300.0, 600.0]), Some(1));
        assert_eq!(choose_size(&sizes(), [300.0, 700.0]), Some(2));
        assert_eq!(
            choose_size(&sizes(), [1024.0, 683.0]),
            Some(1),
            "exactly enough is enough"
        );
    }

    #[test]
    fn falls_back_to_the_largest() {
        assert_eq!(choose_size(&sizes(), [9000.0, 100.0]), Some(3));
        assert_eq!(choose_size(&sizes(), [f64::NAN, 100.0]), Some(3));
        assert_eq!(choose_size(&[], [1.0, 1.0]), None);
    }

    #[test]
    fn order_of_the_array_does_not_matter() {
        let mut s = sizes();
        s.reverse();
        assert_eq!(choose_size(&s, [300.0, 100.0]), Some(2));
        assert_eq!(choose_size(&s, [9000.0, 100.0]), Some(0));
    }

    #[test]
    fn a_slot_on_a_page_needs_its_inches_times_the_dpi() {
        // A 4×4 in slot on the 8×8 at 300 dpi needs 1200×1200, zoomed ×2 needs 2400×2400.
        let f = PageFrame::new(product("square-8x8").unwrap(), PageSide::Left);
        let slot = Box::new(0.0, 0.0, 0.5, 0.5, 0.0).unwrap();
        let need = f.needed_pixels(&slot, 300.0, 1.0);
        assert!((need[0] - 1200.0).abs() < 1e-9 && (need[1] - 1200.0).abs() < 1e-9);
        assert_eq!(needed_pixels([4.0, 4.0], 300.0, 2.0), [2400.0, 2400.0]);
        // 1024×683 falls short; 2048×1365 covers 1200×1200.
        assert_eq!(choose_size(&sizes(), need), Some(2));
    }
}
