//! Print renders (SPEC §4, §11): `POST /api/projects/{id}/renders` queues a render job
//! (editor and above); `GET /api/renders/{id}/pdf?part=interior|cover` streams a finished
//! render's PDF and `GET /api/renders/{id}/preview?page=N|cover` its PNG previews to the
//! members of its project (with the bearer header or `?token=`, so plain links work). Anyone
//! else is told there is no such render.

use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::codes;
use super::error::{ApiError, ApiResult, MissingAs};
use super::extract::{AppJson, AppPath, Editor, LinkUser, ProjectAccess};
use crate::blob::BlobKey;
use crate::ids::{JobId, RenderId, VersionId};
use crate::jobs::DEFAULT_ATTEMPTS;
use crate::print::job::{blob_key, RenderJob, RENDER};
use crate::store::{NewJob, Render};
use crate::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenderBody {
    product: Option<String>,
    version_id: Option<String>,
    force: Option<bool>,
}

pub async fn start(
    State(app): State<AppState>,
    access: ProjectAccess<Editor>,
    AppJson(body): AppJson<RenderBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let project = &access.project;
    let product_id = body.product.as_deref().unwrap_or(&project.product);
    let Some(product) = crdt_schema::product(product_id) else {
        let known: Vec<&str> = crdt_schema::PRODUCTS.iter().map(|p| p.id).collect();
        return Err(ApiError::invalid(
            codes::UNKNOWN_PRODUCT,
            format!(
                "unknown product {product_id:?}; choose one of {}",
                known.join(", ")
            ),
        ));
    };
    let version_id = match &body.version_id {
        None => None,
        Some(raw) => {
            let not_found = || {
                ApiError::missing(
                    codes::VERSION_NOT_FOUND,
                    "no version of this project with this id",
                )
            };
            let id: VersionId = raw.parse().map_err(|_| not_found())?;
            Some(
                app.store
                    .version(project.id, id)
                    .await
                    .missing_as(not_found)?
                    .id,
            )
        }
    };
    let spec = RenderJob {
        product: product.id.to_owned(),
        version_id,
        force: body.force.unwrap_or(false),
    };
    let job = NewJob {
        id: JobId::new(),
        kind: RENDER.into(),
        project_id: Some(project.id),
        payload: serde_json::to_value(&spec)
            .map_err(|e| ApiError::internal("serialising a render job", e))?,
        created_by: Some(access.session.user.id),
        dedupe_key: None,
        max_attempts: DEFAULT_ATTEMPTS,
        run_after: None,
    };
    let job = app.jobs.enqueue(job).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "job": job }))))
}

#[derive(Deserialize)]
pub struct PdfQuery {
    part: Option<String>,
    /// For links a browser follows without headers; read by [`LinkUser`].
    #[allow(dead_code)]
    token: Option<String>,
}

pub async fn pdf(
    State(app): State<AppState>,
    LinkUser(session): LinkUser,
    AppPath(id): AppPath<RenderId>,
    query: Result<Query<PdfQuery>, QueryRejection>,
) -> ApiResult<Response> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(codes::INVALID_QUERY, e.body_text()))?;
    let render = member_render(&app, id, session.user.id).await?;
    let part: &'static str = match q.part.as_deref().unwrap_or("interior") {
        "interior" => "interior",
        "cover" => "cover",
        other => {
            return Err(ApiError::bad_request(
                codes::INVALID_PART,
                format!("unknown part {other:?}; use interior or cover"),
            ))
        }
    };
    let read = app.blobs.open(&blob_key(id, part)).await.missing_as(|| {
        ApiError::missing(
            codes::RENDER_PART_MISSING,
            format!("this render has no {part} PDF; render the book again"),
        )
    })?;
    let name = format!(
        "attachment; filename=\"{}-{}-{part}.pdf\"",
        render.product, render.id
    );
    let mut response = (
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (header::CONTENT_DISPOSITION, name),
            // A render never changes once made.
            (
                header::CACHE_CONTROL,
                "private, max-age=31536000, immutable".to_owned(),
            ),
        ],
        Body::from_stream(read.body),
    )
        .into_response();
    if let Some(len) = read.len {
        response
            .headers_mut()
            .insert(header::CONTENT_LENGTH, len.into());
    }
    Ok(response)
}

#[derive(Deserialize)]
pub struct PreviewQuery {
    page: Option<String>,
    /// For `<img src>`; read by [`LinkUser`].
    #[allow(dead_code)]
    token: Option<String>,
}

/// `GET /api/renders/{id}/preview?page=N|cover`: a page of the interior (N from 0) or the
/// cover sheet, as PNG, to members only.
pub async fn preview(
    State(app): State<AppState>,
    LinkUser(session): LinkUser,
    AppPath(id): AppPath<RenderId>,
    query: Result<Query<PreviewQuery>, QueryRejection>,
) -> ApiResult<Response> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(codes::INVALID_QUERY, e.body_text()))?;
    let render = member_render(&app, id, session.user.id).await?;
    let key = match q.page.as_deref() {
        Some("cover") => blob_key(id, "cover-preview"),
        Some(n) => match n.parse::<usize>() {
            Ok(n) if (n as i64) < render.pages => BlobKey::numbered("renders", id.0, "preview", n),
            Ok(_) => {
                return Err(ApiError::missing(
                    codes::NO_SUCH_PAGE,
                    format!("this render has {} pages, numbered from 0", render.pages),
                ))
            }
            Err(_) => {
                return Err(ApiError::bad_request(
                    codes::INVALID_PAGE,
                    format!("page must be a page number from 0 or \"cover\", not {n:?}"),
                ))
            }
        },
        None => {
            return Err(ApiError::bad_request(
                codes::INVALID_PAGE,
                "give ?page= a page number from 0, or cover",
            ))
        }
    };
    let bytes = app.blobs.get(&key).await.missing_as(|| {
        ApiError::missing(codes::PREVIEW_MISSING, "this render has no such preview")
    })?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/png"),
            (
                header::CACHE_CONTROL,
                "private, max-age=31536000, immutable",
            ),
        ],
        bytes,
    )
        .into_response())
}

/// The render, when `user` is a member of its project; 404 alike for a missing render and
/// for a non-member, who learns nothing about it, not even that it exists.
async fn member_render(
    app: &AppState,
    id: RenderId,
    user: crate::ids::UserId,
) -> ApiResult<Render> {
    let no_render = || ApiError::missing(codes::RENDER_NOT_FOUND, "no render with this id");
    let render = app.store.render(id).await.missing_as(no_render)?;
    if app.store.role_of(render.project_id, user).await?.is_none() {
        return Err(no_render());
    }
    Ok(render)
}
