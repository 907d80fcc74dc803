//! The JSON API: accounts, projects, members, the owner rule, and errors in the SPEC §4 format.

use folio_tests::{Api, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

fn assert_error(status: StatusCode, body: &Value, want: u16, code: &str) {
    assert_eq!(status.as_u16(), want, "{body}");
    assert_eq!(body["error"]["code"], json!(code), "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

#[tokio::test]
async fn signup_login_me_logout() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let email = folio_tests::unique_email("ann");
    let (s, body) = api
        .call(
            Method::POST,
            "/api/auth/signup",
            None,
            Some(json!({"email": email, "name": "Ann", "password": "long enough pw"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(body["user"]["name"], "Ann");
    assert!(body["user"].get("password_hash").is_none());
    assert!(body["token"].as_str().unwrap().len() >= 22);

    let (s, body) = api
        .call(
            Method::POST,
            "/api/auth/signup",
            None,
            Some(
                json!({"email": email.to_uppercase(), "name": "Ann", "password": "long enough pw"}),
            ),
        )
        .await;
    assert_error(s, &body, 409, "email_taken");

    let (s, body) = api
        .call(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"email": email, "password": "wrong password"})),
        )
        .await;
    assert_error(s, &body, 401, "invalid_credentials");
    let (s, body) = api
        .call(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"email": "nobody@example.test", "password": "whatever1"})),
        )
        .await;
    assert_error(s, &body, 401, "invalid_credentials");

    let (s, body) = api
        .call(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"email": email, "password": "long enough pw"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let token = body["token"].as_str().unwrap().to_owned();
    let (s, me) = api.call(Method::GET, "/api/me", Some(&token), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(me["user"]["email"], json!(email));

    let (s, _) = api
        .call(Method::POST, "/api/auth/logout", Some(&token), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, body) = api.call(Method::GET, "/api/me", Some(&token), None).await;
    assert_error(s, &body, 401, "invalid_token");
    let (s, body) = api.call(Method::GET, "/api/me", None, None).await;
    assert_error(s, &body, 401, "unauthorized");
}

#[tokio::test]
async fn signup_validates_input() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let cases = [
        (
            json!({"email": "nope", "name": "A", "password": "long enough"}),
            422,
            "invalid_email",
        ),
        (
            json!({"email": "a@b.co", "name": "", "password": "long enough"}),
            422,
            "invalid_name",
        ),
        (
            json!({"email": "a@b.co", "name": "A", "password": "short"}),
            422,
            "weak_password",
        ),
        (json!({"email": "a@b.co", "name": "A"}), 422, "invalid_body"),
        (
            json!({"email": 5, "name": "A", "password": "long enough"}),
            422,
            "invalid_body",
        ),
    ];
    for (body, status, code) in cases {
        let (s, b) = api
            .call(Method::POST, "/api/auth/signup", None, Some(body))
            .await;
        assert_error(s, &b, status, code);
    }
}

#[tokio::test]
async fn malformed_bodies_get_json_errors() {
    let server = TestServer::start().await;
    let client = reqwest::Client::new();
    let url = format!("{}/api/auth/signup", server.url);
    let send = |body: &'static str, ctype: Option<&'static str>| {
        let mut req = client.post(&url).body(body);
        if let Some(c) = ctype {
            req = req.header("content-type", c);
        }
        async move {
            let r = req.send().await.unwrap();
            let s = r.status();
            (s, r.json::<Value>().await.expect("error body is JSON"))
        }
    };
    let (s, b) = send("{not json", Some("application/json")).await;
    assert_error(s, &b, 400, "invalid_json");
    let (s, b) = send("{\"email\":1}", Some("text/plain")).await;
    assert_error(s, &b, 415, "unsupported_media_type");
    let (s, b) = send("{}", None).await;
    assert_error(s, &b, 415, "unsupported_media_type");

    let huge = format!("{{\"email\":\"{}\"}}", "a".repeat(2 * 1024 * 1024));
    let r = client
        .post(&url)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    let s = r.status();
    let b: Value = r.json().await.unwrap();
    assert_error(s, &b, 413, "body_too_large");

    let r = client
        .get(format!("{}/api/projects/not-a-uuid", server.url))
        .bearer_auth("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let r = client
        .get(format!("{}/api/definitely-not-here", server.url))
        .send()
        .await
        .unwrap();
    let s = r.status();
    let b: Value = r.json().await.unwrap();
    assert_error(s, &b, 404, "not_found");
}

#[tokio::test]
async fn projects_crud_and_access() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let other = api.signup("Other").await;
    let (s, body) = api
        .call(
            Method::POST,
            "/api/projects",
            Some(&owner.token),
            Some(json!({"title": "Wedding", "product": "landscape-11x8.5", "theme": "wedding"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let p = &body["project"];
    assert_eq!(p["owner_id"], json!(owner.id));
    assert_eq!(p["product"], "landscape-11x8.5");
    assert_eq!(p["origin"], Value::Null);
    for key in ["id", "title", "theme", "created_at", "updated_at"] {
        assert!(p.get(key).is_some(), "project lacks {key}");
    }
    let id = p["id"].as_str().unwrap().to_owned();

    let (s, b) = api
        .call(
            Method::POST,
            "/api/projects",
            Some(&owner.token),
            Some(json!({"title": "X", "product": "a4"})),
        )
        .await;
    assert_error(s, &b, 422, "unknown_product");
    let (s, b) = api
        .call(
            Method::POST,
            "/api/projects",
            Some(&owner.token),
            Some(json!({"title": "  "})),
        )
        .await;
    assert_error(s, &b, 422, "invalid_name");

    let (s, list) = api
        .call(Method::GET, "/api/projects", Some(&owner.token), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["role"], "manager");
    let (_, list) = api
        .call(Method::GET, "/api/projects", Some(&other.token), None)
        .await;
    assert_eq!(list.as_array().unwrap().len(), 0);

    let (s, b) = api
        .call(
            Method::GET,
            &format!("/api/projects/{id}"),
            Some(&other.token),
            None,
        )
        .await;
    assert_error(s, &b, 403, "forbidden");
    let (s, b) = api
        .call(
            Method::GET,
            &format!("/api/projects/{}", uuid::Uuid::new_v4()),
            Some(&owner.token),
            None,
        )
        .await;
    assert_error(s, &b, 404, "not_found");
    let (s, b) = api
        .call(
            Method::GET,
            "/api/projects/not-a-uuid",
            Some(&owner.token),
            None,
        )
        .await;
    assert_error(s, &b, 400, "invalid_path");

    // A viewer reads but cannot rename or delete; an editor renames but cannot delete.
    api.set_role(&owner, &id, &other, "viewer").await;
    let (s, b) = api
        .call(
            Method::GET,
            &format!("/api/projects/{id}"),
            Some(&other.token),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["role"], "viewer");
    let (s, b) = api
        .call(
            Method::PATCH,
            &format!("/api/projects/{id}"),
            Some(&other.token),
            Some(json!({"title": "Mine"})),
        )
        .await;
    assert_error(s, &b, 403, "forbidden");
    api.set_role(&owner, &id, &other, "editor").await;
    let (s, b) = api
        .call(
            Method::PATCH,
            &format!("/api/projects/{id}"),
            Some(&other.token),
            Some(json!({"title": "Ours", "theme": "travel"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["project"]["title"], "Ours");
    assert_eq!(b["project"]["theme"], "travel");
    let (s, b) = api
        .call(
            Method::DELETE,
            &format!("/api/projects/{id}"),
            Some(&other.token),
            None,
        )
        .await;
    assert_error(s, &b, 403, "forbidden");

    let (s, _) = api
        .call(
            Method::DELETE,
            &format!("/api/projects/{id}"),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = api
        .call(
            Method::GET,
            &format!("/api/projects/{id}"),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn members_and_the_owner_rule() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let mgr = api.signup("Manager").await;
    let friend = api.signup("Friend").await;
    let id = api.create_project(&owner, "Family").await;

    let (s, b) = api.set_role(&owner, &id, &mgr, "manager").await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["role"], "manager");
    assert_eq!(b["user"]["id"], json!(mgr.id));

    // A second manager manages members, but cannot demote or remove the owner.
    let (s, _) = api.set_role(&mgr, &id, &friend, "contributor").await;
    assert_eq!(s, StatusCode::OK);
    let (s, b) = api.set_role(&mgr, &id, &owner, "viewer").await;
    assert_error(s, &b, 403, "forbidden");
    let (s, b) = api
        .call(
            Method::DELETE,
            &format!("/api/projects/{id}/members/{}", owner.id),
            Some(&mgr.token),
            None,
        )
        .await;
    assert_error(s, &b, 403, "forbidden");
    let (s, b) = api
        .call(
            Method::DELETE,
            &format!("/api/projects/{id}/members/{}", owner.id),
            Some(&owner.token),
            None,
        )
        .await;
    assert_error(s, &b, 403, "forbidden");

    // Non-managers cannot manage members; bad roles are refused.
    let (s, b) = api.set_role(&friend, &id, &friend, "manager").await;
    assert_error(s, &b, 403, "forbidden");
    let (s, b) = api.set_role(&owner, &id, &friend, "owner").await;
    assert_error(s, &b, 422, "invalid_role");
    // An unknown id is no one's friend: the same 403 as a stranger, so ids cannot be probed.
    let (s, b) = api
        .call(
            Method::PUT,
            &format!("/api/projects/{id}/members/{}", uuid::Uuid::new_v4()),
            Some(&owner.token),
            Some(json!({"role": "viewer"})),
        )
        .await;
    assert_error(s, &b, 403, "not_a_friend");

    let (s, list) = api
        .call(
            Method::GET,
            &format!("/api/projects/{id}/members"),
            Some(&friend.token),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let roles: Vec<(String, String)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["user"]["name"].as_str().unwrap().to_owned(),
                m["role"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        roles,
        vec![
            ("Owner".into(), "manager".into()),
            ("Manager".into(), "manager".into()),
            ("Friend".into(), "contributor".into())
        ]
    );

    // Removal takes access away; a member may also leave by themselves.
    let (s, _) = api
        .call(
            Method::DELETE,
            &format!("/api/projects/{id}/members/{}", friend.id),
            Some(&mgr.token),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = api
        .call(
            Method::GET,
            &format!("/api/projects/{id}"),
            Some(&friend.token),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = api
        .call(
            Method::DELETE,
            &format!("/api/projects/{id}/members/{}", mgr.id),
            Some(&mgr.token),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, b) = api
        .call(
            Method::DELETE,
            &format!("/api/projects/{id}/members/{}", mgr.id),
            Some(&owner.token),
            None,
        )
        .await;
    assert_error(s, &b, 404, "not_found");
}

#[tokio::test]
async fn ops_endpoints_answer() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let (s, b) = api.call(Method::GET, "/healthz", None, None).await;
    assert_eq!((s.as_u16(), b["status"].as_str()), (200, Some("ok")));
    let (s, _) = api.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(s.as_u16(), 200);
    // Some traffic, so the sync metrics exist.
    let owner = api.signup("Owner").await;
    let project = api.create_project(&owner, "Trip").await;
    let c = folio_tests::YClient::connect(&server.ws_url(), &project, &owner.token).await;
    c.wait_synced().await;
    c.edit(|txn| folio_tests::book::add_page(txn, &owner.id, "p1"));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let text = reqwest::get(format!("{}/metrics", server.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for name in [
        "folio_connections",
        "folio_docs_loaded",
        "folio_updates_applied_total",
        "folio_commit_seconds_bucket",
    ] {
        assert!(text.contains(name), "/metrics lacks {name}:\n{text}");
    }
    let home = reqwest::get(&server.url).await.unwrap();
    assert_eq!(home.status().as_u16(), 200);
    assert!(home.text().await.unwrap().contains("Folio"));
}

/// `GET /api/products` is the catalogue SPEC §4 lists, each product with its group's core
/// aspect ratio (SPEC §6.2), the one the editor shows pages at.
#[tokio::test]
async fn products_list_the_catalogue_with_their_core_aspect() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let (status, products) = api.call(Method::GET, "/api/products", None, None).await;
    assert_eq!(status, StatusCode::OK, "{products}");
    let products = products.as_array().expect("a list");
    assert_eq!(products.len(), crdt_schema::PRODUCTS.len());
    for p in products {
        for key in [
            "id",
            "name",
            "trim_in",
            "bleed_in",
            "safe_in",
            "gutter_in",
            "group",
            "core_aspect",
        ] {
            assert!(!p[key].is_null(), "{key} missing from {p}");
        }
        let product = crdt_schema::product(p["id"].as_str().unwrap()).expect("a known product");
        let car = crdt_schema::geometry::core_aspect_ratio(product.group);
        assert!(
            (p["core_aspect"].as_f64().unwrap() - car).abs() < 1e-12,
            "{p}"
        );
    }
    let groups: std::collections::HashSet<String> = products
        .iter()
        .map(|p| p["core_aspect"].to_string())
        .collect();
    assert!(
        groups.len() >= 3,
        "square, landscape and portrait have their own ratios: {groups:?}"
    );
}
