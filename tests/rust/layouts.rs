//! The layout library and themes over HTTP: `GET /api/layouts` (with `?group=`) and
//! `GET /api/themes`, public, in the SPEC §4 shapes.

use folio_tests::{Api, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::Value;

const GROUPS: [&str; 3] = ["square", "portrait", "landscape"];

fn array(body: &Value) -> &Vec<Value> {
    body.as_array()
        .unwrap_or_else(|| panic!("expected an array, got {body}"))
}

#[tokio::test]
async fn layouts_are_public_and_in_the_contract_shape() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let (status, body) = api.call(Method::GET, "/api/layouts", None, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let layouts = array(&body);
    assert!(layouts.len() >= 40, "{}", layouts.len());
    let mut ids = std::collections::HashSet::new();
    for layout in layouts {
        assert!(
            ids.insert(layout["id"].as_str().expect("id").to_owned()),
            "{} twice",
            layout["id"]
        );
        assert!(
            GROUPS.contains(&layout["group"].as_str().unwrap()),
            "{layout}"
        );
        let slots = array(&layout["slots"]);
        assert!((1..=6).contains(&slots.len()), "{layout}");
        for slot in slots {
            let b = array(&slot["box"]);
            assert_eq!(b.len(), 5, "{slot}");
            let [x, y, w, h, _rot] =
                [0, 1, 2, 3, 4].map(|i| b[i].as_f64().expect("box values are numbers"));
            // Relative to the page, centre origin: inside [-0.5, 0.5] on both axes.
            assert!(
                w > 0.0
                    && h > 0.0
                    && x.abs() + w / 2.0 <= 0.5 + 1e-6
                    && y.abs() + h / 2.0 <= 0.5 + 1e-6,
                "{slot}"
            );
            assert!(
                ["L", "P", "S"].contains(&slot["shape"].as_str().unwrap()),
                "{slot}"
            );
            let caption = slot["caption"].as_bool().expect("caption is a bool");
            assert_eq!(caption, slot.get("caption_box").is_some(), "{slot}");
        }
    }
    // Every group has every photo count, captions and a full-bleed page.
    for group in GROUPS {
        let of_group: Vec<&Value> = layouts.iter().filter(|l| l["group"] == group).collect();
        for n in 1..=6 {
            assert!(
                of_group.iter().any(|l| array(&l["slots"]).len() == n),
                "{group}: none with {n} photos"
            );
        }
        assert!(
            of_group.iter().any(|l| l["slots"][0]["caption"] == true),
            "{group}: no captions"
        );
        let full = serde_json::json!([0.0, 0.0, 1.0, 1.0, 0.0]);
        assert!(
            of_group
                .iter()
                .any(|l| array(&l["slots"]).len() == 1 && l["slots"][0]["box"] == full),
            "{group}: no full-bleed page"
        );
    }
}

#[tokio::test]
async fn layouts_filter_by_group() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let (_, all) = api.call(Method::GET, "/api/layouts", None, None).await;
    let mut total = 0;
    for group in GROUPS {
        let (status, body) = api
            .call(
                Method::GET,
                &format!("/api/layouts?group={group}"),
                None,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let layouts = array(&body);
        assert!(!layouts.is_empty(), "{group}");
        assert!(
            layouts.iter().all(|l| l["group"] == group),
            "{group}: {body}"
        );
        let expected: Vec<&Value> = array(&all).iter().filter(|l| l["group"] == group).collect();
        assert_eq!(
            layouts.iter().collect::<Vec<_>>(),
            expected,
            "{group}: the filter keeps the order and drops nothing"
        );
        total += layouts.len();
    }
    assert_eq!(
        total,
        array(&all).len(),
        "every layout is in one of the three groups"
    );
}

#[tokio::test]
async fn an_unknown_group_is_a_400_in_the_error_format() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    for query in ["group=round", "group=", "group=Square"] {
        let (status, body) = api
            .call(Method::GET, &format!("/api/layouts?{query}"), None, None)
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(body["error"]["code"], "unknown_group", "{query}: {body}");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("square") && message.contains("landscape"),
            "{query}: the message names the groups: {message}"
        );
    }
}

#[tokio::test]
async fn themes_are_public_with_keywords_colours_fonts_and_backgrounds() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let (status, body) = api.call(Method::GET, "/api/themes", None, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let themes = array(&body);
    assert!(themes.len() >= 9, "{}", themes.len());
    let ids: Vec<&str> = themes.iter().map(|t| t["id"].as_str().unwrap()).collect();
    for id in [
        "everyday",
        "vacation",
        "travel",
        "birthday",
        "wedding",
        "baby",
        "graduation",
        "holiday",
        "sports",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    for theme in themes {
        assert!(
            theme["name"].as_str().is_some_and(|n| !n.is_empty()),
            "{theme}"
        );
        assert!(theme["keywords"].is_array(), "{theme}");
        for key in ["background", "text", "accent"] {
            let color = theme["colors"][key].as_str().unwrap_or_default();
            assert!(color.len() == 7 && color.starts_with('#'), "{theme}");
        }
        assert!(
            theme["fonts"]["heading"].is_string() && theme["fonts"]["body"].is_string(),
            "{theme}"
        );
        let backgrounds = array(&theme["backgrounds"]);
        assert!(!backgrounds.is_empty(), "{theme}");
        for bg in backgrounds {
            assert!(
                bg["flip"].is_boolean() && (bg.get("color").is_some() || bg.get("asset").is_some()),
                "{theme}"
            );
        }
        assert!(theme["mirror_facing"].is_boolean(), "{theme}");
    }
    assert!(
        themes.iter().any(|t| t["mirror_facing"] == true),
        "some theme is mirrored on facing pages"
    );
    let vacation = themes.iter().find(|t| t["id"] == "vacation").unwrap();
    assert!(array(&vacation["keywords"]).iter().any(|k| k == "vacation"));
}

#[tokio::test]
async fn the_endpoints_are_read_only() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    for path in ["/api/layouts", "/api/themes"] {
        let (status, body) = api
            .call(Method::POST, path, None, Some(serde_json::json!({})))
            .await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{path}: {body}");
        assert_eq!(
            body["error"]["code"], "method_not_allowed",
            "{path}: {body}"
        );
    }
}
