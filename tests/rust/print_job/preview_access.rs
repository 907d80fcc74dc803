//! The preview endpoint: PNGs for members only; bad and missing pages told apart.

use super::*;

/// h. The preview endpoint: PNGs for members, nothing for a stranger, bad and missing pages
/// told apart.
#[tokio::test]
async fn previews_are_served_to_members_only() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let viewer = api.signup("Vera").await;
    let stranger = api.signup("Stranger").await;
    let project = create_project(&api, &owner, "Shown", "portrait-8.5x11").await;
    let (status, body) = api.set_role(&owner, &project, &viewer, "viewer").await;
    assert!(status.is_success(), "{status} {body}");
    let u = owner.id.as_str();
    let page_ids = add_pages(
        &server,
        &project,
        &owner,
        vec![
            inside(vec![caption(u, "One")]),
            inside(vec![caption(u, "Two")]),
        ],
    )
    .await;
    let result = render_ok(&api, &owner, &project, json!({})).await;
    let render_id = result["render_id"].as_str().unwrap();
    let pages = result["pages"].as_u64().unwrap();
    assert_eq!(pages, 2, "{result}");
    let previews = result["previews"].as_array().expect("previews");
    let listed: Vec<(u64, &str)> = previews
        .iter()
        .map(|p| (p["index"].as_u64().unwrap(), p["page_id"].as_str().unwrap()))
        .collect();
    assert_eq!(
        listed,
        vec![(0, page_ids[0].as_str()), (1, page_ids[1].as_str())],
        "{result}"
    );

    let product = crdt_schema::product("portrait-8.5x11").unwrap();
    let [cw, ch] = product.canvas_in();
    for who in [&owner, &viewer] {
        for n in 0..pages {
            let url = format!("/api/renders/{render_id}/preview?page={n}");
            assert_eq!(previews[n as usize]["url"], url.as_str());
            let (w, h) = png_size(&get_ok(&api, who, &url, "image/png").await);
            // Portrait: the canvas's height is the long edge.
            assert_eq!(h, PREVIEW_PX, "{w}×{h}");
            assert!(
                (w as f64 - PREVIEW_PX as f64 * cw / ch).abs() <= 1.0,
                "the canvas's shape: {w}×{h}"
            );
        }
        let cover_url = format!("/api/renders/{render_id}/preview?page=cover");
        assert_eq!(result["cover"]["preview_url"], cover_url.as_str());
        let (w, h) = png_size(&get_ok(&api, who, &cover_url, "image/png").await);
        let sheet_w = 2.0 * product.trim_in[0] + spine_in(pages as usize) + 2.0 * product.bleed_in;
        assert_eq!(w, PREVIEW_PX, "the sheet is wider than high: {w}×{h}");
        assert!(
            (h as f64 - PREVIEW_PX as f64 * ch / sheet_w).abs() <= 1.0,
            "the sheet's shape: {w}×{h}"
        );
    }

    let call = |who: &Account, query: &str| {
        let path = format!("/api/renders/{render_id}/preview{query}");
        let token = who.token.clone();
        let api = &api;
        async move { api.call(Method::GET, &path, Some(&token), None).await }
    };
    for query in ["?page=0", "?page=cover"] {
        let (status, body) = call(&stranger, query).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("render_not_found")),
            "{query}: {body}"
        );
    }
    for query in ["?page=x", "?page=-1", "?page=1.5", ""] {
        let (status, body) = call(&owner, query).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_page")),
            "{query}: {body}"
        );
    }
    for query in ["?page=2", "?page=999"] {
        let (status, body) = call(&viewer, query).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("no_such_page")),
            "{query}: {body}"
        );
    }
    // No token at all is not a member either.
    let (status, _, _) = api
        .get_bytes(&format!("/api/renders/{render_id}/preview?page=0"), None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = api
        .call(
            Method::GET,
            &format!("/api/renders/{}/preview?page=0", new_id()),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("render_not_found")),
        "{body}"
    );
}
