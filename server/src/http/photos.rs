//! The photo library over HTTP (SPEC §4, §9): uploads, photos and their files, tags, remote
//! photos, albums, and the other groups (shares, print selections).
//!
//! An upload streams: each file part is spooled to an anonymous temporary file as it
//! arrives, with the per-file limit counted on the way, then ingested before the next part
//! is read. A file that fails is reported by name and keeps nothing; a request that fails as
//! a whole (bad multipart, over the request limit, a bad `album_id`) keeps none of its files.

use std::io::Write;

use axum::extract::multipart::{Field, MultipartError, MultipartRejection};
use axum::extract::{Multipart, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use serde::Deserialize;
use serde_json::{json, Value};

use super::codes;
use super::error::{ApiError, ApiResult, MissingAs};
use super::extract::{project_role, session_for_token, AppJson, AppPath, AuthUser};
use crate::access::Role;
use crate::ids::{GroupId, PhotoId, ProjectId, UserId};
use crate::photos::{IngestError, Library, PhotoFile, RemoteInfo, RemoteSize, Source};
use crate::store::{Group, GroupSource, NewGroup, PhotoFilter, PhotoRecord, Session, StoreError};
use crate::AppState;

/// Most tags one request may add.
pub(super) const MAX_TAGS: usize = 32;
/// Most photos one album, share or print-selection request may name.
const MAX_PHOTO_IDS: usize = 10_000;

fn photo_not_found() -> ApiError {
    ApiError::missing(
        codes::PHOTO_NOT_FOUND,
        "no photo with this id that you can see",
    )
}

fn album_not_found() -> ApiError {
    ApiError::missing(codes::ALBUM_NOT_FOUND, "no album of yours with this id")
}

fn group_not_found() -> ApiError {
    ApiError::missing(codes::GROUP_NOT_FOUND, "no group of yours with this id")
}

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

pub(super) fn check_group_name(name: &str) -> ApiResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            codes::INVALID_NAME,
            "a name is 1 to 200 characters, without control characters",
        ));
    }
    Ok(name.to_owned())
}

/// A tag as stored: trimmed and lowercased, 1 to 64 characters without control characters.
pub(super) fn clean_tag(raw: &str) -> ApiResult<String> {
    let tag = raw.trim().to_lowercase();
    if tag.is_empty() || tag.chars().count() > 64 || tag.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            codes::INVALID_TAG,
            format!(
                "{raw:?} is not a tag: tags are 1 to 64 characters, without control characters"
            ),
        ));
    }
    Ok(tag)
}

async fn own_group(
    app: &AppState,
    user: UserId,
    id: GroupId,
    source: Option<GroupSource>,
) -> ApiResult<Group> {
    let missing = || {
        if source == Some(GroupSource::Album) {
            album_not_found()
        } else {
            group_not_found()
        }
    };
    match app.store.group(id).await {
        Ok(g) if g.owner_id == user && source.is_none_or(|s| s == g.source) => Ok(g),
        Ok(_) | Err(StoreError::NotFound) => Err(missing()),
        Err(e) => Err(e.into()),
    }
}

/// A photo the caller may see, or 404 (never 403: ids cannot be probed).
async fn visible_photo(app: &AppState, user: UserId, id: PhotoId) -> ApiResult<PhotoRecord> {
    let record = app.store.photo(id).await.missing_as(photo_not_found)?;
    if app.photos.can_see(user, &record).await? {
        Ok(record)
    } else {
        Err(photo_not_found())
    }
}

async fn own_photo(app: &AppState, user: UserId, id: PhotoId) -> ApiResult<PhotoRecord> {
    match app.store.photo(id).await {
        Ok(r) if r.owner_id == user => Ok(r),
        Ok(_) | Err(StoreError::NotFound) => Err(photo_not_found()),
        Err(e) => Err(e.into()),
    }
}

