//! A page's background on the printed page (SPEC §11; seed 004 on background flipping and on
//! mirroring a page's background into the buffer around the trim).
//!
//! * `color` fills the panel's whole region, bleed included.
//! * `asset` is theme artwork (`themes/<theme>/<file>.svg`, drawn as vectors) or a photo id
//!   (the photo cover-fitted, as a slot would show it, at the render's PPI cap). It covers
//!   the relative page, `[-0.5, 0.5]²`, stretched to it for artwork.
//! * `flip` mirrors the asset left to right. Automix sets it on the facing page of a spread
//!   whose theme mirrors its backgrounds, so the two pages are mirror images.
//! * With [`RenderSettings::mirror_bleed`](super::RenderSettings::mirror_bleed), the eight
//!   neighbours of the relative page are filled with the asset mirrored about the shared edge,
//!   so whatever lies beyond the page (the bleed, and the gutter strip when the fit leaves
//!   one) continues the artwork seamlessly. All of it is clipped to the panel's region.
//!
//! An asset that cannot be found or read is left out with a warning; the colour still shows.

use crdt_schema::geometry::{PhotoView, PlacedPhoto, Rect};
use crdt_schema::model::Background;
use krilla::geom::{Size, Transform};
use krilla::surface::Surface;
use krilla_svg::{SurfaceExt, SvgSettings};

use super::page::{draw_tiles, PageCanvas};
use super::photo::{raster, Raster};
use super::{parse_color, place_in, rect_path, solid, RenderError};
use folio_layouts::artwork::{is_theme_asset, theme_asset};

pub(super) fn draw(
    canvas: &PageCanvas<'_>,
    surface: &mut Surface<'_>,
    background: &Background,
) -> Result<(), RenderError> {
    if let Some(color) = background.color.as_deref().and_then(parse_color) {
        surface.set_fill(Some(solid(color)));
        surface.draw_path(&rect_path(&canvas.panel.region)?);
    }
    let Some(asset) = background.asset.as_deref().filter(|a| !a.is_empty()) else {
        return Ok(());
    };
    let Some(art) = Art::load(canvas, asset) else {
        return Ok(());
    };
    let page = canvas.panel.content();
    let copies: &[(i32, i32)] = if canvas.settings.mirror_bleed {
        &[
            (-1, -1),
            (0, -1),
            (1, -1),
            (-1, 0),
            (1, 0),
            (-1, 1),
            (0, 1),
            (1, 1),
            (0, 0),
        ]
    } else {
        &[(0, 0)]
    };
    for &(i, j) in copies {
        let cell = Rect::new(
            page.x + i as f64 * page.w,
            page.y + j as f64 * page.h,
            page.w,
            page.h,
        );
        // A neighbour reaches SEAM_OVERLAP under the page's own copy, drawn last, so the two
        // anti-aliased edges do not leave a hairline of paper between them.
        let cell = if (i, j) == (0, 0) {
            cell
        } else {
            grown_towards_page(&cell, i, j)
        };
        // Only copies that reach into the region are drawn.
        if cell
            .intersection(&canvas.panel.region)
            .is_none_or(|r| r.w <= 1e-6 || r.h <= 1e-6)
        {
            continue;
        }
        let mirror_x = (i != 0) != background.flip;
        let mirror_y = j != 0;
        surface.push_transform(&mirrored(&cell, mirror_x, mirror_y));
        let drawn = art.draw(surface, [cell.w, cell.h]);
        surface.pop();
        drawn?;
    }
    Ok(())
}

/// How far a mirrored copy reaches under the page's own copy, in points: a quarter of a
/// 1200 dpi device pixel, invisible in the artwork (the two sides of a mirror seam match).
const SEAM_OVERLAP: f64 = 0.25;

fn grown_towards_page(cell: &Rect, i: i32, j: i32) -> Rect {
    let (mut left, mut top, mut right, mut bottom) =
        (cell.left(), cell.top(), cell.right(), cell.bottom());
    match i {
        -1 => right += SEAM_OVERLAP,
        1 => left -= SEAM_OVERLAP,
        _ => {}
    }
    match j {
        -1 => bottom += SEAM_OVERLAP,
        1 => top -= SEAM_OVERLAP,
        _ => {}
    }
    Rect::from_edges(left, top, right, bottom)
}

/// Maps `[0, w] × [0, h]` onto `cell`, mirrored about its vertical and/or horizontal centre.
fn mirrored(cell: &Rect, x: bool, y: bool) -> Transform {
    let (sx, tx) = if x {
        (-1.0, cell.x + cell.w)
    } else {
        (1.0, cell.x)
    };
    let (sy, ty) = if y {
        (-1.0, cell.y + cell.h)
    } else {
        (1.0, cell.y)
    };
    Transform::from_row(sx as f32, 0.0, 0.0, sy as f32, tx as f32, ty as f32)
}

/// A background asset, ready to draw at any size.
enum Art {
    Svg(std::boxed::Box<usvg::Tree>),
    /// A photo, rastered once for every copy.
    Photo {
        placed: PlacedPhoto,
        tiles: Vec<Raster>,
    },
}

impl Art {
    fn load(canvas: &PageCanvas<'_>, asset: &str) -> Option<Art> {
        if is_theme_asset(asset) {
            let Some(bytes) = theme_asset(asset) else {
                tracing::warn!(
                    asset,
                    "unknown theme background; only its colour is printed"
                );
                return None;
            };
            return match usvg::Tree::from_data(bytes, &usvg::Options::default()) {
                Ok(tree) => Some(Art::Svg(std::boxed::Box::new(tree))),
                Err(e) => {
                    tracing::warn!(asset, error = %e, "theme background could not be read");
                    None
                }
            };
        }
        let Some(source) = (canvas.photos)(asset) else {
            tracing::warn!(
                photo = asset,
                "background photo missing at render; only its colour is printed"
            );
            return None;
        };
        let page = canvas.panel.content();
        let placed = place_in(
            source.pixels(),
            Rect::new(0.0, 0.0, page.w, page.h),
            PhotoView::DEFAULT,
        )
        .ok()?;
        match raster(
            asset,
            &source,
            &placed,
            canvas.settings.max_ppi,
            canvas.settings.tile_pixels,
        ) {
            Ok(tiles) => Some(Art::Photo { placed, tiles }),
            Err(e) => {
                tracing::warn!(photo = asset, error = %e, "background photo could not be embedded; only its colour is printed");
                None
            }
        }
    }

    /// Draws the art over `[0, w] × [0, h]` of the current transform.
    fn draw(&self, surface: &mut Surface<'_>, [w, h]: [f64; 2]) -> Result<(), RenderError> {
        match self {
            Art::Svg(tree) => {
                let size = Size::from_wh(w as f32, h as f32)
                    .ok_or_else(|| RenderError::Pdf(format!("bad background size {w}×{h}")))?;
                // Artwork text, if any, is outlined: it needs no font of ours.
                surface.draw_svg(
                    tree,
                    size,
                    SvgSettings {
                        embed_text: false,
                        ..SvgSettings::default()
                    },
                );
                Ok(())
            }
            Art::Photo { placed, tiles } => draw_tiles(surface, tiles, placed),
        }
    }
}
