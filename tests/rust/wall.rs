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

// ---------------------------------------------------------------------------------------
// Live comment events
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn comments_reach_other_members_streams_with_edits_and_deletes() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let a = api.signup("Ann").await;
    let b = api.signup("Ben").await;
    let project = api.create_project(&a, "Trip").await;
    member_role(&api, &a, &project, &b, "viewer").await;
    let mut b_events = stream(&server.url, &project, &b).await;
    assert!(
        b_events.content_type.starts_with("text/event-stream"),
        "content type {:?}",
        b_events.content_type
    );

    // A plain comment arrives with its id and body, and its author.
    let posted = comment(&api, &a, &project, json!({ "body": "Lovely cover" })).await;
    let event = comment_event(&mut b_events).await;
    assert_eq!(event["action"], "new");
    assert_eq!(event["comment"]["id"], posted["id"]);
    assert_eq!(event["comment"]["body"], "Lovely cover");
    assert_eq!(event["comment"]["author"]["id"], json!(a.id));
    assert_eq!(event["comment"]["page_id"], Value::Null);

    // A comment linked to a page and an item carries both.
    let linked = comment(
        &api,
        &a,
        &project,
        json!({ "body": "Crop this one?", "page_id": "page-7", "item_id": "item-3" }),
    )
    .await;
    let event = comment_event(&mut b_events).await;
    assert_eq!(event["action"], "new");
    assert_eq!(event["comment"]["id"], linked["id"]);
    assert_eq!(event["comment"]["body"], "Crop this one?");
    assert_eq!(event["comment"]["page_id"], "page-7");
    assert_eq!(event["comment"]["item_id"], "item-3");

    // An edit arrives as `edited` with the new body.
    let id = linked["id"].as_str().unwrap();
    let (status, res) = edit(&api, &a, &project, id, "Crop it square").await;
    assert_eq!(status, StatusCode::OK, "{res}");
    let event = comment_event(&mut b_events).await;
    assert_eq!(event["action"], "edited");
    assert_eq!(event["comment"]["id"], linked["id"]);
    assert_eq!(event["comment"]["body"], "Crop it square");

    // A delete arrives as `deleted`, naming the comment and its page.
    assert_eq!(delete(&api, &a, &project, id).await, StatusCode::NO_CONTENT);
    let event = comment_event(&mut b_events).await;
    assert_eq!(event["action"], "deleted");
    assert_eq!(event["comment"]["id"], linked["id"]);
    assert_eq!(event["comment"]["page_id"], "page-7");
    assert_eq!(event["comment"]["parent_id"], Value::Null);
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

