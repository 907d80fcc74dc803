//! The Folio book document (SPEC §6) on yrs: its schema, typed read and edit, validation of
//! incoming updates, and the geometry of products and pages.
//!
//! This crate does no IO and never reads the clock or makes random ids: time, ids and
//! client ids are passed in (STYLE.md habit 2).

pub mod doc;
pub mod geometry;
pub mod model;
pub mod products;
pub mod restore;
pub mod schema;
pub mod validate;

pub use doc::{meta_title, new_book, set_meta, update_carries_news, update_inserts_news};
pub use products::{product, AspectGroup, Product, DEFAULT_PRODUCT, PRODUCTS};
pub use schema::SCHEMA_VERSION;
