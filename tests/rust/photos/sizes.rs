//! The size array and the file endpoint, on the local folder and on S3.

use super::*;

/// Uploads a 3000×2000 JPEG and a 200×100 PNG and checks their sizes and how each is served.
/// Returns the two photo ids.
async fn check_sizes_and_serving(server: &TestServer) -> Vec<String> {
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let stranger = api.signup("Stranger").await;
    let big = jpeg(&gradient(3000, 2000), 90);
    let small = encode(&gradient(200, 100), ImageFormat::Png);
    let up = upload(
        &api,
        &owner.token,
        &[
            ("big.jpg".into(), big.clone()),
            ("small.png".into(), small.clone()),
        ],
        None,
    )
    .await;
    assert!(up.errors.is_empty(), "{}", up.body);
    let (jpg, png) = (&up.photos[0], &up.photos[1]);

    assert_eq!(jpg["format"], "jpeg");
    assert_eq!(jpg["bytes"].as_u64(), Some(big.len() as u64));
    let expected = [(256, 171), (1024, 683), (2048, 1365), (3000, 2000)];
    let sizes = sizes_of(jpg);
    assert_eq!(sizes.len(), 4, "{jpg}");
    for (got, want) in sizes.iter().zip(expected) {
        assert!(
            got.0.abs_diff(want.0) <= 1 && got.1.abs_diff(want.1) <= 1,
            "sizes {sizes:?}, expected {expected:?}"
        );
    }
    let id = id_of(jpg);
    let mut etags = BTreeSet::new();
    for (i, size) in sizes.iter().enumerate() {
        let url = jpg["sizes"][i]["url"].as_str().unwrap();
        let (status, headers, bytes) = api.get_raw(url, Some(&owner.token), &[]).await;
        assert_eq!(status, StatusCode::OK, "size {i}");
        assert_eq!(
            headers[reqwest::header::CONTENT_TYPE],
            "image/jpeg",
            "size {i}"
        );
        assert_eq!(
            headers
                .get(reqwest::header::CACHE_CONTROL)
                .and_then(|v| v.to_str().ok()),
            Some(CACHE_CONTROL),
            "size {i}"
        );
        let img = decoded(&bytes, &format!("size {i}"));
        assert_eq!(
            (img.width(), img.height()),
            *size,
            "size {i} is as large as its entry says"
        );
        let etag = headers
            .get(reqwest::header::ETAG)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("size {i}: no ETag"))
            .to_owned();
        assert!(
            etags.insert(etag.clone()),
            "size {i} shares its ETag with another size"
        );
        let (status, headers, bytes) = api
            .get_raw(url, Some(&owner.token), &[("if-none-match", &etag)])
            .await;
        assert_eq!(
            status,
            StatusCode::NOT_MODIFIED,
            "size {i} with If-None-Match"
        );
        assert!(bytes.is_empty(), "a 304 has no body");
        assert_eq!(
            headers
                .get(reqwest::header::ETAG)
                .and_then(|v| v.to_str().ok()),
            Some(etag.as_str()),
            "size {i}: the 304 repeats the ETag"
        );
        let (status, _, _) = api
            .get_raw(
                url,
                Some(&owner.token),
                &[("if-none-match", "\"something-else\"")],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "size {i} with another ETag");
        // The ETag does not let a stranger in.
        let (status, _, _) = api
            .get_raw(url, Some(&stranger.token), &[("if-none-match", &etag)])
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "size {i} for a stranger");
    }
    // No size: the original, byte for byte.
    let (status, headers, bytes) = api
        .get_raw(&format!("/api/photos/{id}/file"), Some(&owner.token), &[])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[reqwest::header::CONTENT_TYPE], "image/jpeg");
    assert!(bytes == big, "the original is the uploaded file");
    for bad in ["4", "99"] {
        let (status, _, bytes) = api
            .get_raw(
                &format!("/api/photos/{id}/file?size={bad}"),
                Some(&owner.token),
                &[],
            )
            .await;
        let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        assert_error(
            status,
            &body,
            StatusCode::NOT_FOUND,
            "no_such_size",
            &format!("size={bad}"),
        );
    }

    // A picture smaller than the smallest size has only itself.
    assert_eq!(png["format"], "png");
    assert_eq!(sizes_of(png), vec![(200, 100)]);
    let pid = id_of(png);
    let (status, headers, bytes) = api
        .get_raw(
            &format!("/api/photos/{pid}/file?size=0"),
            Some(&owner.token),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[reqwest::header::CONTENT_TYPE], "image/png");
    assert_eq!(
        headers
            .get(reqwest::header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok()),
        Some(CACHE_CONTROL)
    );
    assert!(bytes == small, "the PNG is served as uploaded");
    let (status, _, _) = api
        .get_raw(
            &format!("/api/photos/{pid}/file?size=1"),
            Some(&owner.token),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    vec![id, pid]
}

#[tokio::test]
async fn sizes_and_file_serving_on_the_local_folder() {
    let server = TestServer::start().await;
    let ids = check_sizes_and_serving(&server).await;
    assert_blobs_only_for(&server, &ids, "local folder");
}

#[tokio::test]
async fn sizes_and_file_serving_on_s3() {
    let Some(s3) = S3Server::start().await else {
        return;
    };
    let server = TestServer::start_with(|cfg| s3.configure(cfg)).await;
    let ids = check_sizes_and_serving(&server).await;
    let objects = s3.objects_under("");
    for id in &ids {
        assert!(
            objects.iter().any(|k| k.contains(id.as_str())),
            "photo {id} has no object in the bucket: {objects:?}"
        );
    }
    let local: Vec<PathBuf> = blob_files(&server)
        .into_iter()
        .filter(|f| {
            ids.iter()
                .any(|id| f.to_string_lossy().contains(id.as_str()))
        })
        .collect();
    assert!(
        local.is_empty(),
        "an S3 server keeps photo files in its data folder: {local:?}"
    );
}