#[tokio::test]
async fn a_comment_posted_on_one_node_reaches_a_stream_on_another() {
    let Some(cluster) = two_nodes().await else {
        return;
    };
    let (node1, node2) = (&cluster.nodes[0], &cluster.nodes[1]);
    let api1 = Api::new(&node1.url);
    let a = api1.signup("Ann").await;
    let b = api1.signup("Ben").await;
    let project = api1.create_project(&a, "Across").await;
    member_role(&api1, &a, &project, &b, "commenter").await;

    let mut b_events = stream(&node2.url, &project, &b).await;
    let posted = comment(
        &api1,
        &a,
        &project,
        json!({ "body": "Posted on node 1", "page_id": "p1" }),
    )
    .await;
    let event = comment_event(&mut b_events).await;
    assert_eq!(event["action"], "new");
    assert_eq!(event["comment"]["id"], posted["id"]);
    assert_eq!(event["comment"]["body"], "Posted on node 1");
    assert_eq!(event["comment"]["page_id"], "p1");

    // Removed through node 1, B's stream on node 2 ends after saying so.
    let (status, body) = api1
        .call(
            Method::DELETE,
            &format!("/api/projects/{project}/members/{}", b.id),
            Some(&a.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let seen = b_events
        .until_end(WAIT)
        .await
        .expect("a member removed on node 1 kept their stream on node 2");
    let last = seen.last().expect("the stream ended without a last event");
    assert_eq!(
        (last.event.as_str(), last.json()["action"].clone()),
        ("member", json!("removed")),
        "{last:?}"
    );
}

// ---------------------------------------------------------------------------------------
// The wall API
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn the_wall_pages_newest_first_with_before_and_limit() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let a = api.signup("Ann").await;
    let project = api.create_project(&a, "Pages").await;
    let mut posted = Vec::new();
    for i in 0..7 {
        posted.push(
            comment(
                &api,
                &a,
                &project,
                json!({ "body": format!("comment {i}") }),
            )
            .await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let newest_first: Vec<String> = posted.iter().rev().cloned().collect();

    // Everything at once by default, newest first.
    assert_eq!(ids(&wall(&api, &a, &project, "").await), newest_first);

    // Pages of three: each starts just older than the last one seen, none overlap, and
    // together they are the whole wall.
    let mut seen: Vec<String> = Vec::new();
    let mut query = "?limit=3".to_owned();
    let mut pages = 0;
    loop {
        let page = ids(&wall(&api, &a, &project, &query).await);
        assert!(page.len() <= 3, "limit 3 gave {}", page.len());
        if page.is_empty() {
            break;
        }
        for id in &page {
            assert!(!seen.contains(id), "comment {id} came on two pages");
        }
        seen.extend(page.iter().cloned());
        query = format!("?limit=3&before={}", page.last().unwrap());
        pages += 1;
        assert!(pages <= 7, "paging never ended");
    }
    assert_eq!(pages, 3);
    assert_eq!(
        seen, newest_first,
        "the pages together are the wall, newest first"
    );
    assert_eq!(
        ids(&wall(
            &api,
            &a,
            &project,
            &format!("?limit=2&before={}", posted[4])
        )
        .await),
        [posted[3].clone(), posted[2].clone()]
    );

    // Bad paging is refused.
    for (query, status, code) in [
        ("?before=nope", StatusCode::BAD_REQUEST, "invalid_query"),
        (
            &*format!("?before={}", uuid::Uuid::new_v4()),
            StatusCode::NOT_FOUND,
            "comment_not_found",
        ),
        ("?limit=0", StatusCode::BAD_REQUEST, "invalid_query"),
        ("?limit=201", StatusCode::BAD_REQUEST, "invalid_query"),
    ] {
        let (got, body) = api
            .call(
                Method::GET,
                &format!("{}{query}", wall_path(&project)),
                Some(&a.token),
                None,
            )
            .await;
        assert_eq!(
            (got, error_code(&body)),
            (status, code),
            "wall{query}: {body}"
        );
    }

    // A comment of another wall is no cursor for this one.
    let other = api.create_project(&a, "Other").await;
    let elsewhere = comment(&api, &a, &other, json!({ "body": "elsewhere" })).await;
    let (got, body) = api
        .call(
            Method::GET,
            &format!(
                "{}?before={}",
                wall_path(&project),
                elsewhere["id"].as_str().unwrap()
            ),
            Some(&a.token),
            None,
        )
        .await;
    assert_eq!(
        (got, error_code(&body)),
        (StatusCode::NOT_FOUND, "comment_not_found"),
        "{body}"
    );

    // Non-members may not read it.
    let stranger = api.signup("Sam").await;
    let (got, body) = api
        .call(
            Method::GET,
            &wall_path(&project),
            Some(&stranger.token),
            None,
        )
        .await;
    assert_eq!(got, StatusCode::FORBIDDEN, "{body}");
}

#[tokio::test]
async fn replies_nest_one_level_under_their_comment() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let a = api.signup("Ann").await;
    let b = api.signup("Ben").await;
    let project = api.create_project(&a, "Replies").await;
    member_role(&api, &a, &project, &b, "commenter").await;

    let top = comment(&api, &a, &project, json!({ "body": "Which cover?" })).await;
    let top_id = top["id"].as_str().unwrap().to_owned();
    let r1 = comment(
        &api,
        &b,
        &project,
        json!({ "body": "The blue one", "parent_id": top_id }),
    )
    .await;
    let r2 = comment(
        &api,
        &a,
        &project,
        json!({ "body": "Agreed", "parent_id": top_id }),
    )
    .await;
    assert_eq!(r1["parent_id"], json!(top_id));
    let later = comment(&api, &a, &project, json!({ "body": "A later comment" })).await;

    // Replies sit under their comment, oldest first, never at the top level.
    let listed = wall(&api, &a, &project, "").await;
    assert_eq!(
        ids(&listed),
        [later["id"].as_str().unwrap().to_owned(), top_id.clone()]
    );
    assert_eq!(
        ids(listed[1]["replies"].as_array().expect("replies")),
        [
            r1["id"].as_str().unwrap().to_owned(),
            r2["id"].as_str().unwrap().to_owned()
        ]
    );
    assert_eq!(listed[1]["replies"][0]["body"], "The blue one");
    assert_eq!(listed[1]["replies"][0]["author"]["id"], json!(b.id));
    assert_eq!(listed[0]["replies"], json!([]));

    // A reply to a reply is refused, as is a parent from another wall or no comment at all.
    let (status, body) = post(
        &api,
        &b,
        &project,
        json!({ "body": "deeper", "parent_id": r1["id"] }),
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_parent"),
        "{body}"
    );
    let other = api.create_project(&a, "Other").await;
    let foreign = comment(&api, &a, &other, json!({ "body": "elsewhere" })).await;
    let (status, body) = post(
        &api,
        &a,
        &project,
        json!({ "body": "cross", "parent_id": foreign["id"] }),
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_parent"),
        "{body}"
    );
    let (status, body) = post(
        &api,
        &a,
        &project,
        json!({ "body": "nobody", "parent_id": uuid::Uuid::new_v4().to_string() }),
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_parent"),
        "{body}"
    );

    // An item needs its page.
    let (status, body) = post(
        &api,
        &a,
        &project,
        json!({ "body": "item only", "item_id": "i1" }),
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_reference"),
        "{body}"
    );

    // Deleting a comment deletes its replies.
    assert_eq!(
        delete(&api, &a, &project, &top_id).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        ids(&wall(&api, &a, &project, "").await),
        [later["id"].as_str().unwrap().to_owned()]
    );
    let (status, body) = edit(
        &api,
        &b,
        &project,
        r1["id"].as_str().unwrap(),
        "still here?",
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::NOT_FOUND, "comment_not_found"),
        "{body}"
    );
}

#[tokio::test]
async fn authors_edit_and_delete_their_own_and_managers_delete_any() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Olive").await;
    let ed = api.signup("Ed").await;
    let cam = api.signup("Cam").await;
    let project = api.create_project(&owner, "Rights").await;
    member_role(&api, &owner, &project, &ed, "editor").await;
    member_role(&api, &owner, &project, &cam, "commenter").await;

    let eds = comment(&api, &ed, &project, json!({ "body": "Ed's first" })).await;
    let eds_id = eds["id"].as_str().unwrap().to_owned();

    // The author edits their own.
    let (status, body) = edit(&api, &ed, &project, &eds_id, "  Ed's second  ").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["comment"]["id"], json!(eds_id));
    assert_eq!(body["comment"]["body"], "Ed's second");
    assert_eq!(
        wall(&api, &owner, &project, "").await[0]["body"],
        "Ed's second"
    );

    // Nobody else edits it, not even a manager.
    for who in [&cam, &owner] {
        let (status, body) = edit(&api, who, &project, &eds_id, "hijacked").await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "{} edited Ed's comment: {body}",
            who.name
        );
    }
    // A member who is neither its author nor a manager cannot delete it.
    assert_eq!(
        delete(&api, &cam, &project, &eds_id).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        wall(&api, &owner, &project, "").await[0]["body"],
        "Ed's second"
    );

    // A manager deletes anyone's.
    assert_eq!(
        delete(&api, &owner, &project, &eds_id).await,
        StatusCode::NO_CONTENT
    );
    assert!(wall(&api, &owner, &project, "").await.is_empty());

    // An author deletes their own.
    let cams = comment(&api, &cam, &project, json!({ "body": "Cam's" })).await;
    assert_eq!(
        delete(&api, &ed, &project, cams["id"].as_str().unwrap()).await,
        StatusCode::FORBIDDEN,
        "an editor is no moderator"
    );
    assert_eq!(
        delete(&api, &cam, &project, cams["id"].as_str().unwrap()).await,
        StatusCode::NO_CONTENT
    );
    assert!(wall(&api, &owner, &project, "").await.is_empty());
}

