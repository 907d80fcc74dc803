//! The photo library over HTTP (SPEC §4, §9), one file per responsibility: `upload`
//! (multipart uploads), `photo` (one's photos: list, fetch, files, tags, remote photos) and
//! `groups` (albums, shares, print selections and the groups they make). This file holds
//! what they share: who may see or change what, the checks of names, tags and id lists, and
//! the JSON of a group.

mod groups;
mod photo;
mod upload;

use serde_json::{json, Value};

use super::codes;
use super::error::{ApiError, ApiResult, MissingAs};
use crate::ids::{GroupId, PhotoId, UserId};
use crate::store::{Group, GroupSource, PhotoRecord, StoreError};
use crate::AppState;

pub use groups::{
    add_album_photos, create_album, get_album, get_group, group_events, list_albums, list_groups,
    patch_album, print_selection, remove_album_photo, share, AlbumPatch, NameBody, PhotoIdsBody,
    PrintBody, ShareBody,
};
pub use photo::{add_tags, file, get, list, register_remote, remove_tag, RemoteBody, TagsBody};
pub use upload::upload;

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
