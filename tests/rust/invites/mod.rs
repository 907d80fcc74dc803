//! Invite links and notifications (SPEC §3, §4, §12): creating, inspecting and accepting
//! links, the refusals (escalation, revoked, expired, used up, guessed), accepts that never
//! lower a role, one-use links under concurrent accepts, invites by email into the outbox,
//! notifications for accepted invites and role changes, and the live effect of joining.

use std::time::Duration;

use folio_tests::book::{add_page, page_ids};
use folio_tests::http::Account;
use folio_tests::yclient::connect_ws;
use folio_tests::{eventually, Api, TestServer, YClient};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

mod accepting;
mod joining;
mod live;
mod notices;
mod refusals;

const WAIT: Duration = Duration::from_secs(10);

fn assert_error(status: StatusCode, body: &Value, want: u16, code: &str) {
    assert_eq!(status.as_u16(), want, "{body}");
    assert_eq!(body["error"]["code"], json!(code), "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

async fn create_invite(api: &Api, by: &Account, project: &str, body: Value) -> (StatusCode, Value) {
    api.call(
        Method::POST,
        &format!("/api/projects/{project}/invites"),
        Some(&by.token),
        Some(body),
    )
    .await
}

/// Creates a link that must succeed; returns the whole 201 body (`invite`, `url`, `token`).
async fn new_link(api: &Api, by: &Account, project: &str, body: Value) -> Value {
    let (status, created) = create_invite(api, by, project, body).await;
    assert_eq!(status, StatusCode::CREATED, "create invite: {created}");
    created
}

fn token_of(created: &Value) -> String {
    created["token"].as_str().expect("invite token").to_owned()
}

async fn inspect(api: &Api, token: &str) -> (StatusCode, Value) {
    api.call(Method::GET, &format!("/api/invites/{token}"), None, None)
        .await
}

async fn accept(api: &Api, who: Option<&Account>, token: &str) -> (StatusCode, Value) {
    api.call(
        Method::POST,
        &format!("/api/invites/{token}/accept"),
        who.map(|a| a.token.as_str()),
        None,
    )
    .await
}

/// `(user id, role)` of every member, as `viewer` sees the list.
async fn members(api: &Api, viewer: &Account, project: &str) -> Vec<(String, String)> {
    let (status, list) = api
        .call(
            Method::GET,
            &format!("/api/projects/{project}/members"),
            Some(&viewer.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "members: {list}");
    list.as_array()
        .expect("a list")
        .iter()
        .map(|m| {
            (
                m["user"]["id"].as_str().expect("user id").to_owned(),
                m["role"].as_str().expect("role").to_owned(),
            )
        })
        .collect()
}

/// The role `who` has in `project`, as GET /api/projects/{id} tells them.
async fn own_role(api: &Api, who: &Account, project: &str) -> String {
    let (status, body) = api
        .call(
            Method::GET,
            &format!("/api/projects/{project}"),
            Some(&who.token),
            None,
        )
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "get project as {}: {body}",
        who.name
    );
    assert_eq!(body["project"]["id"], json!(project), "{body}");
    body["role"].as_str().expect("role").to_owned()
}

async fn notifications(api: &Api, who: &Account) -> Vec<Value> {
    let (status, list) = api
        .call(Method::GET, "/api/notifications", Some(&who.token), None)
        .await;
    assert_eq!(status, StatusCode::OK, "notifications: {list}");
    list.as_array().expect("a list").clone()
}

fn of_kind(list: &[Value], kind: &str) -> Vec<Value> {
    list.iter().filter(|n| n["kind"] == kind).cloned().collect()
}

/// The project's invite with this id, as the manager lists them.
async fn listed_invite(api: &Api, manager: &Account, project: &str, id: &Value) -> Value {
    let (status, list) = api
        .call(
            Method::GET,
            &format!("/api/projects/{project}/invites"),
            Some(&manager.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "list invites: {list}");
    list.as_array()
        .expect("a list")
        .iter()
        .find(|i| &i["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("invite {id} not listed: {list}"))
}
