//! The print render job end to end (SPEC §4, §11, issue #8): books written through a live
//! client from really uploaded photos, rendered by the real job, and the interior PDF, the
//! cover PDF and the PNG previews fetched over HTTP and checked with qpdf and poppler
//! (pdfinfo, pdffonts, pdfimages, pdftoppm). A missing tool skips its check with a notice,
//! except under `CI=true`, where it fails.
//!
//! Expected boxes, spine widths and PPIs are worked out from the product catalogue and
//! crdt-schema's page geometry, not copied from the renderer.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crdt_schema::geometry::{PageFrame, PageSide, PhotoView, PixelSize, POINTS_PER_INCH};
use crdt_schema::model::{self, Background, ItemKind, NewItem, NewPage, PageKind, PhotoRef, Style};
use crdt_schema::Product;
use folio_tests::http::Account;
use folio_tests::pdf::{boxes, close, have, page_count, qpdf_clean, run, table};
use folio_tests::sse::open_events;
use folio_tests::{eventually, Api, TestServer, YClient};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use yrs::Transact;

mod pdfs;
mod preflight;
mod preview_access;
mod previews;
mod progress;
mod reproducible;

/// A hang guard for the live document and for jobs, generous for unoptimised builds; never a
/// performance bound.
const WAIT: Duration = Duration::from_secs(180);
/// The preview's long edge (the job's default).
const PREVIEW_PX: u32 = 1024;
/// The paper of one leaf, and the thinnest spine (render/cover.rs, SPEC §11).
const LEAF_IN: f64 = 0.0045;
const MIN_SPINE_IN: f64 = 0.125;
/// The PPI photos are resampled down to when they would print finer.
const MAX_PPI: f64 = 450.0;

// ---- setup -------------------------------------------------------------------------------

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

async fn create_project(api: &Api, owner: &Account, title: &str, product: &str) -> String {
    let (status, body) = api
        .call(
            Method::POST,
            "/api/projects",
            Some(&owner.token),
            Some(json!({ "title": title, "product": product })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "create project: {body}");
    assert_eq!(body["project"]["product"], product, "{body}");
    body["project"]["id"]
        .as_str()
        .expect("project id")
        .to_owned()
}

/// Uploads a gradient JPEG of `w`×`h` for `who`; its photo id.
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

fn item(user: &str, kind: ItemKind, bbox: [f64; 5]) -> NewItem {
    NewItem {
        id: new_id(),
        kind,
        bbox,
        z: 1.0,
        created_by: user.to_owned(),
        photo: None,
        text: None,
        style: Style::default(),
        slot: None,
    }
}

fn photo_item(user: &str, photo: &str, bbox: [f64; 5]) -> NewItem {
    NewItem {
        photo: Some(PhotoRef {
            id: photo.to_owned(),
            pan: [0.0, 0.0],
            zoom: 1.0,
        }),
        ..item(user, ItemKind::Photo, bbox)
    }
}

fn text_item(user: &str, text: &str, font: Option<&str>, bbox: [f64; 5]) -> NewItem {
    NewItem {
        text: Some(text.to_owned()),
        style: Style {
            font: font.map(str::to_owned),
            ..Style::default()
        },
        z: 2.0,
        ..item(user, ItemKind::Text, bbox)
    }
}

/// A caption inside the safe area, clear of the gutter.
fn caption(user: &str, text: &str) -> NewItem {
    text_item(user, text, None, [0.0, 0.3, 0.6, 0.1, 0.0])
}

/// One page to write: its kind, background colour and items.
struct PageSpec {
    kind: PageKind,
    color: Option<&'static str>,
    items: Vec<NewItem>,
}

fn inside(items: Vec<NewItem>) -> PageSpec {
    PageSpec {
        kind: PageKind::Page,
        color: None,
        items,
    }
}

/// `who` writes `pages` into the book in this order in one edit through a live client, and
/// waits until a client connected before the edit holds them all: the server relays an update
/// only once it is durable, so the render job reads them. The page ids, in order.
async fn add_pages(
    server: &TestServer,
    project: &str,
    who: &Account,
    pages: Vec<PageSpec>,
) -> Vec<String> {
    let witness = YClient::connect(&server.ws_url(), project, &who.token).await;
    witness.wait_synced().await;
    let editor = YClient::connect(&server.ws_url(), project, &who.token).await;
    editor.wait_synced().await;
    let expected: Vec<(String, usize)> = pages.iter().map(|p| (new_id(), p.items.len())).collect();
    editor.edit(|txn| {
        for (i, (spec, (id, _))) in pages.into_iter().zip(&expected).enumerate() {
            let background = Background {
                color: spec.color.map(str::to_owned),
                ..Background::default()
            };
            let page = NewPage {
                id: id.clone(),
                kind: spec.kind,
                layout: None,
                background,
                created_by: who.id.clone(),
                auto: false,
            };
            let id = model::add_page(txn, i as u32, page).expect("add page");
            for it in spec.items {
                model::add_item(txn, &id, it).expect("add item");
            }
        }
    });
    let arrived = eventually(WAIT, || {
        model::read_book(&witness.doc.transact()).is_ok_and(|b| {
            expected
                .iter()
                .all(|(id, n)| b.pages.iter().any(|p| &p.id == id && p.items.len() == *n))
        })
    })
    .await;
    let seen = editor.seen.lock().unwrap();
    assert!(
        arrived,
        "the pages never became durable; the editor saw {seen:?}"
    );
    assert!(
        seen.denied.is_empty() && seen.closed.is_none(),
        "the edit was refused: {seen:?}"
    );
    expected.into_iter().map(|(id, _)| id).collect()
}

// ---- jobs and downloads --------------------------------------------------------------------

async fn post_render(api: &Api, who: &Account, project: &str, body: Value) -> String {
    let (status, queued) = api
        .call(
            Method::POST,
            &format!("/api/projects/{project}/renders"),
            Some(&who.token),
            Some(body),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{queued}");
    assert_eq!(queued["job"]["kind"], "render", "{queued}");
    queued["job"]["id"].as_str().expect("job id").to_owned()
}

/// Queues a render and waits for its job to end; the finished job.
async fn render(api: &Api, who: &Account, project: &str, body: Value) -> Value {
    let id = post_render(api, who, project, body).await;
    api.finished_job(&who.token, &id, WAIT).await
}

/// Queues a render that must succeed; its result.
async fn render_ok(api: &Api, who: &Account, project: &str, body: Value) -> Value {
    let job = render(api, who, project, body).await;
    assert_eq!(job["state"], "done", "{job}");
    job["result"].clone()
}

async fn get_ok(api: &Api, who: &Account, path: &str, content_type: &str) -> Vec<u8> {
    let (status, got, bytes) = api.get_bytes(path, Some(&who.token)).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{path}: {}",
        String::from_utf8_lossy(&bytes[..bytes.len().min(300)])
    );
    assert_eq!(got, content_type, "{path}");
    bytes
}

/// The interior and cover PDFs of a finished render, written into `dir`.
async fn download_pdfs(api: &Api, who: &Account, result: &Value, dir: &Path) -> (PathBuf, PathBuf) {
    let interior = get_ok(
        api,
        who,
        result["interior_url"].as_str().expect("interior url"),
        "application/pdf",
    )
    .await;
    let cover = get_ok(
        api,
        who,
        result["cover"]["url"].as_str().expect("cover url"),
        "application/pdf",
    )
    .await;
    assert!(interior.starts_with(b"%PDF-") && cover.starts_with(b"%PDF-"));
    let (ip, cp) = (dir.join("interior.pdf"), dir.join("cover.pdf"));
    std::fs::write(&ip, interior).unwrap();
    std::fs::write(&cp, cover).unwrap();
    (ip, cp)
}

// ---- tools --------------------------------------------------------------------------------

/// Page `n` (from 1) of `pdf` drawn by poppler with its long edge at `px`.
fn poppler_page(pdf: &Path, n: usize, px: u32) -> image::RgbImage {
    let out = pdf.with_file_name(format!(
        "{}-poppler-{n}",
        pdf.file_stem().unwrap().to_string_lossy()
    ));
    let n = n.to_string();
    let status = Command::new("pdftoppm")
        .args([
            "-scale-to",
            &px.to_string(),
            "-f",
            &n,
            "-l",
            &n,
            "-png",
            "-singlefile",
        ])
        .arg(pdf)
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success(), "pdftoppm");
    image::open(out.with_extension("png")).unwrap().to_rgb8()
}

