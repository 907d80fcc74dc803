//! The book wall (SPEC §4, §12): comments and one level of replies, optionally pointing at a
//! page and item of the book. Bodies are plain text: stored and returned as given, never
//! rendered as HTML here. Every change goes out as a `comment` event on the project's SSE
//! stream, on every node.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;
use serde::Deserialize;
use serde_json::{json, Value};
use yrs::Transact;

use super::codes;
use super::error::{ApiError, ApiResult};
use super::extract::{AppJson, AppPath, Commenter, ProjectAccess};
use crate::access::Role;
use crate::events::DomainEvent;
use crate::ids::{CommentId, NotificationId, ProjectId, UserId};
use crate::store::{Comment, Notification, StoreError};
use crate::AppState;

/// Longest comment body, in characters.
pub const MAX_BODY_CHARS: usize = 4000;
const DEFAULT_PAGE: i64 = 50;

pub fn comment_json(c: &Comment) -> Value {
    json!({
        "id": c.id,
        "project_id": c.project_id,
        "author": { "id": c.author_id, "name": c.author_name },
        "parent_id": c.parent_id,
        "page_id": c.page_id,
        "item_id": c.item_id,
        "body": c.body,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
    })
}

pub(super) fn check_body(raw: &str) -> ApiResult<String> {
    let body = raw.trim();
    if body.is_empty() {
        return Err(ApiError::invalid(
            codes::EMPTY_COMMENT,
            "a comment needs some text",
        ));
    }
    if body.chars().count() > MAX_BODY_CHARS {
        return Err(ApiError::too_large(
            codes::COMMENT_TOO_LONG,
            format!("a comment is at most {MAX_BODY_CHARS} characters"),
        ));
    }
    Ok(body.to_owned())
}

/// Page and item ids are the document's own (uuid strings); anything printable and short.
pub(super) fn check_ref(raw: Option<String>, what: &str) -> ApiResult<Option<String>> {
    match raw {
        None => Ok(None),
        Some(s) if !s.is_empty() && s.len() <= 64 && s.chars().all(|c| c.is_ascii_graphic()) => {
            Ok(Some(s))
        }
        Some(_) => Err(ApiError::invalid(
            codes::INVALID_REFERENCE,
            format!(
                "{what} is the id of a {what_kind} in the book",
                what_kind = what.trim_end_matches("_id")
            ),
        )),
    }
}

/// Records a notification, then raises it so the user's open streams hear of it at once.
pub async fn notify(app: &AppState, n: &Notification) {
    if let Err(e) = app.store.insert_notification(n).await {
        tracing::warn!(error = %e, "could not record a notification");
        return;
    }
    notification_recorded(app, n).await;
}

/// Raises a notification already recorded.
pub async fn notification_recorded(app: &AppState, n: &Notification) {
    let notification = serde_json::to_value(n).unwrap_or_default();
    app.events
        .publish(DomainEvent::NotificationRecorded {
            user: n.user_id,
            notification,
        })
        .await;
}

/// Who made a page of the book, from its durable document (for "a comment on your page").
async fn page_creator(app: &AppState, project: ProjectId, page_id: &str) -> Option<UserId> {
    let (state, _) = crate::versions::durable_state(&*app.store, project)
        .await
        .ok()?;
    let doc = yrs::Doc::new();
    {
        use yrs::updates::decoder::Decode;
        let mut txn = doc.transact_mut();
        txn.apply_update(yrs::Update::decode_v1(&state).ok()?)
            .ok()?;
    }
    let book = crdt_schema::model::read_book(&doc.transact()).ok()?;
    let page = book.pages.iter().find(|p| p.id == page_id)?;
    page.created_by.parse().ok()
}

#[derive(Deserialize)]
pub struct WallQuery {
    before: Option<String>,
    limit: Option<i64>,
}

