//! The Folio book document (SPEC §6) on yrs: its roots, products, and update checks.
//!
//! This crate does no IO and never reads the clock or makes random ids: time, ids and
//! client ids are passed in (STYLE.md habit 2).

pub mod doc;
pub mod products;

pub use doc::{meta_title, new_book, set_meta, update_carries_news, update_inserts_news, SCHEMA_VERSION};
pub use products::{product, AspectGroup, Product, DEFAULT_PRODUCT, PRODUCTS};
