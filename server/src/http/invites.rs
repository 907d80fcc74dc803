//! Invitation links and notifications (SPEC §4, §12).
//!
//! A link's token has 256 random bits and only its SHA-256 is stored, as for login tokens.
//! A manager can invite at most at their own role, and never as owner (ownership does not
//! move by link). Accepting counts the use and makes the membership in one transaction
//! (see `store::invites`), and never lowers the role of someone already higher up.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{Duration, Utc};
use serde::Deserialize;
use serde_json::{json, Value};

use super::codes;
use super::error::{ApiError, ApiResult, MissingAs};
use super::extract::{AppJson, AppPath, AuthUser, Manager, ProjectAccess};
use crate::access::Role;
use crate::auth;
use crate::events::DomainEvent;
use crate::ids::{InviteId, NotificationId, ProjectId};
use crate::store::{AcceptOutcome, Invite, InviteRefusal, Notification, OutboxMail};
use crate::AppState;

/// Default and longest life of a link.
pub(super) const DEFAULT_EXPIRY_S: i64 = 7 * 24 * 3600;
pub(super) const MAX_EXPIRY_S: i64 = 365 * 24 * 3600;
pub(super) const MAX_USES: i32 = 10_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    role: String,
    expires_in_s: Option<i64>,
    max_uses: Option<i32>,
    /// Invite by email: the link goes to the email outbox as well.
    email: Option<String>,
}

fn invite_json(i: &Invite) -> Value {
    let mut v = serde_json::to_value(i).unwrap_or(Value::Null);
    v["state"] = json!(match i.refusal(Utc::now()) {
        None => "active",
        Some(InviteRefusal::Revoked) => "revoked",
        Some(InviteRefusal::Expired) => "expired",
        Some(InviteRefusal::UsedUp) => "used_up",
    });
    v
}

/// The clear 410 for a link that no longer admits anyone.
fn gone(why: InviteRefusal) -> ApiError {
    let (code, message) = match why {
        InviteRefusal::Revoked => (codes::INVITE_REVOKED, "this invite link was revoked; ask a manager of the book for a new one"),
        InviteRefusal::Expired => (codes::INVITE_EXPIRED, "this invite link has expired; ask a manager of the book for a new one"),
        InviteRefusal::UsedUp => (codes::INVITE_USED_UP, "this invite link has been used as many times as allowed; ask a manager of the book for a new one"),
    };
    ApiError::new(StatusCode::GONE, code, message)
}

fn invite_not_found() -> ApiError {
    ApiError::missing(
        codes::INVITE_NOT_FOUND,
        "no invite with this link; check that it was copied whole",
    )
}

pub(super) fn check_email(raw: &str) -> ApiResult<String> {
    let email = raw.trim();
    let ok = email.len() <= 254
        && email
            .split_once('@')
            .is_some_and(|(a, b)| !a.is_empty() && b.contains('.') && !b.starts_with('.'))
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(email.to_owned())
    } else {
        Err(ApiError::invalid(
            codes::INVALID_EMAIL,
            "email is an address like name@example.com",
        ))
    }
}

pub async fn create(
    State(app): State<AppState>,
    access: ProjectAccess<Manager>,
    AppJson(body): AppJson<CreateBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    if body.role == "owner" {
        return Err(ApiError::forbidden(
            "an invite grants at most the manager role; a book's owner never changes by invite",
        ));
    }
    let role = Role::parse(&body.role).ok_or_else(|| {
        ApiError::invalid(
            codes::INVALID_ROLE,
            "role must be one of viewer, commenter, contributor, editor, manager",
        )
    })?;
    if role > access.role {
        return Err(ApiError::forbidden(
            "an invite cannot grant a role higher than your own",
        ));
    }
    let expires_in = body.expires_in_s.unwrap_or(DEFAULT_EXPIRY_S);
    if !(1..=MAX_EXPIRY_S).contains(&expires_in) {
        return Err(ApiError::invalid(
            codes::INVALID_EXPIRY,
            format!("expires_in_s is 1 to {MAX_EXPIRY_S} seconds"),
        ));
    }
    if body.max_uses.is_some_and(|m| !(1..=MAX_USES).contains(&m)) {
        return Err(ApiError::invalid(
            codes::INVALID_MAX_USES,
            format!("max_uses is 1 to {MAX_USES}"),
        ));
    }
    let email = body.email.as_deref().map(check_email).transpose()?;
    let now = Utc::now();
    let token = auth::new_token();
    let url = format!("/invite/{token}");
    let invite = Invite {
        id: InviteId::new(),
        project_id: access.project.id,
        role,
        created_by: access.session.user.id,
        email: email.clone(),
        created_at: now,
        expires_at: Some(now + Duration::seconds(expires_in)),
        max_uses: body.max_uses,
        uses: 0,
        revoked_at: None,
    };
    let mail = email.map(|to| OutboxMail {
        id: uuid::Uuid::new_v4(),
        to_email: to,
        subject: format!("{} invited you to the photo book \"{}\"", access.session.user.name, access.project.title),
        body: format!(
            "{} invited you to work on the photo book \"{}\" as {}.\n\nOpen this link to join: {url}\n\nThe link works until {}.\n",
            access.session.user.name,
            access.project.title,
            role.as_str(),
            invite.expires_at.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default()
        ),
        created_at: now,
    });
    app.store
        .create_invite(&invite, &auth::token_hash(&token), mail.as_ref())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "invite": invite_json(&invite), "url": url, "token": token })),
    ))
}

