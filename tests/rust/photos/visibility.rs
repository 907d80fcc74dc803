//! Who may see a photo: its owner, members of the books it is placed in, and shares; and who
//! may place it.

use super::*;

fn page_with_photo(user: &str, photo_id: &str) -> (NewPage, NewItem) {
    let page = NewPage {
        id: uuid::Uuid::new_v4().to_string(),
        kind: PageKind::Page,
        layout: None,
        background: Background::default(),
        created_by: user.to_owned(),
        auto: false,
    };
    let item = NewItem {
        id: uuid::Uuid::new_v4().to_string(),
        kind: ItemKind::Photo,
        bbox: [0.1, 0.1, 0.5, 0.5, 0.0],
        z: 1.0,
        created_by: user.to_owned(),
        photo: Some(PhotoRef {
            id: photo_id.to_owned(),
            pan: [0.0, 0.0],
            zoom: 1.0,
        }),
        text: None,
        style: Style::default(),
        slot: None,
    };
    (page, item)
}

/// The photo ids placed in a document's photo items.
fn placed(doc: &yrs::Doc) -> Vec<String> {
    let Ok(book) = model::read_book(&doc.transact()) else {
        return Vec::new();
    };
    book.pages
        .iter()
        .flat_map(|p| p.items.iter())
        .filter_map(|i| i.photo.as_ref().map(|p| p.id.clone()))
        .collect()
}

/// `user` places `photo_id` on a new page of `project` through a live client; returns once a
/// second client that joins afterwards sees it, so the server accepted and kept the edit.
async fn place_photo(server: &TestServer, project: &str, user: &Account, photo_id: &str) {
    let c = YClient::connect(&server.ws_url(), project, &user.token).await;
    c.wait_synced().await;
    let (page, item) = page_with_photo(&user.id, photo_id);
    c.edit(|txn| {
        let page_id = model::add_page(txn, 0, page).expect("add page");
        model::add_item(txn, &page_id, item).expect("add photo item");
    });
    let late = YClient::connect(&server.ws_url(), project, &user.token).await;
    let seen = eventually(WAIT, || placed(&late.doc).iter().any(|p| p == photo_id)).await;
    assert!(
        seen,
        "the server did not keep the photo item placed in {project}"
    );
    assert!(
        c.closed().is_none() && c.seen.lock().unwrap().denied.is_empty(),
        "the edit was refused: {:?}",
        c.seen.lock().unwrap()
    );
}

/// `user` tries to place `photo_id` on a new page of `project` through a live client; the
/// server must refuse it with PermissionDenied and keep nothing. Returns the reason.
async fn refused_placement(
    server: &TestServer,
    project: &str,
    user: &Account,
    photo_id: &str,
) -> String {
    let c = YClient::connect(&server.ws_url(), project, &user.token).await;
    c.wait_synced().await;
    let (page, item) = page_with_photo(&user.id, photo_id);
    let page_id = page.id.clone();
    c.edit(|txn| {
        let page_id = model::add_page(txn, 0, page).expect("add page");
        model::add_item(txn, &page_id, item).expect("add photo item");
    });
    let denied = eventually(WAIT, || !c.seen.lock().unwrap().denied.is_empty()).await;
    assert!(
        denied,
        "placing {photo_id} was not refused: {:?}",
        c.seen.lock().unwrap()
    );
    let late = YClient::connect(&server.ws_url(), project, &user.token).await;
    late.wait_synced().await;
    let kept = model::read_book(&late.doc.transact())
        .is_ok_and(|b| b.pages.iter().any(|p| p.id == page_id));
    assert!(!kept, "the refused page was kept");
    let reason = c.seen.lock().unwrap().denied.join("; ");
    reason
}

