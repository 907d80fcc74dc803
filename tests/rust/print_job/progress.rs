//! Render progress on the project's event stream.

use super::*;

/// g. A render's progress reaches the project's event stream: it rises page by page and
/// ends done.
#[tokio::test]
async fn render_progress_goes_out_on_the_event_stream() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let viewer = api.signup("Vera").await;
    let project = create_project(&api, &owner, "Progress", "square-8x8").await;
    let (status, body) = api.set_role(&owner, &project, &viewer, "viewer").await;
    assert!(status.is_success(), "{status} {body}");
    let u = owner.id.as_str();
    let pages = 10;
    add_pages(
        &server,
        &project,
        &owner,
        (0..pages)
            .map(|i| inside(vec![caption(u, &format!("Page {}", i + 1))]))
            .collect(),
    )
    .await;

    let mut events = open_events(&server.url, &project, &viewer.token)
        .await
        .unwrap_or_else(|(s, b)| panic!("events refused: {s} {b}"));
    let job = post_render(&api, &owner, &project, json!({})).await;
    let seen = events.job_until_done(&job, "render", &project, WAIT).await;
    let progress: Vec<f64> = seen
        .iter()
        .map(|j| j["progress"].as_f64().unwrap())
        .collect();
    assert!(
        progress.iter().any(|p| *p > 0.0 && *p < 1.0),
        "progress between 0 and 1: {progress:?}"
    );
    let last = seen.last().unwrap();
    assert_eq!(
        (last["state"].as_str(), last["progress"].as_f64()),
        (Some("done"), Some(1.0)),
        "{last}"
    );
    assert_eq!(
        last["result"]["pages"].as_u64(),
        Some(pages as u64),
        "{last}"
    );
    // Page by page: more distinct steps strictly inside (0.1, 0.85] than a couple of parts.
    let steps = progress.iter().filter(|p| **p > 0.1 && **p < 0.9).count();
    assert!(
        steps >= 2,
        "progress rises as pages are drawn: {progress:?}"
    );
}
