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

#[tokio::test]
async fn a_manager_invites_and_a_new_user_joins_at_the_link_role() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let manager = api.signup("Mona").await;
    let project = api.create_project(&owner, "Lake trip").await;
    let (status, body) = api.set_role(&owner, &project, &manager, "manager").await;
    assert!(status.is_success(), "{body}");

    let created = new_link(
        &api,
        &manager,
        &project,
        json!({"role": "contributor", "max_uses": 3}),
    )
    .await;
    let token = token_of(&created);
    let invite = &created["invite"];
    assert_eq!(
        created["url"],
        json!(format!("/invite/{token}")),
        "{created}"
    );
    assert_eq!(invite["project_id"], json!(project), "{created}");
    assert_eq!(invite["role"], "contributor", "{created}");
    assert_eq!(invite["created_by"], json!(manager.id), "{created}");
    assert_eq!(invite["max_uses"], 3, "{created}");
    assert_eq!(invite["uses"], 0, "{created}");
    assert_eq!(invite["state"], "active", "{created}");

    // Anyone with the link sees what it offers, without logging in.
    let (status, offer) = inspect(&api, &token).await;
    assert_eq!(status, StatusCode::OK, "{offer}");
    assert_eq!(offer["project_title"], "Lake trip", "{offer}");
    assert_eq!(offer["role"], "contributor", "{offer}");
    assert_eq!(offer["inviter"]["id"], json!(manager.id), "{offer}");
    assert_eq!(offer["inviter"]["name"], "Mona", "{offer}");
    assert!(offer["expires_at"].is_string(), "{offer}");

    // A new user signs up and accepts.
    let newcomer = api.signup("Nico").await;
    let (status, joined) = accept(&api, Some(&newcomer), &token).await;
    assert_eq!(status, StatusCode::OK, "{joined}");
    assert_eq!(joined["project"]["id"], json!(project), "{joined}");
    assert_eq!(joined["role"], "contributor", "{joined}");
    assert_eq!(joined["joined"], true, "{joined}");

    assert_eq!(own_role(&api, &newcomer, &project).await, "contributor");
    let list = members(&api, &owner, &project).await;
    assert!(
        list.contains(&(newcomer.id.clone(), "contributor".into())),
        "{list:?}"
    );

    let after = listed_invite(&api, &manager, &project, &invite["id"]).await;
    assert_eq!(after["uses"], 1, "{after}");
    assert_eq!(
        after["state"], "active",
        "two of three uses are left: {after}"
    );

    // The inviter is told, with who joined and at which role.
    let accepted = of_kind(&notifications(&api, &manager).await, "invite_accepted");
    assert_eq!(accepted.len(), 1, "{accepted:?}");
    let n = &accepted[0];
    assert_eq!(n["user_id"], json!(manager.id), "{n}");
    assert_eq!(n["data"]["project_id"], json!(project), "{n}");
    assert_eq!(n["data"]["project_title"], "Lake trip", "{n}");
    assert_eq!(n["data"]["user"]["id"], json!(newcomer.id), "{n}");
    assert_eq!(n["data"]["user"]["name"], "Nico", "{n}");
    assert_eq!(n["data"]["role"], "contributor", "{n}");
    assert!(n["read_at"].is_null(), "{n}");
    let id = n["id"].clone();

    // Someone else marking the manager's notification changes nothing for the manager.
    let (status, body) = api
        .call(
            Method::POST,
            "/api/notifications/read",
            Some(&newcomer.token),
            Some(json!({"ids": [id]})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let still = notifications(&api, &manager)
        .await
        .into_iter()
        .find(|x| x["id"] == id)
        .expect("still listed");
    assert!(
        still["read_at"].is_null(),
        "another user marked the manager's notification read: {still}"
    );

    // The manager marks it read.
    let (status, body) = api
        .call(
            Method::POST,
            "/api/notifications/read",
            Some(&manager.token),
            Some(json!({"ids": [id]})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let read = notifications(&api, &manager)
        .await
        .into_iter()
        .find(|x| x["id"] == id)
        .expect("still listed");
    assert!(read["read_at"].is_string(), "read_at was not set: {read}");
}

#[tokio::test]
async fn escalation_and_dead_links_are_refused() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let manager = api.signup("Manager").await;
    let editor = api.signup("Editor").await;
    let project = api.create_project(&owner, "Wedding").await;
    api.set_role(&owner, &project, &manager, "manager").await;
    api.set_role(&owner, &project, &editor, "editor").await;
    // The links they joined by, used up.
    let (status, before) = api
        .call(
            Method::GET,
            &format!("/api/projects/{project}/invites"),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{before}");

    // An editor cannot create links at all, not even for the lowest role.
    for role in ["viewer", "editor"] {
        let (status, body) = create_invite(&api, &editor, &project, json!({"role": role})).await;
        assert_error(status, &body, 403, "forbidden");
    }
    // A manager cannot hand out ownership.
    let (status, body) = create_invite(&api, &manager, &project, json!({"role": "owner"})).await;
    assert_error(status, &body, 403, "forbidden");
    let (status, list) = api
        .call(
            Method::GET,
            &format!("/api/projects/{project}/invites"),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list, before, "a refused invite was stored");

    // A used-up link: the second user is refused, and so is anyone inspecting it.
    let token = token_of(
        &new_link(
            &api,
            &manager,
            &project,
            json!({"role": "viewer", "max_uses": 1}),
        )
        .await,
    );
    let first = api.signup("First").await;
    let second = api.signup("Second").await;
    let (status, body) = accept(&api, Some(&first), &token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["joined"], true, "{body}");
    let (status, body) = accept(&api, Some(&second), &token).await;
    assert_error(status, &body, 410, "invite_used_up");
    let (status, body) = inspect(&api, &token).await;
    assert_error(status, &body, 410, "invite_used_up");

    // A revoked link.
    let created = new_link(&api, &manager, &project, json!({"role": "contributor"})).await;
    let revoked = token_of(&created);
    let invite_id = created["invite"]["id"]
        .as_str()
        .expect("invite id")
        .to_owned();
    let (status, body) = api
        .call(
            Method::DELETE,
            &format!("/api/projects/{project}/invites/{invite_id}"),
            Some(&manager.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let third = api.signup("Third").await;
    let (status, body) = accept(&api, Some(&third), &revoked).await;
    assert_error(status, &body, 410, "invite_revoked");
    let (status, body) = inspect(&api, &revoked).await;
    assert_error(status, &body, 410, "invite_revoked");
    assert_eq!(
        listed_invite(&api, &manager, &project, &json!(invite_id)).await["state"],
        "revoked"
    );

    // A guessed token, shaped like a real one (43 URL-safe characters).
    let guessed: String = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
    .chars()
    .take(43)
    .collect();
    let (status, body) = inspect(&api, &guessed).await;
    assert_error(status, &body, 404, "invite_not_found");
    let (status, body) = accept(&api, Some(&third), &guessed).await;
    assert_error(status, &body, 404, "invite_not_found");

    // An expired link.
    let expiring = token_of(
        &new_link(
            &api,
            &manager,
            &project,
            json!({"role": "viewer", "expires_in_s": 1}),
        )
        .await,
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (status, body) = accept(&api, Some(&third), &expiring).await;
    assert_error(status, &body, 410, "invite_expired");
    let (status, body) = inspect(&api, &expiring).await;
    assert_error(status, &body, 410, "invite_expired");

    // Accepting a live link needs a login.
    let live = token_of(&new_link(&api, &manager, &project, json!({"role": "viewer"})).await);
    let (status, body) = accept(&api, None, &live).await;
    assert_error(status, &body, 401, "unauthorized");

    // None of the refused users became a member.
    let list = members(&api, &owner, &project).await;
    for refused in [&second, &third] {
        assert!(
            !list.iter().any(|(id, _)| id == &refused.id),
            "{} became a member: {list:?}",
            refused.name
        );
    }
    assert!(
        list.contains(&(first.id.clone(), "viewer".into())),
        "{list:?}"
    );
}

#[tokio::test]
async fn invite_options_and_management_are_validated() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let editor = api.signup("Editor").await;
    let stranger = api.signup("Stranger").await;
    let project = api.create_project(&owner, "Harbour").await;
    let other = api.create_project(&owner, "Elsewhere").await;
    api.set_role(&owner, &project, &editor, "editor").await;

    let cases = [
        (json!({"role": "admin"}), "invalid_role"),
        (
            json!({"role": "viewer", "expires_in_s": 0}),
            "invalid_expiry",
        ),
        (
            json!({"role": "viewer", "expires_in_s": 365 * 24 * 3600 + 1}),
            "invalid_expiry",
        ),
        (json!({"role": "viewer", "max_uses": 0}), "invalid_max_uses"),
        (
            json!({"role": "viewer", "max_uses": 10_001}),
            "invalid_max_uses",
        ),
    ];
    for (body, code) in cases {
        let (status, reply) = create_invite(&api, &owner, &project, body.clone()).await;
        assert_error(status, &reply, 422, code);
    }
    // The bounds themselves are allowed, and a manager may invite a manager.
    new_link(
        &api,
        &owner,
        &project,
        json!({"role": "manager", "expires_in_s": 365 * 24 * 3600, "max_uses": 10_000}),
    )
    .await;
    let created = new_link(
        &api,
        &owner,
        &project,
        json!({"role": "viewer", "expires_in_s": 1, "max_uses": 1}),
    )
    .await;

    // Only managers create, list and revoke.
    let (status, body) = create_invite(&api, &stranger, &project, json!({"role": "viewer"})).await;
    assert_error(status, &body, 403, "forbidden");
    let id = created["invite"]["id"].as_str().expect("invite id");
    for who in [&editor, &stranger] {
        let (status, body) = api
            .call(
                Method::GET,
                &format!("/api/projects/{project}/invites"),
                Some(&who.token),
                None,
            )
            .await;
        assert_error(status, &body, 403, "forbidden");
        let (status, body) = api
            .call(
                Method::DELETE,
                &format!("/api/projects/{project}/invites/{id}"),
                Some(&who.token),
                None,
            )
            .await;
        assert_error(status, &body, 403, "forbidden");
    }
    // Revoking an unknown invite, or one through another project, is a 404.
    let unknown = uuid::Uuid::new_v4();
    let (status, body) = api
        .call(
            Method::DELETE,
            &format!("/api/projects/{project}/invites/{unknown}"),
            Some(&owner.token),
            None,
        )
        .await;
    assert_error(status, &body, 404, "not_found");
    let (status, body) = api
        .call(
            Method::DELETE,
            &format!("/api/projects/{other}/invites/{id}"),
            Some(&owner.token),
            None,
        )
        .await;
    assert_error(status, &body, 404, "not_found");
    assert_eq!(
        listed_invite(&api, &owner, &project, &json!(id)).await["revoked_at"],
        Value::Null
    );
}

#[tokio::test]
async fn accepting_never_lowers_a_role() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let editor = api.signup("Edith").await;
    let viewer = api.signup("Vic").await;
    let project = api.create_project(&owner, "Garden").await;
    api.set_role(&owner, &project, &editor, "editor").await;
    api.set_role(&owner, &project, &viewer, "viewer").await;

    // An editor accepting a one-use viewer link stays editor, and spends no use.
    let created = new_link(
        &api,
        &owner,
        &project,
        json!({"role": "viewer", "max_uses": 1}),
    )
    .await;
    let token = token_of(&created);
    let (status, body) = accept(&api, Some(&editor), &token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["joined"], false, "{body}");
    assert_eq!(body["role"], "editor", "{body}");
    assert_eq!(own_role(&api, &editor, &project).await, "editor");
    assert_eq!(
        listed_invite(&api, &owner, &project, &created["invite"]["id"]).await["uses"],
        0
    );
    // The one use is still there for someone new.
    let newcomer = api.signup("Newt").await;
    let (status, body) = accept(&api, Some(&newcomer), &token).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the editor's accept used up the link: {body}"
    );
    assert_eq!(body["joined"], true, "{body}");

    // A viewer accepting an editor link is raised to editor.
    let up = token_of(&new_link(&api, &owner, &project, json!({"role": "editor"})).await);
    let (status, body) = accept(&api, Some(&viewer), &up).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["joined"], true, "{body}");
    assert_eq!(body["role"], "editor", "{body}");
    assert_eq!(own_role(&api, &viewer, &project).await, "editor");
    let list = members(&api, &owner, &project).await;
    assert!(
        list.contains(&(viewer.id.clone(), "editor".into())),
        "{list:?}"
    );
    assert!(
        list.contains(&(editor.id.clone(), "editor".into())),
        "{list:?}"
    );

    // The inviter hears of the two who joined, not of the editor who was already in. (The
    // editor and the viewer first joined by invite too, as strangers to the owner do.)
    let joiners: Vec<Value> = of_kind(&notifications(&api, &owner).await, "invite_accepted")
        .iter()
        .map(|n| n["data"]["user"]["id"].clone())
        .collect();
    let times = |who: &Account| joiners.iter().filter(|id| **id == json!(who.id)).count();
    assert_eq!(
        (times(&newcomer), times(&viewer), times(&editor)),
        (1, 2, 1),
        "{joiners:?}"
    );
}

#[tokio::test]
async fn concurrent_accepts_of_a_one_use_link_make_one_member() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let project = api.create_project(&owner, "Reunion").await;

    for round in 0..5 {
        let token = token_of(
            &new_link(
                &api,
                &owner,
                &project,
                json!({"role": "contributor", "max_uses": 1}),
            )
            .await,
        );
        let a = api.signup(&format!("A{round}")).await;
        let b = api.signup(&format!("B{round}")).await;
        let (ra, rb) = tokio::join!(
            accept(&api, Some(&a), &token),
            accept(&api, Some(&b), &token)
        );
        let results = [(&a, ra), (&b, rb)];
        let winners: Vec<&Account> = results
            .iter()
            .filter(|(_, (s, body))| *s == StatusCode::OK && body["joined"] == true)
            .map(|(u, _)| *u)
            .collect();
        let losers: Vec<&Account> = results
            .iter()
            .filter(|(_, (s, body))| s.as_u16() == 410 && body["error"]["code"] == "invite_used_up")
            .map(|(u, _)| *u)
            .collect();
        assert!(
            winners.len() == 1 && losers.len() == 1,
            "round {round}: {:?}",
            results.iter().map(|(_, r)| r).collect::<Vec<_>>()
        );
        let list = members(&api, &owner, &project).await;
        assert!(
            list.contains(&(winners[0].id.clone(), "contributor".into())),
            "round {round}: {list:?}"
        );
        assert!(
            !list.iter().any(|(id, _)| id == &losers[0].id),
            "round {round}: both became members: {list:?}"
        );
    }
    // The owner plus one member per round.
    assert_eq!(members(&api, &owner, &project).await.len(), 6);
}

#[tokio::test]
async fn an_invite_by_email_goes_to_the_outbox() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let project = api.create_project(&owner, "Birthday").await;
    let store = server.store().await;

    let email = folio_tests::unique_email("guest");
    let created = new_link(
        &api,
        &owner,
        &project,
        json!({"role": "commenter", "email": email}),
    )
    .await;
    assert_eq!(created["invite"]["email"], json!(email), "{created}");
    let url = created["url"].as_str().expect("url").to_owned();
    assert!(url.ends_with(&token_of(&created)), "{created}");

    let outbox = store.outbox(100).await.expect("outbox");
    let mail = outbox
        .iter()
        .find(|m| m.to_email == email)
        .unwrap_or_else(|| panic!("no mail to {email}: {outbox:?}"));
    assert!(
        mail.body.contains(&url),
        "the mail does not hold the link {url}: {:?}",
        mail.body
    );
    assert!(!mail.subject.is_empty(), "{mail:?}");

    // An invalid address is refused, and nothing more is queued.
    for bad in ["not-an-email", "a b@example.com", "@example.com"] {
        let (status, body) = create_invite(
            &api,
            &owner,
            &project,
            json!({"role": "viewer", "email": bad}),
        )
        .await;
        assert_error(status, &body, 422, "invalid_email");
    }
    assert_eq!(store.outbox(100).await.expect("outbox").len(), outbox.len());
}

