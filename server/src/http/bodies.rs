//! The JSON request bodies of the API as the fuzz target `api_json` and its regression replay
//! see them (SPEC §15, `fuzz/`): each body goes through its handler's own extractor
//! (`AppJson` over an in-memory request, so content type, syntax and data errors take the
//! same path as on the wire), then through the checks its handler runs before it first
//! touches the store, the clock or a job queue. Nothing here is routed or changes state.
//!
//! The body types keep their fields private to their handlers, so a body the extractor
//! accepted is read again as plain JSON to hand its fields to those checks. With
//! `deny_unknown_fields` and serde's refusal of duplicate fields, both readings agree.

use axum::body::Body;
use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use futures_util::FutureExt;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::codes;
use super::error::{ApiError, ApiResult};
use super::extract::AppJson;
use super::{accounts, automix, invites, photos, projects, renders, wall};
use crate::access::Role;
use crate::ids::{CommentId, NotificationId, PhotoId, VersionId};
use crate::photos::RemoteSize;

/// One JSON body of the API, by its route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Signup,
    Login,
    ProjectCreate,
    ProjectPatch,
    MemberRole,
    InviteCreate,
    NotificationsRead,
    WallPost,
    WallEdit,
    PhotoTags,
    PhotoRemote,
    AlbumCreate,
    AlbumPatch,
    AlbumPhotos,
    Share,
    PrintSelection,
    Automix,
    Render,
}

impl Endpoint {
    pub const ALL: [Endpoint; 18] = [
        Endpoint::Signup,
        Endpoint::Login,
        Endpoint::ProjectCreate,
        Endpoint::ProjectPatch,
        Endpoint::MemberRole,
        Endpoint::InviteCreate,
        Endpoint::NotificationsRead,
        Endpoint::WallPost,
        Endpoint::WallEdit,
        Endpoint::PhotoTags,
        Endpoint::PhotoRemote,
        Endpoint::AlbumCreate,
        Endpoint::AlbumPatch,
        Endpoint::AlbumPhotos,
        Endpoint::Share,
        Endpoint::PrintSelection,
        Endpoint::Automix,
        Endpoint::Render,
    ];

    /// The route, as `README.md` lists it.
    pub fn route(self) -> &'static str {
        match self {
            Endpoint::Signup => "POST /api/auth/signup",
            Endpoint::Login => "POST /api/auth/login",
            Endpoint::ProjectCreate => "POST /api/projects",
            Endpoint::ProjectPatch => "PATCH /api/projects/{id}",
            Endpoint::MemberRole => "PUT /api/projects/{id}/members/{user_id}",
            Endpoint::InviteCreate => "POST /api/projects/{id}/invites",
            Endpoint::NotificationsRead => "POST /api/notifications/read",
            Endpoint::WallPost => "POST /api/projects/{id}/wall",
            Endpoint::WallEdit => "PATCH /api/projects/{id}/wall/{comment_id}",
            Endpoint::PhotoTags => "POST /api/photos/{id}/tags",
            Endpoint::PhotoRemote => "POST /api/photos/remote",
            Endpoint::AlbumCreate => "POST /api/albums",
            Endpoint::AlbumPatch => "PATCH /api/albums/{id}",
            Endpoint::AlbumPhotos => "POST /api/albums/{id}/photos",
            Endpoint::Share => "POST /api/shares",
            Endpoint::PrintSelection => "POST /api/print-selections",
            Endpoint::Automix => "POST /api/projects/{id}/automix",
            Endpoint::Render => "POST /api/projects/{id}/renders",
        }
    }
}

