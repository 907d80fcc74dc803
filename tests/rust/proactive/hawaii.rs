//! The issue's own scenario: twenty photos into "Hawaii Vacation" make a book, and five more
//! update it.

use super::*;

/// Uploads pictures `from..to` straight into an album: the photo ids.
async fn upload_into(api: &Api, who: &Account, album: &str, from: usize, to: usize) -> Vec<String> {
    let pictures: Vec<(String, Vec<u8>)> = (from..to)
        .map(|i| (format!("IMG_{i:04}.jpg"), picture(i)))
        .collect();
    let files: Vec<(&str, &[u8])> = pictures
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let (status, body) = api.upload(&who.token, &files, Some(album)).await;
    assert_eq!(status, StatusCode::OK, "upload: {body}");
    body["photos"]
        .as_array()
        .expect("photos")
        .iter()
        .map(|p| p["id"].as_str().expect("id").to_owned())
        .collect()
}

/// The issue's own scenario, with the default thresholds: 20 photos uploaded into an album
/// named "Hawaii Vacation" make a vacation book and a notification; 5 more update the auto
/// pages and keep a page the user had edited.
#[tokio::test]
async fn twenty_photos_into_hawaii_vacation_make_a_book_and_five_more_update_it() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let jobs = Jobs::open(&server).await;
    let owner = api.signup("Owner").await;
    let album = create_album(&api, &owner, "Hawaii Vacation").await;

    let mut photos = upload_into(&api, &owner, &album, 0, 20).await;
    assert_eq!(photos.len(), 20);
    jobs.settled(&album).await;
    let project = the_book_of(&api, &owner, &album, "album").await;
    let project_id = project["id"].as_str().expect("project id").to_owned();
    assert_eq!(project["theme"], "vacation", "{project}");
    assert_eq!(
        projects(&api, &owner).await.len(),
        1,
        "one book, for the album: {:?}",
        projects(&api, &owner).await
    );
    let notes = book_notifications(&api, &owner).await;
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0]["data"]["project_id"], json!(project_id));
    assert_designed_from(
        &book_now(&server, &owner, &project_id).await,
        &photos,
        "Hawaii Vacation",
    );

    // The user edits an inside page.
    let editor = YClient::connect(&server.ws_url(), &project_id, &owner.token).await;
    editor.wait_synced().await;
    let touched = model::read_book(&editor.doc.transact())
        .expect("book")
        .pages
        .iter()
        .find(|p| p.kind == PageKind::Page)
        .expect("an inside page")
        .id
        .clone();
    let (page_id, owner_id) = (touched.clone(), owner.id.clone());
    editor.edit(move |txn| {
        model::set_page_auto(txn, &page_id, false).expect("set auto");
        let note = NewItem {
            id: "aloha".into(),
            kind: ItemKind::Text,
            bbox: [0.0, 0.4, 0.6, 0.1, 0.0],
            z: 50.0,
            created_by: owner_id,
            photo: None,
            text: Some("Aloha".into()),
            style: Style::default(),
            slot: None,
        };
        model::add_item(txn, &page_id, note).expect("add note");
    });
    let kept: Page = model::read_book(&editor.doc.transact())
        .expect("book")
        .pages
        .into_iter()
        .find(|p| p.id == touched)
        .expect("the page");
    let start = Instant::now();
    while !book_now(&server, &owner, &project_id)
        .await
        .pages
        .iter()
        .any(|p| p == &kept)
    {
        assert!(start.elapsed() < WAIT, "the edit never reached the server");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let before: HashSet<String> = book_now(&server, &owner, &project_id)
        .await
        .pages
        .iter()
        .filter(|p| p.id != touched)
        .map(|p| p.id.clone())
        .collect();

    // Five more: the auto pages are redone with them; the edited page stays as it was.
    photos.extend(upload_into(&api, &owner, &album, 20, 25).await);
    let start = Instant::now();
    let book = loop {
        jobs.settled(&album).await;
        let book = book_now(&server, &owner, &project_id).await;
        let counts = inside_counts(&book);
        if photos[20..].iter().all(|p| counts.contains_key(p)) {
            break book;
        }
        assert!(
            start.elapsed() < WAIT,
            "the five new photos never reached the book: {counts:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(projects(&api, &owner).await.len(), 1, "still one book");
    let same: Vec<&Page> = book.pages.iter().filter(|p| p.id == touched).collect();
    assert_eq!(same.len(), 1, "the edited page is kept once");
    assert_eq!(same[0], &kept, "the edited page is unchanged");
    for page in book.pages.iter().filter(|p| p.id != touched) {
        assert!(
            page.auto && page.created_by == SYSTEM && !before.contains(&page.id),
            "page {} was not redone: {page:?}",
            page.id
        );
    }
    let counts = inside_counts(&book);
    assert!(
        counts.values().all(|&n| n == 1),
        "a photo is on two pages: {counts:?}"
    );
    assert!(
        photos.iter().all(|p| counts.contains_key(p)),
        "every album photo is in the book: {counts:?}"
    );
}
