//! Albums, tags and groups, and the events each group records.

use super::*;

/// An event as (kind, photo ids, detail, photo_count), after checking its fields.
fn event(e: &Value, group: &str) -> (String, Vec<String>, Option<String>, u64) {
    assert!(
        e["id"].is_i64() || e["id"].is_u64(),
        "an event id is an integer: {e}"
    );
    assert_eq!(e["group_id"], group, "{e}");
    assert!(e["created_at"].is_string(), "{e}");
    let ids = e["photo_ids"]
        .as_array()
        .unwrap_or_else(|| panic!("photo_ids: {e}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    (
        e["kind"].as_str().unwrap().to_owned(),
        ids,
        e["detail"].as_str().map(str::to_owned),
        e["photo_count"]
            .as_u64()
            .unwrap_or_else(|| panic!("photo_count: {e}")),
    )
}

async fn events(api: &Api, token: &str, group: &str, after: Option<i64>) -> Vec<Value> {
    let query = after.map(|a| format!("?after={a}")).unwrap_or_default();
    let list = get(api, token, &format!("/api/groups/{group}/events{query}")).await;
    let list = list
        .as_array()
        .unwrap_or_else(|| panic!("events: {list}"))
        .clone();
    let ids: Vec<i64> = list
        .iter()
        .map(|e| e["id"].as_i64().expect("event id"))
        .collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "events in order of increasing id: {ids:?}"
    );
    list
}

async fn event_list(
    api: &Api,
    token: &str,
    group: &str,
) -> Vec<(String, Vec<String>, Option<String>, u64)> {
    events(api, token, group, None)
        .await
        .iter()
        .map(|e| event(e, group))
        .collect()
}

fn ev(
    kind: &str,
    ids: &[&String],
    detail: Option<&str>,
    count: u64,
) -> (String, Vec<String>, Option<String>, u64) {
    (
        kind.to_owned(),
        ids.iter().map(|s| s.to_string()).collect(),
        detail.map(str::to_owned),
        count,
    )
}

fn check_group(g: &Value, source: &str, owner: &Account) {
    assert_eq!(g["source"], source, "{g}");
    assert_eq!(g["owner_id"], owner.id.as_str(), "{g}");
    assert!(
        g["id"].is_string()
            && g["name"].is_string()
            && g["created_at"].is_string()
            && g["updated_at"].is_string(),
        "{g}"
    );
    assert!(
        g.get("project_id").is_some() && g["photo_count"].is_u64(),
        "{g}"
    );
}