async fn assert_hidden(api: &Api, user: &Account, id: &str, what: &str) {
    let (status, body) = photo_status(api, &user.token, id).await;
    assert_error(
        status,
        &body,
        StatusCode::NOT_FOUND,
        "photo_not_found",
        &format!("{what}: JSON"),
    );
    let (status, _, bytes) = api
        .get_raw(&format!("/api/photos/{id}/file"), Some(&user.token), &[])
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{what}: file");
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    assert_eq!(
        body["error"]["code"], "photo_not_found",
        "{what}: file: {body}"
    );
    let (status, _, _) = api
        .get_raw(
            &format!("/api/photos/{id}/file?size=0"),
            Some(&user.token),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{what}: file size 0");
}

async fn assert_visible(api: &Api, user: &Account, id: &str, original: &[u8], what: &str) {
    let (status, body) = photo_status(api, &user.token, id).await;
    assert_eq!(status, StatusCode::OK, "{what}: {body}");
    assert_eq!(id_of(&body["photo"]), id, "{what}: {body}");
    let (status, headers, bytes) = api
        .get_raw(&format!("/api/photos/{id}/file"), Some(&user.token), &[])
        .await;
    assert_eq!(status, StatusCode::OK, "{what}: file");
    assert_eq!(
        headers[reqwest::header::CONTENT_TYPE],
        "image/png",
        "{what}"
    );
    assert!(bytes == original, "{what}: the original's bytes");
    let (status, _, _) = api
        .get_raw(
            &format!("/api/photos/{id}/file?size=0"),
            Some(&user.token),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{what}: file size 0");
}

#[tokio::test]
async fn photos_are_seen_by_their_owner_through_shared_books_and_shares_only() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let ann = api.signup("Ann").await;
    let ben = api.signup("Ben").await;
    let cat = api.signup("Cat").await;
    let png = encode(&gradient(300, 200), ImageFormat::Png);
    let up = upload(
        &api,
        &ann.token,
        &[
            ("placed.png".into(), png.clone()),
            ("shared.png".into(), png.clone()),
        ],
        None,
    )
    .await;
    let (placed_id, shared_id) = (up.ids()[0].clone(), up.ids()[1].clone());

    // Strangers see nothing, and cannot tell a hidden photo from a missing one.
    assert_visible(&api, &ann, &placed_id, &png, "the owner").await;
    assert_hidden(&api, &ben, &placed_id, "Ben before anything").await;
    assert!(
        list_ids(&api, &ben.token, "").await.is_empty(),
        "Ben's list shows someone else's photos"
    );
    let guessed = uuid::Uuid::new_v4().to_string();
    assert_hidden(&api, &ben, &guessed, "an unknown id").await;
    assert_hidden(
        &api,
        &ann,
        &guessed,
        "an unknown id, for a user with photos",
    )
    .await;
    let (status, _) = api
        .call(Method::GET, &format!("/api/photos/{placed_id}"), None, None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Ann's book, with Ben as a member: once Ann places the photo, Ben may see it.
    let book = api.create_project(&ann, "Ann and Ben").await;
    let (status, body) = api.set_role(&ann, &book, &ben, "viewer").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_hidden(&api, &ben, &placed_id, "Ben, a member, before it is placed").await;
    place_photo(&server, &book, &ann, &placed_id).await;
    let mut ok = false;
    for _ in 0..(WAIT.as_millis() / 100) {
        if photo_status(&api, &ben.token, &placed_id).await.0 == StatusCode::OK {
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        ok,
        "Ben never saw the photo placed in a book he and Ann are members of"
    );
    assert_visible(&api, &ben, &placed_id, &png, "Ben, through the book").await;
    assert_hidden(&api, &ben, &shared_id, "Ben: the other photo is not placed").await;
    assert!(
        !list_ids(&api, &ben.token, "").await.contains(&placed_id),
        "Ben's own list holds only his photos"
    );

    // Cat cannot place Ann's photo id in a book of her own: the write is refused.
    let cats = api.create_project(&cat, "Cat's").await;
    let denied = refused_placement(&server, &cats, &cat, &placed_id).await;
    assert!(
        denied.contains(&format!("photo {placed_id} is not yours to place")),
        "{denied}"
    );
    assert_hidden(&api, &cat, &placed_id, "Cat, through her own book").await;

    // A share makes a photo visible to the project's members, and lists it under the project.
    let (status, body) = api
        .call(
            Method::POST,
            "/api/shares",
            Some(&ann.token),
            Some(json!({"photo_ids": [shared_id], "project_id": book})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["group"]["source"], "share");
    assert_eq!(body["group"]["project_id"], book.as_str());
    assert_visible(&api, &ben, &shared_id, &png, "Ben, through the share").await;
    assert_eq!(
        list_ids(&api, &ben.token, &format!("?project_id={book}")).await,
        vec![shared_id.clone()],
        "the project lists its shared photos"
    );
    assert_hidden(&api, &cat, &shared_id, "Cat, not a member").await;
    let (status, body) = api
        .call(
            Method::GET,
            &format!("/api/photos?project_id={book}"),
            Some(&cat.token),
            None,
        )
        .await;
    assert!(
        status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
        "Cat lists a project she is not in: {status} {body}"
    );
    assert!(body["error"]["code"].is_string(), "{body}");

    // Sharing needs a contributor, and one's own (or visible) photo.
    let bens = upload(&api, &ben.token, &[("ben.png".into(), png.clone())], None)
        .await
        .ids()[0]
        .clone();
    let (status, body) = api
        .call(
            Method::POST,
            "/api/shares",
            Some(&ben.token),
            Some(json!({"photo_ids": [bens], "project_id": book})),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a viewer shares into the book: {body}"
    );
    assert_hidden(&api, &ann, &bens, "Ann: Ben's share was refused").await;
    let (status, body) = api
        .call(
            Method::POST,
            "/api/shares",
            Some(&cat.token),
            Some(json!({"photo_ids": [placed_id], "project_id": cats})),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::NOT_FOUND,
        "photo_not_found",
        "Cat shares Ann's photo",
    );
    assert_hidden(&api, &cat, &placed_id, "Cat, after sharing it to herself").await;
}
