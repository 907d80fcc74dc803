//! The wrong people and bad bodies are refused.

use super::*;

fn assert_error(status: StatusCode, body: &Value, expected: StatusCode, code: &str, what: &str) {
    assert_eq!(status, expected, "{what}: {body}");
    assert_eq!(body["error"]["code"], code, "{what}: {body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.trim().is_empty()),
        "{what}: no message: {body}"
    );
}

#[tokio::test]
async fn automix_refuses_the_wrong_people_and_bad_input() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let editor = api.signup("Editor").await;
    let contributor = api.signup("Contributor").await;
    let commenter = api.signup("Commenter").await;
    let viewer = api.signup("Viewer").await;
    let stranger = api.signup("Stranger").await;
    let project = api.create_project(&owner, "Guarded").await;
    for (who, role) in [
        (&editor, "editor"),
        (&contributor, "contributor"),
        (&commenter, "commenter"),
        (&viewer, "viewer"),
    ] {
        member(&api, &owner, &project, who, role).await;
    }
    let (album, photos) = album_with_photos(&api, &owner, "Holiday", 3).await;
    let (editors_album, editors_photos) = album_with_photos(&api, &editor, "Mine", 2).await;
    let strangers_photo = upload_photos(&api, &stranger, 1, None).await.remove(0);
    let empty = create_album(&api, &owner, "Nothing yet").await;

    // Below editor, and non-members: 403, whatever the body.
    for who in [&contributor, &commenter, &viewer, &stranger] {
        for body in [json!({ "album_id": album }), json!({ "photo_ids": photos })] {
            let (status, res) = post_automix(&api, who, &project, body).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{}: {res}", who.name);
            assert!(res["error"]["code"].is_string(), "{res}");
        }
    }
    let (status, res) = api
        .call(
            Method::POST,
            &automix_path(&project),
            None,
            Some(json!({ "album_id": album })),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{res}");
    let (status, res) = post_automix(
        &api,
        &owner,
        &uuid::Uuid::new_v4().to_string(),
        json!({ "album_id": album }),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "an unknown project: {res}");

    // Exactly one of photo_ids, album_id and page_id.
    let page = uuid::Uuid::new_v4().to_string();
    for body in [
        json!({}),
        json!({ "seed": 3 }),
        json!({ "photo_ids": null, "album_id": null }),
        json!({ "photo_ids": photos, "album_id": album }),
        json!({ "album_id": album, "page_id": page }),
        json!({ "photo_ids": photos, "page_id": page }),
        json!({ "photo_ids": photos, "album_id": album, "page_id": page }),
    ] {
        let (status, res) = post_automix(&api, &owner, &project, body.clone()).await;
        assert_error(
            status,
            &res,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_automix",
            &format!("{body}"),
        );
    }

    // Albums: only the caller's own.
    let (status, res) =
        post_automix(&api, &owner, &project, json!({ "album_id": editors_album })).await;
    assert_error(
        status,
        &res,
        StatusCode::NOT_FOUND,
        "album_not_found",
        "someone else's album",
    );
    let (status, res) = post_automix(&api, &editor, &project, json!({ "album_id": album })).await;
    assert_error(
        status,
        &res,
        StatusCode::NOT_FOUND,
        "album_not_found",
        "the owner's album, for an editor",
    );
    let (status, res) = post_automix(
        &api,
        &owner,
        &project,
        json!({ "album_id": uuid::Uuid::new_v4().to_string() }),
    )
    .await;
    assert_error(
        status,
        &res,
        StatusCode::NOT_FOUND,
        "album_not_found",
        "an unknown album",
    );
    let (status, res) = post_automix(&api, &owner, &project, json!({ "album_id": empty })).await;
    assert_error(
        status,
        &res,
        StatusCode::UNPROCESSABLE_ENTITY,
        "empty_album",
        "an empty album",
    );
    let (status, res) =
        post_automix(&api, &owner, &project, json!({ "album_id": "not-an-id" })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{res}");
    assert!(res["error"]["code"].is_string(), "{res}");

    // Photos: only ones the caller may see.
    let (status, res) = post_automix(
        &api,
        &owner,
        &project,
        json!({ "photo_ids": [strangers_photo] }),
    )
    .await;
    assert_error(
        status,
        &res,
        StatusCode::NOT_FOUND,
        "photo_not_found",
        "a stranger's photo",
    );
    let (status, res) = post_automix(
        &api,
        &owner,
        &project,
        json!({ "photo_ids": [photos[0], editors_photos[0]] }),
    )
    .await;
    assert_error(
        status,
        &res,
        StatusCode::NOT_FOUND,
        "photo_not_found",
        "the editor's photo, not in this book",
    );
    let (status, res) = post_automix(
        &api,
        &owner,
        &project,
        json!({ "photo_ids": [uuid::Uuid::new_v4().to_string()] }),
    )
    .await;
    assert_error(
        status,
        &res,
        StatusCode::NOT_FOUND,
        "photo_not_found",
        "an unknown photo",
    );
    for body in [
        json!({ "photo_ids": [] }),
        json!({ "photo_ids": ["not-an-id"] }),
        json!({ "page_id": "" }),
    ] {
        let (status, res) = post_automix(&api, &owner, &project, body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {res}");
        assert!(
            res["error"]["code"].is_string() && res["error"]["message"].is_string(),
            "{body}: {res}"
        );
    }

    // Bodies that are not the contract: unknown fields, wrong types, not JSON.
    for body in [
        json!({ "album_id": album, "theme": "wedding" }),
        json!({ "photo_ids": photos, "bogus": true }),
        json!({ "album_id": 42 }),
        json!({ "photo_ids": "all" }),
        json!({ "album_id": album, "seed": -1 }),
        json!(["album_id"]),
    ] {
        let (status, res) = post_automix(&api, &owner, &project, body.clone()).await;
        assert!(
            status == StatusCode::BAD_REQUEST || status == StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {status} {res}"
        );
        assert!(
            res["error"]["code"].is_string() && res["error"]["message"].is_string(),
            "{body}: {res}"
        );
    }
    let (status, res) = api
        .post_raw(
            &automix_path(&project),
            Some(&owner.token),
            "application/json",
            b"{\"album_id\":".to_vec(),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{res}");
    assert!(res["error"]["code"].is_string(), "{res}");

    // Nothing was queued by any refusal: no automix version, an empty book.
    let (status, listed) = api
        .call(
            Method::GET,
            &format!("/api/projects/{project}/versions"),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert!(
        listed
            .as_array()
            .expect("a list")
            .iter()
            .all(|v| v["reason"] != "automix"),
        "a refused request ran: {listed}"
    );

    // And the right people get through: an editor with their own album, the owner with theirs.
    let j = done_job(
        &api,
        &editor,
        &start_automix(
            &api,
            &editor,
            &project,
            json!({ "album_id": editors_album }),
        )
        .await,
    )
    .await;
    assert!(j["pages"].as_u64().is_some_and(|n| n >= 1), "{j}");
    let (status, res) = post_automix(&api, &owner, &project, json!({ "album_id": album })).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{res}");
    // A member who is not an editor may still watch the job; a stranger may not.
    let job = res["job"]["id"].as_str().expect("job id").to_owned();
    let (status, res) = api
        .call(
            Method::GET,
            &format!("/api/jobs/{job}"),
            Some(&viewer.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{res}");
    let (status, res) = api
        .call(
            Method::GET,
            &format!("/api/jobs/{job}"),
            Some(&stranger.token),
            None,
        )
        .await;
    assert!(
        status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
        "a stranger reads the job: {status} {res}"
    );
    done_job(&api, &owner, &job).await;
}
