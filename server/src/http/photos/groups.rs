//! Albums, shares and print selections (SPEC §9): the groups of photos one makes by hand,
//! and the groups an upload makes, as their owner sees them.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{album_json, check_group_name, group_json, not_all_yours, own_group, photo_ids};
use crate::access::Role;
use crate::events::DomainEvent;
use crate::http::codes;
use crate::http::error::{ApiError, ApiResult, MissingAs};
use crate::http::extract::{project_role, AppJson, AppPath, AuthUser};
use crate::ids::{GroupId, PhotoId, ProjectId};
use crate::photos::Library;
use crate::store::{GroupSource, NewGroup, PhotoFilter};
use crate::AppState;

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
    app.events
        .publish(DomainEvent::GroupChanged { group: id })
        .await;
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
    app.events
        .publish(DomainEvent::PhotosAddedToGroup {
            group: id,
            photos: ids,
        })
        .await;
    Ok(Json(json!({ "album": album_json(&album) })))
}

pub async fn remove_album_photo(
    State(app): State<AppState>,
    AuthUser(session): AuthUser,
    AppPath((id, photo)): AppPath<(GroupId, PhotoId)>,
) -> ApiResult<StatusCode> {
    own_group(&app, session.user.id, id, Some(GroupSource::Album)).await?;
    if app.store.remove_from_group(id, photo, Utc::now()).await? {
        app.events
            .publish(DomainEvent::PhotoRemovedFromGroup { group: id, photo })
            .await;
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
    app.events
        .publish(DomainEvent::GroupCreated { group: group.id })
        .await;
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
    app.events
        .publish(DomainEvent::GroupCreated { group: group.id })
        .await;
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
