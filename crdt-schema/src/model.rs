//! Typed read (doc → plain structs) and typed edit of the book document.