#[tokio::test]
async fn bodies_are_returned_verbatim_and_bounded() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let a = api.signup("Ann").await;
    let project = api.create_project(&a, "Bodies").await;

    // Markup is text: stored and returned as given, inside JSON strings.
    let hostile = "<script>alert('hi')</script> & <b>bold</b> \"quoted\"";
    let posted = comment(&api, &a, &project, json!({ "body": hostile })).await;
    assert_eq!(posted["body"], hostile);
    let (status, content_type, bytes) = api.get_bytes(&wall_path(&project), Some(&a.token)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        content_type.starts_with("application/json"),
        "the wall is served as {content_type:?}"
    );
    let listed: Value = serde_json::from_slice(&bytes).expect("JSON");
    assert_eq!(listed[0]["body"], hostile);

    // Surrounding blanks are trimmed; nothing else is touched.
    assert_eq!(
        comment(&api, &a, &project, json!({ "body": "  \n spaced out \t " })).await["body"],
        "spaced out"
    );

    // Empty (or only blanks) and too long are refused, on post and on edit.
    for blank in ["", "   \n\t"] {
        let (status, body) = post(&api, &a, &project, json!({ "body": blank })).await;
        assert_eq!(
            (status, error_code(&body)),
            (StatusCode::UNPROCESSABLE_ENTITY, "empty_comment"),
            "{body}"
        );
    }
    let (status, body) = post(&api, &a, &project, json!({ "body": "x".repeat(4001) })).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::PAYLOAD_TOO_LARGE, "comment_too_long"),
        "{body}"
    );
    // The bound is in characters: 4000 of them pass, even at two bytes each.
    let longest = "é".repeat(4000);
    assert_eq!(
        comment(&api, &a, &project, json!({ "body": longest })).await["body"],
        json!(longest)
    );
    let id = posted["id"].as_str().unwrap();
    let (status, body) = edit(&api, &a, &project, id, " ").await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "empty_comment"),
        "{body}"
    );
    let (status, body) = edit(&api, &a, &project, id, &"y".repeat(4001)).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::PAYLOAD_TOO_LARGE, "comment_too_long"),
        "{body}"
    );
    assert_eq!(
        wall(&api, &a, &project, "")
            .await
            .iter()
            .filter(|c| c["body"] == hostile)
            .count(),
        1,
        "failed edits left the body alone"
    );
}

