//! The one place errors become HTTP statuses and the JSON error body of SPEC §4.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::access::Denied;
use crate::limits::Refused;
use crate::passwords::PasswordError;
use crate::store::StoreError;
use crate::sync::SyncError;

/// An error answered to a client: a status, a stable snake_case code, and a message that
/// says what went wrong and what to do.
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
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }
    pub fn not_found(message: impl Into<String>) -> ApiError {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }
    pub fn invalid(code: &'static str, message: impl Into<String>) -> ApiError {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }
    /// A 500 whose details go to the log, never to the client.
    pub fn internal(context: &str, error: impl std::fmt::Display) -> ApiError {
        tracing::error!(%error, "{context}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
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

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::NotFound => ApiError::not_found("no such resource"),
            StoreError::Conflict(what) => ApiError::new(StatusCode::CONFLICT, "conflict", what),
            other => ApiError::internal("store error", other),
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
                "unavailable",
                format!("{e}; try again"),
            ),
            SyncError::TooManyRooms { .. } => {
                ApiError::too_many("too_many_books_open", e.to_string(), 30)
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
        ApiError::too_many(r.code(), r.to_string(), r.retry_after_s())
    }
}

impl From<PasswordError> for ApiError {
    fn from(e: PasswordError) -> ApiError {
        match e {
            PasswordError::Busy => ApiError::too_many("rate_limited", e.to_string(), 1),
            PasswordError::Failed(_) => ApiError::internal("password hashing", e),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