pub(super) fn photo_ids(raw: &[String]) -> ApiResult<Vec<PhotoId>> {
    if raw.is_empty() || raw.len() > MAX_PHOTO_IDS {
        return Err(ApiError::invalid(
            codes::INVALID_PHOTO_IDS,
            format!("photo_ids lists 1 to {MAX_PHOTO_IDS} photo ids"),
        ));
    }
    let mut out: Vec<PhotoId> = Vec::with_capacity(raw.len());
    for s in raw {
        let id = s.parse().map_err(|_| {
            ApiError::invalid(
                codes::INVALID_PHOTO_IDS,
                format!("{s:?} is not a photo id (a UUID)"),
            )
        })?;
        if !out.contains(&id) {
            out.push(id);
        }
    }
    Ok(out)
}

/// What `NotFound` from a group write means: a photo was not the owner's.
fn not_all_yours() -> ApiError {
    ApiError::missing(
        codes::PHOTO_NOT_FOUND,
        "one of the photos is not one of yours; nothing was changed",
    )
}

fn group_json(g: &Group) -> Value {
    serde_json::to_value(g).unwrap_or(Value::Null)
}

fn album_json(g: &Group) -> Value {
    json!({
        "id": g.id,
        "owner_id": g.owner_id,
        "name": g.name,
        "photo_count": g.photo_count,
        "cover_photo_id": g.cover_photo_id,
        "created_at": g.created_at,
        "updated_at": g.updated_at,
    })
}

// ---------------------------------------------------------------------------------------
// Upload

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
                // An upload into an album is that album's growth: one book, not two.
                let changed: Vec<GroupId> = vec![album.as_ref().map_or(g.id, |a| a.id)];
                crate::proactive::groups_changed(&app.cfg, &app.jobs, &changed).await;
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

// ---------------------------------------------------------------------------------------
// Photos

#[derive(Deserialize)]
pub struct ListQuery {
    album_id: Option<String>,
    group_id: Option<String>,
    tag: Option<String>,
    project_id: Option<String>,
}

fn parse_query_id<T: std::str::FromStr>(
    raw: &Option<String>,
    what: &'static str,
) -> ApiResult<Option<T>> {
    raw.as_deref()
        .map(|s| {
            s.parse().map_err(|_| {
                ApiError::bad_request(codes::INVALID_QUERY, format!("{what} is not a UUID"))
            })
        })
        .transpose()
}

pub async fn list(
    State(app): State<AppState>,
    AuthUser(session): AuthUser,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Value>> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(codes::INVALID_QUERY, e.body_text()))?;
    let user = session.user.id;
    if let Some(project) = parse_query_id::<ProjectId>(&q.project_id, "project_id")? {
        project_role(&app, project, &session).await?;
        let photos = app.store.photos_shared_with(project).await?;
        return Ok(Json(Value::Array(
            photos.iter().map(Library::to_json).collect(),
        )));
    }
    let album: Option<GroupId> = parse_query_id(&q.album_id, "album_id")?;
    let group: Option<GroupId> = parse_query_id(&q.group_id, "group_id")?;
    if album.is_some() && group.is_some() {
        return Err(ApiError::bad_request(
            codes::INVALID_QUERY,
            "give album_id or group_id, not both",
        ));
    }
    if let Some(a) = album {
        own_group(&app, user, a, Some(GroupSource::Album)).await?;
    }
    if let Some(g) = group {
        own_group(&app, user, g, None).await?;
    }
    let tag = q.tag.as_deref().map(clean_tag).transpose()?;
    let photos = app
        .store
        .photos(
            user,
            &PhotoFilter {
                group: album.or(group),
                tag,
            },
        )
        .await?;
    Ok(Json(Value::Array(
        photos.iter().map(Library::to_json).collect(),
    )))
}

pub async fn get(
    State(app): State<AppState>,
    AuthUser(session): AuthUser,
    AppPath(id): AppPath<PhotoId>,
) -> ApiResult<Json<Value>> {
    let record = visible_photo(&app, session.user.id, id).await?;
    Ok(Json(json!({ "photo": Library::to_json(&record) })))
}

