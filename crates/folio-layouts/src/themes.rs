//! Themes (SPEC §10.6): colours, fonts and page backgrounds of a book, chosen from keywords in
//! its album name and tags.
//!
//! **Keywords.** Texts and keywords are cut into words ([`words`]): lowercase runs of letters or
//! of digits, so `"Emma's 5th birthday"` is `emma s 5 th birthday`. A keyword is one or more
//! words (`"new year"`) and matches where its words appear in a row in one text; a text word
//! matches a keyword word when equal, or equal but for a plural `s` (`holidays` → `holiday`). A
//! theme scores one for each match; the highest score wins, a tie goes to the theme listed
//! first, and no match at all gives `everyday`. A keyword belongs to one theme only.
//!
//! **Backgrounds.** A background is the page background of SPEC §6 (`{color?, asset?, flip}`).
//! A theme with `mirror_facing` has asymmetric backgrounds, drawn for right-hand pages and
//! mirrored (`flip` toggled) on left-hand pages, so a spread is symmetric about the gutter;
//! see [`Theme::background`]. Assets are named by path under the theme assets folder; fonts
//! are family names of fonts under the SIL Open Font License, to be shipped with the renderer.

use std::collections::HashMap;

use crdt_schema::geometry::PageSide;
use serde::{Deserialize, Serialize};

use super::LibraryError;

/// The theme of a book whose name and tags match no keyword.
pub const DEFAULT_THEME: &str = "everyday";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Theme {
    pub id: String,
    pub name: String,
    pub keywords: Vec<String>,
    pub colors: Colors,
    pub fonts: Fonts,
    pub backgrounds: Vec<Background>,
    pub mirror_facing: bool,
}

/// Colours as `#rrggbb`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Colors {
    pub background: String,
    pub text: String,
    pub accent: String,
}

/// Font family names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fonts {
    pub heading: String,
    pub body: String,
}

/// A page background, in the document's own form (SPEC §6 `background`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Background {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asset: Option<String>,
    #[serde(default)]
    pub flip: bool,
}

impl Theme {
    /// The theme's `index`th background (wrapping around) for a page on `side`: as drawn on a
    /// right-hand page, mirrored on a left-hand one when the theme mirrors facing pages.
    pub fn background(&self, index: usize, side: PageSide) -> Background {
        let mut bg = self.backgrounds[index % self.backgrounds.len()].clone();
        if self.mirror_facing && side == PageSide::Left {
            bg.flip = !bg.flip;
        }
        bg
    }
}

