//! Live comment events: on a member's stream, on one node and across nodes.

use super::*;

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
