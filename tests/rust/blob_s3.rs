//! Blob storage: the same checks on the local folder and on S3 (a real s3s-fs server), then
//! the S3 failures an operator meets: a wrong secret, a dead endpoint, a missing bucket.

use std::time::Duration;

use bytes::Bytes;
use folio_server::blob::{BlobError, BlobKey, BlobStore, LocalBlobStore, S3BlobStore, S3Settings};
use folio_server::config::Config;
use folio_tests::s3::S3Server;
use futures_util::TryStreamExt;
use rand::RngCore;

/// Generous: the store's own timeouts must end a failure long before this.
const GUARD: Duration = Duration::from_secs(60);

fn new_key() -> BlobKey {
    BlobKey::new("photos", uuid::Uuid::new_v4(), "original")
}

async fn guarded<T>(what: &str, fut: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(GUARD, fut)
        .await
        .unwrap_or_else(|_| panic!("{what} hung for {}s", GUARD.as_secs()))
}

/// Put, overwrite, get and delete a multi-MB blob; then the same through a file and a stream.
async fn check_round_trip(store: &dyn BlobStore) {
    let key = new_key();
    let mut data = vec![0u8; 5 * 1024 * 1024 + 17];
    rand::rng().fill_bytes(&mut data);
    let data = Bytes::from(data);
    guarded("put", store.put(&key, Bytes::from_static(b"first")))
        .await
        .expect("put small");
    guarded("put", store.put(&key, data.clone()))
        .await
        .expect("put 5 MiB");
    let back = guarded("get", store.get(&key)).await.expect("get");
    assert_eq!(back.len(), data.len());
    assert!(
        back == data,
        "the blob read back differs from the one written"
    );
    guarded("delete", store.delete(&key)).await.expect("delete");
    assert!(
        matches!(
            guarded("get", store.get(&key)).await,
            Err(BlobError::NotFound)
        ),
        "a deleted blob is gone"
    );

    // A file goes in without being read into memory and comes back as a stream of chunks.
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &data).unwrap();
    guarded("put_file", store.put_file(&key, file.path()))
        .await
        .expect("put_file");
    let read = guarded("open", store.open(&key)).await.expect("open");
    assert_eq!(read.len, Some(data.len() as u64));
    let chunks: Vec<Bytes> = guarded("stream", read.body.try_collect())
        .await
        .expect("read the stream");
    assert!(
        chunks.len() > 1,
        "a 5 MiB blob arrives in more than one chunk"
    );
    assert!(
        chunks.concat() == data,
        "the streamed blob differs from the file written"
    );
    guarded("delete", store.delete(&key)).await.expect("delete");
    assert!(
        matches!(
            guarded("open", store.open(&key)).await,
            Err(BlobError::NotFound)
        ),
        "a deleted blob cannot be opened"
    );
}

/// A key never written reads as NotFound, and deleting it is not an error.
async fn check_missing(store: &dyn BlobStore) {
    let key = new_key();
    match guarded("get", store.get(&key)).await {
        Err(BlobError::NotFound) => {}
        other => panic!("expected NotFound, got {other:?}"),
    }
    guarded("delete", store.delete(&key))
        .await
        .expect("deleting a missing blob is fine");
}

async fn local_store() -> (LocalBlobStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    (
        LocalBlobStore::open(dir.path().join("blobs"))
            .await
            .expect("open local store"),
        dir,
    )
}

/// An S3 store on `server` with the test config, after `tweak`.
async fn s3_store(server: &S3Server, tweak: impl FnOnce(&mut Config)) -> S3BlobStore {
    let mut cfg = Config::test("unused");
    server.configure(&mut cfg);
    tweak(&mut cfg);
    S3BlobStore::new(
        S3Settings::from_config(&cfg)
            .expect("settings")
            .expect("a bucket is set"),
    )
    .await
}

fn backend_message(result: Result<impl std::fmt::Debug, BlobError>) -> String {
    match result {
        Err(BlobError::Backend(msg)) => msg,
        other => panic!("expected a backend error, got {other:?}"),
    }
}

#[tokio::test]
async fn local_round_trip() {
    let (store, _dir) = local_store().await;
    check_round_trip(&store).await;
}

#[tokio::test]
async fn local_missing_is_not_found() {
    let (store, _dir) = local_store().await;
    check_missing(&store).await;
}

#[tokio::test]
async fn s3_round_trip() {
    let Some(server) = S3Server::start().await else {
        return;
    };
    let store = s3_store(&server, |_| {}).await;
    guarded("head bucket", store.check_bucket())
        .await
        .expect("the bucket is reachable");
    check_round_trip(&store).await;
}

#[tokio::test]
async fn s3_missing_is_not_found() {
    let Some(server) = S3Server::start().await else {
        return;
    };
    let store = s3_store(&server, |_| {}).await;
    check_missing(&store).await;
}

#[tokio::test]
async fn s3_wrong_secret_is_a_clear_error() {
    let Some(server) = S3Server::start().await else {
        return;
    };
    let store = s3_store(&server, |cfg| {
        cfg.s3_secret_access_key = Some("not-the-secret".into())
    })
    .await;
    let key = new_key();
    let msg = backend_message(guarded("put", store.put(&key, Bytes::from_static(b"x"))).await);
    assert!(
        msg.contains("put") && msg.contains(key.as_str()) && msg.contains(folio_tests::s3::BUCKET),
        "names the operation, key and bucket: {msg}"
    );
    assert!(
        msg.contains("access denied") && msg.contains("credentials"),
        "names the cause: {msg}"
    );
    let msg = backend_message(guarded("get", store.get(&key)).await);
    assert!(
        msg.contains("access denied"),
        "a refused get is not NotFound: {msg}"
    );
    let msg = guarded("head bucket", store.check_bucket())
        .await
        .expect_err("HeadBucket is refused")
        .to_string();
    assert!(msg.contains("access denied"), "{msg}");
}

#[tokio::test]
async fn s3_dead_endpoint_is_an_error_not_a_hang() {
    let Some(server) = S3Server::start().await else {
        return;
    };
    // A port that was free a moment ago: nothing listens there.
    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        format!("http://{}", listener.local_addr().expect("addr"))
    };
    let store = s3_store(&server, |cfg| cfg.s3_endpoint = Some(dead.clone())).await;
    let msg =
        backend_message(guarded("put", store.put(&new_key(), Bytes::from_static(b"x"))).await);
    assert!(
        msg.contains(&dead) && msg.contains("could not reach"),
        "{msg}"
    );
    let msg = backend_message(guarded("get", store.get(&new_key())).await);
    assert!(msg.contains("could not reach"), "{msg}");
}

#[tokio::test]
async fn server_with_missing_s3_bucket_fails_to_start() {
    let Some(server) = S3Server::start().await else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let mut cfg = Config::test(dir.path());
    server.configure(&mut cfg);
    cfg.s3_bucket = Some("no-such-bucket".into());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let err = guarded(
        "startup",
        folio_server::run(listener, cfg, std::future::pending()),
    )
    .await
    .expect_err("startup must fail");
    let msg = format!("{err:#}");
    assert!(
        msg.contains("S3_BUCKET")
            && msg.contains("no-such-bucket")
            && msg.contains("does not exist"),
        "{msg}"
    );
}

#[tokio::test]
async fn server_with_s3_bucket_starts_and_is_ready() {
    let Some(s3) = S3Server::start().await else {
        return;
    };
    let server = folio_tests::TestServer::start_with(|cfg| s3.configure(cfg)).await;
    let ready = reqwest::get(format!("{}/readyz", server.url))
        .await
        .expect("readyz");
    assert!(ready.status().is_success());
}
