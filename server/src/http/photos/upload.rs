//! `POST /api/photos`: a multipart upload of photos, into a new upload group and optionally
//! an album.
//!
//! An upload streams: each file part is spooled to an anonymous temporary file as it
//! arrives, with the per-file limit counted on the way, then ingested before the next part
//! is read. A file that fails is reported by name and keeps nothing; a request that fails as
//! a whole (bad multipart, over the request limit, a bad `album_id`) keeps none of its files.

use std::io::Write;

use axum::extract::multipart::{Field, MultipartError, MultipartRejection};
use axum::extract::{Multipart, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use serde_json::{json, Value};

use super::own_group;
use crate::events::DomainEvent;
use crate::http::codes;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::AuthUser;
use crate::ids::{GroupId, PhotoId};
use crate::photos::{IngestError, Library, Source};
use crate::store::{Group, GroupSource, NewGroup, PhotoRecord, Session, StoreError};
use crate::AppState;

/// A photo's display name from an upload's file name: the last path segment, without
/// control characters, at most 255 characters.
fn clean_name(raw: Option<&str>, index: usize) -> String {
    let base = raw
        .unwrap_or_default()
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default();
    let name: String = base.chars().filter(|c| !c.is_control()).take(255).collect();
    let name = name.trim();
    if name.is_empty() {
        format!("photo-{}", index + 1)
    } else {
        name.to_owned()
    }
}

/// What one file part came to.
enum Part {
    Photo(PhotoRecord),
    Failed { file: String, error: ApiError },
}

/// Whole-request failures; the files stored so far are discarded.
fn multipart_error(e: MultipartError, limit: u64) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::too_large(codes::REQUEST_TOO_LARGE, format!("the upload is larger than the {limit} bytes allowed per request; send fewer files at a time"))
    } else {
        ApiError::bad_request(
            codes::INVALID_MULTIPART,
            format!("the multipart body could not be read: {}", e.body_text()),
        )
    }
}

/// Spools one file part to an anonymous temporary file, counting it against the per-file
/// limit. `Ok(None)`: over the limit (the rest of the part was read and dropped).
async fn spool(
    field: &mut Field<'_>,
    dir: &std::path::Path,
    max_file: u64,
    limit: u64,
) -> Result<Result<Source, IngestError>, ApiError> {
    let mut file = tempfile::tempfile_in(dir)
        .map_err(|e| ApiError::internal("creating an upload spool file", e))?;
    let mut len: u64 = 0;
    let mut over = false;
    while let Some(chunk) = field.chunk().await.map_err(|e| multipart_error(e, limit))? {
        len += chunk.len() as u64;
        if len > max_file {
            over = true;
            continue;
        }
        // Small synchronous writes to a local temporary file: the page cache takes them.
        file.write_all(&chunk)
            .map_err(|e| ApiError::internal("writing an upload spool file", e))?;
    }
    if over {
        return Ok(Err(IngestError::FileTooLarge { limit: max_file }));
    }
    Ok(Ok(Source::Spooled(file)))
}

pub async fn upload(
    State(app): State<AppState>,
    AuthUser(session): AuthUser,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let limit = app.cfg.photo_max_request_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return ApiError::too_large(codes::REQUEST_TOO_LARGE, format!("the upload is larger than the {limit} bytes allowed per request; send fewer files at a time")).into_response();
    }
    let mut multipart = match multipart {
        Ok(m) => m,
        Err(e) => {
            return ApiError::unsupported_media_type(format!(
                "send the photos as multipart/form-data with one `file` part per photo ({})",
                e.body_text()
            ))
            .into_response()
        }
    };
    let mut parts: Vec<Part> = Vec::new();
    match read_parts(&app, &session, &mut multipart, &mut parts).await {
        Ok(album) => finish_upload(&app, &session, album, parts).await,
        Err(e) => {
            discard_parts(&app, &parts).await;
            e.into_response()
        }
    }
}

async fn discard_parts(app: &AppState, parts: &[Part]) {
    for p in parts {
        if let Part::Photo(record) = p {
            app.photos.discard(record).await;
        }
    }
}

