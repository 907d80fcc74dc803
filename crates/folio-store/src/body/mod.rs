//! The store's logic, written once: each file holds one trait's body as a macro expanded
//! for `SqliteStore` and for `PgStore`. The two differ only where `Dialect` says, and in how
//! they are opened and append documents (`sqlite/`, `postgres/`).

mod invites;
pub(crate) mod jobs;
mod photo_steps;
mod photos;
mod reads;
mod renders;
mod store;
mod wall;
