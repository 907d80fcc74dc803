//! The photo library's IO half: ingest (read, size, store), remote registration, the
//! SPEC §4 `photo` JSON, and reading its files back. Who may see a photo is `visibility.rs`.
//!
//! An ingest writes the blobs first and the row last, in that order, so a reader never finds
//! a row whose files are missing; a failure after some blobs were written deletes them again.
//! Decoding and resizing run on the blocking pool, at most `decoders` at a time per node:
//! that, and reading one file at a time, is what keeps an upload's memory flat whatever the
//! number of files in it.

use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use tokio::sync::Semaphore;

use super::decode::orient;
use super::meta::{read_photo, MetaError, MetaLimits, PhotoMeta, Shape};
use super::probe::PhotoFormat;
use super::sizes::{renditions, Rendition};
use super::visibility::Visibility;
use crate::blob::{BlobError, BlobKey, BlobStore};
use crate::ids::{PhotoId, UserId};
use crate::store::{PhotoRecord, Store, StoreError};

/// Why one file did not become a photo.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    Photo(#[from] MetaError),
    #[error("the file is larger than the {limit} bytes allowed per file")]
    FileTooLarge { limit: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Blob(#[from] BlobError),
    #[error("the photo worker stopped: {0}")]
    Worker(String),
}

/// Where a stored size of a photo lives: `photos/<id>/<part>`.
fn blob_key(id: PhotoId, part: &str) -> Option<BlobKey> {
    let part: &'static str = match part {
        "256" => "256",
        "1024" => "1024",
        "2048" => "2048",
        "original" => "original",
        _ => return None,
    };
    Some(BlobKey::new("photos", id.0, part))
}

fn part_for_edge(edge: u32) -> &'static str {
    match edge {
        256 => "256",
        1024 => "1024",
        _ => "2048",
    }
}

/// A partner-given size of a remote photo (seed 004's size array).
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RemoteSize {
    pub w: u32,
    pub h: u32,
    pub url: String,
}

/// Most sizes a remote photo may list.
pub const MAX_REMOTE_SIZES: usize = 16;

/// Checks a partner size array and sorts it ascending by area. All sizes must share one
/// aspect ratio: within 1 %, or within a pixel of rounding for small sizes.
pub fn check_remote_sizes(mut sizes: Vec<RemoteSize>) -> Result<Vec<RemoteSize>, String> {
    if sizes.is_empty() || sizes.len() > MAX_REMOTE_SIZES {
        return Err(format!(
            "a remote photo needs 1 to {MAX_REMOTE_SIZES} sizes"
        ));
    }
    for s in &sizes {
        if s.w == 0 || s.h == 0 || s.w > 100_000 || s.h > 100_000 {
            return Err(format!(
                "size {}×{} is out of range: each side is 1 to 100000 px",
                s.w, s.h
            ));
        }
        let scheme_ok = s.url.starts_with("https://") || s.url.starts_with("http://");
        if !scheme_ok
            || s.url.len() > 2048
            || s.url.chars().any(|c| c.is_control() || c.is_whitespace())
        {
            return Err(format!(
                "{:?} is not an http(s) URL of at most 2048 characters",
                s.url
            ));
        }
    }
    sizes.sort_by_key(|s| (s.w as u64 * s.h as u64, s.w));
    let largest = sizes.last().expect("non-empty").clone();
    let ratio = largest.w as f64 / largest.h as f64;
    for s in &sizes {
        // The width this height would have at the largest size's ratio.
        let expected = s.h as f64 * ratio;
        if (s.w as f64 - expected).abs() > 1.0 + 0.01 * expected {
            return Err(format!(
                "size {}×{} does not have the aspect ratio of {}×{}; every size of a photo shows the same picture",
                s.w, s.h, largest.w, largest.h
            ));
        }
    }
    Ok(sizes)
}

