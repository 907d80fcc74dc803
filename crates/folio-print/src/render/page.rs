//! Drawing one book page onto its panel: the background, then each item in page order
//! (photos, text, stickers, shapes and borders), rotated and faded as its style says.

use crdt_schema::geometry::{Box, PhotoView, PlacedPhoto, Rect};
use crdt_schema::model::{Align, Item, ItemKind, Page};
use krilla::color::rgb;
use krilla::geom::{Size, Transform};
use krilla::num::NormalizedF32;
use krilla::paint::{FillRule, Stroke};
use krilla::surface::Surface;

use super::fonts::FontBook;
use super::text::{self, PrintFont};
use super::{
    background, parse_color, photo, rect_path, solid, Panel, PhotoSource, RenderError,
    RenderSettings, Theme, DEFAULT_TEXT_SIZE,
};

/// What drawing one page needs.
pub(crate) struct PageCanvas<'a> {
    pub panel: Panel,
    pub theme: &'a Theme,
    pub photos: &'a dyn Fn(&str) -> Option<PhotoSource>,
    pub settings: &'a RenderSettings,
}

impl PageCanvas<'_> {
    /// The page's background and items, clipped to the panel's region.
    pub(super) fn draw(&self, surface: &mut Surface<'_>, page: &Page) -> Result<(), RenderError> {
        surface.push_clip_path(&rect_path(&self.panel.region)?, &FillRule::NonZero);
        let drawn = self.draw_unclipped(surface, page);
        surface.pop();
        drawn
    }

    fn draw_unclipped(&self, surface: &mut Surface<'_>, page: &Page) -> Result<(), RenderError> {
        background::draw(self, surface, &page.background)?;
        for item in &page.items {
            // A box the validator let through always builds; one that does not is not drawn.
            let Ok(b) = Box::try_from(item.bbox) else {
                continue;
            };
            let rect = self.panel.transform.box_rect(&b);
            let [cx, cy] = rect.centre();
            surface.push_transform(&Transform::from_rotate_at(
                b.rot() as f32,
                cx as f32,
                cy as f32,
            ));
            let opacity = item
                .style
                .opacity
                .filter(|o| o.is_finite() && *o < 1.0)
                .map(|o| o.max(0.0) as f32);
            if let Some(o) = opacity {
                surface.push_opacity(NormalizedF32::new(o).unwrap_or(NormalizedF32::ONE));
            }
            let drawn = match item.kind {
                ItemKind::Photo => self.draw_photo(surface, item, &b),
                ItemKind::Text => self.draw_text(surface, item, &rect),
                ItemKind::Shape => self.draw_shape(surface, item, &rect),
                ItemKind::Sticker => self.draw_sticker(surface, item, &rect),
            };
            let bordered = drawn.and_then(|()| self.draw_border(surface, item, &rect));
            if opacity.is_some() {
                surface.pop();
            }
            surface.pop();
            bordered?;
        }
        Ok(())
    }

    /// The photo clipped to its slot, in the slot's unrotated frame (the caller rotates).
    fn draw_photo(
        &self,
        surface: &mut Surface<'_>,
        item: &Item,
        b: &Box,
    ) -> Result<(), RenderError> {
        let Some(reference) = &item.photo else {
            return Ok(());
        };
        let Some(source) = (self.photos)(&reference.id) else {
            tracing::warn!(photo = %reference.id, item = %item.id, "photo missing at render; its slot is left empty");
            return Ok(());
        };
        let view = PhotoView::clamped(reference.pan, reference.zoom);
        // A slot without area shows nothing.
        let Ok(placed) = self.panel.place_photo(source.pixels(), b, view) else {
            return Ok(());
        };
        draw_placed(surface, &reference.id, &source, &placed, self.settings)
    }

    /// The item's text, wrapped to its box, in the box's unrotated frame.
    fn draw_text(
        &self,
        surface: &mut Surface<'_>,
        item: &Item,
        rect: &Rect,
    ) -> Result<(), RenderError> {
        let Some(content) = item.text.as_deref().filter(|t| !t.trim().is_empty()) else {
            return Ok(());
        };
        let relative = item
            .style
            .size
            .filter(|s| s.is_finite() && *s > 0.0)
            .unwrap_or(DEFAULT_TEXT_SIZE);
        let size = (relative * self.panel.transform.scale[0]) as f32;
        let font = self.font(item);
        let lines = text::wrap(font, content, size, rect.w as f32);
        let color = item
            .style
            .color
            .as_deref()
            .and_then(parse_color)
            .or(self.theme.text_color)
            .unwrap_or([0, 0, 0]);
        surface.set_fill(Some(solid(color)));
        text::draw_lines(
            surface,
            font,
            &lines,
            size,
            item.style.align.unwrap_or(Align::Left),
            [rect.x as f32, rect.y as f32, rect.w as f32],
        );
        Ok(())
    }

    /// The item's font: its style's, else the theme's body font, else the fallback.
    fn font(&self, item: &Item) -> &'static PrintFont {
        let book = FontBook::get();
        item.style
            .font
            .as_deref()
            .and_then(|f| book.font(f, false))
            .or_else(|| {
                self.theme
                    .body_font
                    .as_deref()
                    .and_then(|f| book.font(f, false))
            })
            .unwrap_or_else(|| book.fallback())
    }

    /// A sticker: its symbol, centred in its box at 0.8 of the box's shorter side, in the
    /// first of its style's font and the symbol fonts that has every glyph of it.
    fn draw_sticker(
        &self,
        surface: &mut Surface<'_>,
        item: &Item,
        rect: &Rect,
    ) -> Result<(), RenderError> {
        let Some(symbol) = item
            .text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        else {
            return Ok(());
        };
        let book = FontBook::get();
        let own = item
            .style
            .font
            .as_deref()
            .and_then(|f| book.font(f, false))
            .filter(|f| f.covers(symbol));
        let Some(font) = own
            .or_else(|| book.symbols_for(symbol))
            .or_else(|| Some(self.font(item)).filter(|f| f.covers(symbol)))
        else {
            tracing::warn!(item = %item.id, symbol, "no print font has this sticker's glyphs; it is left out");
            return Ok(());
        };
        let size = (0.8 * rect.w.min(rect.h)) as f32;
        let color = item
            .style
            .color
            .as_deref()
            .and_then(parse_color)
            .or(self.theme.text_color)
            .unwrap_or([0, 0, 0]);
        surface.set_fill(Some(solid(color)));
        let top = rect.y as f32 + (rect.h as f32 - font.line_height(size)) / 2.0;
        text::draw_lines(
            surface,
            font,
            &[symbol.to_owned()],
            size,
            Align::Center,
            [rect.x as f32, top, rect.w as f32],
        );
        Ok(())
    }

    /// A shape: its box filled with its colour, else the theme's accent.
    fn draw_shape(
        &self,
        surface: &mut Surface<'_>,
        item: &Item,
        rect: &Rect,
    ) -> Result<(), RenderError> {
        let Some(color) = item
            .style
            .color
            .as_deref()
            .and_then(parse_color)
            .or(self.theme.accent)
        else {
            return Ok(());
        };
        surface.set_fill(Some(solid(color)));
        surface.draw_path(&rect_path(rect)?);
        Ok(())
    }

    /// A border of the style's width (relative to the page width) just inside the box.
    fn draw_border(
        &self,
        surface: &mut Surface<'_>,
        item: &Item,
        rect: &Rect,
    ) -> Result<(), RenderError> {
        let Some(border) = &item.style.border else {
            return Ok(());
        };
        let width = border.width * self.panel.transform.scale[0];
        let Some(color) = parse_color(&border.color) else {
            return Ok(());
        };
        if !(width.is_finite() && width > 0.0) || width * 2.0 >= rect.w.min(rect.h) {
            return Ok(());
        }
        let inner = Rect::new(
            rect.x + width / 2.0,
            rect.y + width / 2.0,
            rect.w - width,
            rect.h - width,
        );
        surface.set_fill(None);
        let [r, g, b] = color;
        surface.set_stroke(Some(Stroke {
            paint: rgb::Color::new(r, g, b).into(),
            width: width as f32,
            ..Stroke::default()
        }));
        surface.draw_path(&rect_path(&inner)?);
        surface.set_stroke(None);
        Ok(())
    }
}

