//! Print renders over HTTP (SPEC §4, §11): `POST /api/projects/{id}/renders` queues a render
//! job that preflights the book, refuses one with errors unless forced, and stores the
//! interior and cover PDFs that `GET /api/renders/{id}/pdf` serves to members only. The PDF is checked with qpdf
//! and poppler's pdfinfo; a missing tool skips its check with a notice, except under
//! `CI=true`, where it fails (as in the server's render tests).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crdt_schema::model::{ItemKind, NewItem, PhotoRef, Style};
use folio_tests::http::Account;
use folio_tests::pdf::{boxes, close, have};
use folio_tests::{Api, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// A hang guard for the live document and for jobs, generous for unoptimised builds.
const WAIT: Duration = Duration::from_secs(120);

/// Uploads one JPEG of `w`×`h` for `who`; its photo id.
async fn upload(api: &Api, who: &Account, w: u32, h: u32) -> String {
    let bytes = folio_tests::pictures::gradient_jpeg(w, h);
    let (status, body) = api
        .upload(&who.token, &[(&format!("{w}x{h}.jpg"), &bytes)], None)
        .await;
    assert_eq!(status, StatusCode::OK, "upload: {body}");
    body["photos"][0]["id"]
        .as_str()
        .expect("photo id")
        .to_owned()
}

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A photo item in the middle of the page, `size` of the page wide and high.
fn photo_item(user: &str, photo: &str, size: f64) -> NewItem {
    NewItem {
        id: new_id(),
        kind: ItemKind::Photo,
        bbox: [0.0, 0.0, size, size, 0.0],
        z: 1.0,
        created_by: user.to_owned(),
        photo: Some(PhotoRef {
            id: photo.to_owned(),
            pan: [0.0, 0.0],
            zoom: 1.0,
        }),
        text: None,
        style: Style::default(),
        slot: None,
    }
}

async fn post_render(api: &Api, who: &Account, project: &str, body: Value) -> (StatusCode, Value) {
    api.call(
        Method::POST,
        &format!("/api/projects/{project}/renders"),
        Some(&who.token),
        Some(body),
    )
    .await
}

/// Queues a render and waits for its job to end; the finished job.
async fn render(api: &Api, who: &Account, project: &str, body: Value) -> Value {
    let (status, queued) = post_render(api, who, project, body).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{queued}");
    assert_eq!(queued["job"]["kind"], "render", "{queued}");
    let id = queued["job"]["id"].as_str().expect("job id").to_owned();
    api.finished_job(&who.token, &id, WAIT).await
}

fn check_pdf(path: &Path, pages: u64) {
    if have("qpdf") {
        let out = Command::new("qpdf")
            .arg("--check")
            .arg(path)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "qpdf --check: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            text.contains("No syntax or stream encoding errors found"),
            "{text}"
        );
    }
    if have("pdfinfo") {
        let out = Command::new("pdfinfo")
            .args(["-box", "-f", "1", "-l", &pages.to_string()])
            .arg(path)
            .output()
            .unwrap();
        let info = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "pdfinfo: {info}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            info.lines().any(|l| l.starts_with("Pages:")
                && l.split_whitespace().last() == Some(&pages.to_string())),
            "{info}"
        );
        for n in 1..=pages as usize {
            let b = boxes(&info, n);
            // The 8 in = 576 pt trim, inset by the 0.125 in = 9 pt bleed in an 8.25 in canvas.
            assert!(
                close(&b["TrimBox"], &[9.0, 9.0, 585.0, 585.0]),
                "page {n}: {b:?}"
            );
            assert!(
                close(&b["BleedBox"], &[0.0, 0.0, 594.0, 594.0]),
                "page {n}: {b:?}"
            );
        }
    }
}

