//! Projects and their members.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;
use serde::Deserialize;
use serde_json::{json, Value};

use super::accounts::check_name;
use super::codes;
use super::error::{ApiError, ApiResult, MissingAs};
use super::extract::{AppJson, AppPath, AuthUser, Editor, Manager, ProjectAccess};
use crate::access::{self, MemberChange, Role};
use crate::events::DomainEvent;
use crate::ids::{ProjectId, UserId};
use crate::store::{Project, ProjectPatch};
use crate::AppState;

pub const DEFAULT_THEME: &str = "everyday";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    title: String,
    product: Option<String>,
    theme: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchBody {
    title: Option<String>,
    product: Option<String>,
    theme: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleBody {
    role: String,
}

pub(super) fn check_product(id: &str) -> ApiResult<String> {
    match crdt_schema::product(id) {
        Some(p) => Ok(p.id.to_owned()),
        None => {
            let known: Vec<&str> = crdt_schema::PRODUCTS.iter().map(|p| p.id).collect();
            Err(ApiError::invalid(
                codes::UNKNOWN_PRODUCT,
                format!("unknown product {id:?}; choose one of {}", known.join(", ")),
            ))
        }
    }
}

pub(super) fn check_theme(theme: &str) -> ApiResult<String> {
    let ok = !theme.is_empty()
        && theme.len() <= 64
        && theme
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(theme.to_owned())
    } else {
        Err(ApiError::invalid(
            codes::INVALID_THEME,
            "a theme id is 1 to 64 lowercase letters, digits or dashes",
        ))
    }
}

pub async fn create(
    State(app): State<AppState>,
    AuthUser(session): AuthUser,
    AppJson(body): AppJson<CreateBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let title = check_name(&body.title, "title", 200)?;
    let product = check_product(
        body.product
            .as_deref()
            .unwrap_or(crdt_schema::DEFAULT_PRODUCT),
    )?;
    let theme = check_theme(body.theme.as_deref().unwrap_or(DEFAULT_THEME))?;
    let now = Utc::now();
    let project = Project {
        id: ProjectId::new(),
        title,
        owner_id: session.user.id,
        product,
        theme,
        created_at: now,
        updated_at: now,
        origin: None,
    };
    let client_id = rand::random::<u64>() & ((1 << 53) - 1) | 1;
    let initial =
        crdt_schema::new_book(client_id, &project.title, &project.product, &project.theme);
    app.store.create_project(&project, &initial).await?;
    Ok((StatusCode::CREATED, Json(json!({ "project": project }))))
}

pub async fn list(
    State(app): State<AppState>,
    AuthUser(session): AuthUser,
) -> ApiResult<Json<Value>> {
    let rows = app.store.projects_of(session.user.id).await?;
    let items: Vec<Value> = rows
        .into_iter()
        .map(|(project, role)| json!({ "project": project, "role": role }))
        .collect();
    Ok(Json(Value::Array(items)))
}

pub async fn get(access: ProjectAccess) -> Json<Value> {
    Json(json!({ "project": access.project, "role": access.role }))
}

pub async fn patch(
    State(app): State<AppState>,
    access: ProjectAccess<Editor>,
    AppJson(body): AppJson<PatchBody>,
) -> ApiResult<Json<Value>> {
    let patch = ProjectPatch {
        title: body
            .title
            .as_deref()
            .map(|t| check_name(t, "title", 200))
            .transpose()?,
        product: body.product.as_deref().map(check_product).transpose()?,
        theme: body.theme.as_deref().map(check_theme).transpose()?,
    };
    let id = access.project.id;
    let project = app.store.update_project(id, &patch, Utc::now()).await?;
    // The book's own `meta` follows the project record, written as the system user.
    let fields: Vec<(&'static str, String)> = [
        ("title", patch.title),
        ("product", patch.product),
        ("theme", patch.theme),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| (k, v)))
    .collect();
    if !fields.is_empty() {
        app.sync
            .edit_as_system(
                id,
                Box::new(move |txn| {
                    for (k, v) in &fields {
                        crdt_schema::set_meta(txn, k, v);
                    }
                }),
            )
            .await?;
    }
    Ok(Json(json!({ "project": project })))
}