/// Draws `source` placed as `placed`, clipped to its slot.
fn draw_placed(
    surface: &mut Surface<'_>,
    photo_id: &str,
    source: &PhotoSource,
    placed: &PlacedPhoto,
    settings: &RenderSettings,
) -> Result<(), RenderError> {
    let tiles = photo::raster(
        photo_id,
        source,
        placed,
        settings.max_ppi,
        settings.tile_pixels,
    )?;
    draw_tiles(surface, &tiles, placed)
}

/// Draws the rasters of a photo placed as `placed`, clipped to its slot.
pub(super) fn draw_tiles(
    surface: &mut Surface<'_>,
    tiles: &[photo::Raster],
    placed: &PlacedPhoto,
) -> Result<(), RenderError> {
    surface.push_clip_path(&rect_path(&placed.slot)?, &FillRule::NonZero);
    for tile in tiles {
        let at = tile.page_rect(placed);
        let size = Size::from_wh(at.w as f32, at.h as f32)
            .ok_or_else(|| RenderError::Pdf(format!("bad image size {at:?}")))?;
        surface.push_transform(&Transform::from_translate(at.x as f32, at.y as f32));
        surface.draw_image(tile.image.clone(), size);
        surface.pop();
    }
    surface.pop();
    Ok(())
}