#[tokio::test]
async fn viewers_read_the_wall_and_commenters_post_on_it() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Olive").await;
    let viewer = api.signup("Vic").await;
    let commenter = api.signup("Cam").await;
    let project = api.create_project(&owner, "Roles").await;
    member_role(&api, &owner, &project, &viewer, "viewer").await;
    member_role(&api, &owner, &project, &commenter, "commenter").await;

    let (status, body) = post(&api, &viewer, &project, json!({ "body": "may I?" })).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a viewer posted: {body}");
    let posted = comment(&api, &commenter, &project, json!({ "body": "I may" })).await;
    assert_eq!(posted["author"]["id"], json!(commenter.id));
    assert_eq!(posted["author"]["name"], "Cam");
    let seen = wall(&api, &viewer, &project, "").await;
    assert_eq!(ids(&seen), [posted["id"].as_str().unwrap().to_owned()]);
    assert_eq!(seen[0]["body"], "I may");
}

#[tokio::test]
async fn a_commenter_posts_on_the_wall_but_cannot_edit_the_book() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Olive").await;
    let cam = api.signup("Cam").await;
    let project = api.create_project(&owner, "Book").await;
    member_role(&api, &owner, &project, &cam, "commenter").await;

    comment(&api, &cam, &project, json!({ "body": "Nice layout" })).await;

    let editor = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    let c = YClient::connect(&server.ws_url(), &project, &cam.token).await;
    editor.wait_synced().await;
    c.wait_synced().await;
    c.edit(|txn| add_page(txn, &cam.id, "by-cam"));
    assert!(
        eventually(WAIT, || !c.seen.lock().unwrap().denied.is_empty()).await,
        "a commenter's book edit got no PermissionDenied"
    );
    assert!(
        c.seen.lock().unwrap().denied[0].contains("commenter"),
        "the reason names the role: {:?}",
        c.seen.lock().unwrap().denied
    );
    assert!(
        c.closed().is_none(),
        "a refused write does not close the connection"
    );

    // The refused page reaches nobody: an edit made after it arrives alone, and a fresh
    // client loads the book without it.
    editor.edit(|txn| add_page(txn, &owner.id, "by-owner"));
    assert!(
        eventually(WAIT, || page_ids(&c.doc).contains(&"by-owner".to_owned())).await,
        "the commenter stopped receiving"
    );
    assert_eq!(page_ids(&editor.doc), ["by-owner"]);
    let fresh = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    fresh.wait_synced().await;
    assert_eq!(page_ids(&fresh.doc), ["by-owner"]);
}

