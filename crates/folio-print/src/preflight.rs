//! Preflight (SPEC §11): what is wrong with a book for printing on one product, as a pure
//! function of the book, the product, the photos' pixel sizes and the fonts on hand.
//!
//! The HTTP endpoint and the render job gather those inputs (IO) and call [`preflight`]; it
//! reads nothing and returns a [`Report`] of [`Finding`]s, each naming its page, its item and
//! its [`Rule`]. Errors block a render unless it is forced.
//!
//! # Rules
//!
//! | rule | severity | when |
//! |---|---|---|
//! | `off_page` | error | no part of the item is on the trimmed page, so it will not print |
//! | `missing_photo` | error | the item shows a photo id with no photo behind it |
//! | `remote_photo` | error | the photo lives at a partner: the server does not fetch it to print |
//! | `very_low_resolution` | error | the photo as cropped prints below [`PPI_ERROR_BELOW`] (150) PPI |
//! | `low_resolution` | warning | the photo as cropped prints below [`PPI_WARN_BELOW`] (250) PPI |
//! | `crosses_gutter` | warning | part of the item lies in the gutter strip, hidden by the binding |
//! | `crosses_safe_area` | warning | text reaches outside the safe area; any other item ends inside the trim margin |
//! | `missing_font` | error | the item's style names a font not in the print font set |
//!
//! * **Effective PPI** is the photo's pixels across the slot after its cover fit, pan and zoom,
//!   over the slot's printed width in inches on this product
//!   ([`PageFrame::place_photo`]): a 3000×2000 photo in a full-page slot of the 8×8 is cropped
//!   to 2000×2000 px across 8 in, 250 PPI; zoomed 2× it shows 1000 px, 125 PPI. It is rounded
//!   to [`PPI_DECIMALS`] decimals before grading, so a photo that exactly meets a threshold
//!   is not failed by floating-point noise. The finding carries `ppi`, and says whether a
//!   larger size of the photo exists (`better_size_available`, and `better_ppi`, what that size
//!   would give).
//! * **Safe area.** Text is warned whenever any part of it lies outside the safe area: it may
//!   be trimmed off. A photo, sticker or shape may run off a page edge on purpose (a
//!   full-bleed photo, geometry's [`crdt_schema::geometry::BoundaryRule::CrossesSafeArea`]
//!   note), so it is warned only when one of its edges *ends* in the margin between the
//!   viewable edge and the safe line: there trimming, which may be off by the safe margin,
//!   shaves it or leaves a sliver of paper beside it. Bleed past the trim, or stay inside
//!   the safe line.
//! * **Gutter.** Any item overlapping the gutter strip (the binding side of the page, from the
//!   canvas edge to the gutter edge) is warned, whatever its kind: that part is hidden in the
//!   glue. The book's relative page never lands there ([`PageFrame`] aligns it to the gutter
//!   edge), so only items dragged past the page's binding edge do.
//! * **Off page** is reported alone: an item that will not print has no resolution, gutter,
//!   safe-area or font to speak of (a missing photo there is not reported either).
//! * Boundary findings carry `depth_in`: how far past the line (gutter edge or safe line) the
//!   item reaches, in inches, i.e. how far to move it inward to clear it.
//!
//! # Pages and sides
//!
//! Which side of the spread a page is decides where its gutter is ([`PageSide`]); see
//! [`page_sides`]. The spine's size comes from the page count at render time, not from the
//! product's page, so spine items are checked for missing photos and fonts only. Page
//! backgrounds are not checked: their assets are theme files, not library photos.
//!
//! # Shape of the page
//!
//! The book is edited at the core aspect ratio of its own group (`Input::group`, from the
//! project's product) and printed to `Input::product` by [`PageFrame::at_car`]'s fit, exactly
//! as the renderer places it; for a product of another group that is printing the book as it
//! stands, without the migration a product change would apply.

use std::collections::{BTreeSet, HashMap};

use crdt_schema::geometry::{
    core_aspect_ratio, Box, PageFrame, PageSide, PhotoView, PixelSize, PpiGrade, Rect,
    PPI_ERROR_BELOW, PPI_WARN_BELOW,
};
use crdt_schema::model::{Book, Item, ItemKind, Page, PageKind, PhotoRef};
use crdt_schema::{AspectGroup, Product};
use serde::Serialize;
use serde_json::Value;

