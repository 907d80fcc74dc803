//! Automix over HTTP (SPEC §4, §6, §10): `POST /api/projects/{id}/automix` queues a job that
//! designs the book from an album or a list of photos, live, as the system user: a front
//! cover and one page per edit, each with a layout of the library and photos in its slots.
//! A version (`automix`) is taken first, so a restore undoes the run; pages a person changed
//! (`auto: false`) survive a new run; a remix gives one page another layout for the same
//! photos; progress reaches the project's event stream; and the wrong people and bad bodies
//! are refused.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use crdt_schema::model::{self, Book, ItemKind, Page, PageKind};
use folio_tests::book::{add_page, add_text_item, doc_json, page_ids};
use folio_tests::http::Account;
use folio_tests::sse::open_events;
use folio_tests::{eventually, Api, TestServer, YClient};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use yrs::updates::decoder::Decode;
use yrs::{Transact, Update};

mod concurrent_edit;
mod cover;
mod design;
mod kept_pages;
mod progress;
mod refusals;
mod remix;
mod schema;
mod versions;

/// A hang guard for jobs and live documents: generous for unoptimised builds, never a
/// performance bound.
const WAIT: Duration = Duration::from_secs(60);
/// The system user (SPEC §6.3 rule 5): what server-side workers write as.
const SYSTEM: &str = "00000000-0000-0000-0000-000000000000";
/// Photos per test book: enough for a few inside pages at about four photos a page.
const PHOTOS: usize = 10;

// ---- pictures and setup -----------------------------------------------------------------

/// A small EXIF-less JPEG: landscape, portrait or square by `i`, each in its own colours.
fn picture(i: usize) -> Vec<u8> {
    folio_tests::pictures::numbered_jpeg(i, [(240, 160), (160, 240), (200, 200)])
}

/// Uploads `n` pictures for `who` (into `album` when given); their ids in upload order.
async fn upload_photos(api: &Api, who: &Account, n: usize, album: Option<&str>) -> Vec<String> {
    let files: Vec<(String, Vec<u8>)> = (0..n)
        .map(|i| (format!("pic-{i:02}.jpg"), picture(i)))
        .collect();
    let parts: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(name, bytes)| (name.as_str(), bytes.as_slice()))
        .collect();
    let (status, body) = api.upload(&who.token, &parts, album).await;
    assert_eq!(status, StatusCode::OK, "upload: {body}");
    assert_eq!(
        body["errors"].as_array().map(Vec::len),
        Some(0),
        "upload errors: {body}"
    );
    let ids: Vec<String> = body["photos"]
        .as_array()
        .expect("photos")
        .iter()
        .map(|p| p["id"].as_str().expect("photo id").to_owned())
        .collect();
    assert_eq!(ids.len(), n, "{body}");
    ids
}

/// A new album of `who`'s: its id.
async fn create_album(api: &Api, who: &Account, name: &str) -> String {
    let (status, body) = api
        .call(
            Method::POST,
            "/api/albums",
            Some(&who.token),
            Some(json!({ "name": name })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "create album: {body}");
    body["album"]["id"].as_str().expect("album id").to_owned()
}

/// An album of `n` pictures: its id and the photo ids.
async fn album_with_photos(
    api: &Api,
    who: &Account,
    name: &str,
    n: usize,
) -> (String, Vec<String>) {
    let album = create_album(api, who, name).await;
    let photos = upload_photos(api, who, n, Some(&album)).await;
    (album, photos)
}

async fn member(api: &Api, owner: &Account, project: &str, who: &Account, role: &str) {
    let (status, body) = api.set_role(owner, project, who, role).await;
    assert!(
        status.is_success(),
        "make {} a {role}: {status} {body}",
        who.name
    );
}

fn automix_path(project: &str) -> String {
    format!("/api/projects/{project}/automix")
}

async fn post_automix(api: &Api, who: &Account, project: &str, body: Value) -> (StatusCode, Value) {
    api.call(
        Method::POST,
        &automix_path(project),
        Some(&who.token),
        Some(body),
    )
    .await
}

/// Queues an automix (202 expected) and returns the job's id.
async fn start_automix(api: &Api, who: &Account, project: &str, body: Value) -> String {
    let (status, res) = post_automix(api, who, project, body.clone()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "automix {body}: {res}");
    let job = &res["job"];
    assert_eq!(job["kind"], "automix", "{res}");
    assert!(
        ["queued", "running", "done"].contains(&job["state"].as_str().unwrap_or_default()),
        "{res}"
    );
    job["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no job id: {res}"))
        .to_owned()
}

/// `GET /api/jobs/{id}` until the job is done or failed; the job.
async fn finished_job(api: &Api, who: &Account, job: &str) -> Value {
    api.finished_job(&who.token, job, WAIT).await
}