pub async fn list(
    State(app): State<AppState>,
    access: ProjectAccess,
    query: Result<Query<WallQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Value>> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(codes::INVALID_QUERY, e.body_text()))?;
    let before: Option<CommentId> = q
        .before
        .as_deref()
        .map(|s| {
            s.parse()
                .map_err(|_| ApiError::bad_request(codes::INVALID_QUERY, "before is a comment id"))
        })
        .transpose()?;
    let limit = q.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::bad_request(
            codes::INVALID_QUERY,
            "limit is 1 to 200",
        ));
    }
    if let Some(b) = before {
        match app.store.comment(b).await {
            Ok(c) if c.project_id == access.project.id => {}
            Ok(_) | Err(StoreError::NotFound) => {
                return Err(ApiError::missing(
                    codes::COMMENT_NOT_FOUND,
                    "before names no comment of this wall",
                ))
            }
            Err(e) => return Err(e.into()),
        }
    }
    let (top, replies) = app.store.wall(access.project.id, before, limit).await?;
    let out: Vec<Value> = top
        .iter()
        .map(|c| {
            let mut v = comment_json(c);
            v["replies"] = Value::Array(
                replies
                    .iter()
                    .filter(|r| r.parent_id == Some(c.id))
                    .map(comment_json)
                    .collect(),
            );
            v
        })
        .collect();
    Ok(Json(Value::Array(out)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostBody {
    body: String,
    page_id: Option<String>,
    item_id: Option<String>,
    parent_id: Option<String>,
}

pub async fn post(
    State(app): State<AppState>,
    access: ProjectAccess<Commenter>,
    AppJson(b): AppJson<PostBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let body = check_body(&b.body)?;
    let page_id = check_ref(b.page_id, "page_id")?;
    let item_id = check_ref(b.item_id, "item_id")?;
    if item_id.is_some() && page_id.is_none() {
        return Err(ApiError::invalid(
            codes::INVALID_REFERENCE,
            "an item_id needs the page_id of its page",
        ));
    }
    let parent_id: Option<CommentId> = b
        .parent_id
        .as_deref()
        .map(|s| {
            s.parse()
                .map_err(|_| ApiError::invalid(codes::INVALID_PARENT, "parent_id is a comment id"))
        })
        .transpose()?;
    let now = Utc::now();
    let comment = Comment {
        id: CommentId::new(),
        project_id: access.project.id,
        author_id: access.session.user.id,
        author_name: access.session.user.name.clone(),
        parent_id,
        page_id: page_id.clone(),
        item_id,
        body,
        created_at: now,
        updated_at: now,
        seq: 0,
    };
    let comment = match app.store.insert_comment(&comment).await {
        Ok(c) => c,
        Err(StoreError::NotFound) if parent_id.is_some() => {
            return Err(ApiError::invalid(
                codes::INVALID_PARENT,
                "parent_id must be a top-level comment of this wall: replies go one level deep",
            ))
        }
        Err(e) => return Err(e.into()),
    };
    let json = comment_json(&comment);
    app.events
        .publish(DomainEvent::CommentPosted {
            project: access.project.id,
            comment: json.clone(),
        })
        .await;
    // "A comment on your page": its maker hears of it, unless they wrote it.
    if let Some(page) = &page_id {
        if let Some(maker) = page_creator(&app, access.project.id, page)
            .await
            .filter(|m| *m != access.session.user.id)
        {
            if matches!(
                app.store.role_of(access.project.id, maker).await,
                Ok(Some(_))
            ) {
                let n = Notification {
                    id: NotificationId::new(),
                    user_id: maker,
                    kind: "comment".into(),
                    data: json!({ "project_id": access.project.id, "project_title": access.project.title, "comment": json }),
                    created_at: now,
                    read_at: None,
                };
                notify(&app, &n).await;
            }
        }
    }
    Ok((StatusCode::CREATED, Json(json!({ "comment": json }))))
}

async fn own_comment(app: &AppState, project: ProjectId, id: CommentId) -> ApiResult<Comment> {
    match app.store.comment(id).await {
        Ok(c) if c.project_id == project => Ok(c),
        Ok(_) | Err(StoreError::NotFound) => Err(ApiError::missing(
            codes::COMMENT_NOT_FOUND,
            "no comment with this id on this wall",
        )),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchBody {
    body: String,
}

pub async fn edit(
    State(app): State<AppState>,
    access: ProjectAccess<Commenter>,
    AppPath((_, id)): AppPath<(ProjectId, CommentId)>,
    AppJson(b): AppJson<PatchBody>,
) -> ApiResult<Json<Value>> {
    let body = check_body(&b.body)?;
    let comment = own_comment(&app, access.project.id, id).await?;
    if comment.author_id != access.session.user.id {
        return Err(ApiError::forbidden("only its author can edit a comment"));
    }
    let comment = app.store.update_comment(id, &body, Utc::now()).await?;
    let json = comment_json(&comment);
    app.events
        .publish(DomainEvent::CommentEdited {
            project: access.project.id,
            comment: json.clone(),
        })
        .await;
    Ok(Json(json!({ "comment": json })))
}

/// Authors delete their own comments; managers may delete any (moderation).
pub async fn delete(
    State(app): State<AppState>,
    access: ProjectAccess,
    AppPath((_, id)): AppPath<(ProjectId, CommentId)>,
) -> ApiResult<StatusCode> {
    let comment = own_comment(&app, access.project.id, id).await?;
    if comment.author_id != access.session.user.id && access.role < Role::Manager {
        return Err(ApiError::forbidden(
            "only its author or a manager can delete a comment",
        ));
    }
    app.store.delete_comment(id).await?;
    app.events
        .publish(DomainEvent::CommentDeleted {
            project: access.project.id,
            comment: id,
            parent: comment.parent_id,
            page: comment.page_id,
        })
        .await;
    Ok(StatusCode::NO_CONTENT)
}