#[tokio::test]
async fn a_render_is_a_print_ready_pdf_for_members() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let viewer = api.signup("Vera").await;
    let stranger = api.signup("Stranger").await;
    let project = api.create_project(&owner, "Summer").await;
    let (status, body) = api.set_role(&owner, &project, &viewer, "viewer").await;
    assert!(status.is_success(), "{status} {body}");

    // 2400 px over 0.8 of the 8 in page: 375 PPI.
    let photo = upload(&api, &owner, 2400, 2400).await;
    folio_tests::book::add_durable_page(
        &server,
        &project,
        &owner,
        vec![photo_item(&owner.id, &photo, 0.8)],
        WAIT,
    )
    .await;

    let job = render(&api, &owner, &project, json!({ "product": "square-8x8" })).await;
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(job["progress"].as_f64(), Some(1.0), "{job}");
    let result = &job["result"];
    let render_id = result["render_id"].as_str().expect("render id").to_owned();
    let pages = result["pages"].as_u64().expect("pages");
    assert!(pages >= 1, "{result}");
    assert!(
        result["findings"]
            .as_array()
            .is_some_and(|f| f.iter().all(|f| f["severity"] == "warning")),
        "{result}"
    );

    let (status, content_type, pdf) = api
        .get_bytes(&format!("/api/renders/{render_id}/pdf"), Some(&owner.token))
        .await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&pdf));
    assert_eq!(content_type, "application/pdf");
    assert!(pdf.starts_with(b"%PDF-"));
    let (_, headers, _) = api
        .get_raw(
            &format!("/api/renders/{render_id}/pdf?part=interior"),
            Some(&viewer.token),
            &[],
        )
        .await;
    let disposition = headers
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(
        disposition.starts_with("attachment; filename=") && disposition.ends_with(".pdf\""),
        "{disposition}"
    );

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("interior.pdf");
    std::fs::write(&path, &pdf).unwrap();
    check_pdf(&path, pages);

    // A viewer reads the PDF, but a stranger is told there is no such render.
    let (status, _, _) = api
        .get_bytes(
            &format!("/api/renders/{render_id}/pdf"),
            Some(&viewer.token),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, body) = api
        .get_bytes(
            &format!("/api/renders/{render_id}/pdf"),
            Some(&stranger.token),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "{}",
        String::from_utf8_lossy(&body)
    );
    let (status, _, _) = api
        .get_bytes(
            &format!("/api/renders/{}/pdf", new_id()),
            Some(&owner.token),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A plain link works with the token in the query, as for photos; a bad one is refused.
    let (status, content_type, linked) = api
        .get_bytes(
            &format!(
                "/api/renders/{render_id}/pdf?part=interior&token={}",
                viewer.token
            ),
            None,
        )
        .await;
    assert_eq!(
        (status, content_type.as_str()),
        (StatusCode::OK, "application/pdf")
    );
    assert!(linked == pdf, "the linked download is the same PDF");
    let (status, _, _) = api
        .get_bytes(
            &format!("/api/renders/{render_id}/pdf?token=not-a-token"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = api
        .get_bytes(
            &format!("/api/renders/{render_id}/pdf?token={}", stranger.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The cover is a PDF too; an unknown part is bad input.
    let (status, content_type, cover) = api
        .get_bytes(
            &format!("/api/renders/{render_id}/pdf?part=cover"),
            Some(&viewer.token),
        )
        .await;
    assert_eq!(
        (status, content_type.as_str()),
        (StatusCode::OK, "application/pdf")
    );
    assert!(cover.starts_with(b"%PDF-"));
    let (status, body) = api
        .call(
            Method::GET,
            &format!("/api/renders/{render_id}/pdf?part=jacket"),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_part")),
        "{body}"
    );

    // Only editors and above render.
    let (status, body) = post_render(&api, &viewer, &project, json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = post_render(&api, &stranger, &project, json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    // An unknown product, and a version of no project of this one's.
    let (status, body) =
        post_render(&api, &owner, &project, json!({ "product": "poster-a0" })).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_product")),
        "{body}"
    );
    let (status, body) =
        post_render(&api, &owner, &project, json!({ "version_id": new_id() })).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

    // A saved version renders too, by default on the project's product.
    let (status, body) = api
        .call(
            Method::POST,
            &format!("/api/projects/{project}/versions"),
            Some(&owner.token),
            None,
        )
        .await;
    assert!(status.is_success(), "{status} {body}");
    let version = body["version"]["id"]
        .as_str()
        .or(body["id"].as_str())
        .expect("version id")
        .to_owned();
    let job = render(&api, &owner, &project, json!({ "version_id": version })).await;
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(job["result"]["pages"].as_u64(), Some(pages), "{job}");
}

#[tokio::test]
async fn a_book_with_preflight_errors_renders_only_when_forced() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let project = api.create_project(&owner, "Winter").await;

    // 400 px over the whole 8 in page: 50 PPI, an error.
    let small = upload(&api, &owner, 400, 400).await;
    folio_tests::book::add_durable_page(
        &server,
        &project,
        &owner,
        vec![photo_item(&owner.id, &small, 1.0)],
        WAIT,
    )
    .await;

    let job = render(&api, &owner, &project, json!({ "product": "square-8x8" })).await;
    assert_eq!(job["state"], "failed", "{job}");
    assert!(job["result"].is_null(), "{job}");
    let error = job["error"].as_str().expect("an error");
    assert!(
        error.contains("very_low_resolution") && error.contains("force"),
        "{error}"
    );

    let job = render(
        &api,
        &owner,
        &project,
        json!({ "product": "square-8x8", "force": true }),
    )
    .await;
    assert_eq!(job["state"], "done", "{job}");
    assert!(job["error"].is_null(), "{job}");
    let findings = job["result"]["findings"].as_array().expect("findings");
    assert!(
        findings.iter().any(|f| f["rule"] == "very_low_resolution"),
        "{findings:?}"
    );
    let render_id = job["result"]["render_id"].as_str().expect("render id");
    let (status, content_type, pdf) = api
        .get_bytes(&format!("/api/renders/{render_id}/pdf"), Some(&owner.token))
        .await;
    assert_eq!(
        (status, content_type.as_str()),
        (StatusCode::OK, "application/pdf")
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("forced.pdf");
    std::fs::write(&path, &pdf).unwrap();
    check_pdf(&path, job["result"]["pages"].as_u64().unwrap());
}
