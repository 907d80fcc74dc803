//! Printing a book (SPEC §11): the checks before a render, the render itself, and the
//! assembly of rendered parts into one print-ready PDF. The job that runs a render against
//! stored versions and blobs lives with the other jobs.

pub mod assemble;
pub mod preflight;
pub mod render;
