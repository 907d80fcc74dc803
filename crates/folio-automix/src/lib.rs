//! Automix (SPEC §10): the pure autoflow engine. Photo metadata and the book's aspect-ratio
//! group in, a book plan out: theme, cover, and pages in book order with their layout, each
//! photo's slot and view, and the page background. No IO, clock or randomness (STYLE habit
//! 2): the only choice left to chance is a `seed` argument. The automix job snapshots the
//! project, calls [`plan`] (or [`remix`] for one page) and writes the result into the
//! document.
//!
//! The steps, each in its own file with its constants and the reasons for them:
//! 1. [`order`]: UTC capture time, with local time, file time and upload order as fallbacks;
//! 2. [`events`]: adaptive log-gap boundaries (PhotoTOC) with colour and place changes
//!    weighing in on close calls, then small events merged by the distribution of photos per
//!    event;
//! 3. [`pages`]: pages per event with related pages on facing pages, cut where colour, place
//!    and time differ most;
//! 4. [`layout`]: the page's shape string matched against the library, least total crop,
//!    photos fitted on their limiting dimension;
//! 5. cover from the album's cover photo, else the first, titled with the album name;
//! 6. theme from keywords in the album name and tags ([`Library::theme_for_keywords`]);
//! 7. [`remix`]: the same photos in the next best layout.
//!
//! Its quality is measured, not asserted: `loadtest/bench-automix.sh` runs
//! `loadtest/automix-quality` on generated photo streams with known events.
//!
//! Pages alternate sides from [`Options::first_side`] (right by default: the first inside
//! page faces the inside front cover). A page's background is the theme's background for
//! its spread, chosen by the event of the spread's first page, and mirrored on the left page
//! when the theme mirrors facing pages, so a spread is symmetric about the gutter.

pub mod events;
pub mod layout;
pub mod order;
pub mod pages;
pub mod photo;
pub mod similarity;
#[cfg(test)]
mod tests;

use std::collections::HashSet;

use crdt_schema::geometry::PageSide;
use crdt_schema::AspectGroup;
use serde::Serialize;

pub use events::EventParams;
use folio_domain::ids::PhotoId;
use folio_layouts::{Background, Library};
pub use layout::{Design, Placement};
pub use order::TimeSource;
pub use photo::{LabShare, Photo, Taken};
pub use similarity::Weights;

/// What to make a book of.
#[derive(Debug, Clone)]
pub struct BookInput {
    /// In any order; [`order`] sorts them.
    pub photos: Vec<Photo>,
    pub group: AspectGroup,
    /// The album (or group) name: the cover title, and keywords for the theme.
    pub title: String,
    /// Tags of the album or group: more keywords for the theme.
    pub tags: Vec<String>,
    /// The album's cover photo, when it has one and it is among `photos`.
    pub cover: Option<PhotoId>,
    pub options: Options,
}

/// The knobs, all with defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Options {
    /// Photos per page the pagination aims at (1 to 6; default 4).
    pub photos_per_page: f64,
    /// How colour, place and time count when cutting an event into pages.
    pub weights: Weights,
    pub events: EventParams,
    /// The side of the first page of the plan.
    pub first_side: PageSide,
    /// Chooses among layouts that crop equally well (0: the least crop).
    pub seed: u64,
}

impl Options {
    pub const DEFAULT: Options = Options {
        photos_per_page: 4.0,
        weights: Weights::DEFAULT,
        events: EventParams::DEFAULT,
        first_side: PageSide::Right,
        seed: 0,
    };
}

impl Default for Options {
    fn default() -> Options {
        Options::DEFAULT
    }
}

/// The plan of a book.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BookPlan {
    /// Theme id.
    pub theme: String,
    pub cover: Cover,
    /// Inside pages in book order.
    pub pages: Vec<PagePlan>,
    /// Photos left out, with why.
    pub skipped: Vec<Skipped>,
    pub stats: PlanStats,
}

/// The front cover.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cover {
    pub title: String,
    /// The cover photo in a single-photo layout; None for a book without photos.
    pub design: Option<Design>,
}

impl Cover {
    /// The cover photo.
    pub fn photo(&self) -> Option<PhotoId> {
        self.design
            .as_ref()
            .and_then(|d| d.placements.first())
            .map(|p| p.photo)
    }
}

/// One inside page.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PagePlan {
    pub side: PageSide,
    /// The event (0-based, in book order) the page's photos belong to.
    pub event: usize,
    pub background: Background,
    /// Layout, photos in slots, and diagnostics (crop loss, coverage).
    pub design: Design,
}

/// A photo automix could not use.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Skipped {
    pub photo: PhotoId,
    pub reason: SkipReason,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// Width or height is 0.
    NoPixels,
    /// The same id came twice; the first is used.
    Duplicate,
    /// No layout of the group has as many slots as the page needed (not with the shipped
    /// library).
    NoLayout,
}

/// Figures about a plan, for logs and the quality benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PlanStats {
    pub photos: usize,
    pub events: usize,
    pub pages: usize,
    /// Mean over placed photos of the crop loss.
    pub mean_crop_loss: f64,
    pub max_crop_loss: f64,
    /// Mean over pages of photo area over page area.
    pub mean_coverage: f64,
    /// Pages whose layout does not match their shape string exactly.
    pub inexact_pages: usize,
}