// ---------------------------------------------------------------------------------------
// Who gets a stream, and what ends it
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_removed_member_loses_their_socket_and_stream_within_a_second() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Olive").await;
    let ed = api.signup("Ed").await;
    let project = api.create_project(&owner, "Removal").await;
    member_role(&api, &owner, &project, &ed, "editor").await;

    let socket = YClient::connect(&server.ws_url(), &project, &ed.token).await;
    socket.wait_synced().await;
    let mut events = stream(&server.url, &project, &ed).await;

    // A role change is told as a `member` event, and the stream goes on.
    member_role(&api, &owner, &project, &ed, "contributor").await;
    let changed = events.expect_event("member", WAIT).await.json();
    assert_eq!(
        changed,
        json!({ "user_id": ed.id, "role": "contributor", "action": "role" })
    );

    let (status, body) = api
        .call(
            Method::DELETE,
            &format!("/api/projects/{project}/members/{}", ed.id),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (socket_closed, ended) = tokio::join!(
        eventually(AT_ONCE, || socket.closed().is_some()),
        events.until_end(AT_ONCE)
    );
    assert!(
        socket_closed,
        "the removed member's WebSocket stayed open for over a second"
    );
    assert_eq!(socket.closed().unwrap().0, 4403);
    let seen = ended.expect("the removed member's event stream stayed open for over a second");
    let last = seen.last().expect("the stream ended without a last event");
    assert_eq!(last.event, "member", "last event {last:?}");
    let data = last.json();
    assert_eq!(data["action"], "removed");
    assert_eq!(data["user_id"], json!(ed.id));
    assert_eq!(data["role"], Value::Null);
}

#[tokio::test]
async fn only_members_get_a_stream_and_logout_ends_it() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Olive").await;
    let ben = api.signup("Ben").await;
    let stranger = api.signup("Sam").await;
    let project = api.create_project(&owner, "Members only").await;
    member_role(&api, &owner, &project, &ben, "viewer").await;

    let refused = open_events(&server.url, &project, &stranger.token)
        .await
        .err()
        .expect("a non-member got a stream");
    assert_eq!(refused.0, StatusCode::FORBIDDEN, "{}", refused.1);
    let refused = open_events(&server.url, &project, "not-a-token")
        .await
        .err()
        .expect("a bad token got a stream");
    assert_eq!(refused.0, StatusCode::UNAUTHORIZED, "{}", refused.1);
    let refused = open(&format!("{}/api/projects/{project}/events", server.url))
        .await
        .err()
        .expect("no token got a stream");
    assert_eq!(refused.0, StatusCode::UNAUTHORIZED, "{}", refused.1);

    // Logging out ends that token's stream; the owner's goes on.
    let mut bens = stream(&server.url, &project, &ben).await;
    let mut owners = stream(&server.url, &project, &owner).await;
    let (status, _) = api
        .call(Method::POST, "/api/auth/logout", Some(&ben.token), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(
        bens.until_end(WAIT).await.is_some(),
        "a logged-out token's stream stayed open"
    );
    let posted = comment(
        &api,
        &owner,
        &project,
        json!({ "body": "still listening?" }),
    )
    .await;
    assert_eq!(
        comment_event(&mut owners).await["comment"]["id"],
        posted["id"]
    );
    // And the revoked token opens no new one.
    let refused = open_events(&server.url, &project, &ben.token)
        .await
        .err()
        .expect("a revoked token got a stream");
    assert_eq!(refused.0, StatusCode::UNAUTHORIZED, "{}", refused.1);
}

