//! Why a typed read or edit of the book document failed.

/// An error of the typed model. `at` names the place: `meta`, `page <id>` (or `page #<n>`
/// before its id is known) or `item <id> on page <id>`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelError {
    #[error("{at}: required field `{field}` is missing")]
    MissingField { at: String, field: String },
    #[error("{at}: field `{field}` should be {expected}")]
    WrongType {
        at: String,
        field: String,
        expected: &'static str,
    },
    #[error("the book has schema version {found}; this build reads up to {supported}")]
    NewerSchema { found: i64, supported: i64 },
    #[error("no page with id {0}")]
    UnknownPage(String),
    #[error("no item with id {item} on page {page}")]
    UnknownItem { page: String, item: String },
    #[error("a page with id {0} already exists")]
    PageExists(String),
    #[error("an item with id {item} already exists on page {page}")]
    ItemExists { page: String, item: String },
    #[error("page index {index} is out of range: the book has {len} pages")]
    PageIndex { index: u32, len: u32 },
    #[error(
        "box value {index} ({value}) must be finite, within ±{limit}, and not a negative size"
    )]
    BadBox {
        index: usize,
        value: f64,
        limit: f64,
    },
    #[error("text range {index}+{delete_len} does not fit a text of {len} UTF-16 units or splits a character")]
    TextRange {
        index: u32,
        delete_len: u32,
        len: u32,
    },
    #[error("text of {len} UTF-16 units is over the limit of {limit}")]
    TextTooLong { len: usize, limit: u32 },
}
