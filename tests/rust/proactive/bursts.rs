//! A burst of changes never makes a second book for one group.

use super::*;

#[tokio::test]
async fn a_burst_of_changes_never_makes_a_second_book() {
    let server = TestServer::start_with(|cfg| cfg.proactive_min = 5).await;
    let api = Api::new(&server.url);
    let jobs = Jobs::open(&server).await;
    let owner = api.signup("Owner").await;

    let (uploads, photos) = upload_in_batches(&api, &owner, 0, 12, 3).await;
    let album = create_album(&api, &owner, "Burst").await;

    // Six additions at once: the album passes the threshold in the middle of the burst.
    let burst = photos[..6].iter().map(|p| {
        let (api, owner, album, p) = (api.clone(), owner.clone(), album.clone(), p.clone());
        async move { add_to_album(&api, &owner, &album, &[p]).await }
    });
    futures_util::future::join_all(burst).await;
    // Then six more, some while the book is being designed (every 100 ms, the delay is 200).
    for p in &photos[6..12] {
        add_to_album(&api, &owner, &album, std::slice::from_ref(p)).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    jobs.settled(&album).await;
    for g in &uploads {
        assert_skipped(&jobs.settled(g).await, g);
    }

    let project = the_book_of(&api, &owner, &album, "album").await;
    assert_eq!(
        projects(&api, &owner).await.len(),
        1,
        "one project in all: {:?}",
        projects(&api, &owner).await
    );
    let notes = book_notifications(&api, &owner).await;
    assert_eq!(notes.len(), 1, "one book, announced once: {notes:?}");
    assert_eq!(notes[0]["data"]["project_id"], project["id"]);

    // The one book is designed from the whole album, the photos added last included (a
    // change that lands while a run is finishing gets a follow-up run): each photo on it
    // once, all of them the album's.
    let id = project["id"].as_str().expect("id").to_owned();
    let mut counts = inside_counts(&book_now(&server, &owner, &id).await);
    for _ in 0..300 {
        if photos.iter().all(|p| counts.contains_key(p)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        counts = inside_counts(&book_now(&server, &owner, &id).await);
    }
    let book = book_now(&server, &owner, &id).await;
    let album_photos: HashSet<&String> = photos.iter().collect();
    assert!(
        counts.values().all(|&n| n == 1),
        "a photo is on two pages: {counts:?}"
    );
    assert!(
        counts.keys().all(|p| album_photos.contains(p)),
        "a photo from outside the album: {counts:?}"
    );
    for p in &photos {
        assert!(
            counts.contains_key(p),
            "album photo {p} is not in the book: {counts:?}"
        );
    }
    assert!(
        book.pages.iter().all(|p| p.auto && p.created_by == SYSTEM),
        "{:#?}",
        book.pages
    );
}
