//! Who gets an event stream, and what ends it: losing membership, logging out, deleting the
//! project.

use super::*;

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
