//! The print PDFs of a book on one product (SPEC §11, issue 8), as pure functions of the book,
//! the product and the photos' files, written with krilla: the interior (single pages, not
//! spreads) and the cover (back cover, spine and front cover on one sheet).
//!
//! # Pages
//!
//! One interior PDF page per book page of kind `page`, in book order. Its MediaBox and
//! BleedBox are the product's canvas (trim plus bleed on every side) and its TrimBox the trim,
//! all in points (inches × 72). The page's content is placed exactly as preflight places it:
//! [`PageFrame::at_car`] fits the book's relative page, edited at its group's core aspect
//! ratio, onto the product's page of the side [`page_sides`] gives (the gutter on the binding
//! side), so a book prints to any product of its group without an edit.
//!
//! # Bounded memory
//!
//! Pages are drawn one at a time, a few pages ([`RenderSettings::part_pages`]) to one krilla
//! document, a *part*. A page's photos are fetched from `photos`, decoded if need be and
//! compressed into the part, and their pixels dropped, before the next page is started. Each
//! finished part is rasterised into the pages' PNG previews ([`preview`]) and handed to the
//! [`Assembler`], which writes it into the output and lets it go, and the memory it used is
//! handed back to the kernel. So a render holds one part, not the book: peak memory does not
//! grow with the page count. Very large rasters are
//! cut into bands ([`photo`]), as seed 004's print engine tiles them.
//!
//! # What is drawn
//!
//! * The page's background ([`background`]): its colour over the whole canvas, then its
//!   asset (theme artwork or a photo) over the relative page, mirrored when the document's
//!   `flip` says so (automix flips a theme's backgrounds on facing pages), and, unless
//!   [`RenderSettings::mirror_bleed`] is off, mirror-extended into the bleed and the gutter
//!   strip, as seed 004 describes, so a trim that wanders shows the artwork, not a white line.
//! * Items in page order (by `z`), each rotated by its `rot` about its centre and faded by its
//!   style's `opacity`:
//!   * photos clipped to their slot and placed by pan and zoom ([`photo`] says how, and when
//!     a JPEG is embedded unchanged). A photo `photos` does not have is left out (preflight
//!     reports it as an error; rendering anyway is the caller's choice, a forced render);
//!   * text in its print font ([`fonts`]: the style's `font`, else the theme's body font, else
//!     Inter), wrapped greedily to the box width, from the top of the box. `style.size` is the
//!     font size as a fraction of the page width, like a border's width, so text keeps its
//!     proportion on every product ([`DEFAULT_TEXT_SIZE`] when unset); `style.color` is
//!     `#rrggbb` or `#rgb` (the theme's text colour when unset or unreadable);
//!   * stickers (a symbol in `text`, as the web client inserts them) centred in their box, in
//!     a symbol font that has their glyphs ([`fonts`]);
//!   * shapes as a rectangle filled with `style.color`, else the theme's accent colour;
//!   * any item's `style.border`, a line of its width (a fraction of the page width) just
//!     inside its box.
//!
//! Shadows and theme frames are not drawn yet.
//!
//! # Colour
//!
//! Photos and colours are written as RGB, and the file carries the output intent of the
//! render's [`OutputProfile`] (sRGB for every printer so far).

mod background;
mod cover;
mod fonts;
mod page;
mod photo;
pub mod preview;
#[cfg(test)]
mod tests;
mod text;

use std::io::Write;
use std::sync::Arc;

use crdt_schema::geometry::{
    core_aspect_ratio, fit_photo, Box, GeometryError, PageFrame, PageTransform, PhotoView,
    PixelSize, PlacedPhoto, Rect, POINTS_PER_INCH,
};
use crdt_schema::model::{Book, Page, PageKind};
use crdt_schema::{AspectGroup, Product};
use krilla::color::rgb;
use krilla::geom::PathBuilder;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, FillRule};
use krilla::{Document, SerializeSettings};

use super::assemble::{AssembleError, Assembler, OutputProfile};
use super::preflight::page_sides;
pub use cover::{
    render_cover, render_cover_to, spine_width_in, Cover, CoverLayout, LEAF_THICKNESS_IN,
    MIN_SPINE_IN,
};
use folio_layouts::Library;
use folio_media::exif_tags::Orientation;
use folio_media::probe::Probe;
use page::PageCanvas;

