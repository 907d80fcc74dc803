//! Text on the printed page: a print font (one face of one family of [`super::fonts`]), and a
//! text item's lines wrapped greedily to its box width, measured with the shaper krilla draws
//! with (rustybuzz), so a measured line is exactly as wide as the drawn one.

use crdt_schema::model::Align;
use krilla::geom::Point;
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};

use super::fonts::FontBook;
use super::RenderError;

/// Line spacing, a multiple of the font size.
const LINE_HEIGHT: f32 = 1.2;

/// A print font face, for krilla to draw and subset and for rustybuzz to measure. Both borrow
/// the font file, which is compiled into the server, so a clone is cheap.
#[derive(Clone)]
pub(super) struct PrintFont {
    /// The file's name, for messages.
    name: &'static str,
    font: Font,
    face: rustybuzz::Face<'static>,
    units_per_em: f32,
}

impl PrintFont {
    /// The face of the font file `data` (the first face of a collection), or an error naming
    /// `name` when krilla or rustybuzz cannot parse it.
    pub(super) fn from_bytes(
        name: &'static str,
        data: &'static [u8],
    ) -> Result<PrintFont, RenderError> {
        let bad = || RenderError::Font(format!("{name} could not be parsed"));
        let font = Font::new(data.into(), 0).ok_or_else(bad)?;
        let face = rustybuzz::Face::from_slice(data, 0).ok_or_else(bad)?;
        let units_per_em = face.units_per_em() as f32;
        Ok(PrintFont {
            name,
            font,
            face,
            units_per_em,
        })
    }

    /// Inter Regular, the fallback print font: [`FontBook::fallback`], cloned.
    #[allow(dead_code)] // used by the tests; the renderer takes its fonts from the book
    pub(super) fn inter() -> Result<PrintFont, RenderError> {
        let font = FontBook::get()
            .font("Inter", false)
            .ok_or_else(|| RenderError::Font("Inter-Regular.otf could not be parsed".to_owned()))?;
        Ok(font.clone())
    }

    /// The font file's name, e.g. `Lora-Bold.ttf`.
    #[allow(dead_code)] // used by the tests so far
    pub(super) fn name(&self) -> &'static str {
        self.name
    }

    /// Whether the font has a glyph for every character of `text` but whitespace and controls
    /// (so the renderer can pick a font that shows a sticker's symbol).
    pub(super) fn covers(&self, text: &str) -> bool {
        text.chars()
            .filter(|c| !c.is_whitespace() && !c.is_control())
            .all(|c| self.face.glyph_index(c).is_some_and(|g| g.0 != 0))
    }

    /// The width of `text` set on one line at `size`, in the size's unit.
    pub(super) fn width(&self, text: &str, size: f32) -> f32 {
        let mut buffer = rustybuzz::UnicodeBuffer::new();
        buffer.push_str(text);
        buffer.guess_segment_properties();
        let shaped = rustybuzz::shape(&self.face, &[], buffer);
        let units: i64 = shaped
            .glyph_positions()
            .iter()
            .map(|p| p.x_advance as i64)
            .sum();
        units as f32 / self.units_per_em * size
    }

    /// The height of one line at `size`: ascent to descent.
    pub(super) fn line_height(&self, size: f32) -> f32 {
        (self.face.ascender() as f32 - self.face.descender() as f32) / self.units_per_em * size
    }

    /// The distance from the top of a line to its baseline at `size`.
    fn ascent(&self, size: f32) -> f32 {
        self.face.ascender() as f32 / self.units_per_em * size
    }
}

/// `text` broken into lines no wider than `max_width` at `size`: paragraphs at `\n`, then words
/// (runs of whitespace collapse to one space) added while the line still fits. A word wider
/// than the box alone stays whole on its own line and overflows, rather than being split.
pub(super) fn wrap(font: &PrintFont, text: &str, size: f32, max_width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            if line.is_empty() {
                line.push_str(word);
                continue;
            }
            let candidate = format!("{line} {word}");
            if font.width(&candidate, size) <= max_width {
                line = candidate;
            } else {
                lines.push(std::mem::replace(&mut line, word.to_owned()));
            }
        }
        lines.push(line);
    }
    lines
}

/// Draws `lines` from the top of a box `x..x + width` whose top edge is `top`, aligned within
/// the box (justified text is set flush left for now), with the surface's current fill.
pub(super) fn draw_lines(
    surface: &mut Surface<'_>,
    font: &PrintFont,
    lines: &[String],
    size: f32,
    align: Align,
    [x, top, width]: [f32; 3],
) {
    let mut baseline = top + font.ascent(size);
    for line in lines {
        if !line.is_empty() {
            let offset = match align {
                Align::Left | Align::Justify => 0.0,
                Align::Center => (width - font.width(line, size)) / 2.0,
                Align::Right => width - font.width(line, size),
            };
            surface.draw_text(
                Point::from_xy(x + offset, baseline),
                font.font.clone(),
                size,
                line,
                false,
                TextDirection::Auto,
            );
        }
        baseline += size * LINE_HEIGHT;
    }
}
