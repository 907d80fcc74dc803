//! Finding 3: a stranger cannot reach a private photo.

use super::*;

async fn a_stranger_cannot_reach_a_private_photo(server: TestServer) {
    let api = Api::new(&server.url);
    let victim = api.signup("Vera").await;
    let stranger = api.signup("Sid").await;
    let victim_email = email_of(&api, &victim).await;
    let private = upload(&api, &victim).await;
    let book = api.create_project(&stranger, "Bait").await;

    // Step 1, refused: the stranger cannot put Vera in their book, and learns nothing of her.
    let (status, body) = api
        .call(
            Method::PUT,
            &format!("/api/projects/{book}/members/{}", victim.id),
            Some(&stranger.token),
            Some(json!({"role": "viewer"})),
        )
        .await;
    assert_error(status, &body, 403, "not_a_friend");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("invite"),
        "the refusal should point to invites: {body}"
    );
    assert!(
        !body.to_string().contains(&victim_email),
        "the refusal shows Vera's email: {body}"
    );
    let (status, _) = api
        .call(
            Method::GET,
            &format!("/api/projects/{book}"),
            Some(&victim.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "Vera became a member anyway");
    assert_eq!(
        photo_access(&api, &stranger, &private).await,
        (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND)
    );

    // Even once Vera joins by an invite she accepted, Sid cannot place her private photo.
    api.join_by_invite(&stranger, &book, &victim, "contributor")
        .await;
    let reason = place(&server, &book, &stranger, &private)
        .await
        .expect_err("Sid placed Vera's private photo");
    assert!(
        reason.contains(&format!("photo {private} is not yours to place")),
        "{reason}"
    );
    assert_eq!(
        photo_access(&api, &stranger, &private).await,
        (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND)
    );
    // Nor through automix.
    let (status, body) = api
        .call(
            Method::POST,
            &format!("/api/projects/{book}/automix"),
            Some(&stranger.token),
            Some(json!({"photo_ids": [private]})),
        )
        .await;
    assert_error(status, &body, 404, "photo_not_found");

    // What Vera places herself, the book's members see; Sid, who manages the book, cannot
    // swap her private photo into her item either.
    let shown = upload(&api, &victim).await;
    let (page, item) = place(&server, &book, &victim, &shown)
        .await
        .expect("Vera places her own photo");
    assert_eq!(
        photo_access(&api, &stranger, &shown).await,
        (StatusCode::OK, StatusCode::OK)
    );
    let swap = PhotoRef {
        id: private.clone(),
        pan: [0.0, 0.0],
        zoom: 1.0,
    };
    let reason = set_photo(&server, &book, &stranger, &page, &item, swap)
        .await
        .expect_err("Sid swapped in Vera's private photo");
    assert!(reason.contains("is not yours to place"), "{reason}");
    assert_eq!(
        photo_access(&api, &stranger, &private).await,
        (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND)
    );
    // Ids that name no photo are refused the same way, so none can be probed.
    for ghost in [uuid::Uuid::new_v4().to_string(), "not-a-photo".to_owned()] {
        let reason = place(&server, &book, &stranger, &ghost)
            .await
            .expect_err("a photo id that names nothing was placed");
        assert!(reason.contains("is not yours to place"), "{reason}");
    }

    // An item Sid made before this check existed (written straight to the stored book here)
    // counts for nothing: he did not make it as someone who could see the photo.
    let sid = stranger.id.clone();
    let (sneak_page, sneak_item) = (
        new_page(&sid),
        photo_item(&sid, &uuid::Uuid::new_v4().to_string(), &private),
    );
    legacy_write(&server, &book, move |txn| {
        let id = model::add_page(txn, 0, sneak_page).expect("add page");
        model::add_item(txn, &id, sneak_item).expect("add item");
    })
    .await;
    assert_eq!(
        photo_access(&api, &stranger, &private).await,
        (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND),
        "an unchecked placement showed the photo"
    );
    let (status, report) = api
        .call(
            Method::GET,
            &format!("/api/projects/{book}/preflight"),
            Some(&stranger.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert!(
        report.to_string().contains("missing_photo"),
        "the unchecked placement would print: {report}"
    );

    // When Vera leaves, the book shows nothing of hers any more.
    let (status, body) = api
        .call(
            Method::DELETE,
            &format!("/api/projects/{book}/members/{}", victim.id),
            Some(&victim.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(
        photo_access(&api, &stranger, &shown).await,
        (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND)
    );
}
on_both_dbs!(
    a_stranger_cannot_reach_a_private_photo_at_any_step,
    a_stranger_cannot_reach_a_private_photo
);
