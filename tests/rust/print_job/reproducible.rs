//! A saved version renders to the same bytes every time.

use super::*;

/// f. A saved version renders to the same bytes every time, interior and cover.
#[tokio::test]
async fn a_version_renders_to_the_same_bytes_twice() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let project = create_project(&api, &owner, "Twice", "square-8x8").await;
    let photo = upload(&api, &owner, 1600, 1200).await;
    let u = owner.id.as_str();
    add_pages(
        &server,
        &project,
        &owner,
        vec![
            PageSpec {
                kind: PageKind::FrontCover,
                color: Some("#336699"),
                items: vec![text_item(
                    u,
                    "Twice",
                    Some("Lora"),
                    [0.0, 0.0, 0.6, 0.2, 0.0],
                )],
            },
            inside(vec![
                photo_item(u, &photo, [0.0, 0.0, 0.8, 0.6, 0.0]),
                caption(u, "Same every time"),
            ]),
            inside(vec![caption(u, "Page two")]),
        ],
    )
    .await;
    let (status, body) = api
        .call(
            Method::POST,
            &format!("/api/projects/{project}/versions"),
            Some(&owner.token),
            None,
        )
        .await;
    assert!(status.is_success(), "{status} {body}");
    let version = body["version"]["id"]
        .as_str()
        .or(body["id"].as_str())
        .expect("version id")
        .to_owned();

    let first = render_ok(&api, &owner, &project, json!({ "version_id": version })).await;
    let second = render_ok(&api, &owner, &project, json!({ "version_id": version })).await;
    assert_ne!(first["render_id"], second["render_id"], "two renders");
    for part in ["interior", "cover"] {
        let url = |r: &Value| {
            format!(
                "/api/renders/{}/pdf?part={part}",
                r["render_id"].as_str().unwrap()
            )
        };
        let a = get_ok(&api, &owner, &url(&first), "application/pdf").await;
        let b = get_ok(&api, &owner, &url(&second), "application/pdf").await;
        assert!(a.len() > 1000, "{part}: {} bytes", a.len());
        assert!(
            a == b,
            "the {part} PDFs differ: {} and {} bytes, first difference at byte {:?}",
            a.len(),
            b.len(),
            a.iter().zip(&b).position(|(x, y)| x != y)
        );
    }
    for (a, b) in first["previews"]
        .as_array()
        .unwrap()
        .iter()
        .zip(second["previews"].as_array().unwrap())
    {
        let pa = get_ok(&api, &owner, a["url"].as_str().unwrap(), "image/png").await;
        let pb = get_ok(&api, &owner, b["url"].as_str().unwrap(), "image/png").await;
        assert!(pa == pb, "preview {} differs", a["index"]);
    }
}
