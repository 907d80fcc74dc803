//! The layout library and the themes (SPEC §10.4, §10.6): page designs automix fills, read from
//! `assets/` at compile time and checked before first use.
//!
//! **Layouts.** A layout belongs to one aspect-ratio group and has 1 to 6 photo slots. A slot's
//! `box` is `[x, y, w, h, rot]` in the page's relative coordinates exactly as an item's box
//! (SPEC §6.1, [`crdt_schema::geometry::Box`]): the centre of the slot, origin at the page
//! centre, `x`/`w` fractions of the page width, `y`/`h` of its height, `y` down, so the page is
//! `[-0.5, 0.5]²`. Its shape is read at the group's core aspect ratio (CAR):
//! `w / h × CAR` ([`slot_aspect`]), and `L`, `P` or `S` follows the photos' rule
//! ([`Shape::SQUARE_TOLERANCE`]: within 5 % is square).
//!
//! **Captions.** A slot with `caption: true` also has a `caption_box`: the text area reserved
//! for its caption, in the same coordinates, directly under the photo (its top at most
//! [`MAX_CAPTION_GAP`] of the page height below the photo's bottom) and no wider than it. Automix
//! puts the caption's text item there. A slot without a caption has no `caption_box`.
//!
//! **What validation guarantees** ([`Library::parse`]): unique ids, 1 to 6 slots, every slot
//! and caption area inside the page (bleed layouts may reach its edges), no two of them
//! overlapping, every declared shape matching its box at the CAR, every caption area where the
//! caption rule says. Errors name the layout and the slot (slots are numbered from 0, as an
//! item's `slot`).
//!
//! **Coverage of the shipped library** (the tests hold it to this): in every group,
//! * every multiset of 1 to 6 shapes over `L`, `P`, `S` has a layout without captions whose
//!   slots have exactly those shapes, so automix never has to settle for a near match; a
//!   page's photos go into the slots in any order ([`Library::matching`]);
//! * every multiset of 2 to 4 shapes has at least two such layouts with different
//!   arrangements, so a remix has somewhere to go;
//! * every multiset of 1 to 3 shapes has a layout that captions every slot;
//! * there is a full-bleed single-photo page of the group's own shape, and a split bleed page;
//! * every slot that does not reach a page edge, and every caption area, lies inside the safe
//!   area of every product of the group on left and right pages.
//!
//! `assets/gen_layouts.py` generates the layout files; see it for how the designs are
//! chosen. Themes live in [`themes`].

pub mod artwork;
pub mod themes;

use std::collections::HashSet;
use std::sync::OnceLock;

use crdt_schema::geometry::{core_aspect_ratio, slot_aspect, Box, PageTransform, Rect};
use crdt_schema::AspectGroup;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use folio_media::meta::Shape;
pub use themes::{Background, Colors, Fonts, Theme, ThemeProblem};

/// The layout files, one per aspect-ratio group, as shipped.
const LAYOUT_FILES: &[(&str, &str)] = &[
    (
        "layouts/square.json",
        include_str!("../../../assets/layouts/square.json"),
    ),
    (
        "layouts/portrait.json",
        include_str!("../../../assets/layouts/portrait.json"),
    ),
    (
        "layouts/landscape.json",
        include_str!("../../../assets/layouts/landscape.json"),
    ),
];
const THEMES_FILE: (&str, &str) = ("themes.json", include_str!("../../../assets/themes.json"));

/// Fewest and most photos on one page.
pub const MIN_SLOTS: usize = 1;
pub const MAX_SLOTS: usize = 6;
/// How far below its photo a caption area may start, in page heights.
pub const MAX_CAPTION_GAP: f64 = 0.03;
/// The smallest side a photo slot may have, in page heights: below it a photo is a stamp.
pub const MIN_SLOT_SIDE: f64 = 0.05;
/// Rounding allowed on page edges and between neighbours, in page heights. The files carry
/// four decimals; this is far below anything visible and far above f64 noise.
const TOLERANCE: f64 = 1e-6;

/// One page design.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Layout {
    pub id: String,
    pub group: AspectGroup,
    pub slots: Vec<Slot>,
}

/// One photo slot of a layout; see the module doc for the coordinates and the caption rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Slot {
    #[serde(rename = "box")]
    pub frame: Box,
    pub shape: Shape,
    pub caption: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caption_box: Option<Box>,
}