/// Extracts `bytes`, sent with `content_type`, as the body of `endpoint` and runs its
/// handler's checks. `Ok` means the handler would go on to the store.
pub fn check(endpoint: Endpoint, content_type: Option<&str>, bytes: &[u8]) -> ApiResult<()> {
    match endpoint {
        Endpoint::Signup => {
            extract::<accounts::SignupBody>(content_type, bytes)?;
            let v = fields(bytes);
            accounts::check_email(str_of(&v, "email"))?;
            accounts::check_name(str_of(&v, "name"), "name", 100)?;
            let n = str_of(&v, "password").chars().count();
            if !(accounts::MIN_PASSWORD..=accounts::MAX_PASSWORD).contains(&n) {
                return Err(ApiError::invalid(
                    codes::WEAK_PASSWORD,
                    "the password is too short or too long",
                ));
            }
        }
        Endpoint::Login => {
            extract::<accounts::LoginBody>(content_type, bytes)?;
            let v = fields(bytes);
            let _ = str_of(&v, "email").trim();
        }
        Endpoint::ProjectCreate => {
            extract::<projects::CreateBody>(content_type, bytes)?;
            let v = fields(bytes);
            accounts::check_name(str_of(&v, "title"), "title", 200)?;
            projects::check_product(
                opt_str(&v, "product").unwrap_or(crdt_schema::DEFAULT_PRODUCT),
            )?;
            projects::check_theme(opt_str(&v, "theme").unwrap_or(projects::DEFAULT_THEME))?;
        }
        Endpoint::ProjectPatch => {
            extract::<projects::PatchBody>(content_type, bytes)?;
            let v = fields(bytes);
            opt_str(&v, "title")
                .map(|t| accounts::check_name(t, "title", 200))
                .transpose()?;
            opt_str(&v, "product")
                .map(projects::check_product)
                .transpose()?;
            opt_str(&v, "theme")
                .map(projects::check_theme)
                .transpose()?;
        }
        Endpoint::MemberRole => {
            extract::<projects::RoleBody>(content_type, bytes)?;
            let v = fields(bytes);
            Role::parse(str_of(&v, "role"))
                .ok_or_else(|| ApiError::invalid(codes::INVALID_ROLE, "role is not a role"))?;
        }
        Endpoint::InviteCreate => {
            extract::<invites::CreateBody>(content_type, bytes)?;
            let v = fields(bytes);
            let role = str_of(&v, "role");
            if role == "owner" {
                return Err(ApiError::forbidden(
                    "an invite grants at most the manager role",
                ));
            }
            Role::parse(role)
                .ok_or_else(|| ApiError::invalid(codes::INVALID_ROLE, "role is not a role"))?;
            let expires_in = v["expires_in_s"]
                .as_i64()
                .unwrap_or(invites::DEFAULT_EXPIRY_S);
            if !(1..=invites::MAX_EXPIRY_S).contains(&expires_in) {
                return Err(ApiError::invalid(
                    codes::INVALID_EXPIRY,
                    "expires_in_s is out of range",
                ));
            }
            if v["max_uses"]
                .as_i64()
                .is_some_and(|m| !(1..=invites::MAX_USES as i64).contains(&m))
            {
                return Err(ApiError::invalid(
                    codes::INVALID_MAX_USES,
                    "max_uses is out of range",
                ));
            }
            opt_str(&v, "email").map(invites::check_email).transpose()?;
        }
        Endpoint::NotificationsRead => {
            extract::<invites::ReadBody>(content_type, bytes)?;
            let v = fields(bytes);
            let ids = strings(&v, "ids");
            if ids.len() > 1000 {
                return Err(ApiError::invalid(
                    codes::INVALID_IDS,
                    "mark at most 1000 notifications at a time",
                ));
            }
            for s in ids {
                s.parse::<NotificationId>().map_err(|_| {
                    ApiError::invalid(
                        codes::INVALID_IDS,
                        format!("{s:?} is not a notification id (a UUID)"),
                    )
                })?;
            }
        }
        Endpoint::WallPost => {
            extract::<wall::PostBody>(content_type, bytes)?;
            let v = fields(bytes);
            wall::check_body(str_of(&v, "body"))?;
            let page = wall::check_ref(opt_str(&v, "page_id").map(str::to_owned), "page_id")?;
            let item = wall::check_ref(opt_str(&v, "item_id").map(str::to_owned), "item_id")?;
            if item.is_some() && page.is_none() {
                return Err(ApiError::invalid(
                    codes::INVALID_REFERENCE,
                    "an item_id needs the page_id of its page",
                ));
            }
            opt_str(&v, "parent_id")
                .map(|s| {
                    s.parse::<CommentId>().map_err(|_| {
                        ApiError::invalid(codes::INVALID_PARENT, "parent_id is a comment id")
                    })
                })
                .transpose()?;
        }
        Endpoint::WallEdit => {
            extract::<wall::PatchBody>(content_type, bytes)?;
            wall::check_body(str_of(&fields(bytes), "body"))?;
        }
        Endpoint::PhotoTags => {
            extract::<photos::TagsBody>(content_type, bytes)?;
            let v = fields(bytes);
            let tags = strings(&v, "tags");
            if tags.is_empty() || tags.len() > photos::MAX_TAGS {
                return Err(ApiError::invalid(
                    codes::INVALID_TAGS,
                    "too many or no tags",
                ));
            }
            for t in tags {
                photos::clean_tag(t)?;
            }
        }
        Endpoint::PhotoRemote => {
            extract::<photos::RemoteBody>(content_type, bytes)?;
            let v = fields(bytes);
            photos::check_group_name(str_of(&v, "name"))?;
            let sizes: Vec<RemoteSize> =
                serde_json::from_value(v["sizes"].clone()).expect("the extractor read these sizes");
            crate::photos::library::check_remote_sizes(sizes)
                .map_err(|m| ApiError::invalid(codes::INVALID_SIZES, m))?;
            if let Some(o) = opt_str(&v, "taken_at_offset") {
                crate::photos::capture::parse_offset(o.as_bytes())
                    .ok_or_else(|| ApiError::invalid(codes::INVALID_TAKEN_AT, "taken_at_offset"))?;
            }
            if let Some(t) = opt_str(&v, "taken_at") {
                let _ = chrono::DateTime::parse_from_rfc3339(t);
                let _ = chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f");
            }
            if let Some(c) = opt_str(&v, "camera") {
                let _ = c.chars().count() > 200 || c.chars().any(char::is_control);
            }
        }
        Endpoint::AlbumCreate => {
            extract::<photos::NameBody>(content_type, bytes)?;
            photos::check_group_name(str_of(&fields(bytes), "name"))?;
        }
        Endpoint::AlbumPatch => {
            extract::<photos::AlbumPatch>(content_type, bytes)?;
            let v = fields(bytes);
            opt_str(&v, "name")
                .map(photos::check_group_name)
                .transpose()?;
            opt_str(&v, "cover_photo_id")
                .map(|s| {
                    s.parse::<PhotoId>()
                        .map_err(|_| ApiError::invalid(codes::INVALID_COVER, "cover_photo_id"))
                })
                .transpose()?;
        }
        Endpoint::AlbumPhotos => {
            extract::<photos::PhotoIdsBody>(content_type, bytes)?;
            photos::photo_ids(&owned_strings(&fields(bytes), "photo_ids"))?;
        }
        Endpoint::Share => {
            extract::<photos::ShareBody>(content_type, bytes)?;
            let v = fields(bytes);
            photos::photo_ids(&owned_strings(&v, "photo_ids"))?;
            str_of(&v, "project_id")
                .parse::<crate::ids::ProjectId>()
                .map_err(|_| {
                    ApiError::invalid(codes::INVALID_PROJECT_ID, "project_id is not a UUID")
                })?;
        }
        Endpoint::PrintSelection => {
            extract::<photos::PrintBody>(content_type, bytes)?;
            let v = fields(bytes);
            photos::photo_ids(&owned_strings(&v, "photo_ids"))?;
            opt_str(&v, "name")
                .map(photos::check_group_name)
                .transpose()?;
        }
        Endpoint::Automix => {
            extract::<automix::AutomixBody>(content_type, bytes)?;
            let v = fields(bytes);
            match (
                opt_str(&v, "page_id"),
                v.get("photo_ids").filter(|p| !p.is_null()),
                opt_str(&v, "album_id"),
            ) {
                (Some(page), None, None) => {
                    if page.is_empty() || page.len() > 64 {
                        return Err(ApiError::invalid(codes::INVALID_PAGE_ID, "page_id"));
                    }
                }
                (None, Some(_), None) => {
                    let ids = strings(&v, "photo_ids");
                    if ids.is_empty() || ids.len() > automix::MAX_PHOTOS {
                        return Err(ApiError::invalid(codes::INVALID_PHOTO_IDS, "photo_ids"));
                    }
                    for raw in ids {
                        raw.parse::<PhotoId>().map_err(|_| {
                            ApiError::invalid(
                                codes::INVALID_PHOTO_IDS,
                                format!("{raw:?} is not a photo id"),
                            )
                        })?;
                    }
                }
                (None, None, Some(album)) => {
                    album
                        .parse::<crate::ids::GroupId>()
                        .map_err(|_| ApiError::invalid(codes::INVALID_ALBUM_ID, "album_id"))?;
                }
                _ => {
                    return Err(ApiError::invalid(
                        codes::INVALID_AUTOMIX,
                        "give exactly one of photo_ids, album_id or page_id",
                    ))
                }
            }
        }
        Endpoint::Render => {
            extract::<renders::RenderBody>(content_type, bytes)?;
            let v = fields(bytes);
            if let Some(p) = opt_str(&v, "product") {
                crdt_schema::product(p).ok_or_else(|| {
                    ApiError::invalid(codes::UNKNOWN_PRODUCT, format!("unknown product {p:?}"))
                })?;
            }
            if let Some(raw) = opt_str(&v, "version_id") {
                raw.parse::<VersionId>()
                    .map_err(|_| ApiError::invalid(codes::VERSION_NOT_FOUND, "version_id"))?;
            }
        }
    }
    Ok(())
}

/// Runs the real extractor on an in-memory request. Its body is complete, so the future
/// resolves on its first poll.
fn extract<T: DeserializeOwned>(content_type: Option<&str>, bytes: &[u8]) -> ApiResult<T> {
    let mut req = Request::builder().method("POST").uri("/");
    if let Some(ct) = content_type {
        req = req.header(CONTENT_TYPE, ct);
    }
    let req = req
        .body(Body::from(bytes.to_vec()))
        .expect("a request of a method, a path and a body");
    match AppJson::<T>::from_request(req, &()).now_or_never() {
        Some(result) => result.map(|AppJson(v)| v),
        None => panic!("the JSON extractor waited on an in-memory body"),
    }
}

/// A body the extractor accepted, as plain JSON.
fn fields(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).expect("a body the extractor accepted is JSON")
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .expect("the extractor checked this field is a string")
}

fn opt_str<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn strings<'a>(v: &'a Value, key: &str) -> Vec<&'a str> {
    v[key]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn owned_strings(v: &Value, key: &str) -> Vec<String> {
    strings(v, key).into_iter().map(str::to_owned).collect()
}
