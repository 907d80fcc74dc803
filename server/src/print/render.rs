//! The interior PDF of a book on one product (SPEC §11, issue 8), as a pure function of the
//! book, the product and the photos' files: single pages, not spreads, written with krilla.
//!
//! # Pages
//!
//! One PDF page per book page of kind `page`, in book order. Its MediaBox and BleedBox are the
//! product's canvas (trim plus bleed on every side) and its TrimBox the trim, all in points
//! (inches × 72). The page's content is placed exactly as preflight places it:
//! [`PageFrame::at_car`] fits the book's relative page, edited at its group's core aspect
//! ratio, onto the product's page of the side [`page_sides`] gives (the gutter on the binding
//! side), so a book prints to any product of its group without an edit.
//!
//! Pages are drawn one at a time: a page's photos are fetched from `photos`, decoded if
//! need be and compressed into the document, and their pixels dropped, before the next page is
//! started. The finished PDF is held in memory.
//!
//! # What is drawn
//!
//! * The page's background colour, over the whole canvas (bleed included).
//! * Items in page order (by `z`), each rotated by its `rot` about its centre and faded by its
//!   style's `opacity`:
//!   * photos clipped to their slot and placed by pan and zoom ([`photo`] says how, and when
//!     a JPEG is embedded unchanged). A photo `photos` does not have is left out (preflight
//!     reports it as an error; rendering anyway is the caller's choice, a forced render);
//!   * text in the embedded print font, wrapped greedily to the box width, from the top of the
//!     box. `style.size` is the font size as a fraction of the page width, like a border's
//!     width, so text keeps its proportion on every product ([`DEFAULT_TEXT_SIZE`] when unset);
//!     `style.color` is `#rrggbb` or `#rgb` (black when unset or unreadable).
//!
//! Not yet: background assets and their mirroring into the bleed and onto facing pages,
//! stickers, shapes, borders, shadows and frames, justified text, the font families other than
//! Inter (all text is set in Inter for now), tiling of very large rasters, the sRGB output
//! intent and per-printer colour profiles, and the cover PDF.

mod photo;
mod text;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use crdt_schema::geometry::{core_aspect_ratio, Box, PageFrame, PhotoView, PixelSize, Rect};
use crdt_schema::model::{Align, Book, Item, ItemKind, Page, PageKind};
use crdt_schema::{AspectGroup, Product};
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Size, Transform};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, FillRule};
use krilla::surface::Surface;
use krilla::{Document, SerializeSettings};

use super::preflight::page_sides;
use crate::photos::exif_tags::Orientation;
use crate::photos::probe::Probe;
use text::PrintFont;

/// The highest resolution a photo is embedded at unless a render asks otherwise (SPEC §11).
pub const DEFAULT_MAX_PPI: f64 = 450.0;

/// The font size of a text item whose style sets none, as a fraction of the page width
/// (about 11.5 pt on the 8×8).
pub const DEFAULT_TEXT_SIZE: f64 = 0.02;

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
        let (w, h) = self.orientation.oriented_size(self.probe.width, self.probe.height);
        PixelSize::new(w, h)
    }
}

/// How to render, beyond the book and the product.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RenderSettings {
    /// Photos are embedded at no more than this many pixels per inch.
    pub max_ppi: f64,
}

impl RenderSettings {
    pub const DEFAULT: RenderSettings = RenderSettings { max_ppi: DEFAULT_MAX_PPI };
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
}

/// The interior PDF of `book` on `product` at [`RenderSettings::DEFAULT`]; see the module
/// documentation. `group` is the aspect-ratio group the book is edited in (its project's
/// product's group); `photos` gives a photo's original file by photo id.
pub fn render_interior(book: &Book, product: &Product, group: AspectGroup, photos: &dyn Fn(&str) -> Option<PhotoSource>) -> Result<Vec<u8>, RenderError> {
    render_interior_with(book, product, group, photos, &RenderSettings::DEFAULT)
}

/// [`render_interior`] with explicit settings.
pub fn render_interior_with(
    book: &Book,
    product: &Product,
    group: AspectGroup,
    photos: &dyn Fn(&str) -> Option<PhotoSource>,
    settings: &RenderSettings,
) -> Result<Vec<u8>, RenderError> {
    let car = core_aspect_ratio(group);
    let font = PrintFont::inter()?;
    // No tag tree: a print file is not read by assistive technology, and tags add nothing the
    // printer uses.
    let mut document = Document::new_with(SerializeSettings { enable_tagging: false, ..SerializeSettings::default() });
    let mut pages = 0usize;
    for (page, side) in book.pages.iter().zip(page_sides(book)) {
        let Some(side) = side.filter(|_| page.kind == PageKind::Page) else { continue };
        let frame = PageFrame::at_car(product, car, side);
        let mut pdf_page = document.start_page_with(page_settings(&frame)?);
        let mut surface = pdf_page.surface();
        let drawn = PageCanvas { frame: &frame, font: &font, photos, settings }.draw(&mut surface, page);
        surface.finish();
        pdf_page.finish();
        drawn?;
        pages += 1;
    }
    if pages == 0 {
        return Err(RenderError::NoPages);
    }
    document.finish().map_err(|e| RenderError::Pdf(e.to_string()))
}

fn krilla_rect(r: &Rect) -> Result<krilla::geom::Rect, RenderError> {
    krilla::geom::Rect::from_xywh(r.x as f32, r.y as f32, r.w as f32, r.h as f32).ok_or_else(|| RenderError::Pdf(format!("bad rectangle {r:?}")))
}

