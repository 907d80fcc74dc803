//! The book designed live from an album: a front cover and one page per edit, each with a
//! layout of the library and photos in its slots.

use super::*;

#[tokio::test]
async fn automix_from_an_album_designs_the_book_live() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let editor = api.signup("Editor").await;
    let project = api.create_project(&owner, "Our year").await;
    member(&api, &owner, &project, &editor, "editor").await;
    let (album, photos) = album_with_photos(&api, &editor, "Summer vacation", PHOTOS).await;
    let library = layouts(&api).await;
    let group = group_of(&api, &owner, &project).await;

    let live = YClient::connect(&server.ws_url(), &project, &editor.token).await;
    live.wait_synced().await;
    assert!(book_of(&live).pages.is_empty(), "a new book has no pages");
    let updates_before = live.seen.lock().unwrap().updates;

    let job = start_automix(&api, &editor, &project, json!({ "album_id": album })).await;

    // The open editor sees the cover and pages arrive without doing anything.
    let all: HashSet<String> = photos.iter().cloned().collect();
    let arrived = eventually(WAIT, || {
        let Some(book) = read(&live) else {
            return false;
        };
        let placed: HashSet<String> = inside(&book).iter().flat_map(|p| page_photos(p)).collect();
        book.pages.iter().any(|p| p.kind == PageKind::FrontCover) && placed == all
    })
    .await;
    assert!(
        arrived,
        "the live editor never saw the designed book: {:?}",
        read(&live)
    );

    let result = done_job(&api, &editor, &job).await;
    let pages = result["pages"]
        .as_u64()
        .unwrap_or_else(|| panic!("result.pages: {result}")) as usize;
    assert!(
        pages >= 2,
        "{PHOTOS} photos at about four a page make more than one page: {result}"
    );
    assert_eq!(result["project_id"], project.as_str(), "{result}");
    assert_eq!(
        result["theme"], "vacation",
        "the theme comes from the album name \"Summer vacation\": {result}"
    );
    assert_eq!(result["skipped"], 0, "{result}");
    assert!(result["version_id"].is_string(), "{result}");
    assert!(
        eventually(WAIT, || read(&live)
            .is_some_and(|b| b.pages.len() == pages + 1))
        .await,
        "the live book has the cover and {pages} pages: {:?}",
        read(&live)
    );
    let book = book_of(&live);

    // One edit per page: the editor received the book in several updates, not one.
    let updates = live.seen.lock().unwrap().updates - updates_before;
    assert!(
        updates > pages,
        "the editor saw {updates} updates for a cover and {pages} pages, written one page per edit"
    );

    // The front cover first: the cover photo, from the album, and the album name as title.
    let cover = &book.pages[0];
    assert_eq!(
        cover.kind,
        PageKind::FrontCover,
        "the cover comes first: {book:?}"
    );
    let cover_photos = check_designed_page(cover, &library, &group);
    assert_eq!(cover_photos.len(), 1, "one cover photo: {cover:?}");
    assert!(
        all.contains(&cover_photos[0]),
        "the cover photo is one of the album's: {cover:?}"
    );
    let title: Vec<&str> = cover
        .items
        .iter()
        .filter(|i| i.kind == ItemKind::Text)
        .filter_map(|i| i.text.as_deref())
        .collect();
    assert_eq!(
        title,
        ["Summer vacation"],
        "the cover title is the album name: {cover:?}"
    );
    assert!(
        cover.items.iter().all(|i| i.created_by == SYSTEM),
        "{cover:?}"
    );

    // Inside pages: every photo exactly once, each page designed from the library.
    let inner = inside(&book);
    assert_eq!(
        inner.len(),
        pages,
        "result.pages is the number of inside pages: {result}"
    );
    assert!(inner.iter().all(|p| p.kind == PageKind::Page), "{book:?}");
    let mut placed: Vec<String> = Vec::new();
    for page in &inner {
        placed.extend(check_designed_page(page, &library, &group));
    }
    assert_eq!(
        sorted(placed),
        sorted(photos.clone()),
        "every album photo appears exactly once across the pages"
    );
    assert_eq!(result["stats"]["photos"], PHOTOS, "{result}");
    assert_eq!(result["stats"]["pages"], pages, "{result}");
    assert!(
        live.closed().is_none() && live.seen.lock().unwrap().denied.is_empty(),
        "{:?}",
        live.seen.lock().unwrap()
    );

    // A client that joins now gets the same book.
    let late = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    assert!(
        eventually(WAIT, || read(&late).is_some_and(|b| b == book)).await,
        "a late client gets the designed book"
    );
}
