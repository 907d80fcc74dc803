//! Preflight findings refuse a render until it is forced.

use super::*;

/// e. Preflight names a low-resolution photo (an error) and a caption pushed into the gutter
/// (a warning); the render is refused until forced, and then succeeds.
#[tokio::test]
async fn preflight_findings_refuse_a_render_until_it_is_forced() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let product = crdt_schema::product("square-8x8").unwrap();
    let project = create_project(&api, &owner, "Findings", product.id).await;
    let (w, h) = (400, 400);
    let small = upload(&api, &owner, w, h).await;
    let u = owner.id.as_str();
    let photo = photo_item(u, &small, [0.0, 0.0, 1.0, 1.0, 0.0]);
    // Across the binding edge of this right-hand page: x from -0.6 to -0.4 of the page.
    let note = text_item(
        u,
        "Pushed into the gutter",
        None,
        [-0.5, 0.3, 0.2, 0.1, 0.0],
    );
    let (photo_id, note_id) = (photo.id.clone(), note.id.clone());
    let page = add_pages(
        &server,
        &project,
        &owner,
        vec![
            inside(vec![photo, note]),
            inside(vec![caption(u, "A clean page")]),
        ],
    )
    .await;
    let ppi = effective_ppi(product, PageSide::Right, (w, h), [0.0, 0.0, 1.0, 1.0, 0.0]);
    assert!(ppi < 150.0, "{ppi}");

    let (status, report) = api
        .call(
            Method::GET,
            &format!("/api/projects/{project}/preflight?product={}", product.id),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let has = |list: &Value, item: &str, rule: &str| {
        list.as_array().is_some_and(|l| {
            l.iter().any(|f| {
                f["item_id"] == item && f["rule"] == rule && f["page_id"] == page[0].as_str()
            })
        })
    };
    assert!(
        has(&report["errors"], &photo_id, "very_low_resolution"),
        "{report}"
    );
    assert!(
        has(&report["warnings"], &note_id, "crosses_gutter"),
        "{report}"
    );
    let low = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "very_low_resolution")
        .unwrap();
    assert!(
        low["ppi"].as_f64().is_some_and(|p| (p - ppi).abs() < 0.1),
        "{low} vs {ppi}"
    );
    assert!(
        !report["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["item_id"] == note_id.as_str()),
        "the caption is only warned: {report}"
    );

    let refused = render(&api, &owner, &project, json!({ "product": product.id })).await;
    assert_eq!(refused["state"], "failed", "{refused}");
    assert!(refused["result"].is_null(), "{refused}");
    let error = refused["error"].as_str().expect("an error");
    assert!(
        error.contains("very_low_resolution")
            && error.contains(&photo_id)
            && error.contains("force"),
        "{error}"
    );

    let forced = render(
        &api,
        &owner,
        &project,
        json!({ "product": product.id, "force": true }),
    )
    .await;
    assert_eq!(forced["state"], "done", "{forced}");
    let findings = &forced["result"]["findings"];
    assert!(
        has(findings, &photo_id, "very_low_resolution")
            && has(findings, &note_id, "crosses_gutter"),
        "{forced}"
    );
    assert_eq!(forced["result"]["pages"].as_u64(), Some(2), "{forced}");
    let dir = tempfile::tempdir().unwrap();
    let (interior, cover) = download_pdfs(&api, &owner, &forced["result"], dir.path()).await;
    qpdf_clean(&interior);
    qpdf_clean(&cover);
}
