//! Bad upload requests and the file and request size limits: refused, with nothing stored.

use super::*;

#[tokio::test]
async fn bad_upload_requests_are_refused_and_store_nothing() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let other = api.signup("Other").await;
    let png = encode(&gradient(64, 48), ImageFormat::Png);
    let album_id = id_of(
        &send(
            &api,
            &owner.token,
            Method::POST,
            "/api/albums",
            json!({"name": "Empty"}),
            StatusCode::CREATED,
        )
        .await["album"],
    );
    let others_album = id_of(
        &send(
            &api,
            &other.token,
            Method::POST,
            "/api/albums",
            json!({"name": "Theirs"}),
            StatusCode::CREATED,
        )
        .await["album"],
    );

    // Not multipart at all.
    let (status, body) = api
        .post_raw(
            "/api/photos",
            Some(&owner.token),
            "application/json",
            br#"{"file": "x"}"#.to_vec(),
        )
        .await;
    assert!(
        status == StatusCode::UNSUPPORTED_MEDIA_TYPE || status == StatusCode::BAD_REQUEST,
        "a JSON body: {status} {body}"
    );
    assert!(
        body["error"]["code"]
            .as_str()
            .is_some_and(|c| !c.is_empty())
            && body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    let (status, body) = api
        .post_raw(
            "/api/photos",
            Some(&owner.token),
            "multipart/form-data; boundary=x",
            b"not multipart".to_vec(),
        )
        .await;
    assert!(
        status == StatusCode::BAD_REQUEST || status == StatusCode::UNPROCESSABLE_ENTITY,
        "a broken multipart body: {status} {body}"
    );
    assert!(body["error"]["code"].is_string(), "{body}");
    let (status, _) = api
        .post_raw("/api/photos", None, "image/png", png.clone())
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // No file parts: what a browser sends for an empty FormData (a close delimiter alone),
    // and a form holding only an album_id. (An empty body is not multipart at all: any 400.)
    let (status, body) = api
        .post_raw(
            "/api/photos",
            Some(&owner.token),
            "multipart/form-data; boundary=folio-empty",
            b"--folio-empty--\r\n".to_vec(),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::BAD_REQUEST,
        "no_files",
        "an empty form",
    );
    let (status, body) = api.upload_form(&owner.token, Form::new()).await;
    assert!(
        status == StatusCode::BAD_REQUEST && body["error"]["code"].is_string(),
        "an empty body: {status} {body}"
    );
    let (status, body) = api
        .upload_form(&owner.token, Form::new().text("album_id", album_id.clone()))
        .await;
    assert_error(
        status,
        &body,
        StatusCode::BAD_REQUEST,
        "no_files",
        "only an album_id",
    );

    // album_id after a file.
    let late = Form::new()
        .part("file", Part::bytes(png.clone()).file_name("a.png"))
        .text("album_id", album_id.clone());
    let (status, body) = api.upload_form(&owner.token, late).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "album_id after a file: {body}"
    );
    assert!(
        body["error"]["code"]
            .as_str()
            .is_some_and(|c| !c.is_empty()),
        "{body}"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("album_id")),
        "the message names album_id: {body}"
    );

    // Unknown and foreign albums.
    for (what, album) in [
        ("an unknown album", uuid::Uuid::new_v4().to_string()),
        ("someone else's album", others_album.clone()),
    ] {
        let (status, body) = api
            .upload(&owner.token, &[("a.png", &png)], Some(&album))
            .await;
        assert_error(
            status,
            &body,
            StatusCode::NOT_FOUND,
            "album_not_found",
            what,
        );
    }

    // None of it stored anything.
    assert!(
        list_ids(&api, &owner.token, "").await.is_empty(),
        "photos were stored"
    );
    assert!(
        groups(&api, &owner.token, "upload").await.is_empty(),
        "an upload group was made"
    );
    assert_eq!(
        album(&api, &owner.token, &album_id).await.0["photo_count"],
        0
    );
    assert_eq!(
        album(&api, &other.token, &others_album).await.0["photo_count"],
        0
    );
    assert_blobs_only_for(&server, &[], "bad requests");
}

#[tokio::test]
async fn file_and_request_size_limits() {
    let mid = jpeg(&noise(600, 450, 7), 95);
    let big = jpeg(&noise(800, 600, 11), 95);
    let small = encode(&gradient(64, 48), ImageFormat::Png);
    let (m, b) = (mid.len() as u64, big.len() as u64);
    let file_limit = b - 1;
    let request_limit = m * 5 / 2;
    // [small, big] fits the request limit; [mid, mid, mid] does not; mid fits the file limit.
    assert!(
        m < file_limit && b + small.len() as u64 + 4096 < request_limit && 3 * m > request_limit,
        "test pictures: mid {m}, big {b}"
    );
    let server = TestServer::start_with(|cfg| {
        cfg.photo_max_file_bytes = file_limit;
        cfg.photo_max_request_bytes = request_limit;
    })
    .await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;

    let up = upload(
        &api,
        &owner.token,
        &[
            ("small.png".into(), small.clone()),
            ("big.jpg".into(), big.clone()),
        ],
        None,
    )
    .await;
    assert_eq!(up.status, StatusCode::OK);
    assert_eq!(up.photos.len(), 1);
    assert_eq!(
        up.error_for("big.jpg"),
        Some(("file_too_large".into(), 413)),
        "{}",
        up.body
    );
    let (status, body) = api.upload(&owner.token, &[("big.jpg", &big)], None).await;
    assert_error(
        status,
        &body,
        StatusCode::PAYLOAD_TOO_LARGE,
        "file_too_large",
        "one file over the limit",
    );

    let (status, body) = api
        .upload(
            &owner.token,
            &[("m1.jpg", &mid), ("m2.jpg", &mid), ("m3.jpg", &mid)],
            None,
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::PAYLOAD_TOO_LARGE,
        "request_too_large",
        "a request over the limit",
    );
    assert_eq!(
        list_ids(&api, &owner.token, "").await,
        up.ids(),
        "only small.png is kept"
    );
    assert_eq!(groups(&api, &owner.token, "upload").await.len(), 1);
    assert_blobs_only_for(&server, &up.ids(), "size limits");
}
