//! Blobs as files under one folder, written to a temporary name and renamed into place.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use bytes::Bytes;

use super::{BlobError, BlobKey, BlobRead, BlobStore};

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

    async fn put_file(&self, key: &BlobKey, source: &Path) -> Result<(), BlobError> {
        let path = self.path(key);
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        let tmp = path.with_extension(format!("tmp-{}", uuid::Uuid::new_v4()));
        let copied = async {
            tokio::fs::copy(source, &tmp).await?;
            tokio::fs::File::open(&tmp).await?.sync_all().await?;
            tokio::fs::rename(&tmp, &path).await
        }
        .await;
        if copied.is_err() {
            let _ = tokio::fs::remove_file(&tmp).await;
        }
        Ok(copied?)
    }

    async fn open(&self, key: &BlobKey) -> Result<BlobRead, BlobError> {
        let file = match tokio::fs::File::open(self.path(key)).await {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(BlobError::NotFound),
            Err(e) => return Err(e.into()),
        };
        let len = file.metadata().await?.len();
        Ok(BlobRead {
            len: Some(len),
            body: Box::pin(tokio_util::io::ReaderStream::new(file)),
        })
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
