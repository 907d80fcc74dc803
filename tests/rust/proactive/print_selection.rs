//! A print selection uses its own threshold.

use super::*;

#[tokio::test]
async fn a_print_selection_uses_its_own_threshold() {
    let server = TestServer::start_with(|cfg| {
        cfg.proactive_min = 8;
        cfg.proactive_min_print = 4;
    })
    .await;
    let api = Api::new(&server.url);
    let jobs = Jobs::open(&server).await;
    let owner = api.signup("Owner").await;

    let (upload_group, photos) = upload(&api, &owner, 0, 7).await;
    assert_skipped(&jobs.settled(&upload_group).await, &upload_group);

    // Four photos are enough for a print selection, not for an album.
    let album = create_album(&api, &owner, "Garden").await;
    add_to_album(&api, &owner, &album, &photos[..4]).await;
    assert_skipped(&jobs.settled(&album).await, &album);
    // Three are not enough for a print selection.
    let small = print_selection(&api, &owner, "Three prints", &photos[..3]).await;
    let small_id = small["id"].as_str().expect("group id").to_owned();
    assert_eq!(small["source"], "print", "{small}");
    assert_skipped(&jobs.settled(&small_id).await, &small_id);
    assert!(
        projects(&api, &owner).await.is_empty(),
        "{:?}",
        projects(&api, &owner).await
    );

    let picked = &photos[2..6];
    let prints = print_selection(&api, &owner, "Prints for grandma", picked).await;
    let prints_id = prints["id"].as_str().expect("group id").to_owned();
    assert_eq!(prints["photo_count"], 4, "{prints}");
    jobs.settled(&prints_id).await;
    let project = the_book_of(&api, &owner, &prints_id, "print").await;
    assert_eq!(project["title"], "Prints for grandma", "{project}");
    assert_eq!(
        projects(&api, &owner).await.len(),
        1,
        "only the print selection got a book"
    );
    let book = book_now(&server, &owner, project["id"].as_str().expect("id")).await;
    assert_designed_from(&book, picked, "Prints for grandma");
    let notes = book_notifications(&api, &owner).await;
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0]["data"]["source"], "print", "{}", notes[0]);
}
