//! Printing a book (SPEC §11): the checks before a render, and (later) the render itself.

pub mod preflight;
