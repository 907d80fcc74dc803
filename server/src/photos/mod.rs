//! The photo library's IO half (SPEC §9): `library` ingests into blob storage and the
//! store, handles remote photos and the JSON shape, and reads files back; `visibility`
//! decides who may see a photo and who may place one in a book.
//!
//! What a photo is, read from its bytes alone, is the `folio-media` crate; its modules are
//! re-exported here under their old paths.

pub mod library;
pub mod visibility;

pub use folio_media::{capture, colors, decode, exif_tags, meta, probe, sizes};
pub use library::{IngestError, Library, PhotoFile, RemoteInfo, RemoteSize, Source};
pub use visibility::Visibility;