/// MediaBox and BleedBox the canvas, TrimBox the trim. krilla's boxes are in its own
/// top-left, y-down page space, the frame's, and flipped into PDF space when written.
fn page_settings(frame: &PageFrame) -> Result<PageSettings, RenderError> {
    let canvas = frame.canvas();
    let settings = PageSettings::from_wh(canvas.w as f32, canvas.h as f32).ok_or_else(|| RenderError::Pdf(format!("bad page size {canvas:?}")))?;
    Ok(settings.with_bleed_box(Some(krilla_rect(&canvas)?)).with_trim_box(Some(krilla_rect(&frame.trim())?)))
}

/// What drawing one page needs.
struct PageCanvas<'a> {
    frame: &'a PageFrame,
    font: &'a PrintFont,
    photos: &'a dyn Fn(&str) -> Option<PhotoSource>,
    settings: &'a RenderSettings,
}

impl PageCanvas<'_> {
    fn draw(&self, surface: &mut Surface<'_>, page: &Page) -> Result<(), RenderError> {
        if let Some(color) = page.background.color.as_deref().and_then(parse_color) {
            surface.set_fill(Some(solid(color)));
            surface.draw_path(&rect_path(&self.frame.canvas())?);
        }
        for item in &page.items {
            // A box the validator let through always builds; one that does not is not drawn.
            let Ok(b) = Box::try_from(item.bbox) else { continue };
            let rect = self.frame.transform().box_rect(&b);
            let [cx, cy] = rect.centre();
            surface.push_transform(&Transform::from_rotate_at(b.rot() as f32, cx as f32, cy as f32));
            let opacity = item.style.opacity.filter(|o| o.is_finite() && *o < 1.0).map(|o| o.max(0.0) as f32);
            if let Some(o) = opacity {
                surface.push_opacity(NormalizedF32::new(o).unwrap_or(NormalizedF32::ONE));
            }
            let drawn = match item.kind {
                ItemKind::Photo => self.draw_photo(surface, item, &b),
                ItemKind::Text => self.draw_text(surface, item, &rect),
                // Not drawn yet (see the module documentation).
                ItemKind::Sticker | ItemKind::Shape => Ok(()),
            };
            if opacity.is_some() {
                surface.pop();
            }
            surface.pop();
            drawn?;
        }
        Ok(())
    }

    /// The photo clipped to its slot, in the slot's unrotated frame (the caller rotates).
    fn draw_photo(&self, surface: &mut Surface<'_>, item: &Item, b: &Box) -> Result<(), RenderError> {
        let Some(reference) = &item.photo else { return Ok(()) };
        let Some(source) = (self.photos)(&reference.id) else {
            tracing::warn!(photo = %reference.id, item = %item.id, "photo missing at render; its slot is left empty");
            return Ok(());
        };
        let view = PhotoView::clamped(reference.pan, reference.zoom);
        // A slot without area shows nothing.
        let Ok(placed) = self.frame.place_photo(source.pixels(), b, view) else { return Ok(()) };
        let raster = photo::raster(&reference.id, &source, &placed, self.settings.max_ppi)?;
        drop(source);
        let at = raster.page_rect(&placed);
        let size = Size::from_wh(at.w as f32, at.h as f32).ok_or_else(|| RenderError::Pdf(format!("bad image size {at:?}")))?;
        surface.push_clip_path(&rect_path(&placed.slot)?, &FillRule::NonZero);
        surface.push_transform(&Transform::from_translate(at.x as f32, at.y as f32));
        surface.draw_image(raster.image, size);
        surface.pop();
        surface.pop();
        Ok(())
    }

    /// The item's text, wrapped to its box, in the box's unrotated frame.
    fn draw_text(&self, surface: &mut Surface<'_>, item: &Item, rect: &Rect) -> Result<(), RenderError> {
        let Some(content) = item.text.as_deref().filter(|t| !t.trim().is_empty()) else { return Ok(()) };
        let relative = item.style.size.filter(|s| s.is_finite() && *s > 0.0).unwrap_or(DEFAULT_TEXT_SIZE);
        let size = (relative * self.frame.transform().scale[0]) as f32;
        let lines = text::wrap(self.font, content, size, rect.w as f32);
        let color = item.style.color.as_deref().and_then(parse_color).unwrap_or([0, 0, 0]);
        surface.set_fill(Some(solid(color)));
        text::draw_lines(surface, self.font, &lines, size, item.style.align.unwrap_or(Align::Left), [rect.x as f32, rect.y as f32, rect.w as f32]);
        Ok(())
    }
}

fn rect_path(r: &Rect) -> Result<krilla::geom::Path, RenderError> {
    let mut builder = PathBuilder::new();
    builder.push_rect(krilla_rect(r)?);
    builder.finish().ok_or_else(|| RenderError::Pdf(format!("bad rectangle {r:?}")))
}

fn solid([r, g, b]: [u8; 3]) -> Fill {
    Fill { paint: rgb::Color::new(r, g, b).into(), opacity: NormalizedF32::ONE, rule: FillRule::NonZero }
}

/// `#rrggbb` or `#rgb`, as the document and the themes write colours.
fn parse_color(s: &str) -> Option<[u8; 3]> {
    let hex = s.trim().strip_prefix('#')?;
    if !hex.is_ascii() {
        return None;
    }
    let channel = |h: &str| u8::from_str_radix(h, 16).ok();
    match hex.len() {
        6 => Some([channel(&hex[0..2])?, channel(&hex[2..4])?, channel(&hex[4..6])?]),
        3 => {
            let short = |i: usize| channel(&hex[i..i + 1]).map(|v| v * 17);
            Some([short(0)?, short(1)?, short(2)?])
        }
        _ => None,
    }
}
