//! Typed read (doc → plain structs) and typed edit of the book document (SPEC §6, §6.4).
//!
//! The document holds a page as a Y.Map with keys `id`, `kind`, `layout`, `background`
//! (JSON object), `items` (Y.Map of item Y.Maps), `createdBy`, `auto`; an item as a Y.Map
//! with `id`, `kind`, `box` (JSON array of 5 numbers), `z`, `createdBy`, `photo` (JSON
//! object, or absent), `text` (Y.Text), `style` (JSON object), `slot` (number or null).
//! client-web's `src/schema/` mirrors this module; the fixtures in `crdt-schema/fixtures`
//! hold both to one reading.

mod edit;
mod error;
mod read;
mod types;

pub use edit::{
    add_item, add_page, create_book, edit_caption, move_item, move_page, remove_item, remove_page,
    remove_untouched_pages, resize_item, restyle_item, rotate_item, set_caption, set_page_auto,
    set_page_background, set_page_layout, set_photo, set_z,
};
pub use error::ModelError;
pub use read::read_book;
pub use types::{
    Align, Background, Book, Border, Item, ItemKind, Meta, NewItem, NewPage, Page, PageKind,
    PhotoRef, Style,
};

#[cfg(test)]
mod persons_work;
#[cfg(test)]
mod tests;
