//! Blobs as files under one folder, written to a temporary name and renamed into place.

use std::path::PathBuf;

use async_trait::async_trait;
use bytes::Bytes;

use super::{BlobError, BlobKey, BlobStore};

pub struct LocalBlobStore {
    root: PathBuf,
}

impl LocalBlobStore {
    pub async fn open(root: PathBuf) -> std::io::Result<LocalBlobStore> {
        tokio::fs::create_dir_all(&root).await?;
        Ok(LocalBlobStore { root })
    }

    fn path(&self, key: &BlobKey) -> PathBuf {
        self.root.join(key.as_str())
    }
}

#[async_trait]
impl BlobStore for LocalBlobStore {
    async fn put(&self, key: &BlobKey, data: Bytes) -> Result<(), BlobError> {
        let path = self.path(key);
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        let tmp = path.with_extension(format!("tmp-{}", uuid::Uuid::new_v4()));
        tokio::fs::write(&tmp, &data).await?;
        let file = tokio::fs::File::open(&tmp).await?;
        file.sync_all().await?;
        tokio::fs::rename(&tmp, &path).await?;
        Ok(())
    }

    async fn get(&self, key: &BlobKey) -> Result<Bytes, BlobError> {
        match tokio::fs::read(self.path(key)).await {
            Ok(v) => Ok(Bytes::from(v)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(BlobError::NotFound),
            Err(e) => Err(e.into()),
        }
    }

    async fn delete(&self, key: &BlobKey) -> Result<(), BlobError> {
        match tokio::fs::remove_file(self.path(key)).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn put_get_delete_round_trip() {
        let dir = std::env::temp_dir().join(format!("folio-blob-{}", uuid::Uuid::new_v4()));
        let store = LocalBlobStore::open(dir.clone()).await.unwrap();
        let key = BlobKey::new("snapshots", uuid::Uuid::new_v4(), "doc");
        assert!(matches!(store.get(&key).await, Err(BlobError::NotFound)));
        store.put(&key, Bytes::from_static(b"hello")).await.unwrap();
        assert_eq!(store.get(&key).await.unwrap(), Bytes::from_static(b"hello"));
        store.delete(&key).await.unwrap();
        assert!(matches!(store.get(&key).await, Err(BlobError::NotFound)));
        let _ = std::fs::remove_dir_all(dir);
    }
}