#[cfg(test)]
mod tests;

/// The font families the renderer can embed: every family the themes of
/// `assets/themes.json` use (a test keeps the two in step), all under the SIL Open Font
/// License. An item style naming any other font is `missing_font`. Matched without regard to
/// ASCII case or surrounding spaces, as CSS matches family names.
pub const PRINT_FONTS: &[&str] = &[
    "Cormorant Garamond",
    "Fredoka",
    "Inter",
    "Josefin Sans",
    "Libre Baskerville",
    "Lora",
    "Merriweather",
    "Nunito",
    "Oswald",
    "Pacifico",
    "Playfair Display",
    "Quicksand",
    "Raleway",
    "Source Sans 3",
];

/// Decimals an effective PPI is rounded to before it is graded and reported.
pub const PPI_DECIMALS: i32 = 2;

/// A check preflight makes. Serialises as the snake_case names of the module's rule table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    OffPage,
    MissingPhoto,
    RemotePhoto,
    VeryLowResolution,
    LowResolution,
    CrossesGutter,
    CrossesSafeArea,
    MissingFont,
}

impl Rule {
    /// How bad breaking the rule is: errors block a render unless it is forced.
    pub fn severity(self) -> Severity {
        match self {
            Rule::OffPage
            | Rule::MissingPhoto
            | Rule::RemotePhoto
            | Rule::VeryLowResolution
            | Rule::MissingFont => Severity::Error,
            Rule::LowResolution | Rule::CrossesGutter | Rule::CrossesSafeArea => Severity::Warning,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem: where it is, which rule, and what to do about it. The optional numbers are
/// present only for the rules they belong to (and left out of the JSON otherwise).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub page_id: String,
    /// The page's position in the book's `pages` (0-based).
    pub page_index: usize,
    /// The item, or `None` for a finding about the page itself.
    pub item_id: Option<String>,
    pub rule: Rule,
    pub severity: Severity,
    /// What is wrong and what to do, for a person.
    pub message: String,
    /// The photo of a resolution or missing-photo finding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub photo_id: Option<String>,
    /// The effective PPI of a resolution finding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ppi: Option<f64>,
    /// Whether a larger size of the photo exists than the one that would be printed
    /// (resolution findings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub better_size_available: Option<bool>,
    /// The effective PPI the larger size would give, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub better_ppi: Option<f64>,
    /// How far past the gutter edge or the safe line the item reaches, in inches.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub depth_in: Option<f64>,
    /// The font of a missing-font finding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub font: Option<String>,
}

/// The findings, errors and warnings apart, each list in book order (page by page, items in
/// page order, an item's rules in [`Rule`] order). The JSON of SPEC §4's preflight answer.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Report {
    pub errors: Vec<Finding>,
    pub warnings: Vec<Finding>,
}

impl Report {
    /// True when nothing blocks a render (warnings may remain).
    pub fn can_print(&self) -> bool {
        self.errors.is_empty()
    }

    /// Every finding, errors first.
    pub fn all(&self) -> impl Iterator<Item = &Finding> {
        self.errors.iter().chain(&self.warnings)
    }

    fn push(&mut self, finding: Finding) {
        match finding.severity {
            Severity::Error => self.errors.push(finding),
            Severity::Warning => self.warnings.push(finding),
        }
    }
}

/// What is known about one photo's pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhotoPixels {
    /// The size that would be printed: the original of an uploaded photo, the largest size of
    /// a remote one.
    pub printed: PixelSize,
    /// The largest size the photo has; more pixels than `printed` means a better one exists.
    pub largest: PixelSize,
    /// The photo lives at a partner (SPEC §9 remote photos). Its pixels are known, but the
    /// server never fetches a partner's URL (it would let any user make the server call any
    /// address), so it cannot print it.
    pub remote: bool,
}

