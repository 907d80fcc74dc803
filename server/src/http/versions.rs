//! Versions of a book (SPEC §7): list, take on demand, fetch and restore.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::error::{ApiError, ApiResult, MissingAs};
use super::extract::{AppPath, Editor, ProjectAccess};
use crate::ids::{ProjectId, VersionId};
use crate::store::{Version, VersionReason};
use crate::versions::{self};
use crate::AppState;

async fn find(app: &AppState, project: ProjectId, id: VersionId) -> ApiResult<Version> {
    app.store
        .version(project, id)
        .await
        .missing_as(|| ApiError::not_found("no version with this id in this project"))
}

pub async fn list(State(app): State<AppState>, access: ProjectAccess) -> ApiResult<Json<Value>> {
    let list = app.store.versions(access.project.id).await?;
    Ok(Json(serde_json::to_value(list).map_err(|e| {
        ApiError::internal("serialising versions", e)
    })?))
}

/// Takes a version now (editor and above).
pub async fn create(
    State(app): State<AppState>,
    access: ProjectAccess<Editor>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let version = versions::take(
        &*app.store,
        &*app.blobs,
        access.project.id,
        VersionReason::Manual,
        Some(access.session.user.id),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(json!({ "version": version }))))
}

/// The whole document of a version, as one Yjs update v1.
pub async fn fetch(
    State(app): State<AppState>,
    access: ProjectAccess,
    AppPath((_, id)): AppPath<(ProjectId, VersionId)>,
) -> ApiResult<Response> {
    let version = find(&app, access.project.id, id).await?;
    let bytes = versions::fetch(&*app.blobs, &version).await?;
    let name = format!(
        "attachment; filename=\"{}-{}.yjs\"",
        access.project.id, version.id
    );
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (header::CONTENT_DISPOSITION, name),
            // A version never changes once taken.
            (
                header::CACHE_CONTROL,
                "private, max-age=31536000, immutable".to_owned(),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// Restores a version as a new change on top (editor and above). Answers with the restored
/// version; `backup`, the version taken just before, which undoes the restore; and `kept`,
/// the pages and items people made that the restore left as they are (SPEC §15).
pub async fn restore(
    State(app): State<AppState>,
    access: ProjectAccess<Editor>,
    AppPath((_, id)): AppPath<(ProjectId, VersionId)>,
) -> ApiResult<Json<Value>> {
    let version = find(&app, access.project.id, id).await?;
    let (backup, kept) = versions::restore(
        &*app.store,
        &*app.blobs,
        &app.sync,
        &version,
        access.session.user.id,
    )
    .await?;
    Ok(Json(
        json!({ "version": version, "backup": backup, "kept": kept }),
    ))
}
