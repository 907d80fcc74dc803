//! Background jobs as the API shows them (SPEC §4 `job`).

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use super::error::{ApiError, ApiResult, MissingAs};
use super::extract::{project_role, AppPath, AuthUser};
use crate::ids::JobId;
use crate::AppState;

/// A job, to members of its project, or to whoever queued a job that has no project.
pub async fn get(
    State(app): State<AppState>,
    AuthUser(session): AuthUser,
    AppPath(id): AppPath<JobId>,
) -> ApiResult<Json<Value>> {
    let job = app
        .store
        .job(id)
        .await
        .missing_as(|| ApiError::not_found("no job with this id"))?;
    match job.project_id {
        Some(project) => {
            project_role(&app, project, &session).await?;
        }
        None if job.created_by == Some(session.user.id) => {}
        None => return Err(ApiError::not_found("no job with this id")),
    }
    Ok(Json(json!({ "job": job })))
}