#[derive(Deserialize)]
pub struct FileQuery {
    size: Option<String>,
    /// For `<img src>`, which cannot send a header: the same token as the bearer header.
    token: Option<String>,
}

pub async fn file(
    State(app): State<AppState>,
    AppPath(id): AppPath<PhotoId>,
    headers: HeaderMap,
    query: Result<Query<FileQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(codes::INVALID_QUERY, e.body_text()))?;
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "));
    let session = match bearer.or(q.token.as_deref()).map(str::trim) {
        Some(token) if !token.is_empty() => session_for_token(&app, token).await?,
        _ => {
            return Err(ApiError::unauthorized(
                codes::UNAUTHORIZED,
                "missing bearer token: send Authorization: Bearer <token> or ?token=",
            ))
        }
    };
    let size = match q.size.as_deref() {
        None | Some("") => None,
        Some(s) => Some(s.parse::<usize>().map_err(|_| {
            ApiError::bad_request(
                codes::INVALID_SIZE,
                "size is the index of a size in the photo's `sizes` (0, 1, …)",
            )
        })?),
    };
    let record = visible_photo(&app, session.user.id, id).await?;
    let count = record.meta["sizes"].as_array().map_or(0, Vec::len);
    let index = size.unwrap_or(count.saturating_sub(1));
    let etag = format!("\"{}-{index}\"", record.id);
    let file = app.photos.file(&record, size).await?.ok_or_else(|| {
        ApiError::missing(
            codes::NO_SUCH_SIZE,
            format!("this photo has {count} sizes, numbered from 0"),
        )
    })?;
    match file {
        PhotoFile::Remote { url } => Ok((
            StatusCode::TEMPORARY_REDIRECT,
            [
                (header::LOCATION, url),
                (header::CACHE_CONTROL, "private, max-age=300".to_owned()),
            ],
        )
            .into_response()),
        PhotoFile::Stored {
            bytes,
            content_type,
        } => {
            let cache = [
                (header::ETAG, etag.clone()),
                // A stored size never changes: its key is made of the photo id and the size.
                (
                    header::CACHE_CONTROL,
                    "private, max-age=31536000, immutable".to_owned(),
                ),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            ];
            let fresh = headers
                .get(header::IF_NONE_MATCH)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
            if fresh {
                return Ok((StatusCode::NOT_MODIFIED, cache).into_response());
            }
            Ok((cache, [(header::CONTENT_TYPE, content_type)], bytes).into_response())
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagsBody {
    tags: Vec<String>,
}

pub async fn add_tags(
    State(app): State<AppState>,
    AuthUser(session): AuthUser,
    AppPath(id): AppPath<PhotoId>,
    AppJson(body): AppJson<TagsBody>,
) -> ApiResult<Json<Value>> {
    if body.tags.is_empty() || body.tags.len() > MAX_TAGS {
        return Err(ApiError::invalid(
            codes::INVALID_TAGS,
            format!("tags lists 1 to {MAX_TAGS} tags"),
        ));
    }
    let mut tags = Vec::new();
    for t in &body.tags {
        let t = clean_tag(t)?;
        if !tags.contains(&t) {
            tags.push(t);
        }
    }
    own_photo(&app, session.user.id, id).await?;
    let record = app.store.add_tags(id, &tags, Utc::now()).await?;
    let changed = crate::proactive::groups_of_photo(&*app.store, id).await;
    crate::proactive::groups_changed(&app.cfg, &app.jobs, &changed).await;
    Ok(Json(json!({ "photo": Library::to_json(&record) })))
}

pub async fn remove_tag(
    State(app): State<AppState>,
    AuthUser(session): AuthUser,
    AppPath((id, tag)): AppPath<(PhotoId, String)>,
) -> ApiResult<Json<Value>> {
    let tag = clean_tag(&tag)?;
    own_photo(&app, session.user.id, id).await?;
    let before = crate::proactive::groups_of_photo(&*app.store, id).await;
    let record = app.store.remove_tag(id, &tag, Utc::now()).await?;
    crate::proactive::groups_changed(&app.cfg, &app.jobs, &before).await;
    Ok(Json(json!({ "photo": Library::to_json(&record) })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpsBody {
    lat: f64,
    lon: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoteBody {
    name: String,
    sizes: Vec<RemoteSize>,
    taken_at: Option<String>,
    taken_at_offset: Option<String>,
    gps: Option<GpsBody>,
    camera: Option<String>,
}

/// Registers a photo kept by a partner, from its size array; nothing is fetched.
pub async fn register_remote(
    State(app): State<AppState>,
    AuthUser(session): AuthUser,
    AppJson(body): AppJson<RemoteBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let name = check_group_name(&body.name)?;
    let sizes = crate::photos::library::check_remote_sizes(body.sizes)
        .map_err(|m| ApiError::invalid(codes::INVALID_SIZES, m))?;
    let offset = match body.taken_at_offset.as_deref() {
        None => None,
        Some(o) => Some(
            crate::photos::capture::parse_offset(o.as_bytes())
                .map(|_| o.to_owned())
                .ok_or_else(|| {
                    ApiError::invalid(codes::INVALID_TAKEN_AT, "taken_at_offset looks like +02:00")
                })?,
        ),
    };
    let taken_at = match body.taken_at.as_deref() {
        None => None,
        Some(t) => {
            // RFC 3339 in UTC when the offset is known, else the local time without a zone.
            let ok = if offset.is_some() {
                chrono::DateTime::parse_from_rfc3339(t).is_ok()
            } else {
                chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f").is_ok()
                    || chrono::DateTime::parse_from_rfc3339(t).is_ok()
            };
            if !ok {
                return Err(ApiError::invalid(codes::INVALID_TAKEN_AT, "taken_at is RFC 3339 (2024-05-30T13:56:01Z), or a local time 2024-05-30T15:56:01 when no offset is known"));
            }
            Some(t.to_owned())
        }
    };
    let gps = match body.gps {
        Some(g)
            if g.lat.is_finite()
                && g.lon.is_finite()
                && g.lat.abs() <= 90.0
                && g.lon.abs() <= 180.0 =>
        {
            Some((g.lat, g.lon))
        }
        Some(_) => {
            return Err(ApiError::invalid(
                codes::INVALID_GPS,
                "gps is {lat, lon} in degrees, lat within ±90 and lon within ±180",
            ))
        }
        None => None,
    };
    let camera = match body.camera {
        Some(c) if c.chars().count() > 200 || c.chars().any(char::is_control) => {
            return Err(ApiError::invalid(
                codes::INVALID_CAMERA,
                "camera is at most 200 characters",
            ))
        }
        c => c,
    };
    let info = RemoteInfo {
        taken_at,
        taken_at_offset: offset,
        gps,
        camera,
    };
    let record = app
        .photos
        .register_remote(session.user.id, &name, sizes, info, Utc::now())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "photo": Library::to_json(&record) })),
    ))
}

// ---------------------------------------------------------------------------------------
// Albums and groups

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NameBody {
    name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhotoIdsBody {
    photo_ids: Vec<String>,
}

pub async fn create_album(
    State(app): State<AppState>,
    AuthUser(session): AuthUser,
    AppJson(body): AppJson<NameBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let name = check_group_name(&body.name)?;
    let group = NewGroup {
        id: GroupId::new(),
        owner_id: session.user.id,
        source: GroupSource::Album,
        name,
        project_id: None,
    };
    let album = app.store.create_group(&group, &[], Utc::now()).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "album": album_json(&album) })),
    ))
}

