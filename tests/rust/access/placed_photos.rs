//! Finding 3, the honest side: what a friend places stays visible to the book.

use super::*;

async fn a_photo_a_member_places_stays_visible_to_the_book(server: TestServer) {
    let api = Api::new(&server.url);
    let owner = api.signup("Olga").await;
    let friend = api.signup("Fred").await;
    let editor = api.signup("Edda").await;
    let viewer = api.signup("Vik").await;
    let book = api.create_project(&owner, "Holidays").await;
    for (who, role) in [
        (&friend, "contributor"),
        (&editor, "editor"),
        (&viewer, "viewer"),
    ] {
        let (status, body) = api.set_role(&owner, &book, who, role).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    // Fred now shares a book with Olga, so she adds him to another one directly.
    let other = api.create_project(&owner, "Next year").await;
    let (status, body) = api
        .call(
            Method::PUT,
            &format!("/api/projects/{other}/members/{}", friend.id),
            Some(&owner.token),
            Some(json!({"role": "editor"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "a friend is added by PUT: {body}");
    assert_eq!(body["role"], "editor", "{body}");

    let photo = upload(&api, &friend).await;
    let (page, item) = place(&server, &book, &friend, &photo)
        .await
        .expect("Fred places his own photo");
    for who in [&owner, &editor, &viewer] {
        assert_eq!(
            photo_access(&api, who, &photo).await,
            (StatusCode::OK, StatusCode::OK),
            "{} sees Fred's photo",
            who.name
        );
    }

    // Edda, an editor who does not own it, pans it, then deletes the item: gone from the book,
    // the photo is Fred's again alone.
    let panned = PhotoRef {
        id: photo.clone(),
        pan: [0.1, -0.1],
        zoom: 1.5,
    };
    set_photo(&server, &book, &editor, &page, &item, panned)
        .await
        .expect("an editor pans a placed photo");
    let removed = item.clone();
    write(
        &server,
        &book,
        &editor,
        |txn| model::remove_item(txn, &page, &removed).expect("remove item"),
        |doc| photo_of(doc, &removed).is_none(),
    )
    .await
    .expect("an editor deletes the item");
    assert_eq!(
        photo_access(&api, &viewer, &photo).await,
        (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND),
        "the viewer sees it after it left the book"
    );
    // Edda cannot carry it into a book of her own now ...
    let edda_book = api.create_project(&editor, "Edda's").await;
    assert!(
        place(&server, &edda_book, &editor, &photo).await.is_err(),
        "Edda carried the photo out once it had left the book"
    );
    // ... but, as Fred placed it in this book, its members may place it here again (so an
    // Undo of the deletion works), and it shows again.
    place(&server, &book, &editor, &photo)
        .await
        .expect("an editor places again a photo that was in the book");
    assert_eq!(
        photo_access(&api, &viewer, &photo).await,
        (StatusCode::OK, StatusCode::OK),
        "the viewer sees it again"
    );

    // It prints: preflight finds it.
    let (status, report) = api
        .call(
            Method::GET,
            &format!("/api/projects/{book}/preflight"),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert!(!report.to_string().contains("missing_photo"), "{report}");
}
on_both_dbs!(
    a_photo_a_member_places_stays_visible,
    a_photo_a_member_places_stays_visible_to_the_book
);