/// Like [`finished_job`], and the job must be done: its result.
async fn done_job(api: &Api, who: &Account, job: &str) -> Value {
    let j = finished_job(api, who, job).await;
    assert_eq!(j["state"], "done", "the automix job failed: {j}");
    assert_eq!(
        j["progress"].as_f64(),
        Some(1.0),
        "a done job is at progress 1: {j}"
    );
    assert!(j["result"].is_object(), "a done job has a result: {j}");
    j["result"].clone()
}

fn read(c: &YClient) -> Option<Book> {
    model::read_book(&c.doc.transact()).ok()
}

fn book_of(c: &YClient) -> Book {
    model::read_book(&c.doc.transact()).expect("the live book reads")
}

/// The photo ids of a page's photo items.
fn page_photos(p: &Page) -> Vec<String> {
    p.items
        .iter()
        .filter(|i| i.kind == ItemKind::Photo)
        .filter_map(|i| i.photo.as_ref().map(|r| r.id.clone()))
        .collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// Inside pages (everything but the front cover).
fn inside(book: &Book) -> Vec<&Page> {
    book.pages
        .iter()
        .filter(|p| p.kind != PageKind::FrontCover)
        .collect()
}

/// `GET /api/layouts`, by id.
async fn layouts(api: &Api) -> HashMap<String, Value> {
    let (status, body) = api.call(Method::GET, "/api/layouts", None, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body.as_array()
        .expect("layouts")
        .iter()
        .map(|l| (l["id"].as_str().expect("layout id").to_owned(), l.clone()))
        .collect()
}

/// The aspect-ratio group of a project's product.
async fn group_of(api: &Api, who: &Account, project: &str) -> String {
    let (status, body) = api
        .call(
            Method::GET,
            &format!("/api/projects/{project}"),
            Some(&who.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let product = body["project"]["product"]
        .as_str()
        .expect("product")
        .to_owned();
    let (status, products) = api.call(Method::GET, "/api/products", None, None).await;
    assert_eq!(status, StatusCode::OK, "{products}");
    let p = products
        .as_array()
        .expect("products")
        .iter()
        .find(|p| p["id"] == product.as_str())
        .unwrap_or_else(|| panic!("no product {product}"));
    p["group"].as_str().expect("group").to_owned()
}

/// A page as automix makes it: auto, by the system user, a layout of the book's group from
/// the library, and photo items by the system user in distinct, valid slots of that layout
/// at the slot's box. Returns the page's photo ids.
fn check_designed_page(page: &Page, library: &HashMap<String, Value>, group: &str) -> Vec<String> {
    let what = format!("page {} ({:?})", page.id, page.kind);
    assert!(page.auto, "{what}: automix pages are auto");
    assert_eq!(
        page.created_by, SYSTEM,
        "{what}: automix writes as the system user"
    );
    let layout_id = page
        .layout
        .as_deref()
        .unwrap_or_else(|| panic!("{what}: no layout"));
    let layout = library
        .get(layout_id)
        .unwrap_or_else(|| panic!("{what}: layout {layout_id} is not in GET /api/layouts"));
    assert_eq!(
        layout["group"], group,
        "{what}: layout {layout_id} is not of the book's group"
    );
    let slots = layout["slots"].as_array().expect("slots");
    let mut used = HashSet::new();
    let mut photos = Vec::new();
    for item in page.items.iter().filter(|i| i.kind == ItemKind::Photo) {
        assert_eq!(
            item.created_by, SYSTEM,
            "{what}: item {} is not the system user's",
            item.id
        );
        let photo = item
            .photo
            .as_ref()
            .unwrap_or_else(|| panic!("{what}: photo item {} without a photo", item.id));
        assert!(
            photo.zoom.is_finite() && photo.zoom > 0.0 && photo.pan.iter().all(|v| v.is_finite()),
            "{what}: {photo:?}"
        );
        let slot = item
            .slot
            .unwrap_or_else(|| panic!("{what}: photo item {} has no slot", item.id))
            as usize;
        assert!(
            slot < slots.len(),
            "{what}: slot {slot} of layout {layout_id}, which has {} slots",
            slots.len()
        );
        assert!(used.insert(slot), "{what}: slot {slot} used twice");
        let slot_box: Vec<f64> = slots[slot]["box"]
            .as_array()
            .expect("slot box")
            .iter()
            .map(|v| v.as_f64().expect("number"))
            .collect();
        assert!(
            slot_box
                .iter()
                .zip(item.bbox.iter())
                .all(|(a, b)| (a - b).abs() < 1e-6),
            "{what}: item box {:?} is not slot {slot}'s {slot_box:?}",
            item.bbox
        );
        photos.push(photo.id.clone());
    }
    assert!(!photos.is_empty(), "{what}: no photos");
    photos
}