/// The metadata of a photo as SPEC §4 names it, without the id, owner, name, tags and URLs
/// (those come from the row).
fn upload_meta(
    meta: &super::meta::PhotoMeta,
    bytes: usize,
    sizes: &[(u32, u32, &'static str, PhotoFormat)],
) -> Value {
    json!({
        "format": meta.format,
        "width": meta.width,
        "height": meta.height,
        "orientation": meta.orientation,
        "shape": meta.shape,
        "taken_at": meta.taken_at.map(|t| t.taken_at()),
        "taken_at_offset": meta.taken_at.and_then(|t| t.taken_at_offset()),
        "gps": meta.gps,
        "camera": meta.camera,
        "dominant_colors": meta.dominant_colors,
        "bytes": bytes,
        "sizes": sizes.iter().map(|(w, h, part, format)| json!({ "w": w, "h": h, "part": part, "format": format })).collect::<Vec<_>>(),
    })
}

/// What a partner may say about a remote photo besides its sizes.
#[derive(Debug, Clone, Default)]
pub struct RemoteInfo {
    pub taken_at: Option<String>,
    pub taken_at_offset: Option<String>,
    pub gps: Option<(f64, f64)>,
    pub camera: Option<String>,
}

/// An uploaded file as it arrived: in memory, or spooled to a temporary file on disk while
/// the request streamed in.
pub enum Source {
    Memory(Vec<u8>),
    Spooled(std::fs::File),
}

impl Source {
    fn read(self) -> std::io::Result<Vec<u8>> {
        use std::io::{Read, Seek};
        match self {
            Source::Memory(b) => Ok(b),
            Source::Spooled(mut f) => {
                let len = f.seek(std::io::SeekFrom::End(0))?;
                f.rewind()?;
                let mut bytes = Vec::with_capacity(len as usize);
                f.read_to_end(&mut bytes)?;
                Ok(bytes)
            }
        }
    }
}

/// One stored size as the file endpoint serves it.
pub enum PhotoFile {
    Stored {
        bytes: Bytes,
        content_type: &'static str,
    },
    /// A remote photo's size lives at the partner: the client is sent there.
    Remote { url: String },
}

/// The limits an upload is read under, for a node that accepts `max_pixels` per photo.
pub fn upload_limits(max_pixels: u64) -> MetaLimits {
    // The decoder may allocate for the largest allowed picture in RGBA at 16 bits, with room.
    MetaLimits {
        max_pixels,
        max_alloc_bytes: max_pixels.saturating_mul(8).max(64 << 20),
        max_colors: 8,
    }
}

/// All that ingest makes of an uploaded file's bytes before anything is stored: its
/// metadata (header probe, pixel limit, decode, EXIF, colours) and its sizes, made from the
/// upright pixels. Pure; the fuzz target `photo_decoder` runs exactly this.
pub fn prepare(
    bytes: &[u8],
    limits: &MetaLimits,
) -> Result<(PhotoMeta, Vec<Rendition>), MetaError> {
    let decoded = read_photo(bytes, limits)?;
    let upright = orient(decoded.pixels, decoded.meta.orientation);
    let sizes = renditions(&upright)?;
    Ok((decoded.meta, sizes))
}

#[derive(Clone)]
pub struct Library {
    store: Arc<dyn Store>,
    blobs: Arc<dyn BlobStore>,
    limits: MetaLimits,
    decoders: Arc<Semaphore>,
    visibility: Visibility,
}

impl Library {
    pub fn new(
        store: Arc<dyn Store>,
        blobs: Arc<dyn BlobStore>,
        max_pixels: u64,
        decoders: usize,
    ) -> Library {
        let decoders = if decoders == 0 {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        } else {
            decoders
        };
        Library {
            visibility: Visibility::new(store.clone()),
            store,
            blobs,
            limits: upload_limits(max_pixels),
            decoders: Arc::new(Semaphore::new(decoders)),
        }
    }

    /// Reads, sizes and stores one uploaded file as a photo of `owner`. The file is read
    /// into memory only once a decoder slot is free.
    pub async fn ingest(
        &self,
        owner: UserId,
        name: &str,
        source: Source,
        now: DateTime<Utc>,
    ) -> Result<PhotoRecord, IngestError> {
        let limits = self.limits;
        let (meta, sizes, original) = {
            let _slot = self
                .decoders
                .acquire()
                .await
                .map_err(|e| IngestError::Worker(e.to_string()))?;
            tokio::task::spawn_blocking(move || -> Result<_, IngestError> {
                let bytes = source
                    .read()
                    .map_err(|e| IngestError::Blob(BlobError::Io(e)))?;
                let (meta, sizes) = prepare(&bytes, &limits)?;
                Ok((meta, sizes, bytes))
            })
            .await
            .map_err(|e| IngestError::Worker(e.to_string()))??
        };
        let id = PhotoId::new();
        let mut listed = Vec::new();
        let mut files = Vec::new();
        for r in sizes {
            let part = part_for_edge(r.width.max(r.height));
            listed.push((r.width, r.height, part, r.format));
            files.push((part, Bytes::from(r.bytes)));
        }
        listed.push((meta.width, meta.height, "original", meta.format));
        let size = original.len();
        files.push(("original", Bytes::from(original)));

        let mut written = Vec::new();
        for (part, data) in files {
            let key = blob_key(id, part).expect("known part");
            if let Err(e) = self.blobs.put(&key, data).await {
                self.forget_blobs(&written).await;
                return Err(e.into());
            }
            written.push(key);
        }
        let record = PhotoRecord {
            id,
            owner_id: owner,
            name: name.to_owned(),
            remote: false,
            meta: upload_meta(&meta, size, &listed),
            created_at: now,
            tags: Vec::new(),
        };
        if let Err(e) = self.store.insert_photo(&record).await {
            self.forget_blobs(&written).await;
            return Err(e.into());
        }
        Ok(record)
    }

    /// Removes an ingested photo again, row and files (a request that fails as a whole
    /// keeps nothing of its files).
    pub async fn discard(&self, record: &PhotoRecord) {
        if let Err(e) = self.store.delete_photo(record.id).await {
            tracing::warn!(photo = %record.id, error = %e, "could not delete a discarded photo");
        }
        let keys: Vec<BlobKey> = record.meta["sizes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s["part"].as_str().and_then(|p| blob_key(record.id, p)))
            .collect();
        self.forget_blobs(&keys).await;
    }

    async fn forget_blobs(&self, keys: &[BlobKey]) {
        for key in keys {
            if let Err(e) = self.blobs.delete(key).await {
                tracing::warn!(key = key.as_str(), error = %e, "could not delete the blob of a failed ingest; it is orphaned");
            }
        }
    }

    /// Registers a photo that lives at a partner, from its size array. Nothing is fetched.
    pub async fn register_remote(
        &self,
        owner: UserId,
        name: &str,
        sizes: Vec<RemoteSize>,
        info: RemoteInfo,
        now: DateTime<Utc>,
    ) -> Result<PhotoRecord, StoreError> {
        let largest = sizes.last().expect("checked non-empty").clone();
        let meta = json!({
            "format": "remote",
            "width": largest.w,
            "height": largest.h,
            "orientation": 1,
            "shape": Shape::of(largest.w, largest.h),
            "taken_at": info.taken_at,
            "taken_at_offset": info.taken_at_offset,
            "gps": info.gps.map(|(lat, lon)| json!({ "lat": lat, "lon": lon })),
            "camera": info.camera,
            "dominant_colors": [],
            "bytes": 0,
            "sizes": sizes,
        });
        let record = PhotoRecord {
            id: PhotoId::new(),
            owner_id: owner,
            name: name.to_owned(),
            remote: true,
            meta,
            created_at: now,
            tags: Vec::new(),
        };
        self.store.insert_photo(&record).await?;
        Ok(record)
    }

    /// The SPEC §4 `photo`.
    pub fn to_json(record: &PhotoRecord) -> Value {
        let mut photo = record.meta.clone();
        let sizes: Vec<Value> = record.meta["sizes"]
            .as_array()
            .map(|list| {
                list.iter()
                    .enumerate()
                    .map(|(i, s)| {
                        let url = if record.remote {
                            s["url"].clone()
                        } else {
                            json!(format!("/api/photos/{}/file?size={i}", record.id))
                        };
                        json!({ "w": s["w"], "h": s["h"], "url": url })
                    })
                    .collect()
            })
            .unwrap_or_default();
        if let Some(obj) = photo.as_object_mut() {
            obj.insert("id".into(), json!(record.id));
            obj.insert("owner_id".into(), json!(record.owner_id));
            obj.insert("name".into(), json!(record.name));
            obj.insert("tags".into(), json!(record.tags));
            obj.insert("remote".into(), json!(record.remote));
            obj.insert("created_at".into(), json!(record.created_at));
            obj.insert("sizes".into(), Value::Array(sizes));
        }
        photo
    }

    /// A stored size (`None`: the original, the last size) of a photo; `Ok(None)` when the
    /// photo has no such size.
    pub async fn file(
        &self,
        record: &PhotoRecord,
        size: Option<usize>,
    ) -> Result<Option<PhotoFile>, BlobError> {
        let Some(sizes) = record.meta["sizes"].as_array() else {
            return Ok(None);
        };
        let Some(entry) = (match size {
            Some(i) => sizes.get(i),
            None => sizes.last(),
        }) else {
            return Ok(None);
        };
        if record.remote {
            return Ok(entry["url"]
                .as_str()
                .map(|u| PhotoFile::Remote { url: u.to_owned() }));
        }
        let Some(key) = entry["part"].as_str().and_then(|p| blob_key(record.id, p)) else {
            return Ok(None);
        };
        let content_type = match entry["format"].as_str() {
            Some("png") => "image/png",
            Some("webp") => "image/webp",
            _ => "image/jpeg",
        };
        let bytes = self.blobs.get(&key).await?;
        Ok(Some(PhotoFile::Stored {
            bytes,
            content_type,
        }))
    }

    /// Whether `user` may see the photo (`visibility.rs` says who may).
    pub async fn can_see(&self, user: UserId, record: &PhotoRecord) -> Result<bool, StoreError> {
        self.visibility.can_see(user, record).await
    }

    /// Who may see and place photos, with this node's memory of what books place.
    pub fn visibility(&self) -> &Visibility {
        &self.visibility
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn size(w: u32, h: u32) -> RemoteSize {
        RemoteSize {
            w,
            h,
            url: format!("https://partner.example/p/{w}"),
        }
    }

    #[test]
    fn remote_sizes_are_sorted_and_share_one_aspect_ratio() {
        let sorted =
            check_remote_sizes(vec![size(3000, 2000), size(150, 100), size(1024, 683)]).unwrap();
        assert_eq!(
            sorted.iter().map(|s| s.w).collect::<Vec<_>>(),
            vec![150, 1024, 3000]
        );
        assert!(check_remote_sizes(vec![size(3000, 2000), size(100, 100)])
            .unwrap_err()
            .contains("aspect ratio"));
        assert!(check_remote_sizes(vec![]).is_err());
        assert!(check_remote_sizes(vec![RemoteSize {
            w: 10,
            h: 10,
            url: "file:///etc/passwd".into()
        }])
        .unwrap_err()
        .contains("http"));
        assert!(check_remote_sizes(vec![size(0, 10)]).is_err());
    }
}
