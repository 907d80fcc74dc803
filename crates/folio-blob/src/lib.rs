//! Blob storage (snapshots, photos, PDFs) behind one small trait. Keys come only from ids.

mod local;
mod s3;

use std::path::Path;
use std::pin::Pin;

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::Stream;

pub use local::LocalBlobStore;
pub use s3::{S3BlobStore, S3Settings};

/// A blob key. It can only be built from ids and fixed words, never from a user's string,
/// so no key can climb out of its folder or name another user's file.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BlobKey(String);

impl BlobKey {
    /// `kind/<uuid>/<part>` where `kind` and `part` are fixed by the caller's code.
    pub fn new(kind: &'static str, id: uuid::Uuid, part: &'static str) -> BlobKey {
        debug_assert!(is_word(kind) && is_word(part));
        BlobKey(format!("{kind}/{id}/{part}"))
    }

    /// `kind/<uuid>/<part>-<n>`: one of a numbered series (a render's page previews).
    pub fn numbered(kind: &'static str, id: uuid::Uuid, part: &'static str, n: usize) -> BlobKey {
        debug_assert!(is_word(kind) && is_word(part));
        BlobKey(format!("{kind}/{id}/{part}-{n}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_word(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        && s != "."
        && s != ".."
}

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("blob not found")]
    NotFound,
    #[error("blob io: {0}")]
    Io(#[from] std::io::Error),
    /// The remote store failed: names the operation, the bucket, the key and the cause.
    #[error("blob store: {0}")]
    Backend(String),
}

/// A blob read as it arrives, for blobs too big to hold (a book's PDF).
pub struct BlobRead {
    /// The blob's size when the store knows it.
    pub len: Option<u64>,
    pub body: Pin<Box<dyn Stream<Item = Result<Bytes, std::io::Error>> + Send>>,
}

#[async_trait]
pub trait BlobStore: Send + Sync + 'static {
    /// Writes the whole blob; a reader never sees a partial one.
    async fn put(&self, key: &BlobKey, data: Bytes) -> Result<(), BlobError>;
    async fn get(&self, key: &BlobKey) -> Result<Bytes, BlobError>;
    async fn delete(&self, key: &BlobKey) -> Result<(), BlobError>;

    /// Writes the file at `path` as the blob, like [`put`](Self::put), without reading it
    /// into memory (where the store can).
    async fn put_file(&self, key: &BlobKey, path: &Path) -> Result<(), BlobError> {
        let data = tokio::fs::read(path).await?;
        self.put(key, Bytes::from(data)).await
    }

    /// Reads the blob as a stream of chunks (where the store can; else all at once).
    async fn open(&self, key: &BlobKey) -> Result<BlobRead, BlobError> {
        let data = self.get(key).await?;
        Ok(BlobRead {
            len: Some(data.len() as u64),
            body: Box::pin(futures_util::stream::once(async move { Ok(data) })),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_built_from_ids_only() {
        let id = uuid::Uuid::nil();
        assert_eq!(
            BlobKey::new("snapshots", id, "doc").as_str(),
            "snapshots/00000000-0000-0000-0000-000000000000/doc"
        );
        assert!(!is_word(".."));
        assert!(!is_word("a/b"));
    }
}
