//! One's photos (SPEC §4, §9.1): list, fetch, their files, tags, and photos kept by a
//! partner (remote photos, registered from their size array).

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{check_group_name, clean_tag, own_group, own_photo, visible_photo, MAX_TAGS};
use crate::events::DomainEvent;
use crate::http::codes;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{project_role, session_for_token, AppJson, AppPath, AuthUser};
use crate::ids::{GroupId, PhotoId, ProjectId};
use crate::photos::{Library, PhotoFile, RemoteInfo, RemoteSize};
use crate::store::{GroupSource, PhotoFilter};
use crate::AppState;

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
    // The groups holding it now, the tag groups of the new tags among them.
    let groups = app.store.groups_of_photo(id).await.unwrap_or_default();
    app.events
        .publish(DomainEvent::PhotoTagsChanged { photo: id, groups })
        .await;
    Ok(Json(json!({ "photo": Library::to_json(&record) })))
}

pub async fn remove_tag(
    State(app): State<AppState>,
    AuthUser(session): AuthUser,
    AppPath((id, tag)): AppPath<(PhotoId, String)>,
) -> ApiResult<Json<Value>> {
    let tag = clean_tag(&tag)?;
    own_photo(&app, session.user.id, id).await?;
    // The groups holding it before, the tag group it leaves among them.
    let groups = app.store.groups_of_photo(id).await.unwrap_or_default();
    let record = app.store.remove_tag(id, &tag, Utc::now()).await?;
    app.events
        .publish(DomainEvent::PhotoTagsChanged { photo: id, groups })
        .await;
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