impl Layout {
    /// The slots' shapes in slot order, as automix writes a page's shape string (`"LLPP"`).
    pub fn shapes(&self) -> String {
        self.slots.iter().map(|s| shape_char(s.shape)).collect()
    }

    /// The slots' shapes as a multiset: the counts of `L`, `P` and `S`.
    pub fn shape_counts(&self) -> [usize; 3] {
        shape_counts(self.slots.iter().map(|s| s.shape))
    }

    /// Whether every slot has a caption area.
    pub fn captions_all(&self) -> bool {
        self.slots.iter().all(|s| s.caption)
    }

    /// Whether any slot has a caption area.
    pub fn captions_any(&self) -> bool {
        self.slots.iter().any(|s| s.caption)
    }
}

/// The layouts and themes, checked.
#[derive(Debug, Clone)]
pub struct Library {
    layouts: Vec<Layout>,
    themes: Vec<Theme>,
    default_theme: usize,
}

impl Library {
    /// The library shipped in `assets`, parsed and checked on first use.
    ///
    /// # Panics
    /// When a shipped file is invalid: the files are compiled in, and the unit tests refuse
    /// such a build, so this is a bug in the repository rather than a runtime condition.
    pub fn get() -> &'static Library {
        static SHIPPED: OnceLock<Library> = OnceLock::new();
        SHIPPED.get_or_init(|| {
            Library::parse(LAYOUT_FILES, THEMES_FILE)
                .unwrap_or_else(|e| panic!("the shipped layout library is invalid: {e}"))
        })
    }

    /// Parses and checks layout files (`(name, json)`, each a JSON array of layouts) and a
    /// themes file. Names are only for messages.
    pub fn parse(
        layout_files: &[(&str, &str)],
        themes_file: (&str, &str),
    ) -> Result<Library, LibraryError> {
        let mut layouts = Vec::new();
        let mut ids = HashSet::new();
        for &(file, text) in layout_files {
            let values: Vec<Value> =
                serde_json::from_str(text).map_err(|source| LibraryError::Json {
                    file: file.to_owned(),
                    source,
                })?;
            for (index, value) in values.into_iter().enumerate() {
                let id = value
                    .get("id")
                    .and_then(Value::as_str)
                    .map_or_else(|| format!("#{index} of {file}"), str::to_owned);
                let layout = parse_layout(value).map_err(|problem| LibraryError::Layout {
                    layout: id.clone(),
                    problem,
                })?;
                if !ids.insert(layout.id.clone()) {
                    return Err(LibraryError::Layout {
                        layout: id,
                        problem: LayoutProblem::DuplicateId,
                    });
                }
                layouts.push(layout);
            }
        }
        let (file, text) = themes_file;
        let themes: Vec<Theme> =
            serde_json::from_str(text).map_err(|source| LibraryError::Json {
                file: file.to_owned(),
                source,
            })?;
        themes::validate(&themes)?;
        let default_theme = themes
            .iter()
            .position(|t| t.id == themes::DEFAULT_THEME)
            .ok_or(LibraryError::NoDefaultTheme)?;
        Ok(Library {
            layouts,
            themes,
            default_theme,
        })
    }

    /// Every layout, in file order (by group, then by number of photos).
    pub fn layouts(&self) -> &[Layout] {
        &self.layouts
    }

    /// The layouts of one aspect-ratio group.
    pub fn layouts_for(&self, group: AspectGroup) -> impl Iterator<Item = &Layout> + '_ {
        self.layouts.iter().filter(move |l| l.group == group)
    }

    /// The layout with this id.
    pub fn layout(&self, id: &str) -> Option<&Layout> {
        self.layouts.iter().find(|l| l.id == id)
    }

    /// The layouts of `group` whose slots take exactly these photo shapes, in any order, and
    /// whose captions are as asked: every slot captioned when `captions`, none otherwise.
    pub fn matching<'a>(
        &'a self,
        group: AspectGroup,
        shapes: &[Shape],
        captions: bool,
    ) -> impl Iterator<Item = &'a Layout> + 'a {
        let want = shape_counts(shapes.iter().copied());
        self.layouts_for(group).filter(move |l| {
            l.shape_counts() == want
                && if captions {
                    l.captions_all()
                } else {
                    !l.captions_any()
                }
        })
    }

    /// Every theme, the default (`everyday`) among them.
    pub fn themes(&self) -> &[Theme] {
        &self.themes
    }

    /// The theme with this id.
    pub fn theme(&self, id: &str) -> Option<&Theme> {
        self.themes.iter().find(|t| t.id == id)
    }

    /// The `everyday` theme.
    pub fn default_theme(&self) -> &Theme {
        &self.themes[self.default_theme]
    }

    /// The theme whose keywords best match these texts (an album name, tags), or `everyday`
    /// when none does; see [`themes::keyword_score`] for the rule.
    pub fn theme_for_keywords(&self, texts: &[&str]) -> &Theme {
        let words: Vec<Vec<String>> = texts.iter().map(|t| themes::words(t)).collect();
        let mut best = (0, self.default_theme);
        for (index, theme) in self.themes.iter().enumerate() {
            let score = themes::keyword_score(theme, &words);
            // Strictly greater: ties go to the theme listed first.
            if score > best.0 {
                best = (score, index);
            }
        }
        &self.themes[best.1]
    }
}