impl PhotoPixels {
    /// From a photo record's `meta` (SPEC §4 `photo`, as the library stores it): `sizes` of
    /// `{w, h}` ascending, the last the original (or a remote photo's largest), which is what
    /// prints. `None` when there is no usable size: such a photo cannot be printed, so it
    /// counts as missing.
    pub fn from_meta(meta: &Value) -> Option<PhotoPixels> {
        let sizes: Vec<PixelSize> = meta["sizes"]
            .as_array()?
            .iter()
            .filter_map(|s| {
                let dim = |k: &str| {
                    s[k].as_u64()
                        .and_then(|v| u32::try_from(v).ok())
                        .filter(|v| *v > 0)
                };
                Some(PixelSize::new(dim("w")?, dim("h")?))
            })
            .collect();
        let printed = *sizes.last()?;
        let largest = sizes
            .iter()
            .copied()
            .max_by_key(PixelSize::area)
            .unwrap_or(printed);
        Some(PhotoPixels {
            printed,
            largest,
            remote: meta["format"] == "remote",
        })
    }

    /// Whether a size with more pixels than the printed one exists.
    pub fn better_size_available(&self) -> bool {
        self.largest.area() > self.printed.area()
    }
}

/// Everything preflight looks at.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    pub book: &'a Book,
    /// The product to print on.
    pub product: &'a Product,
    /// The aspect-ratio group the book is edited in (its project's product's group): pages
    /// have this group's core aspect ratio.
    pub group: AspectGroup,
    /// The pixels of every photo that exists, by photo id; an id not in it is missing.
    pub photos: &'a HashMap<String, PhotoPixels>,
    /// Font families available for print ([`PRINT_FONTS`] in the server).
    pub fonts: &'a [&'a str],
}

/// Every photo id the book's items show, for the caller to look up.
pub fn referenced_photos(book: &Book) -> BTreeSet<String> {
    book.pages
        .iter()
        .flat_map(|p| &p.items)
        .filter_map(|i| i.photo.as_ref().map(|r| r.id.clone()))
        .collect()
}

/// The side of the spread of each page of the book, in book order; `None` for the spine.
///
/// * The front cover binds like a right-hand page and the back cover like a left-hand one
///   ([`PageSide`]).
/// * Inside pages (`inside-front`, `page`, `inside-back`) alternate in book order. The first
///   `page` is page 1, a right-hand page (recto), facing the inside front cover, as automix
///   lays books out; so the first inside page is a right page, unless it is the inside front
///   cover, which is the left page of that first spread.
pub fn page_sides(book: &Book) -> Vec<Option<PageSide>> {
    let first_inside = book.pages.iter().map(|p| p.kind).find(|k| is_inside(*k));
    let first = if first_inside == Some(PageKind::InsideFront) {
        PageSide::Left
    } else {
        PageSide::Right
    };
    let mut inside = 0usize;
    book.pages
        .iter()
        .map(|p| match p.kind {
            PageKind::FrontCover => Some(PageSide::Right),
            PageKind::BackCover => Some(PageSide::Left),
            PageKind::Spine => None,
            PageKind::InsideFront | PageKind::InsideBack | PageKind::Page => {
                let side = if inside.is_multiple_of(2) {
                    first
                } else {
                    first.facing()
                };
                inside += 1;
                Some(side)
            }
        })
        .collect()
}

fn is_inside(kind: PageKind) -> bool {
    matches!(
        kind,
        PageKind::InsideFront | PageKind::InsideBack | PageKind::Page
    )
}

/// Runs every rule over the book; see the module documentation.
pub fn preflight(input: &Input<'_>) -> Report {
    let car = core_aspect_ratio(input.group);
    let mut report = Report::default();
    for ((index, page), side) in input
        .book
        .pages
        .iter()
        .enumerate()
        .zip(page_sides(input.book))
    {
        let frame = side.map(|side| PageFrame::at_car(input.product, car, side));
        for item in &page.items {
            let at = At { page, index, item };
            check_item(input, frame.as_ref(), &at, &mut report);
        }
    }
    report
}

/// Where a finding is.
struct At<'a> {
    page: &'a Page,
    index: usize,
    item: &'a Item,
}

impl At<'_> {
    fn finding(&self, rule: Rule, message: String) -> Finding {
        Finding {
            page_id: self.page.id.clone(),
            page_index: self.index,
            item_id: Some(self.item.id.clone()),
            rule,
            severity: rule.severity(),
            message,
            photo_id: None,
            ppi: None,
            better_size_available: None,
            better_ppi: None,
            depth_in: None,
            font: None,
        }
    }
}