#[tokio::test]
async fn deleting_the_project_ends_its_streams() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Olive").await;
    let ben = api.signup("Ben").await;
    let project = api.create_project(&owner, "Short-lived").await;
    member_role(&api, &owner, &project, &ben, "editor").await;
    let mut bens = stream(&server.url, &project, &ben).await;
    let (status, _) = api
        .call(
            Method::DELETE,
            &format!("/api/projects/{project}"),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(
        bens.until_end(WAIT).await.is_some(),
        "a deleted project's stream stayed open"
    );
}

// ---------------------------------------------------------------------------------------
// Notifications
// ---------------------------------------------------------------------------------------

async fn notifications(api: &Api, who: &Account) -> Vec<Value> {
    let (status, body) = api
        .call(Method::GET, "/api/notifications", Some(&who.token), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body.as_array()
        .unwrap_or_else(|| panic!("notifications are a list: {body}"))
        .clone()
}

fn comment_notifications(list: &[Value]) -> Vec<Value> {
    list.iter()
        .filter(|n| n["kind"] == "comment")
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_comment_on_a_page_notifies_its_creator() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let ann = api.signup("Ann").await;
    let ben = api.signup("Ben").await;
    let project = api.create_project(&ann, "Pages").await;
    member_role(&api, &ann, &project, &ben, "commenter").await;

    // Ann makes a page; once Ben's client has it, it is durable (the server relays only
    // what it has stored).
    let anns_client = YClient::connect(&server.ws_url(), &project, &ann.token).await;
    let bens_client = YClient::connect(&server.ws_url(), &project, &ben.token).await;
    anns_client.wait_synced().await;
    bens_client.wait_synced().await;
    anns_client.edit(|txn| add_page(txn, &ann.id, "anns-page"));
    assert!(
        eventually(WAIT, || page_ids(&bens_client.doc) == ["anns-page"]).await,
        "Ann's page never reached Ben"
    );
    assert!(anns_client.seen.lock().unwrap().denied.is_empty());

    let mut anns_events = stream(&server.url, &project, &ann).await;
    let mut bens_events = stream(&server.url, &project, &ben).await;
    let posted = comment(
        &api,
        &ben,
        &project,
        json!({ "body": "Great page", "page_id": "anns-page" }),
    )
    .await;

    // Ann's open stream hears of it at once…
    let live = anns_events.expect_event("notification", WAIT).await.json();
    assert_eq!(live["kind"], "comment");
    assert_eq!(live["user_id"], json!(ann.id));
    assert_eq!(live["data"]["comment"]["id"], posted["id"]);
    // …and it is in her notifications.
    let listed = comment_notifications(&notifications(&api, &ann).await);
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["id"], live["id"]);
    assert_eq!(listed[0]["data"]["comment"]["id"], posted["id"]);
    assert_eq!(listed[0]["read_at"], Value::Null);
    // The commenter is not notified of their own comment.
    assert!(comment_notifications(&notifications(&api, &ben).await).is_empty());
    // Ben's stream carries the comment but not Ann's notification: the next event after his
    // comment is the next comment (events go out in order).
    let marker = comment(&api, &ben, &project, json!({ "body": "marker" })).await;
    let first = bens_events
        .next_within(WAIT)
        .await
        .expect("no event on Ben's stream")
        .expect("Ben's stream ended");
    assert_eq!(
        (first.event.as_str(), first.json()["comment"]["id"].clone()),
        ("comment", posted["id"].clone()),
        "{first:?}"
    );
    let second = bens_events
        .next_within(WAIT)
        .await
        .expect("no event on Ben's stream")
        .expect("Ben's stream ended");
    assert_eq!(
        (
            second.event.as_str(),
            second.json()["comment"]["id"].clone()
        ),
        ("comment", marker["id"].clone()),
        "Ben's stream got {second:?}"
    );

    // Nor is Ann when she comments on her own page.
    comment(
        &api,
        &ann,
        &project,
        json!({ "body": "Thanks", "page_id": "anns-page" }),
    )
    .await;
    assert_eq!(
        comment_notifications(&notifications(&api, &ann).await).len(),
        1,
        "Ann was notified of her own comment"
    );
}

