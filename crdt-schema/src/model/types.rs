//! The plain structs of a book (SPEC §6) as the typed read returns them and the typed edits
//! take them. Their JSON is the contract shared with client-web's `src/schema/types.ts`.

use serde::{Deserialize, Serialize};

use crate::schema::{item, page, SCHEMA_VERSION};

/// A whole book: `meta` and the pages in book order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Book {
    pub meta: Meta,
    pub pages: Vec<Page>,
}

/// The book-wide fields of the `meta` root.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    pub schema: i64,
    pub title: String,
    pub product: String,
    pub theme: String,
}

impl Meta {
    /// Meta of a new book at this build's schema version.
    pub fn new(title: &str, product: &str, theme: &str) -> Meta {
        Meta {
            schema: SCHEMA_VERSION,
            title: title.to_owned(),
            product: product.to_owned(),
            theme: theme.to_owned(),
        }
    }
}

/// One page. `items` are sorted by `z`, then by id (in UTF-16 order, as JavaScript sorts),
/// so two readers of one document list them alike.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page {
    pub id: String,
    pub kind: PageKind,
    pub layout: Option<String>,
    pub background: Background,
    pub items: Vec<Item>,
    #[serde(rename = "createdBy")]
    pub created_by: String,
    pub auto: bool,
}

impl Page {
    /// Whether a person has made this page theirs: they changed it (`auto` is off), or it
    /// holds an item a person created (SPEC §15). Machine steps (automix, proactive
    /// redesign, restyles) redo only pages that are not touched.
    pub fn touched(&self) -> bool {
        !self.auto || self.items.iter().any(Item::made_by_person)
    }
}

impl Item {
    /// Whether a person (not a server-side worker) created this item.
    pub fn made_by_person(&self) -> bool {
        self.created_by != crate::schema::SYSTEM_USER
    }
}

/// What a page is for. Serialises as the kind strings of [`crate::schema::page::KINDS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "&'static str", try_from = "String")]
pub enum PageKind {
    FrontCover,
    BackCover,
    Spine,
    InsideFront,
    InsideBack,
    Page,
}

impl PageKind {
    /// In the order of [`crate::schema::page::KINDS`].
    pub const ALL: [PageKind; 6] = [
        PageKind::FrontCover,
        PageKind::BackCover,
        PageKind::Spine,
        PageKind::InsideFront,
        PageKind::InsideBack,
        PageKind::Page,
    ];

    pub fn as_str(self) -> &'static str {
        page::KINDS[self as usize]
    }

    pub fn parse(s: &str) -> Option<PageKind> {
        page::KINDS
            .iter()
            .position(|k| *k == s)
            .map(|i| PageKind::ALL[i])
    }
}

/// What an item is. Serialises as the kind strings of [`crate::schema::item::KINDS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "&'static str", try_from = "String")]
pub enum ItemKind {
    Photo,
    Text,
    Sticker,
    Shape,
}

impl ItemKind {
    /// In the order of [`crate::schema::item::KINDS`].
    pub const ALL: [ItemKind; 4] = [
        ItemKind::Photo,
        ItemKind::Text,
        ItemKind::Sticker,
        ItemKind::Shape,
    ];

    pub fn as_str(self) -> &'static str {
        item::KINDS[self as usize]
    }

    pub fn parse(s: &str) -> Option<ItemKind> {
        item::KINDS
            .iter()
            .position(|k| *k == s)
            .map(|i| ItemKind::ALL[i])
    }
}

macro_rules! kind_serde {
    ($kind:ty, $what:literal) => {
        impl From<$kind> for &'static str {
            fn from(kind: $kind) -> &'static str {
                kind.as_str()
            }
        }

        impl TryFrom<String> for $kind {
            type Error = String;

            fn try_from(s: String) -> Result<Self, String> {
                <$kind>::parse(&s).ok_or_else(|| format!("unknown {} kind {s:?}", $what))
            }
        }
    };
}
kind_serde!(PageKind, "page");
kind_serde!(ItemKind, "item");

/// A page's background: a colour, an asset (a photo id), and whether the asset is mirrored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Background {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asset: Option<String>,
    #[serde(default)]
    pub flip: bool,
}

/// One item on a page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub id: String,
    pub kind: ItemKind,
    /// `[x, y, w, h, rot]` relative to the page (SPEC §6.1).
    #[serde(rename = "box")]
    pub bbox: [f64; 5],
    pub z: f64,
    #[serde(rename = "createdBy")]
    pub created_by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo: Option<PhotoRef>,
    /// The content of the item's Y.Text (a text item's text or a caption).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default)]
    pub style: Style,
    pub slot: Option<u32>,
}

/// A new item is written exactly as it will read back.
pub type NewItem = Item;

/// The photo shown by a photo item, and where it sits inside the item's box.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhotoRef {
    pub id: String,
    pub pan: [f64; 2],
    pub zoom: f64,
}

/// An item's look. Every field is optional; an absent one means the theme's default.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Style {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub font: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub align: Option<Align>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opacity: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shadow: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub border: Option<Border>,
    /// A frame id from the theme.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame: Option<String>,
}

/// Horizontal alignment of text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Align {
    Left,
    Center,
    Right,
    Justify,
}

impl Align {
    pub const ALL: [Align; 4] = [Align::Left, Align::Center, Align::Right, Align::Justify];

    pub fn as_str(self) -> &'static str {
        match self {
            Align::Left => "left",
            Align::Center => "center",
            Align::Right => "right",
            Align::Justify => "justify",
        }
    }

    pub fn parse(s: &str) -> Option<Align> {
        Align::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// A line around an item; `width` is a fraction of the page width, like the box.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Border {
    pub width: f64,
    pub color: String,
}

/// What [`super::add_page`] writes. A page starts with no items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewPage {
    pub id: String,
    pub kind: PageKind,
    pub layout: Option<String>,
    #[serde(default)]
    pub background: Background,
    #[serde(rename = "createdBy")]
    pub created_by: String,
    #[serde(default)]
    pub auto: bool,
}
