//! Step 4 (SPEC §10.4) and remix (§10.7): which layout a page's photos go into, which photo
//! goes into which slot, and how each is fitted.
//!
//! **Candidates.** The layouts of the book's group whose slot shapes are the page's shape
//! string (`LLPP`) in any order ([`Library::matching`]), with a caption area on every slot
//! when a photo of the page has a caption and none otherwise. When the library has no such
//! layout, the layouts with as many slots (captioned, then plain) stand in and the page is
//! marked inexact; the shipped library never needs that for pages of 1 to 6 photos.
//!
//! **Assignment and choice.** For each candidate every assignment of photos to slots is tried
//! (at most 6! = 720) and the one with the least total crop loss kept, the first in book
//! order on a tie, so photos read in slot order when shapes allow. The layout with the least
//! total crop wins, which is seed 004's "minimise zooming": photos land in slots of their own
//! shape. Among layouts within [`NEAR_TIE`] per photo of the best, the one the previous page
//! used is passed over, so a run of `LLLL` pages alternates designs.
//!
//! **Fit.** Each photo is fitted by [`fit_photo`] at the default view: pan `[0, 0]`, zoom 1,
//! the photo scaled uniformly until its limiting dimension spans the slot (seed 004) and the
//! other dimension cropped evenly. Nothing is ever stretched: one scale serves both axes.

use crdt_schema::geometry::{
    core_aspect_ratio, crop_loss, fit_photo, slot_aspect, Box, LimitingDimension, PhotoView,
    PixelSize,
};
use crdt_schema::AspectGroup;
use serde::Serialize;

use super::photo::Photo;
use folio_domain::ids::PhotoId;
use folio_layouts::{Layout, Library};
use folio_media::meta::Shape;

/// Crop loss per photo within which two layouts count as equally good.
pub const NEAR_TIE: f64 = 0.01;

/// One photo in its slot.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Placement {
    pub photo: PhotoId,
    /// The layout slot index (the item's `slot`).
    pub slot: usize,
    /// The slot's box, the item's `box`.
    #[serde(rename = "box")]
    pub frame: Box,
    /// The item's `photo.pan` and `photo.zoom`: centred, zoom 1 (cover on the limiting
    /// dimension).
    pub view: PhotoView,
    pub limiting: LimitingDimension,
    /// `1 − visible area / photo area` at this view.
    pub crop_loss: f64,
    /// The caption text for the slot's caption area, when the layout has one and the photo
    /// has a caption.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
}

/// A layout filled with a page's photos.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Design {
    pub layout: String,
    /// One per photo, in slot order.
    pub placements: Vec<Placement>,
    /// Sum of the photos' crop losses.
    pub crop_loss: f64,
    /// The photos' area over the page's area (slots clipped to the page).
    pub coverage: f64,
    /// The page's shape string, in book order of its photos (`"LLP"`).
    pub shapes: String,
    /// Whether the layout's slot shapes are exactly the photos' shapes.
    pub exact: bool,
    /// Whether a photo had a caption but the layout has no caption areas.
    pub captions_dropped: bool,
}

/// A candidate layout with its best assignment (`slot_of[photo]`) and total crop.
struct Ranked<'a> {
    layout: &'a Layout,
    slot_of: Vec<usize>,
    crop: f64,
    exact: bool,
    captions_dropped: bool,
}

/// The best layout for `photos` (1 to 6), passing over `avoid` among near-ties; `pick`
/// chooses among the remaining near-ties (0: the least crop). None for no photos or when
/// the group has no layout with that many slots.
pub fn choose(
    lib: &Library,
    group: AspectGroup,
    photos: &[&Photo],
    avoid: Option<&str>,
    pick: u64,
) -> Option<Design> {
    let ranked = rank(lib, group, photos, None);
    let best = ranked.first()?.crop;
    let ties: Vec<&Ranked> = ranked
        .iter()
        .take_while(|r| r.crop <= best + NEAR_TIE * photos.len() as f64)
        .collect();
    let fresh: Vec<&Ranked> = ties
        .iter()
        .copied()
        .filter(|r| Some(r.layout.id.as_str()) != avoid)
        .collect();
    let pool = if fresh.is_empty() { ties } else { fresh };
    let chosen = pool[(pick % pool.len() as u64) as usize];
    Some(fill(group, photos, chosen))
}