/// Mean absolute difference (0–255, over channels) and the fraction of pixels whose largest
/// channel difference exceeds 48, over the area both images cover. Their sizes may differ by
/// a pixel of rounding.
fn difference(a: &image::RgbImage, b: &image::RgbImage) -> (f64, f64) {
    let (w, h) = (a.width().min(b.width()), a.height().min(b.height()));
    let (mut total, mut far) = (0u64, 0u64);
    for y in 0..h {
        for x in 0..w {
            let (p, q) = (a.get_pixel(x, y).0, b.get_pixel(x, y).0);
            let d: Vec<u32> = p
                .iter()
                .zip(q)
                .map(|(s, t)| (*s as i32 - t as i32).unsigned_abs())
                .collect();
            total += d.iter().sum::<u32>() as u64;
            far += (*d.iter().max().unwrap() > 48) as u64;
        }
    }
    let n = (w * h) as f64;
    (total as f64 / (3.0 * n), far as f64 / n)
}

fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG signature");
    let img = image::load_from_memory_with_format(bytes, image::ImageFormat::Png)
        .expect("a readable PNG");
    (img.width(), img.height())
}

/// The spine of a book of `pages` interior pages, in inches: a leaf per two pages, at least
/// the minimum.
fn spine_in(pages: usize) -> f64 {
    (pages.div_ceil(2) as f64 * LEAF_IN).max(MIN_SPINE_IN)
}

/// The effective PPI of `pixels` in `bbox` (no pan or zoom) on `product`'s `side` page, as
/// the page geometry computes it.
fn effective_ppi(product: &Product, side: PageSide, pixels: (u32, u32), bbox: [f64; 5]) -> f64 {
    let frame = PageFrame::new(product, side);
    let slot = crdt_schema::geometry::Box::try_from(bbox).expect("a valid box");
    frame
        .place_photo(
            PixelSize::new(pixels.0, pixels.1),
            &slot,
            PhotoView::clamped([0.0, 0.0], 1.0),
        )
        .expect("placed")
        .effective_ppi
}
