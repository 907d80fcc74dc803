//! A zero threshold turns proactive books off.

use super::*;

#[tokio::test]
async fn a_zero_threshold_turns_proactive_books_off() {
    let server = TestServer::start_with(|cfg| {
        cfg.proactive_min = 0;
        cfg.proactive_min_print = 0;
    })
    .await;
    let api = Api::new(&server.url);
    let jobs = Jobs::open(&server).await;
    let owner = api.signup("Owner").await;

    // Groups that would all be in range with any threshold up to six.
    let (_, photos) = upload(&api, &owner, 0, 6).await;
    let album = create_album(&api, &owner, "Birthday party").await;
    add_to_album(&api, &owner, &album, &photos).await;
    print_selection(&api, &owner, "All of them", &photos).await;

    // Nothing is queued for them; and (a short complement) no book appears within ten delays.
    assert_eq!(
        jobs.count_all().await,
        0,
        "proactive jobs were queued with proactive books off"
    );
    tokio::time::sleep(Duration::from_millis(2000)).await;
    assert_eq!(
        jobs.count_all().await,
        0,
        "proactive jobs were queued with proactive books off"
    );
    assert!(
        projects(&api, &owner).await.is_empty(),
        "{:?}",
        projects(&api, &owner).await
    );
    assert!(book_notifications(&api, &owner).await.is_empty());
}