fn check_item(input: &Input<'_>, frame: Option<&PageFrame>, at: &At<'_>, report: &mut Report) {
    let item = at.item;
    // A box the validator let through always builds; one that does not has no geometry to check.
    let bbox = Box::try_from(item.bbox).ok();
    let placed = frame.zip(bbox);
    if let Some((frame, b)) = placed {
        if frame.check_box(&b).off_page {
            let msg = format!("this {} lies wholly off the page and will not be printed; move it onto the page or delete it", noun(item));
            report.push(at.finding(Rule::OffPage, msg));
            return;
        }
    }
    if let Some(photo) = &item.photo {
        match input.photos.get(&photo.id) {
            None => {
                let msg = format!(
                    "photo {} is not in the photo library (deleted, never uploaded, or not shared with this book); replace it",
                    photo.id
                );
                report.push(Finding {
                    photo_id: Some(photo.id.clone()),
                    ..at.finding(Rule::MissingPhoto, msg)
                });
            }
            Some(pixels) if pixels.remote => {
                let msg = "this photo lives at a partner and is not fetched for print, so its slot would print empty; upload the original and place it instead".to_owned();
                report.push(Finding {
                    photo_id: Some(photo.id.clone()),
                    ..at.finding(Rule::RemotePhoto, msg)
                });
            }
            Some(pixels) => {
                if let Some((frame, b)) = placed {
                    if let Some(f) = resolution(frame, &b, photo, pixels, at) {
                        report.push(f);
                    }
                }
            }
        }
    }
    if let Some((frame, b)) = placed {
        for f in boundaries(frame, &b, at) {
            report.push(f);
        }
    }
    if let Some(font) = &item.style.font {
        if !input
            .fonts
            .iter()
            .any(|f| f.trim().eq_ignore_ascii_case(font.trim()))
        {
            let msg = format!(
                "font {font:?} is not available for print; choose one of the theme's fonts"
            );
            report.push(Finding {
                font: Some(font.clone()),
                ..at.finding(Rule::MissingFont, msg)
            });
        }
    }
}

fn noun(item: &Item) -> &'static str {
    match item.kind {
        ItemKind::Photo => "photo",
        ItemKind::Text => "text box",
        ItemKind::Sticker => "sticker",
        ItemKind::Shape => "shape",
    }
}

fn round_ppi(ppi: f64) -> f64 {
    let k = 10f64.powi(PPI_DECIMALS);
    (ppi * k).round() / k
}

/// The effective PPI of `pixels` in the slot `b` under the item's pan and zoom (stored values
/// clamped into range, as the editor shows them); `None` for a slot without area.
fn effective_ppi(frame: &PageFrame, b: &Box, photo: &PhotoRef, pixels: PixelSize) -> Option<f64> {
    let view = PhotoView::clamped(photo.pan, photo.zoom);
    frame
        .place_photo(pixels, b, view)
        .ok()
        .map(|p| round_ppi(p.effective_ppi))
}

fn resolution(
    frame: &PageFrame,
    b: &Box,
    photo: &PhotoRef,
    pixels: &PhotoPixels,
    at: &At<'_>,
) -> Option<Finding> {
    let ppi = effective_ppi(frame, b, photo, pixels.printed)?;
    let (rule, msg) = match PpiGrade::of(ppi) {
        PpiGrade::Good => return None,
        PpiGrade::Warning => (
            Rule::LowResolution,
            format!("this photo prints at {ppi:.0} PPI, below the {PPI_WARN_BELOW:.0} PPI recommended, and may look soft"),
        ),
        PpiGrade::Error => (
            Rule::VeryLowResolution,
            format!("this photo prints at {ppi:.0} PPI, below the {PPI_ERROR_BELOW:.0} PPI minimum, and will look pixelated"),
        ),
    };
    let better = pixels.better_size_available();
    let better_ppi = if better {
        effective_ppi(frame, b, photo, pixels.largest)
    } else {
        None
    };
    let advice = match better_ppi {
        Some(p) => format!(
            "; a larger size of this photo ({}×{} px) is available and would print at {p:.0} PPI",
            pixels.largest.w, pixels.largest.h
        ),
        None => "; make the slot smaller, zoom out, or use a larger photo".to_owned(),
    };
    Some(Finding {
        photo_id: Some(photo.id.clone()),
        ppi: Some(ppi),
        better_size_available: Some(better),
        better_ppi,
        ..at.finding(rule, msg + &advice)
    })
}

