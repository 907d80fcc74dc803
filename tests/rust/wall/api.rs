//! The wall API: paging, replies, edit and delete rights, bodies and limits, and who may
//! post.

use super::*;

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