/// Plans a book (SPEC §10.1–10.6). Never fails: unusable photos are listed in `skipped`.
pub fn plan(input: &BookInput, lib: &Library) -> BookPlan {
    let opts = &input.options;
    let theme = lib.theme_for_keywords(
        &std::iter::once(input.title.as_str())
            .chain(input.tags.iter().map(String::as_str))
            .collect::<Vec<_>>(),
    );

    let mut skipped = Vec::new();
    let mut seen = HashSet::new();
    let mut usable: Vec<&Photo> = Vec::with_capacity(input.photos.len());
    for p in &input.photos {
        if !seen.insert(p.id) {
            skipped.push(Skipped {
                photo: p.id,
                reason: SkipReason::Duplicate,
            });
        } else if p.width == 0 || p.height == 0 {
            skipped.push(Skipped {
                photo: p.id,
                reason: SkipReason::NoPixels,
            });
        } else {
            usable.push(p);
        }
    }

    let ordered = order::order(&usable);
    let book: Vec<&Photo> = ordered.index.iter().map(|&i| usable[i]).collect();
    let change = |i: usize| similarity::change_across(&book, i, &opts.weights);
    let starts = events::events(&ordered.seconds, &change, &opts.events);
    let groups = pages::paginate(
        &book,
        &ordered.seconds,
        &starts,
        opts.photos_per_page,
        capacity(lib, input.group),
        opts.first_side,
        &opts.weights,
    );

    let mut designed: Vec<(usize, Design)> = Vec::with_capacity(groups.len());
    for group in &groups {
        let photos: Vec<&Photo> = group.photos.iter().map(|&i| book[i]).collect();
        let previous = designed.last().map(|(_, d)| d.layout.as_str());
        match layout::choose(lib, input.group, &photos, previous, opts.seed) {
            Some(design) => designed.push((group.event, design)),
            None => skipped.extend(photos.iter().map(|p| Skipped {
                photo: p.id,
                reason: SkipReason::NoLayout,
            })),
        }
    }

    let pages: Vec<PagePlan> = designed
        .iter()
        .enumerate()
        .map(|(i, (event, design))| {
            let side = pages::side_of(i, opts.first_side);
            // The spread's first page: this one if it is a left page, else the left page
            // before it.
            let spread_first = if side == PageSide::Right && i > 0 {
                i - 1
            } else {
                i
            };
            PagePlan {
                side,
                event: *event,
                background: theme.background(designed[spread_first].0, side),
                design: design.clone(),
            }
        })
        .collect();

    let cover_photo = input
        .cover
        .and_then(|id| book.iter().find(|p| p.id == id).copied())
        .or_else(|| book.first().copied());
    let cover = Cover {
        title: input.title.trim().to_owned(),
        design: cover_photo.and_then(|p| layout::cover(lib, input.group, p)),
    };
    let stats = stats(&pages, starts.len());
    BookPlan {
        theme: theme.id.clone(),
        cover,
        pages,
        skipped,
        stats,
    }
}

/// Remix (SPEC §10.7): the photos of one page in another layout, the next best after
/// `current` (see [`layout::remix`]). `photos` are the page's photos in any order; they are
/// put in book order first so that ties keep reading order. None when the page has no photo
/// or the library has no other layout for them.
pub fn remix(
    photos: &[Photo],
    current: &str,
    group: AspectGroup,
    lib: &Library,
    seed: u64,
) -> Option<Design> {
    let ordered = order::order(photos);
    let book: Vec<&Photo> = ordered.index.iter().map(|&i| &photos[i]).collect();
    layout::remix(lib, group, &book, current, seed)
}

/// Photos per page: the most slots of any layout of the group, and of any fully captioned
/// one (a page with a captioned photo wants caption areas).
fn capacity(lib: &Library, group: AspectGroup) -> pages::Capacity {
    let most = |captioned: bool| {
        lib.layouts_for(group)
            .filter(|l| !captioned || l.captions_all())
            .map(|l| l.slots.len())
            .max()
    };
    let plain = most(false).unwrap_or(folio_layouts::MAX_SLOTS);
    pages::Capacity {
        plain,
        captioned: most(true).unwrap_or(plain),
    }
}

fn stats(pages: &[PagePlan], events: usize) -> PlanStats {
    let losses: Vec<f64> = pages
        .iter()
        .flat_map(|p| p.design.placements.iter().map(|x| x.crop_loss))
        .collect();
    let mean = |v: &[f64]| {
        if v.is_empty() {
            0.0
        } else {
            v.iter().sum::<f64>() / v.len() as f64
        }
    };
    let coverage: Vec<f64> = pages.iter().map(|p| p.design.coverage).collect();
    PlanStats {
        photos: losses.len(),
        events,
        pages: pages.len(),
        mean_crop_loss: mean(&losses),
        max_crop_loss: losses.iter().copied().fold(0.0, f64::max),
        mean_coverage: mean(&coverage),
        inexact_pages: pages.iter().filter(|p| !p.design.exact).count(),
    }
}
