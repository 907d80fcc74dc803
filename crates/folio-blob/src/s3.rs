//! Blobs as objects in one S3 bucket (scale-out), on AWS or any S3-compatible server.

use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::config::{Credentials, Region};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use bytes::Bytes;

use super::{BlobError, BlobKey, BlobRead, BlobStore};
use folio_domain::config::Config;

/// A dead endpoint must fail fast rather than hold a request (or startup) for minutes.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// One whole operation, retries included: room for a multi-MB photo on a slow link.
const OPERATION_TIMEOUT: Duration = Duration::from_secs(30);
/// Attempts per operation, first one included; throttling and 5xx are worth a retry or two.
const MAX_ATTEMPTS: u32 = 3;
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// Where the bucket is and how to reach it; taken from `Config`'s `S3_*` and `AWS_*` values.
#[derive(Debug, Clone)]
pub struct S3Settings {
    pub bucket: String,
    /// Unset: AWS's own endpoint for the region.
    pub endpoint: Option<String>,
    pub region: String,
    pub force_path_style: bool,
    /// Unset: the standard AWS credential chain.
    pub credentials: Option<Credentials>,
}

impl S3Settings {
    /// `None` when no bucket is configured (blobs stay in the local folder).
    pub fn from_config(cfg: &Config) -> Result<Option<S3Settings>, BlobError> {
        let Some(bucket) = cfg.s3_bucket.clone() else {
            return Ok(None);
        };
        let credentials = match (&cfg.s3_access_key_id, &cfg.s3_secret_access_key) {
            (None, None) => None,
            (Some(id), Some(secret)) => Some(Credentials::new(
                id,
                secret.expose(),
                cfg.s3_session_token.as_ref().map(|t| t.expose().to_owned()),
                None,
                "folio-config",
            )),
            (Some(_), None) => {
                return Err(BlobError::Backend(
                    "AWS_ACCESS_KEY_ID is set without AWS_SECRET_ACCESS_KEY".into(),
                ))
            }
            (None, Some(_)) => {
                return Err(BlobError::Backend(
                    "AWS_SECRET_ACCESS_KEY is set without AWS_ACCESS_KEY_ID".into(),
                ))
            }
        };
        Ok(Some(S3Settings {
            bucket,
            endpoint: cfg.s3_endpoint.clone(),
            region: cfg.s3_region.clone(),
            force_path_style: cfg.s3_force_path_style,
            credentials,
        }))
    }

    fn place(&self) -> String {
        match &self.endpoint {
            Some(endpoint) => format!("bucket `{}` at {endpoint}", self.bucket),
            None => format!("bucket `{}` in {}", self.bucket, self.region),
        }
    }
}

pub struct S3BlobStore {
    client: aws_sdk_s3::Client,
    settings: S3Settings,
}

impl S3BlobStore {
    /// Builds the client; makes no request (see `check_bucket`).
    pub async fn new(settings: S3Settings) -> S3BlobStore {
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
            .build_https();
        let timeouts = aws_config::timeout::TimeoutConfig::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .operation_timeout(OPERATION_TIMEOUT)
            .build();
        let retries = aws_config::retry::RetryConfig::standard()
            .with_max_attempts(MAX_ATTEMPTS)
            .with_max_backoff(MAX_BACKOFF);
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .http_client(http)
            .region(Region::new(settings.region.clone()))
            .timeout_config(timeouts)
            .retry_config(retries);
        if let Some(credentials) = settings.credentials.clone() {
            loader = loader.credentials_provider(credentials);
        }
        let shared = loader.load().await;
        let mut s3 =
            aws_sdk_s3::config::Builder::from(&shared).force_path_style(settings.force_path_style);
        if let Some(endpoint) = &settings.endpoint {
            s3 = s3.endpoint_url(endpoint);
        }
        S3BlobStore {
            client: aws_sdk_s3::Client::from_conf(s3.build()),
            settings,
        }
    }

    /// HeadBucket: the bucket exists and these credentials may use it. Run at startup so a
    /// wrong bucket, endpoint or key stops the node instead of failing its first upload.
    pub async fn check_bucket(&self) -> Result<(), BlobError> {
        match self
            .client
            .head_bucket()
            .bucket(&self.settings.bucket)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if status(&e) == Some(404) => Err(BlobError::Backend(format!(
                "checking {}: the bucket does not exist (HTTP 404)",
                self.settings.place()
            ))),
            Err(e) => Err(BlobError::Backend(format!(
                "checking {}: {}",
                self.settings.place(),
                cause(&e)
            ))),
        }
    }

    fn failed<E>(&self, op: &str, key: &BlobKey, e: &SdkError<E>) -> BlobError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        BlobError::Backend(format!(
            "{op} `{}` in {}: {}",
            key.as_str(),
            self.settings.place(),
            cause(e)
        ))
    }
}

#[async_trait]
impl BlobStore for S3BlobStore {
    async fn put(&self, key: &BlobKey, data: Bytes) -> Result<(), BlobError> {
        // A PUT is atomic in S3: readers see the old object or the whole new one.
        self.client
            .put_object()
            .bucket(&self.settings.bucket)
            .key(key.as_str())
            .body(ByteStream::from(data))
            .send()
            .await
            .map_err(|e| self.failed("put", key, &e))?;
        Ok(())
    }

