//! The PNG previews match what poppler draws of the PDFs.

use super::*;

/// d. The PNG previews are the pages: poppler's drawing of each interior page and of the
/// cover at the preview's size differs from the preview by little more than anti-aliasing.
#[tokio::test]
async fn previews_match_what_poppler_draws_of_the_pdfs() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let project = create_project(&api, &owner, "Previews", "landscape-11x8.5").await;
    let photo = upload(&api, &owner, 1200, 900).await;
    let u = owner.id.as_str();
    add_pages(
        &server,
        &project,
        &owner,
        vec![
            PageSpec {
                kind: PageKind::FrontCover,
                color: Some("#f0e0c0"),
                items: vec![
                    photo_item(u, &photo, [0.0, 0.0, 0.6, 0.6, 0.0]),
                    caption(u, "Our year"),
                ],
            },
            PageSpec {
                kind: PageKind::Spine,
                color: Some("#204060"),
                items: vec![],
            },
            PageSpec {
                kind: PageKind::BackCover,
                color: Some("#c0d0e0"),
                items: vec![],
            },
            PageSpec {
                kind: PageKind::Page,
                color: Some("#ffeedd"),
                items: vec![
                    photo_item(u, &photo, [0.0, 0.0, 1.0, 1.0, 0.0]),
                    caption(u, "A caption over a photo"),
                ],
            },
            inside(vec![
                photo_item(u, &photo, [0.1, -0.1, 0.5, 0.5, 0.0]),
                caption(u, "Another page"),
            ]),
        ],
    )
    .await;
    let result = render_ok(&api, &owner, &project, json!({ "force": true })).await;
    let pages = result["pages"].as_u64().unwrap() as usize;
    assert_eq!(pages, 2, "{result}");
    let dir = tempfile::tempdir().unwrap();
    let (interior, cover) = download_pdfs(&api, &owner, &result, dir.path()).await;
    if !have("pdftoppm") {
        return;
    }
    let previews = result["previews"].as_array().expect("previews");
    assert_eq!(previews.len(), pages, "{result}");
    let mut compare = vec![];
    for p in previews {
        let n = p["index"].as_u64().unwrap() as usize;
        compare.push((
            format!("page {n}"),
            p["url"].as_str().unwrap().to_owned(),
            interior.clone(),
            n + 1,
        ));
    }
    compare.push((
        "the cover".into(),
        result["cover"]["preview_url"]
            .as_str()
            .expect("cover preview")
            .to_owned(),
        cover.clone(),
        1,
    ));
    for (what, url, pdf, n) in compare {
        let png = get_ok(&api, &owner, &url, "image/png").await;
        let (w, h) = png_size(&png);
        assert_eq!(w.max(h), PREVIEW_PX, "{what}: {w}×{h}");
        let preview = image::load_from_memory(&png).unwrap().to_rgb8();
        let poppler = poppler_page(&pdf, n, PREVIEW_PX);
        let (pw, ph) = poppler.dimensions();
        assert!(
            pw.abs_diff(w) <= 1 && ph.abs_diff(h) <= 1,
            "{what}: preview {w}×{h}, poppler {pw}×{ph}"
        );
        let (mean, far) = difference(&preview, &poppler);
        assert!(mean < 4.0, "{what}: mean difference {mean:.2}/255");
        assert!(
            far < 0.01,
            "{what}: {:.2}% of pixels differ by more than 48",
            far * 100.0
        );
    }
}
