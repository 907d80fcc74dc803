//! Remote photos: registered and redirected to, never fetched by the server.

use super::*;

/// A "partner" that counts the connections made to it.
async fn partner() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().unwrap());
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            drop(socket);
        }
    });
    (base, count)
}

#[tokio::test]
async fn remote_photos_are_registered_redirected_and_never_fetched() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let (base, connections) = partner().await;
    let url = |w: u32| format!("{base}/p/42/{w}.jpg");
    let body = json!({
        "name": "Lake",
        "sizes": [
            {"w": 2048, "h": 1365, "url": url(2048)},
            {"w": 256, "h": 171, "url": url(256)},
            {"w": 1024, "h": 683, "url": url(1024)},
        ],
        "taken_at": "2024-07-01T08:00:00Z",
        "taken_at_offset": "+02:00",
        "gps": {"lat": 46.5, "lon": 6.6},
        "camera": "Partner Cam",
    });
    let answer = send(
        &api,
        &owner.token,
        Method::POST,
        "/api/photos/remote",
        body,
        StatusCode::CREATED,
    )
    .await;
    let photo = answer["photo"].clone();
    assert_eq!(photo["remote"], true, "{photo}");
    assert_eq!(
        (
            photo["format"].as_str(),
            photo["orientation"].as_u64(),
            photo["bytes"].as_u64()
        ),
        (Some("remote"), Some(1), Some(0)),
        "{photo}"
    );
    assert_eq!(
        (wh(&photo), photo["shape"].as_str(), photo["name"].as_str()),
        ((2048, 1365), Some("L"), Some("Lake")),
        "{photo}"
    );
    assert_eq!(
        (
            photo["taken_at"].as_str(),
            photo["taken_at_offset"].as_str(),
            photo["camera"].as_str()
        ),
        (
            Some("2024-07-01T08:00:00Z"),
            Some("+02:00"),
            Some("Partner Cam")
        )
    );
    assert_eq!(
        (photo["gps"]["lat"].as_f64(), photo["gps"]["lon"].as_f64()),
        (Some(46.5), Some(6.6))
    );
    let sizes = sizes_of(&photo);
    assert_eq!(
        sizes,
        vec![(256, 171), (1024, 683), (2048, 1365)],
        "sorted ascending"
    );
    for (i, w) in [256, 1024, 2048].into_iter().enumerate() {
        assert_eq!(photo["sizes"][i]["url"], url(w), "{photo}");
    }
    let id = id_of(&photo);
    assert_eq!(
        id_of(&get(&api, &owner.token, &format!("/api/photos/{id}")).await["photo"]),
        id
    );
    assert_eq!(list_ids(&api, &owner.token, "").await, vec![id.clone()]);

    // The file endpoint sends the client to the partner.
    for (query, target) in [
        ("?size=0", url(256)),
        ("?size=2", url(2048)),
        ("", url(2048)),
    ] {
        let (status, headers, _) = api
            .get_raw(
                &format!("/api/photos/{id}/file{query}"),
                Some(&owner.token),
                &[],
            )
            .await;
        assert_eq!(status, StatusCode::TEMPORARY_REDIRECT, "file{query}");
        assert_eq!(
            headers
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok()),
            Some(target.as_str()),
            "file{query}"
        );
    }
    let (status, _, _) = api
        .get_raw(
            &format!("/api/photos/{id}/file?size=3"),
            Some(&owner.token),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        connections.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "the server contacted the partner"
    );

    // An unroutable partner is fine too: nothing is fetched, so nothing fails.
    let unroutable = json!({"name": "Far", "sizes": [{"w": 640, "h": 480, "url": "http://partner.invalid/far/640.jpg"}]});
    let far = send(
        &api,
        &owner.token,
        Method::POST,
        "/api/photos/remote",
        unroutable,
        StatusCode::CREATED,
    )
    .await;
    let far_id = id_of(&far["photo"]);
    let (status, headers, _) = api
        .get_raw(
            &format!("/api/photos/{far_id}/file?size=0"),
            Some(&owner.token),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(
        headers[reqwest::header::LOCATION],
        "http://partner.invalid/far/640.jpg"
    );
    assert_eq!(far["photo"]["taken_at"], Value::Null);

    // Picking the size for a slot (seed 004) from the array the API returned.
    let pixel_sizes: Vec<PixelSize> = sizes.iter().map(|&(w, h)| PixelSize::new(w, h)).collect();
    assert_eq!(choose_size(&pixel_sizes, [200.0, 120.0]), Some(0));
    assert_eq!(
        choose_size(&pixel_sizes, [300.0, 100.0]),
        Some(1),
        "the width limits"
    );
    assert_eq!(
        choose_size(&pixel_sizes, [300.0, 700.0]),
        Some(2),
        "the height limits"
    );
    assert_eq!(
        choose_size(&pixel_sizes, needed_pixels([4.0, 3.0], 300.0, 1.0)),
        Some(2),
        "a 4×3 in slot at 300 dpi"
    );
    assert_eq!(
        choose_size(&pixel_sizes, [9000.0, 6000.0]),
        Some(2),
        "nothing covers: the largest"
    );

    // Invalid size arrays.
    let same = |n: usize| {
        (0..n).map(|i| json!({"w": 300 + 3 * i, "h": 200 + 2 * i, "url": format!("https://p.example/{i}")})).collect::<Vec<_>>()
    };
    let invalid = [
        (
            "mixed aspect ratios",
            json!([{"w": 1000, "h": 500, "url": "https://p.example/a"}, {"w": 1000, "h": 1000, "url": "https://p.example/b"}]),
        ),
        (
            "an ftp url",
            json!([{"w": 100, "h": 100, "url": "ftp://p.example/a.jpg"}]),
        ),
        (
            "a file url",
            json!([{"w": 100, "h": 100, "url": "file:///etc/passwd"}]),
        ),
        (
            "a javascript url",
            json!([{"w": 100, "h": 100, "url": "javascript:alert(1)"}]),
        ),
        ("no sizes", json!([])),
        ("17 sizes", json!(same(17))),
    ];
    for (what, sizes) in invalid {
        let (status, body) = api
            .call(
                Method::POST,
                "/api/photos/remote",
                Some(&owner.token),
                Some(json!({"name": "Bad", "sizes": sizes})),
            )
            .await;
        assert_error(
            status,
            &body,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_sizes",
            what,
        );
    }
    let sixteen = send(
        &api,
        &owner.token,
        Method::POST,
        "/api/photos/remote",
        json!({"name": "Many", "sizes": same(16)}),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(sizes_of(&sixteen["photo"]).len(), 16);
    assert_eq!(
        list_ids(&api, &owner.token, "").await.len(),
        3,
        "the refused arrays registered nothing"
    );
}