/// The highest resolution a photo is embedded at unless a render asks otherwise (SPEC §11).
pub const DEFAULT_MAX_PPI: f64 = 450.0;

/// The font size of a text item whose style sets none, as a fraction of the page width
/// (about 11.5 pt on the 8×8).
pub const DEFAULT_TEXT_SIZE: f64 = 0.02;

/// Pages in one part (see the module documentation): few enough that a part's photos are a
/// small, fixed amount of memory, enough that a part's fonts are not embedded once a page.
pub const DEFAULT_PART_PAGES: usize = 4;

/// The long edge of a page preview, in pixels, unless a render asks otherwise.
pub const DEFAULT_PREVIEW_PX: u32 = 1024;

/// One photo's original file, as the library stores it.
#[derive(Debug, Clone)]
pub struct PhotoSource {
    pub bytes: Arc<Vec<u8>>,
    /// The file's format and stored (not yet oriented) pixel size.
    pub probe: Probe,
    /// The EXIF orientation that turns the stored pixels upright.
    pub orientation: Orientation,
}

impl PhotoSource {
    /// The photo's pixel size as seen (after orientation): what the document's crop is of.
    pub fn pixels(&self) -> PixelSize {
        let (w, h) = self
            .orientation
            .oriented_size(self.probe.width, self.probe.height);
        PixelSize::new(w, h)
    }
}

/// How to render, beyond the book and the product.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RenderSettings {
    /// Photos are embedded at no more than this many pixels per inch.
    pub max_ppi: f64,
    /// Pages per krilla document before it is written out (at least 1).
    pub part_pages: usize,
    /// Output rasters above this many pixels are made and embedded in bands.
    pub tile_pixels: u64,
    /// The long edge of each page's PNG preview, or no previews.
    pub preview_px: Option<u32>,
    /// Mirror background artwork into the bleed and the gutter strip.
    pub mirror_bleed: bool,
    /// The printer's colour condition.
    pub profile: OutputProfile,
}

impl RenderSettings {
    pub const DEFAULT: RenderSettings = RenderSettings {
        max_ppi: DEFAULT_MAX_PPI,
        part_pages: DEFAULT_PART_PAGES,
        tile_pixels: photo::TILE_PIXELS,
        preview_px: Some(DEFAULT_PREVIEW_PX),
        mirror_bleed: true,
        profile: OutputProfile::SRGB,
    };
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("the book has no pages to print")]
    NoPages,
    #[error("photo {photo_id} could not be embedded: {problem}")]
    Photo { photo_id: String, problem: String },
    #[error("the print font could not be loaded: {0}")]
    Font(String),
    #[error("the PDF could not be written: {0}")]
    Pdf(String),
    #[error("a page preview could not be made: {0}")]
    Preview(String),
    /// The caller's page callback failed (storing a preview, say).
    #[error("{0}")]
    Sink(String),
}

impl From<AssembleError> for RenderError {
    fn from(e: AssembleError) -> RenderError {
        RenderError::Pdf(e.to_string())
    }
}

/// What a render reads: the book, where it prints, and its photos.
#[derive(Clone, Copy)]
pub struct Source<'a> {
    pub book: &'a Book,
    pub product: &'a Product,
    /// The aspect-ratio group the book is edited in (its project's product's group).
    pub group: AspectGroup,
    /// A photo's original file by photo id.
    pub photos: &'a dyn Fn(&str) -> Option<PhotoSource>,
}

/// One interior page, written: handed to the caller as each part is finished.
#[derive(Debug, Clone)]
pub struct PrintedPage {
    /// The page's place in the interior PDF, from 0.
    pub index: usize,
    /// The book page's id.
    pub page_id: String,
    /// The page as PNG, whole canvas (bleed included), when previews were asked for.
    pub preview: Option<Vec<u8>>,
}

