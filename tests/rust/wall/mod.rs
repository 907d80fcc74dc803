//! The book wall, the project event stream (SSE) and friends (SPEC §4, §12): comments and
//! replies with their rights and limits, live `comment`, `member` and `notification` events
//! on one node and across nodes, streams that end when their reader loses access, and
//! friends' presence from live sync connections.

use std::time::Duration;

use folio_tests::book::{add_page, page_ids};
use folio_tests::cluster::{missing_service, redis_url};
use folio_tests::http::Account;
use folio_tests::sse::{open, open_events, SseStream};
use folio_tests::{eventually, Api, BinServer, PgDatabase, TestServer, YClient};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

mod api;
mod friends;
mod live;
mod notifications;
mod streams;

/// A hang guard: generous, never a performance bound.
const WAIT: Duration = Duration::from_secs(10);
/// "Within a second", as the contract asks of a removed member's connections.
const AT_ONCE: Duration = Duration::from_secs(1);

fn wall_path(project: &str) -> String {
    format!("/api/projects/{project}/wall")
}

async fn post(api: &Api, who: &Account, project: &str, body: Value) -> (StatusCode, Value) {
    api.call(
        Method::POST,
        &wall_path(project),
        Some(&who.token),
        Some(body),
    )
    .await
}

/// Posts `body` (201 expected) and returns the comment.
async fn comment(api: &Api, who: &Account, project: &str, body: Value) -> Value {
    let (status, res) = post(api, who, project, body).await;
    assert_eq!(status, StatusCode::CREATED, "post a comment: {res}");
    res["comment"].clone()
}

async fn edit(
    api: &Api,
    who: &Account,
    project: &str,
    id: &str,
    body: &str,
) -> (StatusCode, Value) {
    api.call(
        Method::PATCH,
        &format!("{}/{id}", wall_path(project)),
        Some(&who.token),
        Some(json!({ "body": body })),
    )
    .await
}

async fn delete(api: &Api, who: &Account, project: &str, id: &str) -> StatusCode {
    api.call(
        Method::DELETE,
        &format!("{}/{id}", wall_path(project)),
        Some(&who.token),
        None,
    )
    .await
    .0
}

/// `GET …/wall{query}` (200 expected): the top-level comments.
async fn wall(api: &Api, who: &Account, project: &str, query: &str) -> Vec<Value> {
    let (status, body) = api
        .call(
            Method::GET,
            &format!("{}{query}", wall_path(project)),
            Some(&who.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "wall{query}: {body}");
    body.as_array()
        .unwrap_or_else(|| panic!("the wall is a list: {body}"))
        .clone()
}

fn ids(comments: &[Value]) -> Vec<String> {
    comments
        .iter()
        .map(|c| c["id"].as_str().expect("comment id").to_owned())
        .collect()
}

fn error_code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}

async fn member_role(api: &Api, owner: &Account, project: &str, user: &Account, role: &str) {
    let (status, body) = api.set_role(owner, project, user, role).await;
    assert!(
        status.is_success(),
        "make {} a {role}: {status} {body}",
        user.name
    );
}

async fn stream(base: &str, project: &str, who: &Account) -> SseStream {
    match open_events(base, project, &who.token).await {
        Ok(s) => s,
        Err((status, body)) => panic!("{}'s event stream was refused: {status} {body}", who.name),
    }
}

/// The next `comment` event's data.
async fn comment_event(s: &mut SseStream) -> Value {
    s.expect_event("comment", WAIT).await.json()
}

/// Two real `folio` processes on one fresh PostgreSQL database behind the shared Redis, or
/// `None` (after a notice) when either service is missing outside CI.
struct TwoNodes {
    // Fields drop in order: the nodes before their folders and database.
    nodes: Vec<BinServer>,
    _dirs: Vec<tempfile::TempDir>,
    _db: PgDatabase,
}

fn host_port(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    if host.contains(':') {
        host.to_owned()
    } else {
        format!("{host}:6379")
    }
}

async fn two_nodes() -> Option<TwoNodes> {
    let redis = redis_url();
    if missing_service("Redis", &host_port(&redis)).await {
        return None;
    }
    let db = PgDatabase::create().await?;
    let dirs: Vec<tempfile::TempDir> = (0..2)
        .map(|_| tempfile::tempdir().expect("temp dir"))
        .collect();
    let mut nodes = Vec::new();
    for dir in &dirs {
        let env = [
            ("DATABASE_URL", db.url.as_str()),
            ("REDIS_URL", redis.as_str()),
        ];
        nodes.push(BinServer::start_env(dir.path(), &env).await);
    }
    Some(TwoNodes {
        nodes,
        _dirs: dirs,
        _db: db,
    })
}