pub async fn list_albums(
    State(app): State<AppState>,
    AuthUser(session): AuthUser,
) -> ApiResult<Json<Value>> {
    let albums = app
        .store
        .groups(session.user.id, Some(GroupSource::Album))
        .await?;
    Ok(Json(Value::Array(albums.iter().map(album_json).collect())))
}

pub async fn get_album(
    State(app): State<AppState>,
    AuthUser(session): AuthUser,
    AppPath(id): AppPath<GroupId>,
) -> ApiResult<Json<Value>> {
    let album = own_group(&app, session.user.id, id, Some(GroupSource::Album)).await?;
    let photos = app
        .store
        .photos(
            session.user.id,
            &PhotoFilter {
                group: Some(id),
                tag: None,
            },
        )
        .await?;
    Ok(Json(
        json!({ "album": album_json(&album), "photos": photos.iter().map(Library::to_json).collect::<Vec<_>>() }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlbumPatch {
    name: Option<String>,
    /// A photo of the album, or null to clear (automix puts the cover photo on the cover).
    #[serde(default, deserialize_with = "some_or_null")]
    cover_photo_id: Option<Option<String>>,
}

/// Tells an absent field (`None`) from an explicit null (`Some(None)`).
fn some_or_null<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

pub async fn patch_album(
    State(app): State<AppState>,
    AuthUser(session): AuthUser,
    AppPath(id): AppPath<GroupId>,
    AppJson(body): AppJson<AlbumPatch>,
) -> ApiResult<Json<Value>> {
    let name = body.name.as_deref().map(check_group_name).transpose()?;
    let cover: Option<Option<PhotoId>> = match body.cover_photo_id {
        None => None,
        Some(None) => Some(None),
        Some(Some(raw)) => Some(Some(raw.parse().map_err(|_| {
            ApiError::invalid(
                codes::INVALID_COVER,
                "cover_photo_id is a photo id of the album, or null",
            )
        })?)),
    };
    if name.is_none() && cover.is_none() {
        return Err(ApiError::invalid(
            codes::EMPTY_PATCH,
            "give a name or a cover_photo_id",
        ));
    }
    let mut album = own_group(&app, session.user.id, id, Some(GroupSource::Album)).await?;
    if let Some(cover) = cover {
        album = app
            .store
            .set_group_cover(id, cover, Utc::now())
            .await
            .missing_as(|| {
                ApiError::invalid(
                    codes::INVALID_COVER,
                    "the cover must be a photo of this album",
                )
            })?;
    }
    if let Some(name) = name {
        album = app.store.rename_group(id, &name, Utc::now()).await?;
    }
    crate::proactive::groups_changed(&app.cfg, &app.jobs, &[id]).await;
    Ok(Json(json!({ "album": album_json(&album) })))
}

pub async fn add_album_photos(
    State(app): State<AppState>,
    AuthUser(session): AuthUser,
    AppPath(id): AppPath<GroupId>,
    AppJson(body): AppJson<PhotoIdsBody>,
) -> ApiResult<Json<Value>> {
    let ids = photo_ids(&body.photo_ids)?;
    own_group(&app, session.user.id, id, Some(GroupSource::Album)).await?;
    let album = app
        .store
        .add_to_group(id, &ids, Utc::now())
        .await
        .missing_as(not_all_yours)?;
    crate::proactive::groups_changed(&app.cfg, &app.jobs, &[id]).await;
    Ok(Json(json!({ "album": album_json(&album) })))
}

pub async fn remove_album_photo(
    State(app): State<AppState>,
    AuthUser(session): AuthUser,
    AppPath((id, photo)): AppPath<(GroupId, PhotoId)>,
) -> ApiResult<StatusCode> {
    own_group(&app, session.user.id, id, Some(GroupSource::Album)).await?;
    if app.store.remove_from_group(id, photo, Utc::now()).await? {
        crate::proactive::groups_changed(&app.cfg, &app.jobs, &[id]).await;
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::missing(
            codes::PHOTO_NOT_FOUND,
            "this photo is not in the album",
        ))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShareBody {
    photo_ids: Vec<String>,
    project_id: String,
}

/// Shares some of one's photos with a project's members (contributor and above).
pub async fn share(
    State(app): State<AppState>,
    AuthUser(session): AuthUser,
    AppJson(body): AppJson<ShareBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let ids = photo_ids(&body.photo_ids)?;
    let project: ProjectId = body
        .project_id
        .parse()
        .map_err(|_| ApiError::invalid(codes::INVALID_PROJECT_ID, "project_id is not a UUID"))?;
    let (project, role) = project_role(&app, project, &session).await?;
    if role < Role::Contributor {
        return Err(ApiError::forbidden(
            "sharing photos with a project needs the contributor role or above",
        ));
    }
    let group = NewGroup {
        id: GroupId::new(),
        owner_id: session.user.id,
        source: GroupSource::Share,
        name: format!("Shared with {}", project.title),
        project_id: Some(project.id),
    };
    let group = app
        .store
        .create_group(&group, &ids, Utc::now())
        .await
        .missing_as(not_all_yours)?;
    crate::proactive::groups_changed(&app.cfg, &app.jobs, &[group.id]).await;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "group": group_json(&group) })),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrintBody {
    photo_ids: Vec<String>,
    name: Option<String>,
}

/// Photos picked for printing: a group of their own (seed 000's print selection).
pub async fn print_selection(
    State(app): State<AppState>,
    AuthUser(session): AuthUser,
    AppJson(body): AppJson<PrintBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let ids = photo_ids(&body.photo_ids)?;
    let name = match body.name {
        Some(n) => check_group_name(&n)?,
        None => format!("Prints of {}", Utc::now().format("%Y-%m-%d")),
    };
    let group = NewGroup {
        id: GroupId::new(),
        owner_id: session.user.id,
        source: GroupSource::Print,
        name,
        project_id: None,
    };
    let group = app
        .store
        .create_group(&group, &ids, Utc::now())
        .await
        .missing_as(not_all_yours)?;
    crate::proactive::groups_changed(&app.cfg, &app.jobs, &[group.id]).await;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "group": group_json(&group) })),
    ))
}

