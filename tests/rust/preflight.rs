//! Preflight over HTTP (SPEC §4, §11): `GET /api/projects/{id}/preflight?product=` on a book
//! built through a live client from really uploaded photos. Each finding names its page, item
//! and rule; photo resolutions follow the product; missing photos are findings, not failures;
//! members only; an unknown product is refused.
//!
//! The numbers are worked out by hand on the square products' right-hand page (the book's
//! first inside page): the square page is 8 in a side on the 8×8 and 12 in on the 12×12,
//! starting at the gutter edge (0.375 in and 0.5 in from the trim's binding edge), with the
//! safe line 0.25 in and 0.375 in further in.

use std::time::Duration;

use crdt_schema::model::{ItemKind, NewItem, PhotoRef, Style};
use folio_tests::http::Account;
use folio_tests::{Api, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// A hang guard for the live document, generous for unoptimised builds.
const WAIT: Duration = Duration::from_secs(30);

/// Uploads one JPEG of `w`×`h` for `who`; its photo id.
async fn upload(api: &Api, who: &Account, w: u32, h: u32) -> String {
    let bytes = folio_tests::pictures::gradient_jpeg(w, h);
    let (status, body) = api
        .upload(&who.token, &[(&format!("{w}x{h}.jpg"), &bytes)], None)
        .await;
    assert_eq!(status, StatusCode::OK, "upload: {body}");
    let photo = &body["photos"][0];
    assert_eq!(
        (photo["width"].as_u64(), photo["height"].as_u64()),
        (Some(w as u64), Some(h as u64)),
        "{body}"
    );
    photo["id"].as_str().expect("photo id").to_owned()
}

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn item(user: &str, id: &str, kind: ItemKind, bbox: [f64; 5], z: f64) -> NewItem {
    NewItem {
        id: id.to_owned(),
        kind,
        bbox,
        z,
        created_by: user.to_owned(),
        photo: None,
        text: None,
        style: Style::default(),
        slot: None,
    }
}

fn photo_item(user: &str, id: &str, photo: &str, bbox: [f64; 5], z: f64) -> NewItem {
    NewItem {
        photo: Some(PhotoRef {
            id: photo.to_owned(),
            pan: [0.0, 0.0],
            zoom: 1.0,
        }),
        ..item(user, id, ItemKind::Photo, bbox, z)
    }
}

fn text_item(user: &str, id: &str, bbox: [f64; 5], z: f64, font: Option<&str>) -> NewItem {
    NewItem {
        text: Some("Our summer".to_owned()),
        style: Style {
            font: font.map(str::to_owned),
            ..Style::default()
        },
        ..item(user, id, ItemKind::Text, bbox, z)
    }
}

async fn preflight(
    api: &Api,
    who: &Account,
    project: &str,
    product: Option<&str>,
) -> (StatusCode, Value) {
    let query = product.map(|p| format!("?product={p}")).unwrap_or_default();
    api.call(
        Method::GET,
        &format!("/api/projects/{project}/preflight{query}"),
        Some(&who.token),
        None,
    )
    .await
}

/// `(item_id, rule)` of each finding of a list, in order.
fn rules(list: &Value) -> Vec<(String, String)> {
    list.as_array()
        .expect("a list of findings")
        .iter()
        .map(|f| {
            (
                f["item_id"].as_str().unwrap_or("-").to_owned(),
                f["rule"].as_str().unwrap_or("-").to_owned(),
            )
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

fn finding<'a>(list: &'a Value, item: &str, rule: &str) -> &'a Value {
    list.as_array()
        .and_then(|l| l.iter().find(|f| f["item_id"] == item && f["rule"] == rule))
        .unwrap_or_else(|| panic!("no {rule} finding for {item} in {list}"))
}

fn close(v: &Value, expected: f64) -> bool {
    v.as_f64().is_some_and(|x| (x - expected).abs() < 0.01)
}

#[tokio::test]
async fn findings_name_the_page_the_item_and_the_rule() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let project = api.create_project(&owner, "Summer").await;

    // An 800×800 photo in a 1.6 in slot (0.2 of the 8 in page), inside the safe area: 500 PPI.
    let big = upload(&api, &owner, 800, 800).await;
    // A 600×400 photo over the whole page: 400 px across 8 in, 50 PPI.
    let small = upload(&api, &owner, 600, 400).await;
    // A photo placed and then deleted: its item is left pointing at nothing.
    let ghost = upload(&api, &owner, 400, 400).await;
    let (big_item, small_item, ghost_item, note_item) = (new_id(), new_id(), new_id(), new_id());
    let u = owner.id.as_str();
    let page = folio_tests::book::add_durable_page(
        &server,
        &project,
        &owner,
        vec![
            photo_item(u, &big_item, &big, [0.2, -0.2, 0.2, 0.2, 0.0], 1.0),
            photo_item(u, &small_item, &small, [0.0, 0.0, 1.0, 1.0, 0.0], 2.0),
            photo_item(u, &ghost_item, &ghost, [-0.2, 0.2, 0.2, 0.2, 0.0], 3.0),
            // Across the binding edge of this right-hand page: x from -0.6 to -0.4 of the page.
            text_item(u, &note_item, [-0.5, 0.3, 0.2, 0.1, 0.0], 4.0, Some("Lora")),
        ],
        WAIT,
    )
    .await;
    server
        .store()
        .await
        .delete_photo(ghost.parse().expect("a photo id"))
        .await
        .expect("delete the photo");

    let (status, report) = preflight(&api, &owner, &project, None).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let (errors, warnings) = (&report["errors"], &report["warnings"]);
    assert_eq!(
        rules(errors),
        pairs(&[
            (&small_item, "very_low_resolution"),
            (&ghost_item, "missing_photo")
        ]),
        "{report}"
    );
    assert_eq!(
        rules(warnings),
        pairs(&[
            (&note_item, "crosses_gutter"),
            (&note_item, "crosses_safe_area")
        ]),
        "{report}"
    );
    for f in errors
        .as_array()
        .unwrap()
        .iter()
        .chain(warnings.as_array().unwrap())
    {
        assert_eq!(
            (f["page_id"].as_str(), f["page_index"].as_u64()),
            (Some(page.as_str()), Some(0)),
            "{f}"
        );
        assert!(f["message"].as_str().is_some_and(|m| !m.is_empty()), "{f}");
    }
    // The big photo in its small slot has no finding at all.
    assert!(report.to_string().find(&big_item).is_none(), "{report}");

    let low = finding(errors, &small_item, "very_low_resolution");
    assert_eq!(low["severity"], "error");
    assert_eq!(low["photo_id"], small.as_str());
    assert!(close(&low["ppi"], 50.0), "{low}");
    assert_eq!(
        low["better_size_available"], false,
        "an upload prints from its original, the largest size"
    );
    assert!(low["message"].as_str().unwrap().contains("50 PPI"), "{low}");

    let missing = finding(errors, &ghost_item, "missing_photo");
    assert_eq!(missing["photo_id"], ghost.as_str());

    // The note's left edge lands 0.8 in before the gutter edge and 1.05 in before the safe line.
    let gutter = finding(warnings, &note_item, "crosses_gutter");
    assert_eq!(gutter["severity"], "warning");
    assert!(close(&gutter["depth_in"], 0.8), "{gutter}");
    assert!(
        close(
            &finding(warnings, &note_item, "crosses_safe_area")["depth_in"],
            1.05
        ),
        "{report}"
    );

    // The same book on the 12×12: the page is 12 in, so the same pixels print coarser
    // (400 px / 12 in), the big photo still passes (800 px / 2.4 in), and the gutter is wider.
    let (status, large) = preflight(&api, &owner, &project, Some("square-12x12")).await;
    assert_eq!(status, StatusCode::OK, "{large}");
    assert_eq!(rules(&large["errors"]), rules(errors), "{large}");
    let ppi_12 = finding(&large["errors"], &small_item, "very_low_resolution")["ppi"]
        .as_f64()
        .unwrap();
    assert!(
        (ppi_12 - 400.0 / 12.0).abs() < 0.01 && ppi_12 < low["ppi"].as_f64().unwrap(),
        "{large}"
    );
    assert!(
        close(
            &finding(&large["warnings"], &note_item, "crosses_gutter")["depth_in"],
            1.2
        ),
        "{large}"
    );

    // Without a product the project's own counts: after a change to the 12×12, the same answer.
    let (status, body) = api
        .call(
            Method::PATCH,
            &format!("/api/projects/{project}"),
            Some(&owner.token),
            Some(json!({ "product": "square-12x12" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, by_default) = preflight(&api, &owner, &project, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(by_default, large);
}

#[tokio::test]
async fn photos_and_fonts_the_book_cannot_use_are_findings() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let stranger = api.signup("Stranger").await;
    let project = api.create_project(&owner, "Winter").await;
    let own = upload(&api, &owner, 1200, 800).await;
    // The photo of someone who is not a member shows nothing, so it would not print: a guest
    // places their own photo on a page of their own, then leaves the book.
    let theirs = upload(&api, &stranger, 1200, 800).await;
    let (a, b, c, d) = (new_id(), new_id(), new_id(), new_id());
    let u = owner.id.as_str();
    folio_tests::book::add_durable_page(
        &server,
        &project,
        &owner,
        vec![
            photo_item(u, &a, &own, [-0.2, -0.2, 0.2, 0.2, 0.0], 1.0),
            text_item(u, &c, [0.0, 0.2, 0.4, 0.1, 0.0], 3.0, Some("Comic Sans MS")),
            // Wholly off the page: an error, and nothing else about it.
            text_item(u, &d, [2.0, 0.0, 0.2, 0.1, 0.0], 4.0, Some("Comic Sans MS")),
        ],
        WAIT,
    )
    .await;
    api.join_by_invite(&owner, &project, &stranger, "contributor")
        .await;
    let s = stranger.id.as_str();
    folio_tests::book::add_durable_page(
        &server,
        &project,
        &stranger,
        vec![photo_item(s, &b, &theirs, [0.2, -0.2, 0.2, 0.2, 0.0], 2.0)],
        WAIT,
    )
    .await;
    let (status, body) = api
        .call(
            Method::DELETE,
            &format!("/api/projects/{project}/members/{s}"),
            Some(&stranger.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "the guest leaves: {body}");
    let (status, report) = preflight(&api, &owner, &project, Some("square-8x8")).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(
        rules(&report["errors"]),
        pairs(&[
            (&b, "missing_photo"),
            (&c, "missing_font"),
            (&d, "off_page")
        ]),
        "{report}"
    );
    assert_eq!(report["warnings"], json!([]), "{report}");
    assert_eq!(
        finding(&report["errors"], &c, "missing_font")["font"],
        "Comic Sans MS"
    );
}

#[tokio::test]
async fn members_only_and_known_products_only() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let viewer = api.signup("Viewer").await;
    let outsider = api.signup("Outsider").await;
    let project = api.create_project(&owner, "Autumn").await;
    let (status, body) = api.set_role(&owner, &project, &viewer, "viewer").await;
    assert!(status.is_success(), "{status} {body}");

    // An empty book has nothing to report, to any member.
    let (status, report) = preflight(&api, &viewer, &project, None).await;
    assert_eq!(
        (status, &report),
        (StatusCode::OK, &json!({ "errors": [], "warnings": [] }))
    );

    let (status, body) = preflight(&api, &outsider, &project, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "forbidden", "{body}");
    let (status, _) = api
        .call(
            Method::GET,
            &format!("/api/projects/{project}/preflight"),
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let (status, body) = preflight(&api, &owner, &project, Some("square-9x9")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "unknown_product", "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("square-9x9") && message.contains("square-8x8"),
        "{body}"
    );
}