#[tokio::test]
async fn a_role_change_notifies_the_member() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Olga").await;
    let member = api.signup("Max").await;
    let project = api.create_project(&owner, "Ski week").await;
    let (status, body) = api.set_role(&owner, &project, &member, "viewer").await;
    assert!(status.is_success(), "{body}");
    let (status, body) = api.set_role(&owner, &project, &member, "editor").await;
    assert!(status.is_success(), "{body}");

    let changes = of_kind(&notifications(&api, &member).await, "role_changed");
    let editor_change = changes
        .iter()
        .find(|n| n["data"]["role"] == "editor")
        .unwrap_or_else(|| panic!("no role_changed notification with the new role: {changes:?}"));
    assert_eq!(
        editor_change["user_id"],
        json!(member.id),
        "{editor_change}"
    );
    assert_eq!(
        editor_change["data"]["project_id"],
        json!(project),
        "{editor_change}"
    );
    assert_eq!(
        editor_change["data"]["project_title"], "Ski week",
        "{editor_change}"
    );
    assert_eq!(
        editor_change["data"]["by"]["id"],
        json!(owner.id),
        "{editor_change}"
    );
    assert_eq!(
        editor_change["data"]["by"]["name"], "Olga",
        "{editor_change}"
    );
    assert!(editor_change["read_at"].is_null(), "{editor_change}");
    // Newest first: the latest change leads the list.
    assert_eq!(changes[0]["data"]["role"], "editor", "{changes:?}");
    // The manager who made the change is not notified of it.
    assert!(of_kind(&notifications(&api, &owner).await, "role_changed").is_empty());
}