#[derive(Deserialize)]
pub struct GroupsQuery {
    source: Option<String>,
}

pub async fn list_groups(
    State(app): State<AppState>,
    AuthUser(session): AuthUser,
    query: Result<Query<GroupsQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Value>> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(codes::INVALID_QUERY, e.body_text()))?;
    let source = match q.source.as_deref() {
        None | Some("") => None,
        Some(s) => Some(GroupSource::parse(s).ok_or_else(|| {
            ApiError::bad_request(
                codes::INVALID_QUERY,
                "source is one of upload, album, tag, share, print",
            )
        })?),
    };
    let groups = app.store.groups(session.user.id, source).await?;
    Ok(Json(Value::Array(groups.iter().map(group_json).collect())))
}

pub async fn get_group(
    State(app): State<AppState>,
    AuthUser(session): AuthUser,
    AppPath(id): AppPath<GroupId>,
) -> ApiResult<Json<Value>> {
    let group = own_group(&app, session.user.id, id, None).await?;
    let ids = app.store.group_photo_ids(id).await?;
    Ok(Json(
        json!({ "group": group_json(&group), "photo_ids": ids }),
    ))
}

#[derive(Deserialize)]
pub struct EventsQuery {
    after: Option<i64>,
    limit: Option<i64>,
}

pub async fn group_events(
    State(app): State<AppState>,
    AuthUser(session): AuthUser,
    AppPath(id): AppPath<GroupId>,
    query: Result<Query<EventsQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Value>> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(codes::INVALID_QUERY, e.body_text()))?;
    own_group(&app, session.user.id, id, None).await?;
    let limit = q.limit.unwrap_or(500).clamp(1, 1000);
    let events = app
        .store
        .group_events(id, q.after.unwrap_or(0), limit)
        .await?;
    Ok(Json(serde_json::to_value(events).map_err(|e| {
        ApiError::internal("serialising group events", e)
    })?))
}
