//! The print fonts: every family the themes use ([`FAMILIES`], the same set as preflight's
//! [`PRINT_FONTS`](crate::preflight::PRINT_FONTS)), in a regular and a bold face, compiled
//! into the server from `assets/fonts/<Family>/` (SIL OFL 1.1; each folder has its
//! `OFL.txt`, and `assets/fonts/README.md` says where every file comes from).
//!
//! A family's faces are parsed on the first use of that face, once for the life of the process:
//! both krilla (which draws and subsets the font into the PDF) and rustybuzz (which measures
//! for wrapping) read the compiled-in bytes in place, without a copy.

use std::sync::{LazyLock, OnceLock};

use super::text::PrintFont;
use crate::preflight::PRINT_FONTS;

/// The print font families, as themes and item styles name them: preflight's list, so that
/// what preflight accepts is exactly what prints. [`FILES`] gives their files in this order.
pub const FAMILIES: &[&str] = PRINT_FONTS;

/// One font file: its name and its bytes.
type File = (&'static str, &'static [u8]);

/// `assets/fonts/<dir>/<file>`, compiled in.
macro_rules! font_file {
    ($dir:literal, $file:literal) => {
        (
            $file,
            include_bytes!(concat!("../../../../assets/fonts/", $dir, "/", $file))
                as &'static [u8],
        )
    };
}

/// Each family of [`FAMILIES`], in the same order: its regular face and its bold face, `None`
/// when the family has no bold (the regular face stands in).
static FILES: [(File, Option<File>); FAMILIES.len()] = [
    (
        font_file!("CormorantGaramond", "CormorantGaramond-Regular.ttf"),
        Some(font_file!(
            "CormorantGaramond",
            "CormorantGaramond-Bold.ttf"
        )),
    ),
    (
        font_file!("Fredoka", "Fredoka-Regular.ttf"),
        Some(font_file!("Fredoka", "Fredoka-Bold.ttf")),
    ),
    (
        font_file!("Inter", "Inter-Regular.otf"),
        Some(font_file!("Inter", "Inter-Bold.otf")),
    ),
    (
        font_file!("JosefinSans", "JosefinSans-Regular.ttf"),
        Some(font_file!("JosefinSans", "JosefinSans-Bold.ttf")),
    ),
    (
        font_file!("LibreBaskerville", "LibreBaskerville-Regular.ttf"),
        Some(font_file!("LibreBaskerville", "LibreBaskerville-Bold.ttf")),
    ),
    (
        font_file!("Lora", "Lora-Regular.ttf"),
        Some(font_file!("Lora", "Lora-Bold.ttf")),
    ),
    (
        font_file!("Merriweather", "Merriweather-Regular.ttf"),
        Some(font_file!("Merriweather", "Merriweather-Bold.ttf")),
    ),
    (
        font_file!("Nunito", "Nunito-Regular.ttf"),
        Some(font_file!("Nunito", "Nunito-Bold.ttf")),
    ),
    (
        font_file!("Oswald", "Oswald-Regular.ttf"),
        Some(font_file!("Oswald", "Oswald-Bold.ttf")),
    ),
    (font_file!("Pacifico", "Pacifico-Regular.ttf"), None),
    (
        font_file!("PlayfairDisplay", "PlayfairDisplay-Regular.ttf"),
        Some(font_file!("PlayfairDisplay", "PlayfairDisplay-Bold.ttf")),
    ),
    (
        font_file!("Quicksand", "Quicksand-Regular.ttf"),
        Some(font_file!("Quicksand", "Quicksand-Bold.ttf")),
    ),
    (
        font_file!("Raleway", "Raleway-Regular.ttf"),
        Some(font_file!("Raleway", "Raleway-Bold.ttf")),
    ),
    (
        font_file!("SourceSans3", "SourceSans3-Regular.ttf"),
        Some(font_file!("SourceSans3", "SourceSans3-Bold.ttf")),
    ),
];

/// The index of Inter, the fallback, in [`FAMILIES`].
const INTER: usize = 2;

/// One face of one family, parsed on first use; `None` inside when it cannot be parsed (the
/// tests see that every shipped face parses).
struct Face {
    file: File,
    parsed: OnceLock<Option<PrintFont>>,
}

impl Face {
    fn new(file: File) -> Face {
        Face {
            file,
            parsed: OnceLock::new(),
        }
    }

