//! `photo_decoder`: one uploaded file's bytes through what ingest does to them before
//! anything is stored (SPEC §9): `photos::library::prepare` (header probe, pixel-count check,
//! decode under `image::Limits`, EXIF, dominant colours, EXIF orientation, Lanczos3 sizes),
//! with the EXIF reader also run on its own so that it sees every input, not only the ones
//! that decode. The pixel limit is small (`MAX_PIXELS`), so a header declaring a huge
//! canvas is refused before decoding and the fuzzer never allocates gigabytes; the decoder's
//! allocation cap is the one a node with that limit uses.

use folio_server::http::error::ApiError;
use folio_server::photos::exif_tags::read_exif;
use folio_server::photos::library::{prepare, upload_limits};
use folio_server::photos::meta::MetaError;
use folio_server::photos::probe::iso_bmff_image;
use folio_server::photos::IngestError;

/// 512×512: big enough for one generated size (256 px), small enough for fast runs.
pub const MAX_PIXELS: u64 = 512 * 512;

pub fn photo_decoder(data: &[u8]) {
    let _ = iso_bmff_image(data);
    let exif = read_exif(data);
    if let Some(gps) = exif.gps {
        assert!(
            gps.lat.abs() <= 90.0 && gps.lon.abs() <= 180.0,
            "GPS out of range: {gps:?}"
        );
    }
    if let Some(t) = exif.taken_at {
        let _ = (t.taken_at(), t.taken_at_offset(), t.utc());
    }
    let limits = upload_limits(MAX_PIXELS);
    match prepare(data, &limits) {
        Ok((meta, sizes)) => {
            assert!(
                meta.width as u64 * meta.height as u64 <= MAX_PIXELS,
                "decoded past the pixel limit: {}×{}",
                meta.width,
                meta.height
            );
            assert!(meta.width > 0 && meta.height > 0);
            let shares: f64 = meta.dominant_colors.iter().map(|c| c.share).sum();
            assert!(
                meta.dominant_colors.len() <= limits.max_colors && shares <= 1.0 + 1e-6,
                "colour shares {shares}"
            );
            serde_json::to_string(&meta).expect("photo metadata serialises");
            let long = meta.width.max(meta.height);
            for s in &sizes {
                assert!(
                    s.width.max(s.height) < long,
                    "a size {}×{} is not smaller than the {long} px original",
                    s.width,
                    s.height
                );
                assert!(!s.bytes.is_empty());
            }
        }
        Err(e) => {
            // The answer the upload gives for this file, through the API's one error map.
            let answer = ApiError::from(IngestError::Photo(e.clone()));
            let (status, code, message) = (answer.status.as_u16(), answer.code, answer.message);
            assert!(matches!(status, 413 | 415 | 422), "{e:?} answered {status}");
            assert!(!code.is_empty() && !message.is_empty());
            if let MetaError::TooManyPixels {
                width,
                height,
                max_pixels,
            } = e
            {
                assert!(width as u64 * height as u64 > max_pixels);
            }
        }
    }
}