    async fn get(&self, key: &BlobKey) -> Result<Bytes, BlobError> {
        let out = match self
            .client
            .get_object()
            .bucket(&self.settings.bucket)
            .key(key.as_str())
            .send()
            .await
        {
            Ok(out) => out,
            Err(e)
                if status(&e) == Some(404)
                    || e.as_service_error().is_some_and(|s| s.is_no_such_key()) =>
            {
                return Err(BlobError::NotFound)
            }
            Err(e) => return Err(self.failed("get", key, &e)),
        };
        let body = out.body.collect().await.map_err(|e| {
            BlobError::Backend(format!(
                "get `{}` in {}: reading the body: {}",
                key.as_str(),
                self.settings.place(),
                chain(&e)
            ))
        })?;
        Ok(body.into_bytes())
    }

    async fn put_file(&self, key: &BlobKey, path: &Path) -> Result<(), BlobError> {
        // The SDK streams the file from disk (a single PUT: up to 5 GB, far above any book).
        let body = ByteStream::from_path(path).await.map_err(|e| {
            BlobError::Backend(format!(
                "put `{}` in {}: reading {}: {e}",
                key.as_str(),
                self.settings.place(),
                path.display()
            ))
        })?;
        self.client
            .put_object()
            .bucket(&self.settings.bucket)
            .key(key.as_str())
            .body(body)
            .send()
            .await
            .map_err(|e| self.failed("put", key, &e))?;
        Ok(())
    }

    async fn open(&self, key: &BlobKey) -> Result<BlobRead, BlobError> {
        let out = match self
            .client
            .get_object()
            .bucket(&self.settings.bucket)
            .key(key.as_str())
            .send()
            .await
        {
            Ok(out) => out,
            Err(e)
                if status(&e) == Some(404)
                    || e.as_service_error().is_some_and(|s| s.is_no_such_key()) =>
            {
                return Err(BlobError::NotFound)
            }
            Err(e) => return Err(self.failed("get", key, &e)),
        };
        let len = out.content_length.and_then(|l| u64::try_from(l).ok());
        Ok(BlobRead {
            len,
            body: Box::pin(tokio_util::io::ReaderStream::new(
                out.body.into_async_read(),
            )),
        })
    }

    async fn delete(&self, key: &BlobKey) -> Result<(), BlobError> {
        // S3 answers 204 for a missing key; some compatible servers answer 404. Both mean gone.
        match self
            .client
            .delete_object()
            .bucket(&self.settings.bucket)
            .key(key.as_str())
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if status(&e) == Some(404) => Ok(()),
            Err(e) => Err(self.failed("delete", key, &e)),
        }
    }
}

/// The HTTP status when the server answered at all.
fn status<E>(e: &SdkError<E>) -> Option<u16> {
    e.raw_response().map(|r| r.status().as_u16())
}

/// What went wrong, in words an operator can act on: the server's status, code and message,
/// or why no answer came (refused, timed out, no credentials).
fn cause<E>(e: &SdkError<E>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match e {
        SdkError::ServiceError(service) => {
            let err = service.err();
            let status = service.raw().status().as_u16();
            let mut text = format!("HTTP {status}");
            if let Some(code) = err.code() {
                text.push_str(&format!(" {code}"));
            }
            if let Some(message) = err.message() {
                text.push_str(&format!(": {message}"));
            }
            let denied = matches!(
                err.code(),
                Some(
                    "SignatureDoesNotMatch"
                        | "InvalidAccessKeyId"
                        | "AccessDenied"
                        | "ExpiredToken"
                )
            );
            if denied || status == 403 {
                text.push_str(
                    " (access denied: check the AWS credentials and the bucket's policy)",
                );
            }
            text
        }
        SdkError::TimeoutError(_) => format!(
            "no answer within {}s (timed out)",
            OPERATION_TIMEOUT.as_secs()
        ),
        SdkError::DispatchFailure(failure) if failure.is_io() || failure.is_timeout() => {
            format!("could not reach the endpoint: {}", chain(e))
        }
        _ => chain(e),
    }
}

/// An error and its sources, joined by ": " (the SDK's `DisplayErrorContext` also appends a
/// long Debug dump, too noisy for a log line or a startup failure).
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        let part = inner.to_string();
        if !text.ends_with(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = inner.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_follow_the_config() {
        let mut cfg = Config::test("unused");
        assert!(
            S3Settings::from_config(&cfg).unwrap().is_none(),
            "no bucket: the local folder"
        );
        cfg.s3_bucket = Some("photos".into());
        let s = S3Settings::from_config(&cfg).unwrap().unwrap();
        assert!(s.credentials.is_none(), "no keys: the standard AWS chain");
        assert_eq!(s.region, "us-east-1");
        cfg.s3_access_key_id = Some("id".into());
        let err = S3Settings::from_config(&cfg).unwrap_err().to_string();
        assert!(err.contains("AWS_SECRET_ACCESS_KEY"), "{err}");
        cfg.s3_secret_access_key = Some("hunter2".into());
        let s = S3Settings::from_config(&cfg).unwrap().unwrap();
        assert!(
            !format!("{cfg:?}").contains("hunter2"),
            "Debug of the config hides the secret"
        );
        assert!(s.credentials.is_some());
    }
}
