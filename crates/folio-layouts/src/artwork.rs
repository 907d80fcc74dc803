//! Theme artwork shipped in the binary: the SVG backgrounds `assets/themes.json` names
//! (made by `assets/themes/gen_backgrounds.py`). The renderer draws them into PDFs, and
//! `GET /assets/themes/...` serves them to the web client.

macro_rules! theme_art {
    ($($path:literal),* $(,)?) => {
        /// Every theme asset, by the name a page background uses (`themes/<theme>/<file>`).
        pub const THEME_ASSETS: &[(&str, &[u8])] = &[
            $((concat!("themes/", $path), include_bytes!(concat!("../../../assets/themes/", $path)))),*
        ];
    };
}

theme_art!(
    "vacation/waves-corner.svg",
    "travel/map-edge.svg",
    "birthday/confetti-side.svg",
    "wedding/linen.svg",
    "baby/soft-dots.svg",
    "graduation/ribbon-band.svg",
    "holiday/pine-corner.svg",
    "sports/diagonal-stripes.svg",
    "pets/paw-trail.svg",
    "nature/leaves-edge.svg",
);

/// The bytes of the theme asset `name` (`themes/<theme>/<file>`), if there is one.
pub fn theme_asset(name: &str) -> Option<&'static [u8]> {
    THEME_ASSETS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, bytes)| *bytes)
}

/// Whether a page background's `asset` names theme artwork rather than a photo id.
pub fn is_theme_asset(name: &str) -> bool {
    name.starts_with("themes/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_background_the_themes_name_is_shipped_and_parses() {
        let themes: serde_json::Value =
            serde_json::from_str(include_str!("../../../assets/themes.json")).unwrap();
        let mut named = 0;
        for theme in themes.as_array().unwrap() {
            for background in theme["backgrounds"].as_array().unwrap() {
                let Some(asset) = background["asset"].as_str() else {
                    continue;
                };
                let bytes = theme_asset(asset).unwrap_or_else(|| panic!("{asset} is not shipped"));
                usvg::Tree::from_data(bytes, &usvg::Options::default())
                    .unwrap_or_else(|e| panic!("{asset}: {e}"));
                named += 1;
            }
        }
        assert_eq!(
            named,
            THEME_ASSETS.len(),
            "every shipped asset is used by a theme"
        );
        assert!(theme_asset("themes/../secret").is_none());
    }
}
