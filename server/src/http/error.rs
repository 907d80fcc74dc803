//! The one place errors become HTTP statuses and the JSON error body of SPEC §4.
//!
//! Every boundary has its own error type (`StoreError`, `BlobError`, `SyncError`, `Denied`,
//! `Refused`, `PasswordError`, `IngestError`, `VersionError`); each has one `From` here, so
//! a handler answers any of them with `?`. A handler maps an error itself only where the
//! cause has a more precise name in its context, such as a store `NotFound` that means
//! "no photo of yours with this id": [`MissingAs::missing_as`] says that in one call.
//! 5xx details go to the log with context and never to the client.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

pub use super::codes;
use crate::access::Denied;
use crate::blob::BlobError;
use crate::limits::Refused;
use crate::passwords::PasswordError;
use crate::photos::meta::MetaError;
use crate::photos::IngestError;
use crate::store::StoreError;
use crate::sync::SyncError;
use crate::versions::VersionError;

/// An error answered to a client: a status, a stable snake_case code from [`codes`], and a
/// message that says what went wrong and what to do.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Seconds for the `Retry-After` header of a 429 or 503.
    pub retry_after_s: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after_s: None,
        }
    }
    /// A 429 that says, in its `Retry-After` header, how many seconds to wait.
    pub fn too_many(
        code: &'static str,
        message: impl Into<String>,
        retry_after_s: u64,
    ) -> ApiError {
        ApiError {
            retry_after_s: Some(retry_after_s.max(1)),
            ..Self::new(StatusCode::TOO_MANY_REQUESTS, code, message)
        }
    }
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> ApiError {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }
    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> ApiError {
        Self::new(StatusCode::UNAUTHORIZED, code, message)
    }
    pub fn forbidden(message: impl Into<String>) -> ApiError {
        Self::new(StatusCode::FORBIDDEN, codes::FORBIDDEN, message)
    }
    pub fn not_found(message: impl Into<String>) -> ApiError {
        Self::new(StatusCode::NOT_FOUND, codes::NOT_FOUND, message)
    }
    /// A 404 with a code that names what is missing (`photo_not_found`, …).
    pub fn missing(code: &'static str, message: impl Into<String>) -> ApiError {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }
    pub fn conflict(code: &'static str, message: impl Into<String>) -> ApiError {
        Self::new(StatusCode::CONFLICT, code, message)
    }
    pub fn too_large(code: &'static str, message: impl Into<String>) -> ApiError {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, code, message)
    }
    pub fn unsupported_media_type(message: impl Into<String>) -> ApiError {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            codes::UNSUPPORTED_MEDIA_TYPE,
            message,
        )
    }
    pub fn invalid(code: &'static str, message: impl Into<String>) -> ApiError {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }
    /// A 500 whose details go to the log, never to the client.
    pub fn internal(context: &str, error: impl std::fmt::Display) -> ApiError {
        tracing::error!(%error, "{context}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            codes::INTERNAL,
            "something went wrong on the server; try again later",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Json(json!({ "error": { "code": self.code, "message": self.message } }));
        let mut res = (self.status, body).into_response();
        if let Some(s) = self.retry_after_s {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        res
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Gives a boundary's "not found" the name it has where it happened; every other error
/// maps through its `From` below.
pub trait MissingAs<T> {
    fn missing_as(self, missing: impl FnOnce() -> ApiError) -> ApiResult<T>;
}

impl<T> MissingAs<T> for Result<T, StoreError> {
    fn missing_as(self, missing: impl FnOnce() -> ApiError) -> ApiResult<T> {
        match self {
            Ok(v) => Ok(v),
            Err(StoreError::NotFound) => Err(missing()),
            Err(e) => Err(e.into()),
        }
    }
}

impl<T> MissingAs<T> for Result<T, BlobError> {
    fn missing_as(self, missing: impl FnOnce() -> ApiError) -> ApiResult<T> {
        match self {
            Ok(v) => Ok(v),
            Err(BlobError::NotFound) => Err(missing()),
            Err(e) => Err(e.into()),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::NotFound => ApiError::not_found("no such resource"),
            StoreError::Conflict(what) => ApiError::conflict(codes::CONFLICT, what),
            other => ApiError::internal("store error", other),
        }
    }
}

/// A blob that should exist and does not is the server's fault (500); blob storage that
/// does not answer is a 503 the client may retry. Where a missing blob is the answer to the
/// question asked (a render without a cover), the handler says so with `missing_as`.
impl From<BlobError> for ApiError {
    fn from(e: BlobError) -> ApiError {
        match e {
            BlobError::NotFound => {
                ApiError::internal("a stored file is missing from blob storage", e)
            }
            BlobError::Io(_) | BlobError::Backend(_) => {
                tracing::error!(error = %e, "blob storage failed");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    codes::BLOB_STORAGE_UNAVAILABLE,
                    "blob storage is not answering; try again later",
                )
            }
        }
    }
}

impl From<VersionError> for ApiError {
    fn from(e: VersionError) -> ApiError {
        match e {
            VersionError::Store(e) => e.into(),
            VersionError::Write(e) => e.into(),
            VersionError::Blob(BlobError::NotFound) => ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                codes::VERSION_MISSING,
                "this version's stored document is missing from blob storage",
            ),
            VersionError::Blob(e) => e.into(),
            VersionError::Corrupt(_) => ApiError::internal("a stored document does not decode", e),
        }
    }
}

impl From<Denied> for ApiError {
    fn from(d: Denied) -> ApiError {
        ApiError::forbidden(d.0)
    }
}

impl From<SyncError> for ApiError {
    fn from(e: SyncError) -> ApiError {
        match e {
            SyncError::ShuttingDown | SyncError::Retry => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                codes::UNAVAILABLE,
                format!("{e}; try again"),
            ),
            SyncError::TooManyRooms { .. } => {
                ApiError::too_many(codes::TOO_MANY_BOOKS_OPEN, e.to_string(), 30)
            }
            SyncError::Load(_) => ApiError::internal("document error", e),
        }
    }
}

impl From<folio_domain::docs::DocWriteError> for ApiError {
    fn from(e: folio_domain::docs::DocWriteError) -> ApiError {
        use folio_domain::docs::DocWriteError;
        match e {
            DocWriteError::Unavailable(_) => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                format!("{e}; try again"),
            ),
            DocWriteError::TooManyBooks { .. } => {
                ApiError::too_many("too_many_books_open", e.to_string(), 30)
            }
            DocWriteError::Failed(_) => ApiError::internal("document error", e),
        }
    }
}