/// The words of a text, for keyword matching: lowercase runs of letters and runs of digits.
pub fn words(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut digits = false;
    for c in text.chars() {
        if c.is_alphanumeric() {
            let is_digit = c.is_numeric();
            if !current.is_empty() && is_digit != digits {
                out.push(std::mem::take(&mut current));
            }
            digits = is_digit;
            current.extend(c.to_lowercase());
        } else if !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// How many times the theme's keywords occur in the texts, each given as its [`words`].
pub fn keyword_score(theme: &Theme, texts: &[Vec<String>]) -> usize {
    let same =
        |word: &str, keyword: &str| word == keyword || word.strip_suffix('s') == Some(keyword);
    let mut score = 0;
    for keyword in &theme.keywords {
        let kw: Vec<&str> = keyword.split(' ').collect();
        for text in texts {
            score += text
                .windows(kw.len())
                .filter(|w| w.iter().zip(&kw).all(|(a, b)| same(a, b)))
                .count();
        }
    }
    score
}

/// What is wrong with one theme.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ThemeProblem {
    #[error("the id is used twice")]
    DuplicateId,
    #[error("the id must be lowercase letters, digits and dashes")]
    BadId,
    #[error("the name is empty")]
    EmptyName,
    #[error("colour {field} is {value:?}; colours are #rrggbb")]
    BadColor { field: String, value: String },
    #[error("font {0} is empty")]
    EmptyFont(&'static str),
    #[error("keyword {0:?} is not lowercase words separated by single spaces")]
    BadKeyword(String),
    #[error("keyword {keyword:?} is also a keyword of theme {other}")]
    KeywordTwice { keyword: String, other: String },
    #[error("has no backgrounds")]
    NoBackgrounds,
    #[error("background {0} has neither a color nor an asset")]
    EmptyBackground(usize),
    #[error("background {0} names an asset that is not a relative path of lowercase letters, digits, dashes, dots and slashes")]
    BadAsset(usize),
    #[error("mirrors facing pages but has no asset background to mirror")]
    MirrorWithoutAsset,
}

/// Checks every theme; keywords must be unique across themes.
pub(super) fn validate(themes: &[Theme]) -> Result<(), LibraryError> {
    let mut ids: Vec<&str> = Vec::new();
    let mut owners: HashMap<&str, &str> = HashMap::new();
    for theme in themes {
        let fail = |problem| LibraryError::Theme {
            theme: theme.id.clone(),
            problem,
        };
        if theme.id.is_empty()
            || !theme
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(fail(ThemeProblem::BadId));
        }
        if ids.contains(&theme.id.as_str()) {
            return Err(fail(ThemeProblem::DuplicateId));
        }
        ids.push(&theme.id);
        if theme.name.trim().is_empty() {
            return Err(fail(ThemeProblem::EmptyName));
        }
        let c = &theme.colors;
        for (field, value) in [
            ("background", &c.background),
            ("text", &c.text),
            ("accent", &c.accent),
        ] {
            if !is_hex_color(value) {
                return Err(fail(ThemeProblem::BadColor {
                    field: field.to_owned(),
                    value: value.clone(),
                }));
            }
        }
        for (field, family) in [
            ("heading", &theme.fonts.heading),
            ("body", &theme.fonts.body),
        ] {
            if family.trim().is_empty() {
                return Err(fail(ThemeProblem::EmptyFont(field)));
            }
        }
        for keyword in &theme.keywords {
            if keyword.is_empty() || words(keyword).join(" ") != *keyword {
                return Err(fail(ThemeProblem::BadKeyword(keyword.clone())));
            }
            if let Some(other) = owners.insert(keyword, &theme.id) {
                return Err(fail(ThemeProblem::KeywordTwice {
                    keyword: keyword.clone(),
                    other: other.to_owned(),
                }));
            }
        }
        if theme.backgrounds.is_empty() {
            return Err(fail(ThemeProblem::NoBackgrounds));
        }
        for (index, bg) in theme.backgrounds.iter().enumerate() {
            if bg.color.is_none() && bg.asset.is_none() {
                return Err(fail(ThemeProblem::EmptyBackground(index)));
            }
            if let Some(color) = &bg.color {
                if !is_hex_color(color) {
                    return Err(fail(ThemeProblem::BadColor {
                        field: format!("of background {index}"),
                        value: color.clone(),
                    }));
                }
            }
            if bg.asset.as_deref().is_some_and(|a| !is_asset_path(a)) {
                return Err(fail(ThemeProblem::BadAsset(index)));
            }
        }
        if theme.mirror_facing && theme.backgrounds.iter().all(|bg| bg.asset.is_none()) {
            return Err(fail(ThemeProblem::MirrorWithoutAsset));
        }
    }
    Ok(())
}

fn is_hex_color(s: &str) -> bool {
    s.len() == 7 && s.starts_with('#') && s[1..].chars().all(|c| c.is_ascii_hexdigit())
}

/// A relative path that cannot climb out of the assets folder.
fn is_asset_path(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('/')
        && s.split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..")
        && s.chars().all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '.' | '/' | '_')
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Library;

    fn library() -> &'static Library {
        Library::get()
    }

    #[test]
    fn the_shipped_themes_include_the_spec_ones() {
        let lib = library();
        assert!(lib.themes().len() >= 9);
        for id in [
            "everyday",
            "vacation",
            "travel",
            "birthday",
            "wedding",
            "baby",
            "graduation",
            "holiday",
            "sports",
        ] {
            assert!(lib.theme(id).is_some(), "{id}");
        }
        assert!(
            lib.themes().iter().any(|t| t.mirror_facing),
            "some theme mirrors facing pages"
        );
        assert!(lib.themes().iter().any(|t| !t.mirror_facing));
    }

    #[test]
    fn words_are_lowercase_letter_and_digit_runs() {
        assert_eq!(
            words("Emma's 5th Birthday!"),
            ["emma", "s", "5", "th", "birthday"]
        );
        assert_eq!(
            words("  Summer-vacation2024 "),
            ["summer", "vacation", "2024"]
        );
        assert_eq!(words("Noël à Paris"), ["noël", "à", "paris"]);
        assert!(words("—!?").is_empty());
    }

    #[test]
    fn themes_follow_keywords_in_names_and_tags() {
        let lib = library();
        let pick = |texts: &[&str]| lib.theme_for_keywords(texts).id.clone();
        assert_eq!(pick(&["Summer vacation 2024"]), "vacation");
        assert_eq!(pick(&["Hawaii Vacation"]), "vacation");
        assert_eq!(pick(&["Emma's 5th birthday"]), "birthday");
        assert_eq!(pick(&["Our Wedding"]), "wedding");
        assert_eq!(pick(&["Christmas holidays at Grandma's"]), "holiday");
        assert_eq!(pick(&["Class of 2024"]), "graduation");
        assert_eq!(pick(&["Road to the finals", "football", "team"]), "sports");
        assert_eq!(pick(&["Lisbon", "trip"]), "travel");
        assert_eq!(pick(&["New Year's Eve"]), "holiday");
        // Phrases do not run across texts, and words are whole words.
        assert_eq!(pick(&["new", "year"]), "everyday");
        assert_eq!(pick(&["Sunday brunch"]), "everyday");
        assert_eq!(pick(&["IMG_2041"]), "everyday");
        assert_eq!(pick(&[]), "everyday");
        assert_eq!(pick(&[""]), "everyday");
    }

    #[test]
    fn the_most_keywords_win_and_ties_go_to_the_first_listed() {
        let lib = library();
        // vacation (summer) and holiday (holiday) tie: vacation is listed first.
        assert_eq!(lib.theme_for_keywords(&["Summer holiday"]).id, "vacation");
        assert_eq!(
            lib.theme_for_keywords(&["Christmas holiday in the sun"]).id,
            "holiday"
        );
    }

    #[test]
    fn mirrored_themes_flip_left_hand_backgrounds() {
        let lib = library();
        let vacation = lib.theme("vacation").unwrap();
        assert!(vacation.mirror_facing);
        let right = vacation.background(0, PageSide::Right);
        let left = vacation.background(0, PageSide::Left);
        assert_eq!(right.asset, left.asset);
        assert_ne!(right.flip, left.flip);
        assert_eq!(
            vacation.background(vacation.backgrounds.len(), PageSide::Right),
            right,
            "indices wrap around"
        );
        let everyday = lib.default_theme();
        assert!(!everyday.mirror_facing);
        assert_eq!(
            everyday.background(0, PageSide::Left),
            everyday.background(0, PageSide::Right)
        );
    }

    fn theme(id: &str, keywords: &[&str]) -> Theme {
        Theme {
            id: id.to_owned(),
            name: id.to_owned(),
            keywords: keywords.iter().map(|k| k.to_string()).collect(),
            colors: Colors {
                background: "#ffffff".into(),
                text: "#000000".into(),
                accent: "#ff0000".into(),
            },
            fonts: Fonts {
                heading: "Inter".into(),
                body: "Inter".into(),
            },
            backgrounds: vec![Background {
                color: Some("#ffffff".into()),
                asset: None,
                flip: false,
            }],
            mirror_facing: false,
        }
    }

    fn problem(themes: &[Theme]) -> (String, ThemeProblem) {
        match validate(themes) {
            Err(LibraryError::Theme { theme, problem }) => (theme, problem),
            other => panic!("expected a theme error, got {other:?}"),
        }
    }

    #[test]
    fn broken_themes_are_refused_by_name() {
        assert!(validate(&[theme("a", &["x"]), theme("b", &["y"])]).is_ok());
        assert_eq!(
            problem(&[theme("a", &["x"]), theme("a", &["y"])]),
            ("a".into(), ThemeProblem::DuplicateId)
        );
        assert_eq!(
            problem(&[theme("a", &["beach"]), theme("b", &["beach"])]),
            (
                "b".into(),
                ThemeProblem::KeywordTwice {
                    keyword: "beach".into(),
                    other: "a".into()
                }
            )
        );
        assert_eq!(
            problem(&[theme("a", &["Beach"])]),
            ("a".into(), ThemeProblem::BadKeyword("Beach".into()))
        );
        assert_eq!(
            problem(&[theme("a", &["new  year"])]),
            ("a".into(), ThemeProblem::BadKeyword("new  year".into()))
        );
        let mut t = theme("c", &[]);
        t.colors.accent = "red".into();
        assert_eq!(
            problem(&[t]).1,
            ThemeProblem::BadColor {
                field: "accent".into(),
                value: "red".into()
            }
        );
        let mut t = theme("c", &[]);
        t.mirror_facing = true;
        assert_eq!(problem(&[t]).1, ThemeProblem::MirrorWithoutAsset);
        let mut t = theme("c", &[]);
        t.backgrounds = vec![Background {
            color: None,
            asset: Some("../secret".into()),
            flip: false,
        }];
        assert_eq!(problem(&[t]).1, ThemeProblem::BadAsset(0));
        let mut t = theme("c", &[]);
        t.backgrounds.clear();
        assert_eq!(problem(&[t]).1, ThemeProblem::NoBackgrounds);
    }

    #[test]
    fn a_library_without_the_default_theme_is_refused() {
        let themes = serde_json::to_string(&[theme("a", &[])]).unwrap();
        let err = Library::parse(&[], ("themes.json", &themes)).unwrap_err();
        assert!(matches!(err, LibraryError::NoDefaultTheme), "{err}");
    }
}