/// The wire name of a group (`"square"`, …).
pub fn group_name(group: AspectGroup) -> &'static str {
    match group {
        AspectGroup::Square => "square",
        AspectGroup::Portrait => "portrait",
        AspectGroup::Landscape => "landscape",
    }
}

/// A group from its wire name.
pub fn parse_group(name: &str) -> Option<AspectGroup> {
    AspectGroup::ALL
        .into_iter()
        .find(|&g| group_name(g) == name)
}

/// The shape of a slot or photo of aspect ratio `aspect` (width over height): the rule of
/// [`Shape::of`] for real numbers.
pub fn shape_of_aspect(aspect: f64) -> Shape {
    let long_over_short = if aspect >= 1.0 { aspect } else { 1.0 / aspect };
    if long_over_short <= Shape::SQUARE_TOLERANCE {
        Shape::S
    } else if aspect > 1.0 {
        Shape::L
    } else {
        Shape::P
    }
}

fn shape_char(shape: Shape) -> char {
    match shape {
        Shape::L => 'L',
        Shape::P => 'P',
        Shape::S => 'S',
    }
}

fn shape_counts(shapes: impl Iterator<Item = Shape>) -> [usize; 3] {
    let mut counts = [0; 3];
    for s in shapes {
        counts[match s {
            Shape::L => 0,
            Shape::P => 1,
            Shape::S => 2,
        }] += 1;
    }
    counts
}

/// Why the library could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LibraryError {
    #[error("{file} is not a JSON array: {source}")]
    Json {
        file: String,
        source: serde_json::Error,
    },
    #[error("layout {layout}: {problem}")]
    Layout {
        layout: String,
        problem: LayoutProblem,
    },
    #[error("theme {theme}: {problem}")]
    Theme {
        theme: String,
        problem: ThemeProblem,
    },
    #[error("there is no `{}` theme, the default", themes::DEFAULT_THEME)]
    NoDefaultTheme,
}

/// What is wrong with one layout.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LayoutProblem {
    #[error("not a layout ({0}); a layout is {{id, group, slots:[{{box, shape, caption, caption_box?}}]}}")]
    Malformed(String),
    #[error("the id is used twice")]
    DuplicateId,
    #[error("the id must be lowercase letters, digits and dashes")]
    BadId,
    #[error("has {0} slots; a layout has {MIN_SLOTS} to {MAX_SLOTS}")]
    SlotCount(usize),
    #[error("{region}: {reason}")]
    BadBox { region: Region, reason: String },
    #[error("slot {slot} has shape {found:?}; a shape is \"L\", \"P\" or \"S\"")]
    UnknownShape { slot: usize, found: String },
    #[error("{0} reaches outside the page")]
    OutOfPage(Region),
    #[error("slot {slot} is smaller than {MIN_SLOT_SIDE} of the page height on a side")]
    TooSmall { slot: usize },
    #[error("slot {slot} is declared {declared:?} but its box is {actual:?} (aspect {aspect:.3} at the group's core aspect ratio {car:.4})")]
    WrongShape {
        slot: usize,
        declared: Shape,
        actual: Shape,
        aspect: f64,
        car: f64,
    },
    #[error("slot {slot} has caption: true but no caption_box")]
    MissingCaptionBox { slot: usize },
    #[error("slot {slot} has a caption_box but caption: false")]
    StrayCaptionBox { slot: usize },
    #[error(
        "the caption area of slot {slot} is not directly under its photo and within its width"
    )]
    CaptionMisplaced { slot: usize },
    #[error("{0} and {1} overlap")]
    Overlap(Region, Region),
}

