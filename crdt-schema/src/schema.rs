//! The names, kinds and limits of the book document (SPEC §6), shared by the typed model,
//! the validator and (mirrored by hand) the TypeScript schema in client-web.

/// Root map of book-wide fields.
pub const ROOT_META: &str = "meta";
/// Root array of page maps, in book order.
pub const ROOT_PAGES: &str = "pages";

/// Keys of `meta`.
pub mod meta {
    pub const SCHEMA: &str = "schema";
    pub const TITLE: &str = "title";
    pub const PRODUCT: &str = "product";
    pub const THEME: &str = "theme";
    pub const ALL: [&str; 4] = [SCHEMA, TITLE, PRODUCT, THEME];
}

/// Keys of a page map.
pub mod page {
    pub const ID: &str = "id";
    pub const KIND: &str = "kind";
    pub const LAYOUT: &str = "layout";
    pub const BACKGROUND: &str = "background";
    pub const ITEMS: &str = "items";
    pub const CREATED_BY: &str = "createdBy";
    pub const AUTO: &str = "auto";
    pub const ALL: [&str; 7] = [ID, KIND, LAYOUT, BACKGROUND, ITEMS, CREATED_BY, AUTO];
    pub const KINDS: [&str; 6] = [
        "front-cover",
        "back-cover",
        "spine",
        "inside-front",
        "inside-back",
        "page",
    ];
}

/// Keys of an item map.
pub mod item {
    pub const ID: &str = "id";
    pub const KIND: &str = "kind";
    pub const BOX: &str = "box";
    pub const Z: &str = "z";
    pub const CREATED_BY: &str = "createdBy";
    pub const PHOTO: &str = "photo";
    pub const TEXT: &str = "text";
    pub const STYLE: &str = "style";
    pub const SLOT: &str = "slot";
    pub const ALL: [&str; 9] = [ID, KIND, BOX, Z, CREATED_BY, PHOTO, TEXT, STYLE, SLOT];
    pub const KINDS: [&str; 4] = ["photo", "text", "sticker", "shape"];
    /// Keys allowed inside the `style` JSON object.
    pub const STYLE_KEYS: [&str; 8] = [
        "font", "size", "color", "align", "opacity", "shadow", "border", "frame",
    ];
}

/// The schema version this build reads and writes.
pub const SCHEMA_VERSION: i64 = 1;

/// `x`, `y`, `w` and `h` of a `box` lie within ±BOX_LIMIT (SPEC §6.3 rule 2).
pub const BOX_LIMIT: f64 = 10.0;
/// `rot` of a `box` lies within ±ROT_LIMIT degrees (SPEC §6.3 rule 2, corrected).
pub const ROT_LIMIT: f64 = 360.0;

/// The bound on the `index`th number of a box (0 = x … 4 = rot).
pub const fn box_limit(index: usize) -> f64 {
    if index == 4 {
        ROT_LIMIT
    } else {
        BOX_LIMIT
    }
}

/// Every Yjs clock an update names stays below this (`clock + len` included), far above
/// any real editing history and far from the 2³² where yrs' clock arithmetic overflows.
pub const MAX_CLOCK: u32 = 1 << 31;

/// Longest plain string field (ids, kinds, titles, colours, …), in bytes.
pub const MAX_STRING_BYTES: usize = 2048;
/// Longest Y.Text (a caption or text box), in UTF-16 units as Yjs counts them.
pub const MAX_TEXT_LEN: u32 = 20_000;
/// Largest single update accepted from a client, in bytes.
pub const MAX_UPDATE_BYTES: usize = 2 * 1024 * 1024;

/// The user id server-side workers write as (SPEC §6.3 rule 5).
pub const SYSTEM_USER: &str = "00000000-0000-0000-0000-000000000000";
