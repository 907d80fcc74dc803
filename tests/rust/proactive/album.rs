//! An album grows into its range and gets one book, redesigned when it changes, keeping the
//! pages a person touched.

use super::*;

#[tokio::test]
async fn an_album_growing_into_range_gets_one_book_that_is_redesigned_keeping_touched_pages() {
    let server = TestServer::start_with(|cfg| cfg.proactive_min = 5).await;
    let api = Api::new(&server.url);
    let jobs = Jobs::open(&server).await;
    let owner = api.signup("Owner").await;

    // Ten photos in uploads of four or fewer: no upload group reaches five.
    let (uploads, photos) = upload_in_batches(&api, &owner, 0, 10, 4).await;
    let album = create_album(&api, &owner, "Summer vacation").await;

    // Four photos: below the threshold, no book.
    add_to_album(&api, &owner, &album, &photos[..4]).await;
    let settled = jobs.settled(&album).await;
    assert_skipped(&settled, &album);
    for g in &uploads {
        assert_skipped(&jobs.settled(g).await, g);
    }
    assert!(
        projects(&api, &owner).await.is_empty(),
        "no group reached the threshold: {:?}",
        projects(&api, &owner).await
    );
    assert!(book_notifications(&api, &owner).await.is_empty());

    // Two more: the album enters its range and gets exactly one book.
    let grown = add_to_album(&api, &owner, &album, &photos[4..6]).await;
    assert_eq!(grown["photo_count"], 6, "{grown}");
    jobs.settled(&album).await;
    let project = the_book_of(&api, &owner, &album, "album").await;
    let project_id = project["id"].as_str().expect("project id").to_owned();
    assert_eq!(project["title"], "Summer vacation", "{project}");
    assert_eq!(
        project["theme"], "vacation",
        "the theme comes from the album's name: {project}"
    );
    assert_eq!(
        projects(&api, &owner).await.len(),
        1,
        "only the album got a book"
    );
    let book = book_now(&server, &owner, &project_id).await;
    assert_designed_from(&book, &photos[..6], "Summer vacation");
    assert_eq!(book.meta.theme, "vacation");
    let notes = book_notifications(&api, &owner).await;
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0]["data"]["project_id"], json!(project_id));
    assert_eq!(notes[0]["data"]["source"], "album");

    // A live editor makes an inside page theirs: no longer auto, with a caption of theirs.
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
    let owner_id = owner.id.clone();
    let page_id = touched.clone();
    editor.edit(move |txn| {
        model::set_page_auto(txn, &page_id, false).expect("set auto");
        let caption = NewItem {
            id: "owners-caption".into(),
            kind: ItemKind::Text,
            bbox: [0.0, 0.4, 0.6, 0.1, 0.0],
            z: 50.0,
            created_by: owner_id,
            photo: None,
            text: Some("Best day of the summer".into()),
            style: Style::default(),
            slot: None,
        };
        model::add_item(txn, &page_id, caption).expect("add caption");
    });
    let kept: Page = model::read_book(&editor.doc.transact())
        .expect("book")
        .pages
        .into_iter()
        .find(|p| p.id == touched)
        .expect("the touched page");
    assert!(!kept.auto);
    // The server has the edit (a fresh client sees it) before the album changes again.
    let start = Instant::now();
    loop {
        let now = book_now(&server, &owner, &project_id).await;
        if now.pages.iter().any(|p| p == &kept) {
            break;
        }
        assert!(
            start.elapsed() < WAIT,
            "the editor's change never reached the server"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        editor.seen.lock().unwrap().denied.is_empty(),
        "the owner's edit was refused: {:?}",
        editor.seen.lock().unwrap().denied
    );

    // More photos: the same book is redesigned.
    let grown = add_to_album(&api, &owner, &album, &photos[6..10]).await;
    assert_eq!(grown["photo_count"], 10, "{grown}");
    jobs.settled(&album).await;
    let project = the_book_of(&api, &owner, &album, "album").await;
    assert_eq!(
        project["id"],
        json!(project_id),
        "the redesign is of the same book"
    );
    assert_eq!(projects(&api, &owner).await.len(), 1, "still one project");
    assert_eq!(
        book_notifications(&api, &owner).await.len(),
        1,
        "a redesign announces no new book"
    );

    let book = book_now(&server, &owner, &project_id).await;
    // The touched page is there once, exactly as the editor left it.
    let same: Vec<&Page> = book.pages.iter().filter(|p| p.id == touched).collect();
    assert_eq!(
        same.len(),
        1,
        "the touched page is kept once: {:#?}",
        book.pages
    );
    assert_eq!(same[0], &kept, "the redesign changed the touched page");
    // Every other page is the redesign's: auto, by the system user.
    for page in book.pages.iter().filter(|p| p.id != touched) {
        assert!(
            page.auto && page.created_by == SYSTEM,
            "page {} is neither kept nor designed: {page:?}",
            page.id
        );
    }
    assert_eq!(
        book.pages
            .iter()
            .filter(|p| p.kind == PageKind::FrontCover)
            .count(),
        1,
        "one front cover"
    );
    // The new photos are in the book; the redesigned pages hold every photo of the album
    // not on the kept page, once, and the kept page's photos are not placed again.
    let on_kept: HashSet<String> = page_photos(&kept).into_iter().collect();
    let counts = inside_counts(&book);
    for new in &photos[6..10] {
        assert!(
            counts.contains_key(new),
            "new photo {new} is not in the redesigned book: {counts:?}"
        );
    }
    let mut designed: BTreeMap<String, usize> = BTreeMap::new();
    for page in book
        .pages
        .iter()
        .filter(|p| p.id != touched && p.kind != PageKind::FrontCover)
    {
        for id in page_photos(page) {
            *designed.entry(id).or_insert(0) += 1;
        }
    }
    let want: BTreeMap<String, usize> = photos
        .iter()
        .filter(|p| !on_kept.contains(*p))
        .map(|p| (p.clone(), 1))
        .collect();
    assert_eq!(
        designed, want,
        "the redesigned pages hold every photo of the album not on the kept page exactly once"
    );
    let all: BTreeMap<String, usize> = photos.iter().map(|p| (p.clone(), 1)).collect();
    assert_eq!(
        counts, all,
        "the book's inside pages hold every photo of the album exactly once"
    );
    // The live editor sees the same book.
    assert!(
        eventually(WAIT, || model::read_book(&editor.doc.transact())
            .is_ok_and(|b| b == book))
        .await,
        "the live editor's book differs from the server's"
    );
    editor.close().await;
}
