//! Automix progress on the project's event stream, until done.

use super::*;

#[tokio::test]
async fn progress_reaches_the_event_stream_until_done() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let viewer = api.signup("Viewer").await;
    let project = api.create_project(&owner, "Stream").await;
    member(&api, &owner, &project, &viewer, "viewer").await;
    let photos = upload_photos(&api, &owner, PHOTOS, None).await;
    let mut events = open_events(&server.url, &project, &viewer.token)
        .await
        .unwrap_or_else(|(s, b)| panic!("events refused: {s} {b}"));

    let job = start_automix(&api, &owner, &project, json!({ "photo_ids": photos })).await;
    let seen = events.job_until_done(&job, "automix", &project, WAIT).await;
    assert!(
        seen.iter().any(|j| j["state"] == "running"
            && j["progress"].as_f64().is_some_and(|p| p > 0.0 && p < 1.0)),
        "progress on the way: {seen:?}"
    );
    let last = seen.last().unwrap();
    assert_eq!(last["progress"].as_f64(), Some(1.0), "{last}");
    let polled = finished_job(&api, &owner, &job).await;
    assert_eq!(
        last["result"], polled["result"],
        "the done event carries the result"
    );
    assert!(
        last["result"]["pages"].as_u64().is_some_and(|n| n >= 1),
        "{last}"
    );
}
