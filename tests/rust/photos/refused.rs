//! Broken, odd and unsupported (HEIC) files: each ingests or fails on its own, and nothing of
//! a failed file is kept.

use super::*;

#[tokio::test]
async fn broken_and_odd_files_ingest_or_fail_cleanly_and_leave_nothing() {
    let mut paths = files_under(&samples("jpg/invalid"), &[]);
    paths.extend(files_under(&samples("jpg/tests"), &[]));
    assert!(paths.len() >= 15, "found {} files", paths.len());
    let mut files: Vec<(String, Vec<u8>)> = paths.iter().map(|p| named(p)).collect();
    // Two files that must fail, so the request surely mixes ingests and refusals.
    let whole = read(&samples("jpg/Canon_40D.jpg"));
    files.push((
        "truncated.jpg".into(),
        whole[..whole.len() * 2 / 3].to_vec(),
    ));
    files.push((
        "junk.jpg".into(),
        b"this is not a picture at all, just some text".repeat(20),
    ));
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;

    let up = tokio::time::timeout(HANG_GUARD, upload(&api, &owner.token, &files, None))
        .await
        .expect("the broken files hung the upload");
    assert_eq!(
        up.error_for("truncated.jpg"),
        Some(("corrupt_image".into(), 422)),
        "{}",
        up.body
    );
    assert_eq!(
        up.error_for("junk.jpg"),
        Some(("unrecognised_image".into(), 415)),
        "{}",
        up.body
    );
    let truncated = up.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["file"] == "truncated.jpg")
        .unwrap();
    assert!(
        truncated["error"]["message"]
            .as_str()
            .unwrap()
            .contains("truncated"),
        "the message names the problem: {truncated}"
    );
    for (file, code, status) in &up.errors {
        eprintln!("{file}: {code} ({status})");
    }
    for p in &up.photos {
        eprintln!("{}: ingested, {}×{}", p["name"], p["width"], p["height"]);
    }
    let ids = up.ids();
    assert_eq!(
        sorted(list_ids(&api, &owner.token, "").await),
        sorted(ids.clone()),
        "the list holds exactly the ingested files"
    );
    assert_blobs_only_for(&server, &ids, "broken files");
    // The server is still well.
    let (status, body) = api
        .upload(
            &owner.token,
            &[("after.png", &encode(&gradient(64, 48), ImageFormat::Png))],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

// ---- 4. HEIC --------------------------------------------------------------------------

#[tokio::test]
async fn heic_is_refused_with_415_alone_and_beside_a_good_jpeg() {
    let heic: Vec<(String, Vec<u8>)> = files_under(&samples("heic"), &[])
        .iter()
        .map(|p| named(p))
        .collect();
    assert!(heic.len() >= 5, "found {} HEIC files", heic.len());
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;

    let up = upload(&api, &owner.token, &heic, None).await;
    assert_eq!(up.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", up.body);
    for (file, _) in &heic {
        assert_eq!(
            up.error_for(file),
            Some(("unsupported_image_format".into(), 415)),
            "{file}: {}",
            up.body
        );
    }
    let (status, body) = api
        .upload(
            &owner.token,
            &[(heic[0].0.as_str(), heic[0].1.as_slice())],
            None,
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_image_format",
        "one HEIC alone",
    );

    let good = named(&samples("jpg/Canon_40D.jpg"));
    let mixed = vec![good.clone(), heic[0].clone()];
    let up = upload(&api, &owner.token, &mixed, None).await;
    assert_eq!(up.status, StatusCode::OK, "{}", up.body);
    assert_eq!(up.photos.len(), 1);
    assert_eq!(up.photos[0]["name"], good.0);
    assert_eq!(
        up.error_for(&heic[0].0),
        Some(("unsupported_image_format".into(), 415)),
        "{}",
        up.body
    );
    assert_eq!(list_ids(&api, &owner.token, "").await, up.ids());
    assert_blobs_only_for(&server, &up.ids(), "HEIC");
}
