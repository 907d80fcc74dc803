//! `POST /api/projects/{id}/automix` (SPEC §4, §10): queues an automix job (editor and
//! above). The photos are resolved and access-checked here, so the job only ever sees
//! photos the caller may use: their own, or ones they can see through this project.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::codes;
use super::error::{ApiError, ApiResult, MissingAs};
use super::extract::{AppJson, Editor, ProjectAccess};
use crate::automix_job::{AutomixJob, AUTOMIX};
use crate::ids::{GroupId, JobId, PhotoId};
use crate::jobs::DEFAULT_ATTEMPTS;
use crate::store::{GroupSource, NewJob, PhotoFilter, StoreError};
use crate::AppState;

/// Most photos one automix run designs.
pub(super) const MAX_PHOTOS: usize = 2000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutomixBody {
    photo_ids: Option<Vec<String>>,
    album_id: Option<String>,
    page_id: Option<String>,
    seed: Option<u64>,
}

pub async fn start(
    State(app): State<AppState>,
    access: ProjectAccess<Editor>,
    AppJson(body): AppJson<AutomixBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let user = access.session.user.id;
    let mut spec = AutomixJob {
        photo_ids: Vec::new(),
        title: None,
        tags: Vec::new(),
        cover: None,
        page_id: None,
        seed: body.seed.unwrap_or(0),
    };
    match (&body.page_id, &body.photo_ids, &body.album_id) {
        (Some(page), None, None) => {
            if page.is_empty() || page.len() > 64 {
                return Err(ApiError::invalid(codes::INVALID_PAGE_ID, "page_id is the id of a page of the book"));
            }
            spec.page_id = Some(page.clone());
            // A remix of the same page picks a different layout each time it is asked.
            if body.seed.is_none() {
                spec.seed = rand::random();
            }
        }
        (None, Some(ids), None) => {
            if ids.is_empty() || ids.len() > MAX_PHOTOS {
                return Err(ApiError::invalid(codes::INVALID_PHOTO_IDS, format!("photo_ids lists 1 to {MAX_PHOTOS} photos")));
            }
            for raw in ids {
                let id: PhotoId = raw.parse().map_err(|_| ApiError::invalid(codes::INVALID_PHOTO_IDS, format!("{raw:?} is not a photo id")))?;
                let record = app.store.photo(id).await.missing_as(|| ApiError::missing(codes::PHOTO_NOT_FOUND, format!("no photo {raw} that you can see")))?;
                if !app.photos.can_see(user, &record).await? {
                    return Err(ApiError::missing(codes::PHOTO_NOT_FOUND, format!("no photo {raw} that you can see")));
                }
                if !spec.photo_ids.contains(&id) {
                    spec.photo_ids.push(id);
                    spec.tags.extend(record.tags.iter().cloned());
                }
            }
            spec.title = Some(access.project.title.clone());
        }
        (None, None, Some(album)) => {
            let id: GroupId = album.parse().map_err(|_| ApiError::invalid(codes::INVALID_ALBUM_ID, "album_id is not an album id"))?;
            let group = match app.store.group(id).await {
                Ok(g) if g.owner_id == user && g.source == GroupSource::Album => g,
                Ok(_) | Err(StoreError::NotFound) => return Err(ApiError::missing(codes::ALBUM_NOT_FOUND, "no album of yours with this id")),
                Err(e) => return Err(e.into()),
            };
            let photos = app.store.photos(user, &PhotoFilter { group: Some(id), tag: None }).await?;
            if photos.is_empty() {
                return Err(ApiError::invalid(codes::EMPTY_ALBUM, "the album has no photos yet"));
            }
            spec.photo_ids = photos.iter().take(MAX_PHOTOS).map(|p| p.id).collect();
            spec.tags = photos.iter().flat_map(|p| p.tags.iter().cloned()).collect();
            spec.title = Some(group.name.clone());
            spec.cover = group.cover_photo_id;
        }
        _ => {
            return Err(ApiError::invalid(
                codes::INVALID_AUTOMIX,
                "give exactly one of photo_ids (design from these photos), album_id (design from an album) or page_id (remix one page)",
            ))
        }
    }
    spec.tags.sort();
    spec.tags.dedup();
    let job = NewJob {
        id: JobId::new(),
        kind: AUTOMIX.into(),
        project_id: Some(access.project.id),
        payload: serde_json::to_value(&spec)
            .map_err(|e| ApiError::internal("serialising an automix job", e))?,
        created_by: Some(user),
        dedupe_key: None,
        max_attempts: DEFAULT_ATTEMPTS,
        run_after: None,
    };
    let job = app.jobs.enqueue(job).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "job": job }))))
}
