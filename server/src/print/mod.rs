//! Printing a book (SPEC §11). The pure part (preflight, render, assembly) is the
//! `folio-print` crate, re-exported here; `job` runs a render as a background job.

pub use crate::jobs::render as job;
pub use folio_print::{assemble, preflight, render};