/// The interior PDF of `book` on `product` at [`RenderSettings::DEFAULT`] without previews,
/// in memory: for small books and tests. `group` is the aspect-ratio group the book is edited
/// in; `photos` gives a photo's original file by photo id.
pub fn render_interior(
    book: &Book,
    product: &Product,
    group: AspectGroup,
    photos: &dyn Fn(&str) -> Option<PhotoSource>,
) -> Result<Vec<u8>, RenderError> {
    let settings = RenderSettings {
        preview_px: None,
        ..RenderSettings::DEFAULT
    };
    render_interior_to(
        &Source {
            book,
            product,
            group,
            photos,
        },
        &settings,
        Vec::new(),
        &mut |_| Ok(()),
    )
}

/// Writes the interior PDF to `out`, part by part (see the module documentation), calling
/// `on_page` for every page once its part is written, in order. Gives `out` back.
pub fn render_interior_to<W: Write>(
    source: &Source<'_>,
    settings: &RenderSettings,
    out: W,
    on_page: &mut dyn FnMut(PrintedPage) -> Result<(), RenderError>,
) -> Result<W, RenderError> {
    let car = core_aspect_ratio(source.group);
    let theme = Theme::of(source.book);
    let printed: Vec<(&Page, PageFrame)> = source
        .book
        .pages
        .iter()
        .zip(page_sides(source.book))
        .filter_map(|(page, side)| {
            side.filter(|_| page.kind == PageKind::Page)
                .map(|side| (page, PageFrame::at_car(source.product, car, side)))
        })
        .collect();
    if printed.is_empty() {
        return Err(RenderError::NoPages);
    }
    let mut assembler = Assembler::new(out, settings.profile)?;
    for (part_index, part) in printed.chunks(settings.part_pages.max(1)).enumerate() {
        let mut document = new_document();
        for (page, frame) in part {
            let mut pdf_page =
                document.start_page_with(page_settings(&frame.canvas(), &frame.trim())?);
            let mut surface = pdf_page.surface();
            let canvas = PageCanvas {
                panel: Panel::of_frame(frame),
                theme: &theme,
                photos: source.photos,
                settings,
            };
            let drawn = canvas.draw(&mut surface, page);
            surface.finish();
            pdf_page.finish();
            drawn?;
        }
        let bytes = document
            .finish()
            .map_err(|e| RenderError::Pdf(format!("{e:?}")))?;
        let previews = match settings.preview_px {
            Some(px) => preview::rasterise(&bytes, px)?
                .into_iter()
                .map(Some)
                .collect(),
            None => vec![None; part.len()],
        };
        assembler.append(&bytes)?;
        drop(bytes);
        release_freed_memory();
        for (i, ((page, _), preview)) in part.iter().zip(previews).enumerate() {
            on_page(PrintedPage {
                index: part_index * settings.part_pages.max(1) + i,
                page_id: page.id.clone(),
                preview,
            })?;
        }
    }
    Ok(assembler.finish()?)
}

/// Hands memory freed by the finished part back to the kernel. glibc's allocator keeps freed
/// blocks in the arena of the thread that freed them, and a part's big buffers (photo files,
/// decoded pixels, the part's PDF) are freed on several threads, so without this a long
/// book's peak RSS creeps up by about a megabyte a page although nothing is kept
/// (`docs/benchmarks.md`, print rendering). Elsewhere a no-op.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free memory to the system; it takes no pointers and is
    // thread-safe (glibc locks each arena it trims).
    unsafe {
        libc::malloc_trim(0);
    }
}

/// A krilla document for one part. No tag tree: a print file is not read by assistive
/// technology, and tags add nothing the printer uses.
fn new_document() -> Document {
    Document::new_with(SerializeSettings {
        enable_tagging: false,
        ..SerializeSettings::default()
    })
}

/// What the renderer takes from the book's theme: the defaults of items whose style leaves
/// them open, as the web client shows them.
pub(crate) struct Theme {
    body_font: Option<String>,
    text_color: Option<[u8; 3]>,
    accent: Option<[u8; 3]>,
}