/// Reads every part, ingesting files one at a time; returns the album named, if any.
async fn read_parts(
    app: &AppState,
    session: &Session,
    multipart: &mut Multipart,
    parts: &mut Vec<Part>,
) -> ApiResult<Option<Group>> {
    let limit = app.cfg.photo_max_request_bytes;
    let spool_dir = app.cfg.data_dir.join("tmp");
    std::fs::create_dir_all(&spool_dir)
        .map_err(|e| ApiError::internal("creating the upload spool folder", e))?;
    let mut album = None;
    let mut files = 0;
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|e| multipart_error(e, limit))?
    {
        match field.name() {
            Some("album_id") => {
                if files > 0 {
                    return Err(ApiError::bad_request(
                        codes::ALBUM_ID_AFTER_FILES,
                        "put the album_id part before the file parts; nothing was stored",
                    ));
                }
                let text = field.text().await.map_err(|e| multipart_error(e, limit))?;
                let id: GroupId = text.trim().parse().map_err(|_| {
                    ApiError::bad_request(codes::INVALID_ALBUM_ID, "album_id is not a UUID")
                })?;
                album = Some(own_group(app, session.user.id, id, Some(GroupSource::Album)).await?);
            }
            Some("file") => {
                let name = clean_name(field.file_name(), files);
                files += 1;
                let outcome =
                    match spool(&mut field, &spool_dir, app.cfg.photo_max_file_bytes, limit).await?
                    {
                        Ok(source) => {
                            app.photos
                                .ingest(session.user.id, &name, source, Utc::now())
                                .await
                        }
                        Err(e) => Err(e),
                    };
                parts.push(match outcome {
                    Ok(record) => Part::Photo(record),
                    Err(e) => Part::Failed {
                        file: name,
                        error: e.into(),
                    },
                });
            }
            other => {
                let what = other
                    .map(|n| format!("{n:?}"))
                    .unwrap_or_else(|| "without a name".into());
                return Err(ApiError::bad_request(codes::UNKNOWN_PART, format!("unexpected multipart part {what}: send `file` parts and an optional `album_id`")));
            }
        }
    }
    if files == 0 {
        return Err(ApiError::bad_request(
            codes::NO_FILES,
            "the upload has no `file` part",
        ));
    }
    Ok(album)
}

async fn finish_upload(
    app: &AppState,
    session: &Session,
    album: Option<Group>,
    parts: Vec<Part>,
) -> Response {
    let now = Utc::now();
    let ids: Vec<PhotoId> = parts
        .iter()
        .filter_map(|p| {
            if let Part::Photo(r) = p {
                Some(r.id)
            } else {
                None
            }
        })
        .collect();
    let mut group_id = None;
    if !ids.is_empty() {
        let batch = NewGroup {
            id: GroupId::new(),
            owner_id: session.user.id,
            source: GroupSource::Upload,
            name: format!("Upload of {}", now.format("%Y-%m-%d %H:%M UTC")),
            project_id: None,
        };
        let grouped = async {
            let g = app.store.create_group(&batch, &ids, now).await?;
            if let Some(album) = &album {
                app.store.add_to_group(album.id, &ids, now).await?;
            }
            Ok::<_, StoreError>(g)
        }
        .await;
        match grouped {
            Ok(g) => {
                group_id = Some(g.id);
                app.events
                    .publish(DomainEvent::PhotosUploaded {
                        upload: g.id,
                        album: album.as_ref().map(|a| a.id),
                        photos: ids.clone(),
                    })
                    .await;
            }
            Err(e) => {
                discard_parts(app, &parts).await;
                return ApiError::internal("grouping an upload", e).into_response();
            }
        }
    }
    let photos: Vec<Value> = parts
        .iter()
        .filter_map(|p| {
            if let Part::Photo(r) = p {
                Some(Library::to_json(r))
            } else {
                None
            }
        })
        .collect();
    let failures: Vec<(u16, &'static str, &str, &str)> = parts
        .iter()
        .filter_map(|p| {
            if let Part::Failed { file, error } = p {
                Some((
                    error.status.as_u16(),
                    error.code,
                    file.as_str(),
                    error.message.as_str(),
                ))
            } else {
                None
            }
        })
        .collect();
    let errors: Vec<Value> = failures
        .iter()
        .map(|(status, code, file, message)| json!({ "file": file, "error": { "code": code, "message": message, "status": status } }))
        .collect();
    let mut body = json!({ "photos": photos, "errors": errors, "group_id": group_id });
    if photos.is_empty() {
        // Nothing ingested: the request failed, with the files' common status.
        let first = failures[0];
        let same = failures.iter().all(|f| f.0 == first.0);
        let status = if same { first.0 } else { 422 };
        let (code, message) = if failures.len() == 1 {
            (first.1.to_owned(), format!("{}: {}", first.2, first.3))
        } else if same && failures.iter().all(|f| f.1 == first.1) {
            (
                first.1.to_owned(),
                format!(
                    "none of the {} files could be used: {}",
                    failures.len(),
                    first.3
                ),
            )
        } else {
            (
                codes::NO_PHOTOS_INGESTED.to_owned(),
                format!(
                    "none of the {} files could be used; see `errors` for each",
                    failures.len()
                ),
            )
        };
        body["error"] = json!({ "code": code, "message": message });
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
        return (status, Json(body)).into_response();
    }
    (StatusCode::OK, Json(body)).into_response()
}