pub async fn list(
    State(app): State<AppState>,
    access: ProjectAccess<Manager>,
) -> ApiResult<Json<Value>> {
    let invites = app.store.invites(access.project.id).await?;
    Ok(Json(Value::Array(
        invites.iter().map(invite_json).collect(),
    )))
}

pub async fn revoke(
    State(app): State<AppState>,
    access: ProjectAccess<Manager>,
    AppPath((_, id)): AppPath<(ProjectId, InviteId)>,
) -> ApiResult<StatusCode> {
    app.store
        .revoke_invite(access.project.id, id, Utc::now())
        .await
        .missing_as(|| ApiError::not_found("no invite with this id in this project"))?;
    Ok(StatusCode::NO_CONTENT)
}

/// What a link offers, shown before logging in.
pub async fn inspect(
    State(app): State<AppState>,
    AppPath(token): AppPath<String>,
) -> ApiResult<Json<Value>> {
    let invite = app
        .store
        .invite_by_token(&auth::token_hash(&token))
        .await
        .missing_as(invite_not_found)?;
    if let Some(why) = invite.refusal(Utc::now()) {
        return Err(gone(why));
    }
    let project = app.store.project(invite.project_id).await?;
    let inviter = app.store.user(invite.created_by).await?;
    Ok(Json(json!({
        "project_title": project.title,
        "role": invite.role,
        "inviter": { "id": inviter.id, "name": inviter.name },
        "expires_at": invite.expires_at,
    })))
}

pub async fn accept(
    State(app): State<AppState>,
    AuthUser(session): AuthUser,
    AppPath(token): AppPath<String>,
) -> ApiResult<Json<Value>> {
    let hash = auth::token_hash(&token);
    let now = Utc::now();
    // The inviter's notification is written with the membership, so it is built first.
    let pending = app
        .store
        .invite_by_token(&hash)
        .await
        .missing_as(invite_not_found)?;
    let project = app.store.project(pending.project_id).await?;
    let notify = Notification {
        id: NotificationId::new(),
        user_id: pending.created_by,
        kind: "invite_accepted".into(),
        data: json!({
            "project_id": project.id,
            "project_title": project.title,
            "user": { "id": session.user.id, "name": session.user.name },
            "role": pending.role,
        }),
        created_at: now,
        read_at: None,
    };
    let (invite, outcome) = app
        .store
        .accept_invite(&hash, session.user.id, now, &notify)
        .await
        .missing_as(invite_not_found)?;
    match outcome {
        AcceptOutcome::Refused(why) => Err(gone(why)),
        AcceptOutcome::AlreadyMember(role) => Ok(Json(
            json!({ "project": project, "role": role, "joined": false }),
        )),
        AcceptOutcome::Joined(role) => {
            app.events
                .publish(DomainEvent::MembershipChanged {
                    project: invite.project_id,
                    user: session.user.id,
                    role: Some(role),
                })
                .await;
            super::wall::notification_recorded(&app, &notify).await;
            Ok(Json(
                json!({ "project": project, "role": role, "joined": true }),
            ))
        }
    }
}

#[derive(Deserialize)]
pub struct NotificationsQuery {
    limit: Option<i64>,
}

pub async fn notifications(
    State(app): State<AppState>,
    AuthUser(session): AuthUser,
    query: Result<Query<NotificationsQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Value>> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(codes::INVALID_QUERY, e.body_text()))?;
    let list = app
        .store
        .notifications(session.user.id, q.limit.unwrap_or(100).clamp(1, 500))
        .await?;
    Ok(Json(serde_json::to_value(list).map_err(|e| {
        ApiError::internal("serialising notifications", e)
    })?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadBody {
    ids: Vec<String>,
}

pub async fn mark_read(
    State(app): State<AppState>,
    AuthUser(session): AuthUser,
    AppJson(body): AppJson<ReadBody>,
) -> ApiResult<StatusCode> {
    if body.ids.len() > 1000 {
        return Err(ApiError::invalid(
            codes::INVALID_IDS,
            "mark at most 1000 notifications at a time",
        ));
    }
    let ids = body
        .ids
        .iter()
        .map(|s| {
            s.parse::<NotificationId>().map_err(|_| {
                ApiError::invalid(
                    codes::INVALID_IDS,
                    format!("{s:?} is not a notification id (a UUID)"),
                )
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    app.store
        .mark_read(session.user.id, &ids, Utc::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Tells a member their role changed (SPEC §12), best effort: the change itself stands.
pub async fn notify_role_change(
    app: &AppState,
    project: &crate::store::Project,
    user: crate::ids::UserId,
    role: Role,
    by: &crate::store::User,
) {
    let n = Notification {
        id: NotificationId::new(),
        user_id: user,
        kind: "role_changed".into(),
        data: json!({ "project_id": project.id, "project_title": project.title, "role": role, "by": { "id": by.id, "name": by.name } }),
        created_at: Utc::now(),
        read_at: None,
    };
    super::wall::notify(app, &n).await;
}

/// Everyone who shares a project with the caller, online when they have a live sync
/// connection on any node.
pub async fn friends(
    State(app): State<AppState>,
    AuthUser(session): AuthUser,
) -> ApiResult<Json<Value>> {
    let friends = app.store.friends(session.user.id).await?;
    let ids: Vec<crate::ids::UserId> = friends.iter().map(|u| u.id).collect();
    let online = app.sync.presence().online_among(&ids).await;
    let out: Vec<Value> = friends
        .iter()
        .map(
            |u| json!({ "user": { "id": u.id, "name": u.name }, "online": online.contains(&u.id) }),
        )
        .collect();
    Ok(Json(Value::Array(out)))
}