// ---------------------------------------------------------------------------------------
// Friends and presence
// ---------------------------------------------------------------------------------------

async fn friends(api: &Api, who: &Account) -> Vec<Value> {
    let (status, body) = api
        .call(Method::GET, "/api/friends", Some(&who.token), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body.as_array()
        .unwrap_or_else(|| panic!("friends are a list: {body}"))
        .clone()
}

/// Polls `who`'s friends until `friend` shows `online == want`; false after `WAIT`.
async fn wait_online(api: &Api, who: &Account, friend: &Account, want: bool) -> bool {
    let start = std::time::Instant::now();
    loop {
        let list = friends(api, who).await;
        let entry = list
            .iter()
            .find(|f| f["user"]["id"] == json!(friend.id))
            .unwrap_or_else(|| {
                panic!(
                    "{} is not among {}'s friends: {list:?}",
                    friend.name, who.name
                )
            });
        if entry["online"] == json!(want) {
            return true;
        }
        if start.elapsed() > WAIT {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn friends_are_people_sharing_a_project_online_while_connected() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let olive = api.signup("Olive").await;
    let bea = api.signup("Bea").await;
    let al = api.signup("Al").await;
    let stranger = api.signup("Sam").await;
    let project = api.create_project(&olive, "Together").await;
    member_role(&api, &olive, &project, &bea, "editor").await;
    member_role(&api, &olive, &project, &al, "viewer").await;
    api.create_project(&stranger, "Alone").await;

    // Everyone sharing a project, by name; not the stranger, not oneself.
    let list = friends(&api, &olive).await;
    let names: Vec<&str> = list
        .iter()
        .map(|f| f["user"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Al", "Bea"], "{list:?}");
    assert_eq!(list[1]["user"]["id"], json!(bea.id));
    assert!(
        list.iter().all(|f| f["online"] == json!(false)),
        "nobody is connected yet: {list:?}"
    );
    let beas: Vec<String> = friends(&api, &bea)
        .await
        .iter()
        .map(|f| f["user"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(beas, [al.id.clone(), olive.id.clone()]);
    assert!(friends(&api, &stranger).await.is_empty());

    // Online while a sync connection is open, offline once it closes.
    let socket = YClient::connect(&server.ws_url(), &project, &bea.token).await;
    socket.wait_synced().await;
    assert!(
        wait_online(&api, &olive, &bea, true).await,
        "Bea is connected but not online"
    );
    let al_entry = friends(&api, &olive)
        .await
        .into_iter()
        .find(|f| f["user"]["id"] == json!(al.id))
        .unwrap();
    assert_eq!(al_entry["online"], json!(false), "Al has no connection");
    socket.close().await;
    assert!(
        wait_online(&api, &olive, &bea, false).await,
        "Bea closed her connection but stayed online"
    );
}

#[tokio::test]
async fn a_friend_connected_to_another_node_is_online() {
    let Some(cluster) = two_nodes().await else {
        return;
    };
    let (node1, node2) = (&cluster.nodes[0], &cluster.nodes[1]);
    let api1 = Api::new(&node1.url);
    let olive = api1.signup("Olive").await;
    let bea = api1.signup("Bea").await;
    let project = api1.create_project(&olive, "Across").await;
    member_role(&api1, &olive, &project, &bea, "editor").await;
    assert!(wait_online(&api1, &olive, &bea, false).await);

    let socket = YClient::connect(&node2.ws_url(), &project, &bea.token).await;
    socket.wait_synced().await;
    assert!(
        wait_online(&api1, &olive, &bea, true).await,
        "Bea's connection to node 2 does not show on node 1"
    );
    socket.close().await;
    assert!(
        wait_online(&api1, &olive, &bea, false).await,
        "Bea left node 2 but node 1 still shows her online"
    );
}