#[tokio::test]
async fn joining_by_invite_takes_effect_on_live_connections() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let project = api.create_project(&owner, "Road trip").await;
    let watcher = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    watcher.wait_synced().await;

    let guest = api.signup("Guest").await;
    // Before accepting, the socket is refused.
    assert_eq!(
        connect_ws(&server.ws_url(), &project, &guest.token)
            .await
            .err(),
        Some(403),
        "a non-member opened the project"
    );

    let token = token_of(&new_link(&api, &owner, &project, json!({"role": "contributor"})).await);
    let (status, body) = accept(&api, Some(&guest), &token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["joined"], true, "{body}");

    // At once a member: the socket opens and syncs, and a contributor's page is accepted.
    let c = YClient::connect(&server.ws_url(), &project, &guest.token).await;
    c.wait_synced().await;
    c.edit(|txn| add_page(txn, &guest.id, "guest-page"));
    let has_page = |y: &YClient| page_ids(&y.doc).contains(&"guest-page".to_string());
    assert!(
        eventually(WAIT, || has_page(&watcher)).await,
        "the contributor's page never reached the owner"
    );
    assert!(
        c.seen.lock().unwrap().denied.is_empty(),
        "the contributor's write was refused: {:?}",
        c.seen.lock().unwrap().denied
    );
    let fresh = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    fresh.wait_synced().await;
    assert!(
        eventually(WAIT, || has_page(&fresh)).await,
        "the contributor's page was not kept"
    );

    // Contrast: a viewer link's user can open the book but not write to it.
    let peek = token_of(&new_link(&api, &owner, &project, json!({"role": "viewer"})).await);
    let reader = api.signup("Reader").await;
    let (status, body) = accept(&api, Some(&reader), &peek).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let r = YClient::connect(&server.ws_url(), &project, &reader.token).await;
    r.wait_synced().await;
    r.edit(|txn| add_page(txn, &reader.id, "reader-page"));
    assert!(
        eventually(WAIT, || !r.seen.lock().unwrap().denied.is_empty()).await,
        "a viewer's write was not refused"
    );
}