pub async fn delete(
    State(app): State<AppState>,
    access: ProjectAccess<Manager>,
) -> ApiResult<StatusCode> {
    let project = access.project.id;
    app.store.delete_project(project).await?;
    app.events
        .publish(DomainEvent::ProjectDeleted { project })
        .await;
    Ok(StatusCode::NO_CONTENT)
}

/// The members with their roles. Emails are for managers, who manage membership; everyone
/// else sees each member's id and name.
pub async fn members(State(app): State<AppState>, access: ProjectAccess) -> ApiResult<Json<Value>> {
    let members = app.store.members(access.project.id).await?;
    let mut list =
        serde_json::to_value(members).map_err(|e| ApiError::internal("serialising members", e))?;
    if access.role < Role::Manager {
        for m in list.as_array_mut().into_iter().flatten() {
            if let Some(user) = m.get_mut("user").and_then(Value::as_object_mut) {
                user.remove("email");
            }
        }
    }
    Ok(Json(list))
}

/// The 403 for adding someone who shares no book with the manager (SPEC §12).
fn not_a_friend() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        codes::NOT_A_FRIEND,
        "you can add only people who already share a book with you; send this person an invite link instead",
    )
}

/// Adds a friend of the caller as a member, or changes a member's role (manager).
pub async fn set_member(
    State(app): State<AppState>,
    access: ProjectAccess,
    AppPath((_, user_id)): AppPath<(ProjectId, UserId)>,
    AppJson(body): AppJson<RoleBody>,
) -> ApiResult<Json<Value>> {
    let role = Role::parse(&body.role).ok_or_else(|| {
        ApiError::invalid(
            codes::INVALID_ROLE,
            "role must be one of viewer, commenter, contributor, editor, manager",
        )
    })?;
    let project = &access.project;
    access::check_member_change(MemberChange {
        actor_role: access.role,
        target_is_owner: project.owner_id == user_id,
        new_role: Some(role),
    })?;
    let current = if project.owner_id == user_id {
        Some(Role::Manager)
    } else {
        app.store.role_of(project.id, user_id).await?
    };
    // Someone new joins only as a friend of the caller; anyone else by accepting an invite, so
    // nobody is put in a stranger's book (and shown to its members) without saying yes. An
    // unknown id is no one's friend, so ids cannot be probed here either.
    if current.is_none()
        && app
            .store
            .common_projects(access.session.user.id, user_id)
            .await?
            .is_empty()
    {
        return Err(not_a_friend());
    }
    let user = app
        .store
        .user(user_id)
        .await
        .missing_as(|| ApiError::not_found("no user with this id"))?;
    if current != Some(role) {
        app.store
            .set_member(project.id, user_id, role, Utc::now())
            .await?;
        app.events
            .publish(DomainEvent::MembershipChanged {
                project: project.id,
                user: user_id,
                role: Some(role),
            })
            .await;
        if user_id != access.session.user.id {
            super::invites::notify_role_change(&app, project, user_id, role, &access.session.user)
                .await;
        }
    }
    Ok(Json(json!({ "user": user, "role": role })))
}

pub async fn remove_member(
    State(app): State<AppState>,
    access: ProjectAccess,
    AppPath((_, user_id)): AppPath<(ProjectId, UserId)>,
) -> ApiResult<StatusCode> {
    let project = &access.project;
    let leaving_self = user_id == access.session.user.id && project.owner_id != user_id;
    if !leaving_self {
        access::check_member_change(MemberChange {
            actor_role: access.role,
            target_is_owner: project.owner_id == user_id,
            new_role: None,
        })?;
    }
    // The invites they made are revoked with the membership (`store::invites`).
    app.store
        .remove_member(project.id, user_id, Utc::now())
        .await
        .missing_as(|| ApiError::not_found("this user is not a member of the project"))?;
    app.events
        .publish(DomainEvent::MembershipChanged {
            project: project.id,
            user: user_id,
            role: None,
        })
        .await;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn themes_are_slugs() {
        assert!(check_theme("wedding").is_ok());
        assert!(check_theme("Wedding").is_err());
        assert!(check_theme("../x").is_err());
        assert!(check_theme("").is_err());
    }

    #[test]
    fn products_come_from_the_catalogue() {
        assert_eq!(check_product("square-8x8").unwrap(), "square-8x8");
        assert!(check_product("square-9x9").is_err());
    }
}
