//! The photo library's pure core (SPEC §9): what a photo is, read from its bytes alone. No
//! HTTP, database, blob storage, clock or randomness here; the upload endpoint and the size
//! pipeline in the server build on these functions.
//!
//! - `probe`: format and declared pixel size from the header, so a decompression bomb is
//!   refused before any pixel is decoded;
//! - `decode`: decoding under explicit limits, and EXIF orientation applied to pixels;
//! - `exif_tags` and `capture`: capture time, GPS, orientation and camera from EXIF;
//! - `colors`: dominant colours in CIELAB by seeded k-means;
//! - `meta`: the `PhotoMeta` of one file, and its error type;
//! - `sizes`: the generated sizes (Lanczos3), pure as well.

pub mod capture;
pub mod colors;
pub mod decode;
pub mod exif_tags;
pub mod meta;
pub mod probe;
pub mod sizes;
