//! PNG previews of printed pages for the web client (SPEC §11), rasterised from the PDF pages
//! themselves by hayro, so a preview shows exactly what prints: the whole canvas, bleed
//! included, on white.

use hayro::hayro_interpret::InterpreterSettings;
use hayro::hayro_syntax::Pdf;
use hayro::vello_cpu::color::palette::css::WHITE;
use hayro::{render, PixmapSettings, RenderCache, RenderSettings};
use image::codecs::png::PngEncoder;
use image::{ExtendedColorType, ImageEncoder};

use super::RenderError;

/// Every page of `pdf` as a PNG whose long edge is `long_edge` pixels (rounded down).
pub fn rasterise(pdf: &[u8], long_edge: u32) -> Result<Vec<Vec<u8>>, RenderError> {
    let pdf = Pdf::new(pdf.to_vec())
        .map_err(|e| RenderError::Preview(format!("the PDF could not be read: {e:?}")))?;
    let cache = RenderCache::new();
    let interpreter = InterpreterSettings::default();
    let settings = RenderSettings::default();
    let mut pngs = Vec::new();
    for page in pdf.pages().iter() {
        let (w, h) = page.render_dimensions();
        let scale = long_edge as f32 / w.max(h).max(1.0);
        let pixmap = render(
            page,
            &cache,
            &interpreter,
            &settings,
            &PixmapSettings {
                x_scale: scale,
                y_scale: scale,
                bg_color: WHITE,
            },
        );
        let (pw, ph) = (u32::from(pixmap.width()), u32::from(pixmap.height()));
        // On an opaque white background every pixel is opaque, so premultiplied is plain RGB.
        let rgb: Vec<u8> = pixmap
            .data_as_u8_slice()
            .chunks_exact(4)
            .flat_map(|p| [p[0], p[1], p[2]])
            .collect();
        let mut png = Vec::new();
        PngEncoder::new(&mut png)
            .write_image(&rgb, pw, ph, ExtendedColorType::Rgb8)
            .map_err(|e| RenderError::Preview(format!("the preview could not be encoded: {e}")))?;
        pngs.push(png);
    }
    Ok(pngs)
}
