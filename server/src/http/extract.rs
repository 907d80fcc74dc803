//! Extractors that put auth, access and body parsing in the types: a handler that takes
//! `ProjectAccess<Editor>` cannot forget the role check, and a rejected body is answered
//! in the API's own error format.

use std::marker::PhantomData;

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{FromRef, FromRequest, FromRequestParts, Path, Request};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::StatusCode;
use chrono::Utc;
use serde::de::DeserializeOwned;

use super::codes;
use super::error::{ApiError, MissingAs};
use crate::access::{self, Action, Role};
use crate::ids::ProjectId;
use crate::store::{Project, Session};
use crate::AppState;

/// JSON body whose rejections use the API error format.
pub struct AppJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for AppJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(AppJson(v)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(r: JsonRejection) -> ApiError {
    match &r {
        JsonRejection::MissingJsonContentType(_) => ApiError::unsupported_media_type(
            "send the body as JSON with Content-Type: application/json",
        ),
        JsonRejection::JsonSyntaxError(_) => ApiError::bad_request(
            codes::INVALID_JSON,
            format!("the body is not valid JSON: {}", r.body_text()),
        ),
        JsonRejection::JsonDataError(_) => ApiError::invalid(codes::INVALID_BODY, r.body_text()),
        _ if r.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError::too_large(
            codes::BODY_TOO_LARGE,
            "the request body is over the size limit",
        ),
        _ => ApiError::bad_request(codes::INVALID_BODY, r.body_text()),
    }
}

/// Path parameters whose rejections use the API error format.
pub struct AppPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for AppPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(v)) => Ok(AppPath(v)),
            Err(r) => Err(path_rejection(r)),
        }
    }
}

fn path_rejection(r: PathRejection) -> ApiError {
    ApiError::bad_request(
        codes::INVALID_PATH,
        format!("{}; ids are UUIDs", r.body_text()),
    )
}

/// The logged-in user behind `Authorization: Bearer <token>`.
pub struct AuthUser(pub Session);

impl<S: Send + Sync> FromRequestParts<S> for AuthUser
where
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let app = AppState::from_ref(state);
        match bearer(parts) {
            Some(token) => session_for_token(&app, token).await.map(AuthUser),
            None => Err(ApiError::unauthorized(
                codes::UNAUTHORIZED,
                "missing bearer token: log in and send Authorization: Bearer <token>",
            )),
        }
    }
}

/// The logged-in user behind `Authorization: Bearer <token>` or, for links a browser follows
/// without headers (`<a href>` downloads, `<img src>`), a `token` query parameter holding the
/// same token.
pub struct LinkUser(pub Session);

impl<S: Send + Sync> FromRequestParts<S> for LinkUser
where
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let app = AppState::from_ref(state);
        let query = axum::extract::Query::<TokenQuery>::try_from_uri(&parts.uri)
            .ok()
            .and_then(|q| q.0.token);
        let token = bearer(parts)
            .map(str::to_owned)
            .or(query.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()));
        match token {
            Some(token) => session_for_token(&app, &token).await.map(LinkUser),
            None => Err(ApiError::unauthorized(
                codes::UNAUTHORIZED,
                "missing bearer token: send Authorization: Bearer <token> or ?token=",
            )),
        }
    }
}

/// The token of an `Authorization: Bearer <token>` header, trimmed; `None` without one.
fn bearer(parts: &Parts) -> Option<&str> {
    let header = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    Some(header.strip_prefix("Bearer ")?.trim()).filter(|t| !t.is_empty())
}

#[derive(serde::Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

/// Looks up an unexpired session; 401 when there is none.
pub async fn session_for_token(app: &AppState, token: &str) -> Result<Session, ApiError> {
    app.store
        .session(&crate::auth::token_hash(token), Utc::now())
        .await
        .missing_as(|| {
            ApiError::unauthorized(
                codes::INVALID_TOKEN,
                "the token is unknown, expired or revoked; log in again",
            )
        })
}

/// The lowest action a handler needs; the marker types below name it.
pub trait Requirement: Send + Sync {
    const ACTION: Action;
}
pub struct Member;
pub struct Commenter;
pub struct Editor;
pub struct Manager;
impl Requirement for Member {
    const ACTION: Action = Action::Read;
}
impl Requirement for Commenter {
    const ACTION: Action = Action::Comment;
}
impl Requirement for Editor {
    const ACTION: Action = Action::Edit;
}
impl Requirement for Manager {
    const ACTION: Action = Action::Manage;
}

/// A logged-in member of the project named by the `{id}` path segment, with at least the
/// role that `R` requires.
pub struct ProjectAccess<R: Requirement = Member> {
    pub session: Session,
    pub project: Project,
    pub role: Role,
    _req: PhantomData<R>,
}

impl<R: Requirement, S: Send + Sync> FromRequestParts<S> for ProjectAccess<R>
where
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let AuthUser(session) = AuthUser::from_request_parts(parts, state).await?;
        let app = AppState::from_ref(state);
        let Path(params) =
            Path::<std::collections::HashMap<String, String>>::from_request_parts(parts, state)
                .await
                .map_err(path_rejection)?;
        let id: ProjectId = params
            .get("id")
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| {
                ApiError::bad_request(codes::INVALID_PATH, "the project id is not a UUID")
            })?;
        let (project, role) = project_role(&app, id, &session).await?;
        access::check(role, R::ACTION)?;
        Ok(ProjectAccess {
            session,
            project,
            role,
            _req: PhantomData,
        })
    }
}

/// The project and the caller's role in it: 404 when it does not exist, 403 for a non-member.
pub async fn project_role(
    app: &AppState,
    id: ProjectId,
    session: &Session,
) -> Result<(Project, Role), ApiError> {
    let project = app
        .store
        .project(id)
        .await
        .missing_as(|| ApiError::not_found("no project with this id"))?;
    match app.store.role_of(id, session.user.id).await? {
        Some(role) => Ok((project, role)),
        None => Err(ApiError::forbidden(
            "you are not a member of this project; ask a manager for an invite",
        )),
    }
}