impl Theme {
    fn of(book: &Book) -> Theme {
        let theme = Library::get().theme(&book.meta.theme);
        Theme {
            body_font: theme.map(|t| t.fonts.body.clone()),
            text_color: theme.and_then(|t| parse_color(&t.colors.text)),
            accent: theme.and_then(|t| parse_color(&t.colors.accent)),
        }
    }
}

fn krilla_rect(r: &Rect) -> Result<krilla::geom::Rect, RenderError> {
    krilla::geom::Rect::from_xywh(r.x as f32, r.y as f32, r.w as f32, r.h as f32)
        .ok_or_else(|| RenderError::Pdf(format!("bad rectangle {r:?}")))
}

/// MediaBox and BleedBox the canvas, TrimBox the trim. krilla's boxes are in its own
/// top-left, y-down page space, the frame's, and flipped into PDF space when written.
fn page_settings(canvas: &Rect, trim: &Rect) -> Result<PageSettings, RenderError> {
    let settings = PageSettings::from_wh(canvas.w as f32, canvas.h as f32)
        .ok_or_else(|| RenderError::Pdf(format!("bad page size {canvas:?}")))?;
    Ok(settings
        .with_bleed_box(Some(krilla_rect(canvas)?))
        .with_trim_box(Some(krilla_rect(trim)?)))
}

/// Where one book page is drawn, in points on the PDF page: the map from its relative
/// coordinates, the part of the sheet it owns (everything it draws is clipped to it), and the
/// rectangle its relative page `[-0.5, 0.5]²` lands on. An interior page owns its whole
/// canvas; a cover panel owns its share of the cover sheet.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Panel {
    pub transform: PageTransform,
    pub region: Rect,
}

impl Panel {
    fn of_frame(frame: &PageFrame) -> Panel {
        Panel {
            transform: *frame.transform(),
            region: frame.canvas(),
        }
    }

    /// The rectangle the relative page lands on.
    pub fn content(&self) -> Rect {
        let t = &self.transform;
        Rect::new(
            t.offset[0] - t.scale[0] / 2.0,
            t.offset[1] - t.scale[1] / 2.0,
            t.scale[0],
            t.scale[1],
        )
    }

    /// [`PageFrame::place_photo`] on this panel: the same fit, in points.
    pub fn place_photo(
        &self,
        photo: PixelSize,
        slot: &Box,
        view: PhotoView,
    ) -> Result<PlacedPhoto, GeometryError> {
        let rect = self.transform.box_rect(slot);
        place_in(photo, rect, view)
    }
}

/// A photo fitted into `rect` (points) under `view`.
pub(crate) fn place_in(
    photo: PixelSize,
    rect: Rect,
    view: PhotoView,
) -> Result<PlacedPhoto, GeometryError> {
    let fit = fit_photo(photo, [rect.w, rect.h], view)?;
    Ok(PlacedPhoto {
        fit,
        slot: rect,
        effective_ppi: fit.crop.w / (rect.w / POINTS_PER_INCH),
    })
}

pub(crate) fn rect_path(r: &Rect) -> Result<krilla::geom::Path, RenderError> {
    let mut builder = PathBuilder::new();
    builder.push_rect(krilla_rect(r)?);
    builder
        .finish()
        .ok_or_else(|| RenderError::Pdf(format!("bad rectangle {r:?}")))
}

pub(crate) fn solid([r, g, b]: [u8; 3]) -> Fill {
    Fill {
        paint: rgb::Color::new(r, g, b).into(),
        opacity: NormalizedF32::ONE,
        rule: FillRule::NonZero,
    }
}

/// `#rrggbb` or `#rgb`, as the document and the themes write colours.
pub(crate) fn parse_color(s: &str) -> Option<[u8; 3]> {
    let hex = s.trim().strip_prefix('#')?;
    if !hex.is_ascii() {
        return None;
    }
    let channel = |h: &str| u8::from_str_radix(h, 16).ok();
    match hex.len() {
        6 => Some([
            channel(&hex[0..2])?,
            channel(&hex[2..4])?,
            channel(&hex[4..6])?,
        ]),
        3 => {
            let short = |i: usize| channel(&hex[i..i + 1]).map(|v| v * 17);
            Some([short(0)?, short(1)?, short(2)?])
        }
        _ => None,
    }
}