    fn get(&self) -> Option<&PrintFont> {
        self.parsed
            .get_or_init(|| PrintFont::from_bytes(self.file.0, self.file.1).ok())
            .as_ref()
    }
}

/// One family: its regular face and its bold face, if it has one.
struct Family {
    name: &'static str,
    regular: Face,
    bold: Option<Face>,
}

/// The symbol fonts stickers fall back to, in order (see `assets/fonts/README.md`).
static SYMBOL_FILES: [File; 2] = [
    font_file!("NotoSansSymbols", "NotoSansSymbols2-Regular.ttf"),
    font_file!("NotoSansSymbols", "NotoSansSymbols-Regular.ttf"),
];

/// Every print font family, loaded once (compiled in with `include_bytes!`).
pub struct FontBook {
    families: Vec<Family>,
    symbols: Vec<Face>,
}

static BOOK: LazyLock<FontBook> = LazyLock::new(|| FontBook {
    families: FAMILIES
        .iter()
        .zip(&FILES)
        .map(|(&name, &(regular, bold))| Family {
            name,
            regular: Face::new(regular),
            bold: bold.map(Face::new),
        })
        .collect(),
    symbols: SYMBOL_FILES.iter().map(|&f| Face::new(f)).collect(),
});

impl FontBook {
    /// The shared book; a family's faces are parsed on first use.
    pub fn get() -> &'static FontBook {
        &BOOK
    }

    /// The face of `family` (matched as preflight matches fonts: trimmed, ASCII
    /// case-insensitively) in the weight asked for; a family without a bold face gives its
    /// regular face for bold. `None` when `family` is not a print font.
    pub fn font(&self, family: &str, bold: bool) -> Option<&PrintFont> {
        let family = self
            .families
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(family.trim()))?;
        match (&family.bold, bold) {
            (Some(face), true) => face.get(),
            _ => family.regular.get(),
        }
    }

    /// The first symbol font with a glyph for every character of `text`, if any.
    pub fn symbols_for(&self, text: &str) -> Option<&PrintFont> {
        self.symbols
            .iter()
            .filter_map(Face::get)
            .find(|f| f.covers(text))
    }

    /// Inter Regular, the fallback for a family that is not a print font.
    pub fn fallback(&self) -> &PrintFont {
        self.families[INTER]
            .regular
            .get()
            .expect("the compiled-in Inter-Regular.otf parses (a test checks it)")
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};
    use std::process::Command;

    use crdt_schema::model::Align;
    use krilla::page::PageSettings;
    use krilla::{Document, SerializeSettings};

    use super::*;
    use crate::preflight::PRINT_FONTS;
    use crate::render::text;

    /// Characters every print font must have: Latin, Latin-1 and a digit.
    const SAMPLE: &str = "Aa0 éüñçß";

    #[test]
    fn families_are_preflights_print_fonts() {
        let ours: BTreeSet<&str> = FAMILIES.iter().copied().collect();
        let preflight: BTreeSet<&str> = PRINT_FONTS.iter().copied().collect();
        assert_eq!(ours, preflight);
        assert_eq!(ours.len(), FAMILIES.len(), "no family twice");
        assert_eq!(FAMILIES[INTER], "Inter");
    }

    #[test]
    fn every_family_loads_in_both_weights_and_covers_latin() {
        let book = FontBook::get();
        for (&family, &(regular, bold)) in FAMILIES.iter().zip(&FILES) {
            for (weight, file) in [(false, regular), (true, bold.unwrap_or(regular))] {
                let font = book
                    .font(family, weight)
                    .unwrap_or_else(|| panic!("{family} (bold: {weight}) does not load"));
                assert_eq!(font.name(), file.0);
                assert!(
                    font.covers(SAMPLE),
                    "{} lacks a glyph of {SAMPLE:?}",
                    file.0
                );
                assert!(
                    font.width(SAMPLE, 10.0) > 0.0,
                    "{} measures {SAMPLE:?} as empty",
                    file.0
                );
                // The file is the family's face of that weight, as its own tables say.
                let face = rustybuzz::Face::from_slice(file.1, 0).unwrap();
                let names: Vec<String> = face
                    .names()
                    .into_iter()
                    .filter(|n| {
                        n.name_id == rustybuzz::ttf_parser::name_id::FAMILY
                            || n.name_id == rustybuzz::ttf_parser::name_id::TYPOGRAPHIC_FAMILY
                    })
                    .filter_map(|n| n.to_string())
                    .collect();
                assert!(
                    names.iter().any(|n| n == family),
                    "{} names its family {names:?}, not {family:?}",
                    file.0
                );
                let expected = if weight && bold.is_some() { 700 } else { 400 };
                assert_eq!(face.weight().to_number(), expected, "{}", file.0);
                assert!(
                    face.tables().fvar.is_none(),
                    "{} is a variable font",
                    file.0
                );
            }
        }
        // Pacifico has no bold: its regular face stands in.
        assert!(std::ptr::eq(
            book.font("Pacifico", true).unwrap(),
            book.font("Pacifico", false).unwrap()
        ));
    }

    #[test]
    fn families_match_like_preflight_and_inter_is_the_fallback() {
        let book = FontBook::get();
        assert_eq!(
            book.font("  source sans 3 ", true).map(PrintFont::name),
            Some("SourceSans3-Bold.ttf")
        );
        assert_eq!(
            book.font("PLAYFAIR DISPLAY", false).map(PrintFont::name),
            Some("PlayfairDisplay-Regular.ttf")
        );
        assert!(book.font("Comic Sans MS", false).is_none());
        assert!(book.font("", false).is_none());
        assert_eq!(book.fallback().name(), "Inter-Regular.otf");
        assert!(std::ptr::eq(
            book.fallback(),
            book.font("Inter", false).unwrap()
        ));
        assert_eq!(PrintFont::inter().unwrap().name(), "Inter-Regular.otf");
    }

    /// Whether `pdffonts` runs; without it the check is skipped, unless under CI=true.
    fn have_pdffonts() -> bool {
        let runs = Command::new("pdffonts").arg("-v").output().is_ok();
        if !runs {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("pdffonts is not installed; scripts/test installs poppler-utils (CI=true makes this fatal)");
            }
            eprintln!("skipping the pdffonts check: pdffonts is not installed (apt-get install poppler-utils)");
        }
        runs
    }

    #[test]
    fn every_family_is_embedded_in_a_pdf() {
        let book = FontBook::get();
        let mut document = Document::new_with(SerializeSettings {
            enable_tagging: false,
            ..SerializeSettings::default()
        });
        let mut page = document.start_page_with(
            PageSettings::from_wh(400.0, 40.0 + 30.0 * FAMILIES.len() as f32).unwrap(),
        );
        let mut surface = page.surface();
        for (i, family) in FAMILIES.iter().enumerate() {
            for bold in [false, true] {
                let font = book.font(family, bold).unwrap();
                let lines = [format!("{family} {SAMPLE}")];
                text::draw_lines(
                    &mut surface,
                    font,
                    &lines,
                    12.0,
                    Align::Left,
                    [
                        20.0 + 190.0 * bold as u8 as f32,
                        20.0 + 30.0 * i as f32,
                        180.0,
                    ],
                );
            }
        }
        surface.finish();
        page.finish();
        let pdf = document.finish().expect("the PDF is written");
        if !have_pdffonts() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fonts.pdf");
        std::fs::write(&path, &pdf).unwrap();
        let out = Command::new("pdffonts")
            .arg(&path)
            .output()
            .expect("pdffonts runs");
        let listing = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "pdffonts failed: {listing}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // name type… encoding emb sub uni object ID: the font's PostScript name, after its
        // subset tag (and before the CMap's name, for a CFF font), and whether it is embedded.
        let embedded: BTreeMap<String, bool> = listing
            .lines()
            .skip(2)
            .filter_map(|line| {
                let cols: Vec<&str> = line.split_whitespace().collect();
                let name = cols.first()?;
                let emb = cols.get(cols.len().checked_sub(5)?)?;
                let name = name.split_once('+').map_or(*name, |(_, n)| n);
                Some((
                    name.trim_end_matches("-Identity-H").to_owned(),
                    *emb == "yes",
                ))
            })
            .collect();
        for ((regular, bold), family) in FILES.iter().zip(FAMILIES) {
            for file in [Some(regular), bold.as_ref()].into_iter().flatten() {
                // Every file is named for its PostScript name.
                let postscript = file.0.rsplit_once('.').unwrap().0;
                assert_eq!(
                    embedded.get(postscript),
                    Some(&true),
                    "{family}: {postscript} is not embedded:\n{listing}"
                );
            }
        }
        assert_eq!(
            embedded.len(),
            27,
            "13 families in two weights and Pacifico in one:\n{listing}"
        );
    }
}