/// The gutter and safe-area findings of an item that is at least partly on the page.
fn boundaries(frame: &PageFrame, b: &Box, at: &At<'_>) -> Vec<Finding> {
    let bounds = frame.transform().box_bounds(b);
    let check = frame.check_box(b);
    let inches = |points: f64| round_depth(frame.to_inches(points));
    let what = noun(at.item);
    let mut found = Vec::new();
    if check.intersects_gutter {
        let gutter = frame.gutter();
        let depth = if frame.side().gutter_on_left() {
            gutter.right() - bounds.left()
        } else {
            bounds.right() - gutter.left()
        };
        let depth = inches(depth);
        let msg = format!("this {what} reaches {depth:.2} in into the gutter, where the binding hides it; move it away from the spine");
        found.push(Finding {
            depth_in: Some(depth),
            ..at.finding(Rule::CrossesGutter, msg)
        });
    }
    let tol = 1e-9 * frame.canvas().w;
    let overshoot = if at.item.kind == ItemKind::Text {
        check
            .crosses_safe_area
            .then(|| outside(&bounds, &frame.safe()))
    } else {
        margin_overshoot(&bounds, &frame.viewable(), &frame.safe(), tol)
    };
    if let Some(depth) = overshoot {
        let depth = inches(depth);
        let msg = if at.item.kind == ItemKind::Text {
            format!("this text box reaches {depth:.2} in outside the safe area and may be cut off when the page is trimmed; move it inward")
        } else {
            format!(
                "an edge of this {what} ends {depth:.2} in outside the safe area, where trimming may shave it or leave a sliver; \
                 extend it past the page edge or keep it inside the safe area"
            )
        };
        found.push(Finding {
            depth_in: Some(depth),
            ..at.finding(Rule::CrossesSafeArea, msg)
        });
    }
    found
}

/// Depths are reported to a thousandth of an inch.
fn round_depth(inches: f64) -> f64 {
    (inches * 1000.0).round() / 1000.0
}

/// How far `bounds` reaches outside `safe` on its worst side (0 when inside).
fn outside(bounds: &Rect, safe: &Rect) -> f64 {
    [
        safe.left() - bounds.left(),
        bounds.right() - safe.right(),
        safe.top() - bounds.top(),
        bounds.bottom() - safe.bottom(),
    ]
    .into_iter()
    .fold(0.0, f64::max)
}

/// The largest overshoot past the safe line of an edge of `bounds` that ends inside a margin
/// between a `viewable` edge and the `safe` line (exclusive, with `tol` for rounding), or
/// `None` when no edge does. Both vertical edges are tried against both side margins (and the
/// horizontal ones against top and bottom), so an item that starts inside a margin and runs
/// off the page is caught as well as one that stops short of the edge.
fn margin_overshoot(bounds: &Rect, viewable: &Rect, safe: &Rect, tol: f64) -> Option<f64> {
    let in_band = |edge: f64, outer: f64, line: f64| {
        let (lo, hi) = if outer < line {
            (outer, line)
        } else {
            (line, outer)
        };
        (edge > lo + tol && edge < hi - tol).then(|| (edge - line).abs())
    };
    let bands_x = [
        (viewable.left(), safe.left()),
        (viewable.right(), safe.right()),
    ];
    let bands_y = [
        (viewable.top(), safe.top()),
        (viewable.bottom(), safe.bottom()),
    ];
    let xs = [bounds.left(), bounds.right()]
        .into_iter()
        .flat_map(|e| bands_x.map(|(outer, line)| in_band(e, outer, line)));
    let ys = [bounds.top(), bounds.bottom()]
        .into_iter()
        .flat_map(|e| bands_y.map(|(outer, line)| in_band(e, outer, line)));
    xs.chain(ys).flatten().reduce(f64::max)
}
