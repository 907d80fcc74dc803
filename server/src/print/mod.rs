//! Printing a book (SPEC §11): the checks before a render, and the render itself.

pub mod assemble;
pub mod job;
pub mod preflight;
pub mod render;
