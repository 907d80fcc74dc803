//! A version (`automix`) is taken before the run, so restoring it undoes the run.

use super::*;

async fn versions(api: &Api, who: &Account, project: &str) -> Vec<Value> {
    let (status, body) = api
        .call(
            Method::GET,
            &format!("/api/projects/{project}/versions"),
            Some(&who.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "list versions: {body}");
    body.as_array().expect("a list").clone()
}

#[tokio::test]
async fn an_automix_version_is_taken_first_and_restoring_it_undoes_the_run() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let project = api.create_project(&owner, "Weekend").await;
    let photos = upload_photos(&api, &owner, 6, None).await;

    // The book before: one page of the owner's, with a caption.
    let live = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    live.wait_synced().await;
    live.edit(|txn| {
        add_page(txn, &owner.id, "mine");
        add_text_item(txn, 0, &owner.id, "note", "Written by hand");
    });
    let witness = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    assert!(
        eventually(WAIT, || doc_json(&witness.doc) == doc_json(&live.doc)).await,
        "the server never had the owner's page"
    );
    let before = doc_json(&live.doc);
    assert!(versions(&api, &owner, &project)
        .await
        .iter()
        .all(|v| v["reason"] != "automix"));

    let job = start_automix(&api, &owner, &project, json!({ "photo_ids": photos })).await;
    let result = done_job(&api, &owner, &job).await;
    let pages = result["pages"].as_u64().expect("pages") as usize;
    assert!(
        eventually(WAIT, || read(&live)
            .is_some_and(|b| b.pages.len() == pages + 2))
        .await,
        "{:?}",
        read(&live)
    );
    assert!(
        book_of(&live).pages.iter().any(|p| p.auto),
        "the run added auto pages"
    );

    // Exactly one `automix` version, the one the result names, holding the book as it was.
    let listed = versions(&api, &owner, &project).await;
    let automix: Vec<&Value> = listed.iter().filter(|v| v["reason"] == "automix").collect();
    assert_eq!(automix.len(), 1, "one automix version: {listed:?}");
    let vid = automix[0]["id"].as_str().expect("version id").to_owned();
    assert_eq!(
        result["version_id"],
        vid.as_str(),
        "the result names the version taken first: {result}"
    );
    let (status, _, bytes) = api
        .get_bytes(
            &format!("/api/projects/{project}/versions/{vid}"),
            Some(&owner.token),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let saved = yrs::Doc::new();
    saved
        .transact_mut()
        .apply_update(Update::decode_v1(&bytes).expect("a version decodes"))
        .expect("applies");
    assert_eq!(
        doc_json(&saved),
        before,
        "the automix version is the book before the run"
    );

    // Restoring it brings the book back as it was, to the open editor.
    let (status, body) = api
        .call(
            Method::POST,
            &format!("/api/projects/{project}/versions/{vid}/restore"),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "restore: {body}");
    assert!(
        eventually(WAIT, || doc_json(&live.doc) == before).await,
        "the restore did not bring the book back: {:?}",
        doc_json(&live.doc)
    );
    assert_eq!(page_ids(&live.doc), ["mine"]);
    assert!(
        book_of(&live).pages.iter().all(|p| !p.auto),
        "no automix page is left"
    );
}