/// A part of a layout an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Region {
    Photo(usize),
    Caption(usize),
}

impl std::fmt::Display for Region {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Region::Photo(slot) => write!(f, "slot {slot}"),
            Region::Caption(slot) => write!(f, "the caption area of slot {slot}"),
        }
    }
}

/// The file form of a layout, before checking: boxes as plain numbers so that a bad one can
/// be reported with its slot.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLayout {
    id: String,
    group: AspectGroup,
    slots: Vec<RawSlot>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSlot {
    #[serde(rename = "box")]
    frame: [f64; 5],
    shape: String,
    caption: bool,
    #[serde(default)]
    caption_box: Option<[f64; 5]>,
}

fn parse_layout(value: Value) -> Result<Layout, LayoutProblem> {
    let raw: RawLayout =
        serde_json::from_value(value).map_err(|e| LayoutProblem::Malformed(e.to_string()))?;
    if raw.id.is_empty()
        || !raw
            .id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(LayoutProblem::BadId);
    }
    if !(MIN_SLOTS..=MAX_SLOTS).contains(&raw.slots.len()) {
        return Err(LayoutProblem::SlotCount(raw.slots.len()));
    }
    let checked_box = |region: Region, v: [f64; 5]| {
        Box::try_from(v).map_err(|e| LayoutProblem::BadBox {
            region,
            reason: e.to_string(),
        })
    };
    let mut slots = Vec::with_capacity(raw.slots.len());
    for (slot, s) in raw.slots.into_iter().enumerate() {
        let shape = match s.shape.as_str() {
            "L" => Shape::L,
            "P" => Shape::P,
            "S" => Shape::S,
            _ => {
                return Err(LayoutProblem::UnknownShape {
                    slot,
                    found: s.shape,
                })
            }
        };
        let frame = checked_box(Region::Photo(slot), s.frame)?;
        let caption_box = s
            .caption_box
            .map(|v| checked_box(Region::Caption(slot), v))
            .transpose()?;
        slots.push(Slot {
            frame,
            shape,
            caption: s.caption,
            caption_box,
        });
    }
    let layout = Layout {
        id: raw.id,
        group: raw.group,
        slots,
    };
    check_geometry(&layout)?;
    Ok(layout)
}

/// The page rules of the module doc, checked at the group's CAR on a page one unit high.
fn check_geometry(layout: &Layout) -> Result<(), LayoutProblem> {
    let car = core_aspect_ratio(layout.group);
    let page = PageTransform::display(car, car);
    let sheet = Rect::new(0.0, 0.0, car, 1.0);
    let mut regions: Vec<(Region, Rect)> = Vec::new();
    for (slot, s) in layout.slots.iter().enumerate() {
        let photo = page.box_rect(&s.frame);
        if photo.w.min(photo.h) < MIN_SLOT_SIDE {
            return Err(LayoutProblem::TooSmall { slot });
        }
        let aspect = slot_aspect(&s.frame, car);
        let actual = shape_of_aspect(aspect);
        if actual != s.shape {
            return Err(LayoutProblem::WrongShape {
                slot,
                declared: s.shape,
                actual,
                aspect,
                car,
            });
        }
        regions.push((Region::Photo(slot), page.box_bounds(&s.frame)));
        match (s.caption, &s.caption_box) {
            (true, None) => return Err(LayoutProblem::MissingCaptionBox { slot }),
            (false, Some(_)) => return Err(LayoutProblem::StrayCaptionBox { slot }),
            (false, None) => {}
            (true, Some(c)) => {
                let text = page.box_rect(c);
                let under = text.top() >= photo.bottom() - TOLERANCE
                    && text.top() <= photo.bottom() + MAX_CAPTION_GAP;
                let within = text.left() >= photo.left() - TOLERANCE
                    && text.right() <= photo.right() + TOLERANCE;
                if !(under && within && text.h > 0.0 && text.w > 0.0) {
                    return Err(LayoutProblem::CaptionMisplaced { slot });
                }
                regions.push((Region::Caption(slot), page.box_bounds(c)));
            }
        }
    }
    for (i, (a, ra)) in regions.iter().enumerate() {
        if !sheet.contains(ra, TOLERANCE) {
            return Err(LayoutProblem::OutOfPage(*a));
        }
        if let Some((b, _)) = regions[i + 1..]
            .iter()
            .find(|(_, rb)| ra.overlaps(rb, TOLERANCE))
        {
            return Err(LayoutProblem::Overlap(*a, *b));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