#[tokio::test]
async fn albums_tags_and_groups_record_their_events() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let ann = api.signup("Ann").await;
    let bob = api.signup("Bob").await;
    let png = |w, h| encode(&gradient(w, h), ImageFormat::Png);

    // An album, and a batch uploaded into it.
    let body = send(
        &api,
        &ann.token,
        Method::POST,
        "/api/albums",
        json!({"name": "Summer"}),
        StatusCode::CREATED,
    )
    .await;
    let al = body["album"].clone();
    let album_id = id_of(&al);
    assert_eq!(
        (
            al["name"].as_str(),
            al["owner_id"].as_str(),
            al["photo_count"].as_u64()
        ),
        (Some("Summer"), Some(ann.id.as_str()), Some(0)),
        "{al}"
    );
    assert_eq!(al["cover_photo_id"], Value::Null, "{al}");
    assert!(
        al["created_at"].is_string() && al["updated_at"].is_string(),
        "{al}"
    );
    let listed = get(&api, &ann.token, "/api/albums").await;
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["id"] == album_id.as_str() || a["album"]["id"] == album_id.as_str()),
        "{listed}"
    );

    let first = upload(
        &api,
        &ann.token,
        &[
            ("a.png".into(), png(120, 80)),
            ("b.png".into(), png(80, 120)),
        ],
        Some(&album_id),
    )
    .await;
    let (a, b) = (first.ids()[0].clone(), first.ids()[1].clone());
    let batch1 = first.group_id.clone().unwrap();
    let second = upload(&api, &ann.token, &[("c.png".into(), png(100, 100))], None).await;
    let c = second.ids()[0].clone();
    let batch2 = second.group_id.clone().unwrap();
    assert_ne!(batch1, batch2);
    let (al, photos) = album(&api, &ann.token, &album_id).await;
    assert_eq!(
        (al["photo_count"].as_u64(), photos.clone()),
        (Some(2), vec![a.clone(), b.clone()])
    );

    // Add and remove.
    let body = send(
        &api,
        &ann.token,
        Method::POST,
        &format!("/api/albums/{album_id}/photos"),
        json!({"photo_ids": [c]}),
        StatusCode::OK,
    )
    .await;
    assert_eq!(body["album"]["photo_count"], 3, "{body}");
    let (status, body) = api
        .call(
            Method::DELETE,
            &format!("/api/albums/{album_id}/photos/{a}"),
            Some(&ann.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (al, photos) = album(&api, &ann.token, &album_id).await;
    assert_eq!(al["photo_count"], 2);
    assert_eq!(sorted(photos), sorted(vec![b.clone(), c.clone()]));
    assert_eq!(
        sorted(list_ids(&api, &ann.token, &format!("?album_id={album_id}")).await),
        sorted(vec![b.clone(), c.clone()])
    );

    // Tags: trimmed and lowercased; each makes (or grows) a tag group.
    let body = send(
        &api,
        &ann.token,
        Method::POST,
        &format!("/api/photos/{b}/tags"),
        json!({"tags": [" Beach "]}),
        StatusCode::OK,
    )
    .await;
    assert_eq!(body["photo"]["tags"], json!(["beach"]), "{body}");
    send(
        &api,
        &ann.token,
        Method::POST,
        &format!("/api/photos/{c}/tags"),
        json!({"tags": ["beach"]}),
        StatusCode::OK,
    )
    .await;
    let body = send(
        &api,
        &ann.token,
        Method::POST,
        &format!("/api/photos/{b}/tags"),
        json!({"tags": ["SUNSET"]}),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        body["photo"]["tags"],
        json!(["beach", "sunset"]),
        "tags sorted: {body}"
    );
    assert_eq!(
        sorted(list_ids(&api, &ann.token, "?tag=beach").await),
        sorted(vec![b.clone(), c.clone()])
    );
    assert_eq!(
        list_ids(&api, &ann.token, "?tag=sunset").await,
        vec![b.clone()]
    );
    assert!(list_ids(&api, &ann.token, "?tag=mountains")
        .await
        .is_empty());
    let (status, body) = api
        .call(
            Method::DELETE,
            &format!("/api/photos/{c}/tags/beach"),
            Some(&ann.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["photo"]["tags"], json!([]), "{body}");
    assert_eq!(
        list_ids(&api, &ann.token, "?tag=beach").await,
        vec![b.clone()]
    );
    let (status, body) = api
        .call(
            Method::POST,
            &format!("/api/photos/{b}/tags"),
            Some(&bob.token),
            Some(json!({"tags": ["mine"]})),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "Bob tags Ann's photo: {body}"
    );
    for bad in [json!({"tags": ["   "]}), json!({"tags": ["x".repeat(65)]})] {
        let (status, body) = api
            .call(
                Method::POST,
                &format!("/api/photos/{b}/tags"),
                Some(&ann.token),
                Some(bad.clone()),
            )
            .await;
        assert!(
            status.is_client_error() && body["error"]["code"].is_string(),
            "{bad}: {status} {body}"
        );
    }

    let tag_groups = groups(&api, &ann.token, "tag").await;
    let names: BTreeSet<&str> = tag_groups
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, BTreeSet::from(["beach", "sunset"]));
    let beach = tag_groups.iter().find(|g| g["name"] == "beach").unwrap();
    check_group(beach, "tag", &ann);
    let beach_id = id_of(beach);
    let beach_events = event_list(&api, &ann.token, &beach_id).await;
    assert_eq!(beach_events[0].0, "created", "{beach_events:?}");
    let added: Vec<_> = beach_events
        .iter()
        .filter(|e| e.0 == "photos_added")
        .cloned()
        .collect();
    assert_eq!(
        added,
        vec![
            ev("photos_added", &[&b], None, 1),
            ev("photos_added", &[&c], None, 2)
        ],
        "{beach_events:?}"
    );

    // Rename.
    let body = send(
        &api,
        &ann.token,
        Method::PATCH,
        &format!("/api/albums/{album_id}"),
        json!({"name": "Summer 2024"}),
        StatusCode::OK,
    )
    .await;
    assert_eq!(body["album"]["name"], "Summer 2024", "{body}");

    // The album's log, in order. The contract leaves `created`'s detail open between null
    // and the name it was created with.
    let got = event_list(&api, &ann.token, &album_id).await;
    let created_detail = got.first().and_then(|e| e.2.clone());
    assert!(
        created_detail.is_none() || created_detail.as_deref() == Some("Summer"),
        "{got:?}"
    );
    let want = vec![
        ev("created", &[], created_detail.as_deref(), 0),
        ev("photos_added", &[&a, &b], None, 2),
        ev("photos_added", &[&c], None, 3),
        ev("photos_removed", &[&a], None, 2),
        ev("tag_added", &[&b], Some("beach"), 2),
        ev("tag_added", &[&c], Some("beach"), 2),
        ev("tag_added", &[&b], Some("sunset"), 2),
        ev("renamed", &[], Some("Summer 2024"), 2),
    ];
    assert_eq!(got, want, "the album's events");
    let all = events(&api, &ann.token, &album_id, None).await;
    let third = all[2]["id"].as_i64().unwrap();
    let rest: Vec<_> = events(&api, &ann.token, &album_id, Some(third))
        .await
        .iter()
        .map(|e| event(e, &album_id))
        .collect();
    assert_eq!(
        rest,
        want[3..].to_vec(),
        "?after= gives the later events only"
    );
    let (album_group, album_photos) = group(&api, &ann.token, "album", &album_id).await;
    check_group(&album_group, "album", &ann);
    assert_eq!(
        (
            album_group["name"].as_str(),
            album_group["photo_count"].as_u64()
        ),
        (Some("Summer 2024"), Some(2))
    );
    assert_eq!(sorted(album_photos), sorted(vec![b.clone(), c.clone()]));

    // The upload batches are groups too.
    let (g1, g1_photos) = group(&api, &ann.token, "upload", &batch1).await;
    check_group(&g1, "upload", &ann);
    assert_eq!(
        (g1["photo_count"].as_u64(), g1_photos),
        (Some(2), vec![a.clone(), b.clone()])
    );
    assert_eq!(
        list_ids(&api, &ann.token, &format!("?group_id={batch1}")).await,
        vec![a.clone(), b.clone()]
    );
    let (g2, _) = group(&api, &ann.token, "upload", &batch2).await;
    assert_eq!(g2["photo_count"], 1);
    let g1_events = event_list(&api, &ann.token, &batch1).await;
    assert_eq!(g1_events[0].0, "created", "{g1_events:?}");
    let mut ingested: Vec<String> = g1_events
        .iter()
        .filter(|e| e.0 == "created" || e.0 == "photos_added")
        .flat_map(|e| e.1.clone())
        .collect();
    ingested.sort();
    assert_eq!(
        ingested,
        sorted(vec![a.clone(), b.clone()]),
        "{g1_events:?}"
    );
    let tagged: Vec<_> = g1_events
        .iter()
        .filter(|e| e.0 != "created" && e.0 != "photos_added")
        .cloned()
        .collect();
    assert_eq!(
        tagged,
        vec![
            ev("tag_added", &[&b], Some("beach"), 2),
            ev("tag_added", &[&b], Some("sunset"), 2)
        ],
        "{g1_events:?}"
    );
    assert_eq!(g1_events.last().unwrap().3, 2);

    // Shares and print selections make groups.
    let project = api.create_project(&ann, "Summer book").await;
    let body = send(
        &api,
        &ann.token,
        Method::POST,
        "/api/shares",
        json!({"photo_ids": [b, c], "project_id": project}),
        StatusCode::CREATED,
    )
    .await;
    let share = body["group"].clone();
    check_group(&share, "share", &ann);
    assert_eq!(
        (share["project_id"].as_str(), share["photo_count"].as_u64()),
        (Some(project.as_str()), Some(2)),
        "{share}"
    );
    let (_, shared) = group(&api, &ann.token, "share", &id_of(&share)).await;
    assert_eq!(sorted(shared), sorted(vec![b.clone(), c.clone()]));
    assert_eq!(
        event_list(&api, &ann.token, &id_of(&share))
            .await
            .last()
            .unwrap()
            .3,
        2
    );
    let body = send(
        &api,
        &ann.token,
        Method::POST,
        "/api/print-selections",
        json!({"photo_ids": [a, c], "name": "Prints"}),
        StatusCode::CREATED,
    )
    .await;
    let print = body["group"].clone();
    check_group(&print, "print", &ann);
    assert_eq!(
        (
            print["name"].as_str(),
            print["photo_count"].as_u64(),
            &print["project_id"]
        ),
        (Some("Prints"), Some(2), &Value::Null),
        "{print}"
    );
    let (_, printed) = group(&api, &ann.token, "print", &id_of(&print)).await;
    assert_eq!(sorted(printed), sorted(vec![a.clone(), c.clone()]));

    // Someone else's photo cannot go into an album; nothing of the request is added.
    let bobs = upload(&api, &bob.token, &[("bob.png".into(), png(50, 50))], None)
        .await
        .ids()[0]
        .clone();
    for ids in [json!([bobs]), json!([a, bobs])] {
        let (status, body) = api
            .call(
                Method::POST,
                &format!("/api/albums/{album_id}/photos"),
                Some(&ann.token),
                Some(json!({"photo_ids": ids})),
            )
            .await;
        assert_error(
            status,
            &body,
            StatusCode::NOT_FOUND,
            "photo_not_found",
            &format!("adding {ids} to Ann's album"),
        );
    }
    let (al, photos) = album(&api, &ann.token, &album_id).await;
    assert_eq!(
        (al["photo_count"].as_u64(), sorted(photos)),
        (Some(2), sorted(vec![b.clone(), c.clone()]))
    );
    assert_eq!(
        event_list(&api, &ann.token, &album_id).await,
        want,
        "a refused add records nothing"
    );
    // Nor can Bob touch or read Ann's album and groups.
    let (status, body) = api
        .call(
            Method::POST,
            &format!("/api/albums/{album_id}/photos"),
            Some(&bob.token),
            Some(json!({"photo_ids": [bobs]})),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::NOT_FOUND,
        "album_not_found",
        "Bob adds to Ann's album",
    );
    let (status, _) = api
        .call(
            Method::GET,
            &format!("/api/albums/{album_id}"),
            Some(&bob.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(groups(&api, &bob.token, "album").await.is_empty());
    assert_eq!(
        groups(&api, &bob.token, "upload").await.len(),
        1,
        "Bob sees his own batch only"
    );
}
