//! Notifications a comment makes.

use super::*;

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
