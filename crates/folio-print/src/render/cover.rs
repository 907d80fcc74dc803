//! The cover PDF: one sheet with the back cover, the spine and the front cover, left to right,
//! as a case-bound cover is printed (SPEC §11).
//!
//! The sheet is the two trims and the spine, with the product's bleed around the whole. Its
//! TrimBox is the back trim, the spine and the front trim together; the BleedBox is the sheet.
//! The spine's width comes from the page count: one leaf (two pages) of the interior paper is
//! [`LEAF_THICKNESS_IN`] thick, and no spine is thinner than [`MIN_SPINE_IN`].
//!
//! The book's `back-cover`, `spine` and `front-cover` pages are drawn on their panels. A cover
//! panel is placed like an inside page of the same side (the back cover is a left page, the
//! front cover a right page), so the binding allowance falls on the spine side, where the
//! cover wraps round the board; the spine page's relative coordinates span the spine itself.
//! Each panel is clipped to its own part of the sheet, the outer panels keeping the bleed
//! around them. A missing cover page leaves its panel white.

use std::io::Write;

use crdt_schema::geometry::{
    core_aspect_ratio, PageFrame, PageSide, PageTransform, Rect, POINTS_PER_INCH,
};
use crdt_schema::model::PageKind;
use crdt_schema::Product;
use serde::Serialize;

use super::{
    new_document, page_settings, preview, PageCanvas, Panel, RenderError, RenderSettings, Source,
    Theme,
};
use crate::assemble::Assembler;

/// Thickness of one leaf of interior paper, in inches: 0.0045 in (about 114 µm), a 170 g/m²
/// silk photo-book paper. A printer with other paper sets its own.
pub const LEAF_THICKNESS_IN: f64 = 0.0045;

/// The thinnest spine, in inches: boards and hinges need this much even for a thin book.
pub const MIN_SPINE_IN: f64 = 0.125;

/// The spine width of a book with `pages` interior pages, in inches.
pub fn spine_width_in(pages: usize) -> f64 {
    (pages.div_ceil(2) as f64 * LEAF_THICKNESS_IN).max(MIN_SPINE_IN)
}

/// Where the parts of a cover sheet are, in points from its top-left corner.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CoverLayout {
    pub spine_in: f64,
    /// The whole sheet (the MediaBox and BleedBox).
    pub sheet: Rect,
    /// Back trim, spine and front trim (the TrimBox).
    pub trim: Rect,
    pub back: Rect,
    pub spine: Rect,
    pub front: Rect,
}

impl CoverLayout {
    /// The cover of a `pages`-page book on `product`.
    pub fn new(product: &Product, pages: usize) -> CoverLayout {
        let k = POINTS_PER_INCH;
        let spine_in = spine_width_in(pages);
        let ([tw, th], b, s) = (
            [product.trim_in[0] * k, product.trim_in[1] * k],
            product.bleed_in * k,
            spine_in * k,
        );
        let sheet = Rect::new(0.0, 0.0, 2.0 * tw + s + 2.0 * b, th + 2.0 * b);
        CoverLayout {
            spine_in,
            sheet,
            trim: Rect::new(b, b, 2.0 * tw + s, th),
            back: Rect::new(b, b, tw, th),
            spine: Rect::new(b + tw, b, s, th),
            front: Rect::new(b + tw + s, b, tw, th),
        }
    }
}

/// The written cover: its layout and, when asked for, its preview.
#[derive(Debug, Clone)]
pub struct Cover {
    pub layout: CoverLayout,
    pub preview: Option<Vec<u8>>,
}

/// Writes the cover PDF of `source`'s book, for `pages` interior pages, to `out`.
pub fn render_cover_to<W: Write>(
    source: &Source<'_>,
    settings: &RenderSettings,
    pages: usize,
    out: W,
) -> Result<(W, Cover), RenderError> {
    let layout = CoverLayout::new(source.product, pages);
    let car = core_aspect_ratio(source.group);
    let theme = Theme::of(source.book);
    let sheet = layout.sheet;

    let back_frame = PageFrame::at_car(source.product, car, PageSide::Left);
    let back = Panel {
        transform: *back_frame.transform(),
        region: Rect::from_edges(0.0, 0.0, layout.spine.x, sheet.h),
    };
    let front_frame = PageFrame::at_car(source.product, car, PageSide::Right);
    // The front panel's frame starts one trim and the spine to the right of the back's.
    let dx = layout.front.x - layout.back.x;
    let t = front_frame.transform();
    let front = Panel {
        transform: PageTransform {
            scale: t.scale,
            offset: [t.offset[0] + dx, t.offset[1]],
        },
        region: Rect::from_edges(layout.front.x, 0.0, sheet.w, sheet.h),
    };
    let spine = Panel {
        transform: PageTransform {
            scale: [layout.spine.w, layout.spine.h],
            offset: layout.spine.centre(),
        },
        region: Rect::new(layout.spine.x, 0.0, layout.spine.w, sheet.h),
    };

    let mut document = new_document();
    let mut pdf_page = document.start_page_with(page_settings(&sheet, &layout.trim)?);
    let mut surface = pdf_page.surface();
    let mut drawn = Ok(());
    for (kind, panel) in [
        (PageKind::BackCover, back),
        (PageKind::Spine, spine),
        (PageKind::FrontCover, front),
    ] {
        let Some(page) = source.book.pages.iter().find(|p| p.kind == kind) else {
            continue;
        };
        let canvas = PageCanvas {
            panel,
            theme: &theme,
            photos: source.photos,
            settings,
        };
        drawn = canvas.draw(&mut surface, page);
        if drawn.is_err() {
            break;
        }
    }
    surface.finish();
    pdf_page.finish();
    drawn?;
    let bytes = document
        .finish()
        .map_err(|e| RenderError::Pdf(format!("{e:?}")))?;
    let preview = match settings.preview_px {
        Some(px) => preview::rasterise(&bytes, px)?.into_iter().next(),
        None => None,
    };
    let mut assembler = Assembler::new(out, settings.profile)?;
    assembler.append(&bytes)?;
    Ok((assembler.finish()?, Cover { layout, preview }))
}

/// The cover PDF in memory, without a preview.
pub fn render_cover(source: &Source<'_>, pages: usize) -> Result<Vec<u8>, RenderError> {
    let settings = RenderSettings {
        preview_px: None,
        ..RenderSettings::DEFAULT
    };
    Ok(render_cover_to(source, &settings, pages, Vec::new())?.0)
}