/// Remix (SPEC §10.7): the same photos in another layout, the next best after `current` by
/// total crop. Among the near-ties for next best, `seed` picks one, so repeated remixes with
/// different seeds walk through equally good designs and one seed always gives one answer.
/// Exact-shape layouts come first; when `current` is the only one, layouts with the same
/// number of slots are used. None when there is no other layout at all.
pub fn remix(
    lib: &Library,
    group: AspectGroup,
    photos: &[&Photo],
    current: &str,
    seed: u64,
) -> Option<Design> {
    let ranked = rank(lib, group, photos, Some(current));
    let exact: Vec<&Ranked> = ranked.iter().filter(|r| r.exact).collect();
    let pool: Vec<&Ranked> = if exact.is_empty() {
        ranked.iter().collect()
    } else {
        exact
    };
    let best = pool.first()?.crop;
    let ties: Vec<&Ranked> = pool
        .iter()
        .copied()
        .take_while(|r| r.crop <= best + NEAR_TIE * photos.len() as f64)
        .collect();
    let chosen = ties[(mix(seed) % ties.len() as u64) as usize];
    Some(fill(group, photos, chosen))
}

/// The cover: the cover photo in the single-photo layout with the least crop, a full-bleed
/// one on a tie (covers are usually printed to the edge).
pub fn cover(lib: &Library, group: AspectGroup, photo: &Photo) -> Option<Design> {
    let car = core_aspect_ratio(group);
    let size = PixelSize::new(photo.width, photo.height);
    let best = lib
        .layouts_for(group)
        .filter(|l| l.slots.len() == 1 && !l.captions_any())
        .map(|l| (l, crop_loss(size, slot_aspect(&l.slots[0].frame, car))))
        .min_by(|a, b| {
            a.1.total_cmp(&b.1)
                .then_with(|| is_bleed(b.0).cmp(&is_bleed(a.0)))
        })?;
    let ranked = Ranked {
        layout: best.0,
        slot_of: vec![0],
        crop: best.1,
        exact: best.0.slots[0].shape == photo.shape(),
        captions_dropped: false,
    };
    Some(fill(group, &[photo], &ranked))
}

fn is_bleed(l: &Layout) -> bool {
    l.id.contains("bleed")
}

/// Every candidate of the module doc but `exclude`, with its best assignment, least total
/// crop first (library order on a tie).
fn rank<'a>(
    lib: &'a Library,
    group: AspectGroup,
    photos: &[&Photo],
    exclude: Option<&str>,
) -> Vec<Ranked<'a>> {
    if photos.is_empty() {
        return Vec::new();
    }
    let car = core_aspect_ratio(group);
    let shapes: Vec<Shape> = photos.iter().map(|p| p.shape()).collect();
    let wants_captions = photos.iter().any(|p| p.caption.is_some());
    // (exact shapes, captioned) in order of preference.
    let tiers: &[(bool, bool)] = if wants_captions {
        &[(true, true), (true, false), (false, true), (false, false)]
    } else {
        &[(true, false), (false, false)]
    };
    for &(exact, captioned) in tiers {
        let layouts: Vec<&Layout> = if exact {
            lib.matching(group, &shapes, captioned).collect()
        } else {
            lib.layouts_for(group)
                .filter(|l| {
                    l.slots.len() == photos.len()
                        && if captioned {
                            l.captions_all()
                        } else {
                            !l.captions_any()
                        }
                })
                .collect()
        };
        let mut ranked: Vec<Ranked> = layouts
            .into_iter()
            .filter(|l| Some(l.id.as_str()) != exclude)
            .map(|layout| {
                let (slot_of, crop) = assign(layout, photos, car);
                Ranked {
                    layout,
                    slot_of,
                    crop,
                    exact,
                    captions_dropped: wants_captions && !captioned,
                }
            })
            .collect();
        if !ranked.is_empty() {
            // Stable: library order on equal crop.
            ranked.sort_by(|a, b| a.crop.total_cmp(&b.crop));
            return ranked;
        }
    }
    Vec::new()
}

