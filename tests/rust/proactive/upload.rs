//! An upload at the threshold gets a book, and its owner is told.

use super::*;

#[tokio::test]
async fn an_upload_at_the_threshold_gets_a_book_and_its_owner_is_told() {
    // The default threshold (20) of `Config::test`, as the spec's seed 000 sets it.
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let jobs = Jobs::open(&server).await;
    let owner = api.signup("Owner").await;
    let other = api.signup("Other").await;

    // An open event stream of a project of the owner's, to hear the notification live.
    let elsewhere = api.create_project(&owner, "Something else").await;
    let mut events = open_events(&server.url, &elsewhere, &owner.token)
        .await
        .unwrap_or_else(|e| panic!("events stream refused: {e:?}"));

    let (group_id, photos) = upload(&api, &owner, 0, 20).await;
    let group = group(&api, &owner, &group_id).await;
    assert_eq!(group["source"], "upload", "{group}");
    assert_eq!(group["photo_count"], 20, "{group}");
    let name = group["name"].as_str().expect("group name").to_owned();

    // The notification reaches the open stream, with no request.
    let live = events.expect_event("notification", WAIT).await.json();
    assert_eq!(live["kind"], "proactive_book", "{live}");
    assert_eq!(live["user_id"], json!(owner.id), "{live}");
    let project_id = live["data"]["project_id"]
        .as_str()
        .unwrap_or_else(|| panic!("the notification names the project: {live}"))
        .to_owned();
    assert_eq!(live["data"]["group_id"], json!(group_id), "{live}");

    jobs.settled(&group_id).await;
    let project = the_book_of(&api, &owner, &group_id, "upload").await;
    assert_eq!(
        project["id"],
        json!(project_id),
        "the notified project is the book: {project}"
    );
    assert_eq!(
        project["title"],
        json!(name),
        "the book is titled with the group's name: {project}"
    );
    // Exactly one new project: the book (beside the one the owner made).
    assert_eq!(projects(&api, &owner).await.len(), 2);
    // Nobody else has it.
    assert!(books_of(&api, &other, &group_id).await.is_empty());
    let (status, body) = api
        .call(
            Method::GET,
            &format!("/api/projects/{project_id}"),
            Some(&other.token),
            None,
        )
        .await;
    assert!(
        status == StatusCode::NOT_FOUND || status == StatusCode::FORBIDDEN,
        "a stranger reads the book: {status} {body}"
    );

    // The book is designed from every photo of the upload.
    let book = book_now(&server, &owner, &project_id).await;
    assert_designed_from(&book, &photos, &name);
    assert_eq!(book.meta.title, name);
    assert_eq!(book.meta.theme, project["theme"].as_str().expect("theme"));

    // The notification is listed…
    let listed = book_notifications(&api, &owner).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    let n = &listed[0];
    assert_eq!(n["id"], live["id"], "{n}");
    assert_eq!(n["data"]["project_id"], json!(project_id), "{n}");
    assert_eq!(n["data"]["project_title"], json!(name), "{n}");
    assert_eq!(n["data"]["source"], "upload", "{n}");
    assert!(n["read_at"].is_null(), "{n}");
    assert!(book_notifications(&api, &other).await.is_empty());

    // …and a mail to the owner is in the outbox, pointing at the book.
    let email = email_of(&api, &owner).await;
    let store = server.store().await;
    let outbox = store.outbox(100).await.expect("outbox");
    let mails: Vec<_> = outbox.iter().filter(|m| m.to_email == email).collect();
    assert_eq!(mails.len(), 1, "one mail to the owner: {outbox:?}");
    assert!(
        mails[0].body.contains(&project_id),
        "the mail does not point at the book: {:?}",
        mails[0]
    );
    assert!(!mails[0].subject.is_empty(), "{:?}", mails[0]);
}
