//! The album's cover photo goes on the book's cover.

use super::*;

#[tokio::test]
async fn the_albums_cover_photo_goes_on_the_cover() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let stranger = api.signup("Stranger").await;
    let project = api.create_project(&owner, "Covered").await;
    let (album, photos) = album_with_photos(&api, &owner, "Covered", PHOTOS).await;
    let (_, theirs) = album_with_photos(&api, &stranger, "Theirs", 1).await;

    // Only a photo of the album can be its cover.
    let path = format!("/api/albums/{album}");
    let (status, body) = api
        .call(
            Method::PATCH,
            &path,
            Some(&owner.token),
            Some(json!({ "cover_photo_id": theirs[0] })),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_cover")),
        "{body}"
    );
    let (status, body) = api
        .call(Method::PATCH, &path, Some(&owner.token), Some(json!({})))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let chosen = photos[PHOTOS - 2].clone();
    let (status, body) = api
        .call(
            Method::PATCH,
            &path,
            Some(&owner.token),
            Some(json!({ "cover_photo_id": chosen })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["album"]["cover_photo_id"], chosen.as_str(), "{body}");

    let live = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    live.wait_synced().await;
    let result = done_job(
        &api,
        &owner,
        &start_automix(&api, &owner, &project, json!({ "album_id": album })).await,
    )
    .await;
    let pages = result["pages"].as_u64().expect("pages") as usize;
    assert!(
        eventually(WAIT, || read(&live)
            .is_some_and(|b| b.pages.len() == pages + 1))
        .await,
        "{:?}",
        read(&live)
    );
    let book = book_of(&live);
    assert_eq!(book.pages[0].kind, PageKind::FrontCover);
    assert_eq!(
        page_photos(&book.pages[0]),
        vec![chosen.clone()],
        "the album's cover is the book's cover photo"
    );

    // Clearing it with null goes back to the first photo.
    let (status, body) = api
        .call(
            Method::PATCH,
            &path,
            Some(&owner.token),
            Some(json!({ "cover_photo_id": null })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["album"]["cover_photo_id"].is_null(), "{body}");
}