/// The assignment of photos to slots with the least total crop: `slot_of[photo]`, and the
/// total. Exhaustive over permutations (`photos.len() == layout.slots.len() <= 6`).
fn assign(layout: &Layout, photos: &[&Photo], car: f64) -> (Vec<usize>, f64) {
    let n = photos.len();
    let cost: Vec<Vec<f64>> = photos
        .iter()
        .map(|p| {
            layout
                .slots
                .iter()
                .map(|s| {
                    crop_loss(
                        PixelSize::new(p.width, p.height),
                        slot_aspect(&s.frame, car),
                    )
                })
                .collect()
        })
        .collect();
    let mut best = (Vec::new(), f64::INFINITY);
    let mut current = Vec::with_capacity(n);
    let mut used = vec![false; layout.slots.len()];
    search(&cost, &mut current, &mut used, 0.0, &mut best);
    best
}

fn search(
    cost: &[Vec<f64>],
    current: &mut Vec<usize>,
    used: &mut [bool],
    sum: f64,
    best: &mut (Vec<usize>, f64),
) {
    if sum >= best.1 {
        return;
    }
    let photo = current.len();
    if photo == cost.len() {
        *best = (current.clone(), sum);
        return;
    }
    for slot in 0..used.len() {
        if !used[slot] {
            used[slot] = true;
            current.push(slot);
            search(cost, current, used, sum + cost[photo][slot], best);
            current.pop();
            used[slot] = false;
        }
    }
}

/// The placements of a ranked candidate.
fn fill(group: AspectGroup, photos: &[&Photo], r: &Ranked) -> Design {
    let car = core_aspect_ratio(group);
    let mut placements: Vec<Placement> = photos
        .iter()
        .zip(&r.slot_of)
        .map(|(photo, &slot)| {
            let s = &r.layout.slots[slot];
            let size = PixelSize::new(photo.width.max(1), photo.height.max(1));
            let fit = fit_photo(size, [s.frame.w() * car, s.frame.h()], PhotoView::DEFAULT)
                .expect("library slots have area and photos have pixels");
            Placement {
                photo: photo.id,
                slot,
                frame: s.frame,
                view: fit.view,
                limiting: fit.limiting,
                crop_loss: fit.crop_loss,
                caption: if s.caption {
                    photo.caption.clone()
                } else {
                    None
                },
            }
        })
        .collect();
    placements.sort_by_key(|p| p.slot);
    let coverage = r
        .layout
        .slots
        .iter()
        .map(|s| clipped_area(&s.frame))
        .sum::<f64>()
        .min(1.0);
    Design {
        layout: r.layout.id.clone(),
        crop_loss: placements.iter().map(|p| p.crop_loss).sum(),
        placements,
        coverage,
        shapes: photos.iter().map(|p| shape_char(p.shape())).collect(),
        exact: r.exact,
        captions_dropped: r.captions_dropped,
    }
}

fn shape_char(s: Shape) -> char {
    match s {
        Shape::L => 'L',
        Shape::P => 'P',
        Shape::S => 'S',
    }
}

/// The part of a box's area on the visible page, as a fraction of the page's area.
fn clipped_area(b: &Box) -> f64 {
    let span =
        |c: f64, size: f64| ((c + size / 2.0).min(0.5) - (c - size / 2.0).max(-0.5)).max(0.0);
    span(b.x(), b.w()) * span(b.y(), b.h())
}

/// SplitMix64: spreads consecutive seeds over the near-ties.
fn mix(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