impl From<Refused> for ApiError {
    fn from(r: Refused) -> ApiError {
        let code = match r {
            Refused::LoginsForAccount { .. }
            | Refused::LoginsFromAddress { .. }
            | Refused::SignupsFromAddress { .. } => codes::RATE_LIMITED,
            Refused::UserConnections { .. } | Refused::NodeConnections { .. } => {
                codes::TOO_MANY_CONNECTIONS
            }
        };
        ApiError::too_many(code, r.to_string(), r.retry_after_s())
    }
}

impl From<PasswordError> for ApiError {
    fn from(e: PasswordError) -> ApiError {
        match e {
            PasswordError::Busy => ApiError::too_many(codes::RATE_LIMITED, e.to_string(), 1),
            PasswordError::Failed(_) => ApiError::internal("password hashing", e),
        }
    }
}

/// Why one uploaded file did not become a photo: the status and code of its entry in an
/// upload's `errors`.
impl From<IngestError> for ApiError {
    fn from(e: IngestError) -> ApiError {
        match &e {
            IngestError::Photo(meta) => {
                let (status, code) = match meta {
                    MetaError::Unrecognised => (
                        StatusCode::UNSUPPORTED_MEDIA_TYPE,
                        codes::UNRECOGNISED_IMAGE,
                    ),
                    MetaError::Unsupported { .. } => (
                        StatusCode::UNSUPPORTED_MEDIA_TYPE,
                        codes::UNSUPPORTED_IMAGE_FORMAT,
                    ),
                    MetaError::TooManyPixels { .. } => {
                        (StatusCode::PAYLOAD_TOO_LARGE, codes::TOO_MANY_PIXELS)
                    }
                    MetaError::TooLarge { .. } => {
                        (StatusCode::PAYLOAD_TOO_LARGE, codes::IMAGE_TOO_LARGE)
                    }
                    MetaError::Corrupt { .. } => {
                        (StatusCode::UNPROCESSABLE_ENTITY, codes::CORRUPT_IMAGE)
                    }
                };
                ApiError::new(status, code, meta.to_string())
            }
            IngestError::FileTooLarge { .. } => {
                ApiError::too_large(codes::FILE_TOO_LARGE, e.to_string())
            }
            IngestError::Store(_) | IngestError::Blob(_) | IngestError::Worker(_) => {
                tracing::error!(error = %e, "photo ingest failed on the server side");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    codes::STORAGE_UNAVAILABLE,
                    "the photo could not be stored just now; upload it again",
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_failures_are_503_and_missing_blobs_500() {
        let e: ApiError = BlobError::Backend("down".into()).into();
        assert_eq!(
            (e.status, e.code),
            (
                StatusCode::SERVICE_UNAVAILABLE,
                codes::BLOB_STORAGE_UNAVAILABLE
            )
        );
        let e: ApiError = BlobError::NotFound.into();
        assert_eq!(
            (e.status, e.code),
            (StatusCode::INTERNAL_SERVER_ERROR, codes::INTERNAL)
        );
        let e = Err::<(), _>(BlobError::NotFound)
            .missing_as(|| ApiError::missing(codes::PREVIEW_MISSING, "none"))
            .unwrap_err();
        assert_eq!(
            (e.status, e.code),
            (StatusCode::NOT_FOUND, codes::PREVIEW_MISSING)
        );
    }

    #[test]
    fn store_not_found_takes_the_name_given() {
        let e = Err::<(), _>(StoreError::NotFound)
            .missing_as(|| ApiError::missing(codes::PHOTO_NOT_FOUND, "none"))
            .unwrap_err();
        assert_eq!(e.code, codes::PHOTO_NOT_FOUND);
        let e = Err::<(), _>(StoreError::WriterGone)
            .missing_as(|| ApiError::missing(codes::PHOTO_NOT_FOUND, "none"))
            .unwrap_err();
        assert_eq!(e.status, StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn ingest_errors_keep_their_codes() {
        for (meta, status) in [
            (MetaError::Unrecognised, 415),
            (
                MetaError::Unsupported {
                    format: "HEIC".into(),
                },
                415,
            ),
        ] {
            let code = meta.code();
            let e: ApiError = IngestError::Photo(meta).into();
            assert_eq!((e.status.as_u16(), e.code), (status, code));
        }
        let e: ApiError = IngestError::FileTooLarge { limit: 1 }.into();
        assert_eq!((e.status.as_u16(), e.code), (413, "file_too_large"));
    }
}
