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

// ---- 1. the book designed live ------------------------------------------------------------

#[tokio::test]
async fn automix_from_an_album_designs_the_book_live() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let editor = api.signup("Editor").await;
    let project = api.create_project(&owner, "Our year").await;
    member(&api, &owner, &project, &editor, "editor").await;
    let (album, photos) = album_with_photos(&api, &editor, "Summer vacation", PHOTOS).await;
    let library = layouts(&api).await;
    let group = group_of(&api, &owner, &project).await;

    let live = YClient::connect(&server.ws_url(), &project, &editor.token).await;
    live.wait_synced().await;
    assert!(book_of(&live).pages.is_empty(), "a new book has no pages");
    let updates_before = live.seen.lock().unwrap().updates;

    let job = start_automix(&api, &editor, &project, json!({ "album_id": album })).await;

    // The open editor sees the cover and pages arrive without doing anything.
    let all: HashSet<String> = photos.iter().cloned().collect();
    let arrived = eventually(WAIT, || {
        let Some(book) = read(&live) else {
            return false;
        };
        let placed: HashSet<String> = inside(&book).iter().flat_map(|p| page_photos(p)).collect();
        book.pages.iter().any(|p| p.kind == PageKind::FrontCover) && placed == all
    })
    .await;
    assert!(
        arrived,
        "the live editor never saw the designed book: {:?}",
        read(&live)
    );

    let result = done_job(&api, &editor, &job).await;
    let pages = result["pages"]
        .as_u64()
        .unwrap_or_else(|| panic!("result.pages: {result}")) as usize;
    assert!(
        pages >= 2,
        "{PHOTOS} photos at about four a page make more than one page: {result}"
    );
    assert_eq!(result["project_id"], project.as_str(), "{result}");
    assert_eq!(
        result["theme"], "vacation",
        "the theme comes from the album name \"Summer vacation\": {result}"
    );
    assert_eq!(result["skipped"], 0, "{result}");
    assert!(result["version_id"].is_string(), "{result}");
    assert!(
        eventually(WAIT, || read(&live)
            .is_some_and(|b| b.pages.len() == pages + 1))
        .await,
        "the live book has the cover and {pages} pages: {:?}",
        read(&live)
    );
    let book = book_of(&live);

    // One edit per page: the editor received the book in several updates, not one.
    let updates = live.seen.lock().unwrap().updates - updates_before;
    assert!(
        updates > pages,
        "the editor saw {updates} updates for a cover and {pages} pages, written one page per edit"
    );

    // The front cover first: the cover photo, from the album, and the album name as title.
    let cover = &book.pages[0];
    assert_eq!(
        cover.kind,
        PageKind::FrontCover,
        "the cover comes first: {book:?}"
    );
    let cover_photos = check_designed_page(cover, &library, &group);
    assert_eq!(cover_photos.len(), 1, "one cover photo: {cover:?}");
    assert!(
        all.contains(&cover_photos[0]),
        "the cover photo is one of the album's: {cover:?}"
    );
    let title: Vec<&str> = cover
        .items
        .iter()
        .filter(|i| i.kind == ItemKind::Text)
        .filter_map(|i| i.text.as_deref())
        .collect();
    assert_eq!(
        title,
        ["Summer vacation"],
        "the cover title is the album name: {cover:?}"
    );
    assert!(
        cover.items.iter().all(|i| i.created_by == SYSTEM),
        "{cover:?}"
    );

    // Inside pages: every photo exactly once, each page designed from the library.
    let inner = inside(&book);
    assert_eq!(
        inner.len(),
        pages,
        "result.pages is the number of inside pages: {result}"
    );
    assert!(inner.iter().all(|p| p.kind == PageKind::Page), "{book:?}");
    let mut placed: Vec<String> = Vec::new();
    for page in &inner {
        placed.extend(check_designed_page(page, &library, &group));
    }
    assert_eq!(
        sorted(placed),
        sorted(photos.clone()),
        "every album photo appears exactly once across the pages"
    );
    assert_eq!(result["stats"]["photos"], PHOTOS, "{result}");
    assert_eq!(result["stats"]["pages"], pages, "{result}");
    assert!(
        live.closed().is_none() && live.seen.lock().unwrap().denied.is_empty(),
        "{:?}",
        live.seen.lock().unwrap()
    );

    // A client that joins now gets the same book.
    let late = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    assert!(
        eventually(WAIT, || read(&late).is_some_and(|b| b == book)).await,
        "a late client gets the designed book"
    );
}

// ---- 2. a version first -----------------------------------------------------------------

async fn versions(api: &Api, who: &Account, project: &str) -> Vec<Value> {
    let (status, body) = api
        .call(
            Method::GET,
            &format!("/api/projects/{project}/versions"),
            Some(&who.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "list versions: {body}");
    body.as_array().expect("a list").clone()
}

#[tokio::test]
async fn an_automix_version_is_taken_first_and_restoring_it_undoes_the_run() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let project = api.create_project(&owner, "Weekend").await;
    let photos = upload_photos(&api, &owner, 6, None).await;

    // The book before: one page of the owner's, with a caption.
    let live = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    live.wait_synced().await;
    live.edit(|txn| {
        add_page(txn, &owner.id, "mine");
        add_text_item(txn, 0, &owner.id, "note", "Written by hand");
    });
    let witness = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    assert!(
        eventually(WAIT, || doc_json(&witness.doc) == doc_json(&live.doc)).await,
        "the server never had the owner's page"
    );
    let before = doc_json(&live.doc);
    assert!(versions(&api, &owner, &project)
        .await
        .iter()
        .all(|v| v["reason"] != "automix"));

    let job = start_automix(&api, &owner, &project, json!({ "photo_ids": photos })).await;
    let result = done_job(&api, &owner, &job).await;
    let pages = result["pages"].as_u64().expect("pages") as usize;
    assert!(
        eventually(WAIT, || read(&live)
            .is_some_and(|b| b.pages.len() == pages + 2))
        .await,
        "{:?}",
        read(&live)
    );
    assert!(
        book_of(&live).pages.iter().any(|p| p.auto),
        "the run added auto pages"
    );

    // Exactly one `automix` version, the one the result names, holding the book as it was.
    let listed = versions(&api, &owner, &project).await;
    let automix: Vec<&Value> = listed.iter().filter(|v| v["reason"] == "automix").collect();
    assert_eq!(automix.len(), 1, "one automix version: {listed:?}");
    let vid = automix[0]["id"].as_str().expect("version id").to_owned();
    assert_eq!(
        result["version_id"],
        vid.as_str(),
        "the result names the version taken first: {result}"
    );
    let (status, _, bytes) = api
        .get_bytes(
            &format!("/api/projects/{project}/versions/{vid}"),
            Some(&owner.token),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let saved = yrs::Doc::new();
    saved
        .transact_mut()
        .apply_update(Update::decode_v1(&bytes).expect("a version decodes"))
        .expect("applies");
    assert_eq!(
        doc_json(&saved),
        before,
        "the automix version is the book before the run"
    );

    // Restoring it brings the book back as it was, to the open editor.
    let (status, body) = api
        .call(
            Method::POST,
            &format!("/api/projects/{project}/versions/{vid}/restore"),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "restore: {body}");
    assert!(
        eventually(WAIT, || doc_json(&live.doc) == before).await,
        "the restore did not bring the book back: {:?}",
        doc_json(&live.doc)
    );
    assert_eq!(page_ids(&live.doc), ["mine"]);
    assert!(
        book_of(&live).pages.iter().all(|p| !p.auto),
        "no automix page is left"
    );
}

// ---- 3. pages a person changed are kept ---------------------------------------------------

#[tokio::test]
async fn pages_a_person_changed_survive_a_second_run() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let editor = api.signup("Editor").await;
    let project = api.create_project(&owner, "Garden").await;
    member(&api, &owner, &project, &editor, "editor").await;
    let (album, _photos) = album_with_photos(&api, &owner, "Garden", PHOTOS).await;

    let live = YClient::connect(&server.ws_url(), &project, &editor.token).await;
    live.wait_synced().await;
    let first = done_job(
        &api,
        &owner,
        &start_automix(&api, &owner, &project, json!({ "album_id": album })).await,
    )
    .await;
    let pages = first["pages"].as_u64().expect("pages") as usize;
    assert!(
        pages >= 2,
        "the test needs more than one inside page: {first}"
    );
    assert!(
        eventually(WAIT, || read(&live)
            .is_some_and(|b| b.pages.len() == pages + 1))
        .await,
        "{:?}",
        read(&live)
    );
    let book = book_of(&live);

    // The editor takes over the last inside page: no longer auto, a photo moved, a note added.
    let target = book.pages.last().expect("a page").clone();
    assert_eq!(target.kind, PageKind::Page);
    let moved = target
        .items
        .iter()
        .find(|i| i.kind == ItemKind::Photo)
        .expect("a photo item")
        .id
        .clone();
    live.edit(|txn| {
        model::set_page_auto(txn, &target.id, false).expect("set auto");
        model::move_item(txn, &target.id, &moved, 0.1, -0.1).expect("move");
        let note = model::NewItem {
            id: uuid::Uuid::new_v4().to_string(),
            kind: ItemKind::Text,
            bbox: [0.0, 0.4, 0.6, 0.1, 0.0],
            z: 50.0,
            created_by: editor.id.clone(),
            photo: None,
            text: Some("Our roses".into()),
            style: Default::default(),
            slot: None,
        };
        model::add_item(txn, &target.id, note).expect("add note");
    });
    let changed = book_of(&live)
        .pages
        .into_iter()
        .find(|p| p.id == target.id)
        .expect("the page");
    assert!(
        !changed.auto && changed.items.len() == target.items.len() + 1,
        "{changed:?}"
    );
    let witness = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    let kept_by_server = eventually(WAIT, || {
        read(&witness).is_some_and(|b| b.pages.contains(&changed))
    })
    .await;
    assert!(kept_by_server, "the server never had the editor's change");
    assert!(
        live.seen.lock().unwrap().denied.is_empty(),
        "{:?}",
        live.seen.lock().unwrap()
    );

    // A second run: every other auto page is replaced; the changed page is untouched.
    let old_auto: HashSet<String> = book
        .pages
        .iter()
        .filter(|p| p.id != target.id)
        .map(|p| p.id.clone())
        .collect();
    let second = done_job(
        &api,
        &owner,
        &start_automix(
            &api,
            &owner,
            &project,
            json!({ "album_id": album, "seed": 7 }),
        )
        .await,
    )
    .await;
    let again = second["pages"].as_u64().expect("pages") as usize;
    let settled = eventually(WAIT, || {
        read(&live).is_some_and(|b| {
            b.pages.len() == again + 2 && b.pages.iter().all(|p| !old_auto.contains(&p.id))
        })
    })
    .await;
    assert!(
        settled,
        "the second run did not replace the auto pages: {:?}",
        read(&live)
    );
    let after = book_of(&live);
    let kept: Vec<&Page> = after.pages.iter().filter(|p| p.id == target.id).collect();
    assert_eq!(kept.len(), 1, "the changed page is still there: {after:?}");
    assert_eq!(
        *kept[0], changed,
        "the changed page keeps its items exactly"
    );
    assert_eq!(
        after.pages[0].kind,
        PageKind::FrontCover,
        "a new cover comes first: {after:?}"
    );
    assert_eq!(
        after.pages[1].id,
        target.id,
        "new pages go after the kept one: {:?}",
        page_ids(&live.doc)
    );
    let redone: Vec<&Page> = after.pages.iter().filter(|p| p.id != target.id).collect();
    assert_eq!(redone.len(), again + 1, "{after:?}");
    assert!(
        redone.iter().all(|p| p.auto && p.created_by == SYSTEM),
        "{after:?}"
    );
    assert_eq!(
        after
            .pages
            .iter()
            .filter(|p| p.kind == PageKind::FrontCover)
            .count(),
        1,
        "one front cover: {after:?}"
    );
    // The kept page's photos are not placed again: each photo is on one inside page.
    let inside: Vec<String> = after
        .pages
        .iter()
        .filter(|p| p.kind == PageKind::Page)
        .flat_map(page_photos)
        .collect();
    let distinct: std::collections::HashSet<&String> = inside.iter().collect();
    assert_eq!(
        distinct.len(),
        inside.len(),
        "a photo placed twice: {inside:?}"
    );
}

// ---- 4. remix -----------------------------------------------------------------------------

#[tokio::test]
async fn remix_gives_a_page_another_layout_for_the_same_photos() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let project = api.create_project(&owner, "Remix").await;
    let photos = upload_photos(&api, &owner, PHOTOS, None).await;
    let library = layouts(&api).await;
    let group = group_of(&api, &owner, &project).await;

    let live = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    live.wait_synced().await;
    let result = done_job(
        &api,
        &owner,
        &start_automix(&api, &owner, &project, json!({ "photo_ids": photos })).await,
    )
    .await;
    let pages = result["pages"].as_u64().expect("pages") as usize;
    assert!(
        eventually(WAIT, || read(&live)
            .is_some_and(|b| b.pages.len() == pages + 1))
        .await,
        "{:?}",
        read(&live)
    );
    let before = book_of(&live);
    let page = inside(&before)
        .into_iter()
        .max_by_key(|p| page_photos(p).len())
        .expect("an inside page")
        .clone();
    let others: Vec<Page> = before
        .pages
        .iter()
        .filter(|p| p.id != page.id)
        .cloned()
        .collect();

    let mut layout = page.layout.clone().expect("a layout");
    for round in 0..2 {
        let job = start_automix(&api, &owner, &project, json!({ "page_id": page.id })).await;
        let res = done_job(&api, &owner, &job).await;
        assert_eq!(res["page_id"], page.id.as_str(), "{res}");
        assert_ne!(
            res["layout"],
            layout.as_str(),
            "round {round}: a remix picks another layout: {res}"
        );
        let changed = eventually(WAIT, || {
            read(&live).is_some_and(|b| {
                b.pages
                    .iter()
                    .any(|p| p.id == page.id && p.layout.as_deref() != Some(layout.as_str()))
            })
        })
        .await;
        assert!(
            changed,
            "round {round}: the live page never changed layout: {:?}",
            read(&live)
        );
        let after = book_of(&live);
        let remixed = after
            .pages
            .iter()
            .find(|p| p.id == page.id)
            .expect("the page is still there");
        let new_layout = remixed.layout.clone().expect("a layout");
        assert_ne!(new_layout, layout, "round {round}");
        assert_eq!(res["layout"], new_layout.as_str(), "{res}");
        let placed = check_designed_page(remixed, &library, &group);
        assert_eq!(
            sorted(placed),
            sorted(page_photos(&page)),
            "round {round}: the same photos, each once"
        );
        assert_eq!(
            library[&new_layout]["slots"].as_array().unwrap().len(),
            page_photos(&page).len(),
            "a slot per photo"
        );
        let rest: Vec<Page> = after
            .pages
            .iter()
            .filter(|p| p.id != page.id)
            .cloned()
            .collect();
        assert_eq!(rest, others, "round {round}: a remix touches only its page");
        assert_eq!(
            after.pages.iter().position(|p| p.id == page.id),
            before.pages.iter().position(|p| p.id == page.id),
            "the page keeps its place"
        );
        layout = new_layout;
    }

    // A page the book does not have: accepted, and the job fails saying so.
    let job = start_automix(&api, &owner, &project, json!({ "page_id": "no-such-page" })).await;
    let j = finished_job(&api, &owner, &job).await;
    assert_eq!(j["state"], "failed", "{j}");
    assert!(j["error"].as_str().is_some_and(|e| !e.is_empty()), "{j}");
}

// ---- 5. progress on the event stream ------------------------------------------------------

#[tokio::test]
async fn progress_reaches_the_event_stream_until_done() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let viewer = api.signup("Viewer").await;
    let project = api.create_project(&owner, "Stream").await;
    member(&api, &owner, &project, &viewer, "viewer").await;
    let photos = upload_photos(&api, &owner, PHOTOS, None).await;
    let mut events = open_events(&server.url, &project, &viewer.token)
        .await
        .unwrap_or_else(|(s, b)| panic!("events refused: {s} {b}"));

    let job = start_automix(&api, &owner, &project, json!({ "photo_ids": photos })).await;
    let seen = events.job_until_done(&job, "automix", &project, WAIT).await;
    assert!(
        seen.iter().any(|j| j["state"] == "running"
            && j["progress"].as_f64().is_some_and(|p| p > 0.0 && p < 1.0)),
        "progress on the way: {seen:?}"
    );
    let last = seen.last().unwrap();
    assert_eq!(last["progress"].as_f64(), Some(1.0), "{last}");
    let polled = finished_job(&api, &owner, &job).await;
    assert_eq!(
        last["result"], polled["result"],
        "the done event carries the result"
    );
    assert!(
        last["result"]["pages"].as_u64().is_some_and(|n| n >= 1),
        "{last}"
    );
}

// ---- 6. access and bad input --------------------------------------------------------------

fn assert_error(status: StatusCode, body: &Value, expected: StatusCode, code: &str, what: &str) {
    assert_eq!(status, expected, "{what}: {body}");
    assert_eq!(body["error"]["code"], code, "{what}: {body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.trim().is_empty()),
        "{what}: no message: {body}"
    );
}

#[tokio::test]
async fn automix_refuses_the_wrong_people_and_bad_input() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let editor = api.signup("Editor").await;
    let contributor = api.signup("Contributor").await;
    let commenter = api.signup("Commenter").await;
    let viewer = api.signup("Viewer").await;
    let stranger = api.signup("Stranger").await;
    let project = api.create_project(&owner, "Guarded").await;
    for (who, role) in [
        (&editor, "editor"),
        (&contributor, "contributor"),
        (&commenter, "commenter"),
        (&viewer, "viewer"),
    ] {
        member(&api, &owner, &project, who, role).await;
    }
    let (album, photos) = album_with_photos(&api, &owner, "Holiday", 3).await;
    let (editors_album, editors_photos) = album_with_photos(&api, &editor, "Mine", 2).await;
    let strangers_photo = upload_photos(&api, &stranger, 1, None).await.remove(0);
    let empty = create_album(&api, &owner, "Nothing yet").await;

    // Below editor, and non-members: 403, whatever the body.
    for who in [&contributor, &commenter, &viewer, &stranger] {
        for body in [json!({ "album_id": album }), json!({ "photo_ids": photos })] {
            let (status, res) = post_automix(&api, who, &project, body).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{}: {res}", who.name);
            assert!(res["error"]["code"].is_string(), "{res}");
        }
    }
    let (status, res) = api
        .call(
            Method::POST,
            &automix_path(&project),
            None,
            Some(json!({ "album_id": album })),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{res}");
    let (status, res) = post_automix(
        &api,
        &owner,
        &uuid::Uuid::new_v4().to_string(),
        json!({ "album_id": album }),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "an unknown project: {res}");

    // Exactly one of photo_ids, album_id and page_id.
    let page = uuid::Uuid::new_v4().to_string();
    for body in [
        json!({}),
        json!({ "seed": 3 }),
        json!({ "photo_ids": null, "album_id": null }),
        json!({ "photo_ids": photos, "album_id": album }),
        json!({ "album_id": album, "page_id": page }),
        json!({ "photo_ids": photos, "page_id": page }),
        json!({ "photo_ids": photos, "album_id": album, "page_id": page }),
    ] {
        let (status, res) = post_automix(&api, &owner, &project, body.clone()).await;
        assert_error(
            status,
            &res,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_automix",
            &format!("{body}"),
        );
    }

    // Albums: only the caller's own.
    let (status, res) =
        post_automix(&api, &owner, &project, json!({ "album_id": editors_album })).await;
    assert_error(
        status,
        &res,
        StatusCode::NOT_FOUND,
        "album_not_found",
        "someone else's album",
    );
    let (status, res) = post_automix(&api, &editor, &project, json!({ "album_id": album })).await;
    assert_error(
        status,
        &res,
        StatusCode::NOT_FOUND,
        "album_not_found",
        "the owner's album, for an editor",
    );
    let (status, res) = post_automix(
        &api,
        &owner,
        &project,
        json!({ "album_id": uuid::Uuid::new_v4().to_string() }),
    )
    .await;
    assert_error(
        status,
        &res,
        StatusCode::NOT_FOUND,
        "album_not_found",
        "an unknown album",
    );
    let (status, res) = post_automix(&api, &owner, &project, json!({ "album_id": empty })).await;
    assert_error(
        status,
        &res,
        StatusCode::UNPROCESSABLE_ENTITY,
        "empty_album",
        "an empty album",
    );
    let (status, res) =
        post_automix(&api, &owner, &project, json!({ "album_id": "not-an-id" })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{res}");
    assert!(res["error"]["code"].is_string(), "{res}");

    // Photos: only ones the caller may see.
    let (status, res) = post_automix(
        &api,
        &owner,
        &project,
        json!({ "photo_ids": [strangers_photo] }),
    )
    .await;
    assert_error(
        status,
        &res,
        StatusCode::NOT_FOUND,
        "photo_not_found",
        "a stranger's photo",
    );
    let (status, res) = post_automix(
        &api,
        &owner,
        &project,
        json!({ "photo_ids": [photos[0], editors_photos[0]] }),
    )
    .await;
    assert_error(
        status,
        &res,
        StatusCode::NOT_FOUND,
        "photo_not_found",
        "the editor's photo, not in this book",
    );
    let (status, res) = post_automix(
        &api,
        &owner,
        &project,
        json!({ "photo_ids": [uuid::Uuid::new_v4().to_string()] }),
    )
    .await;
    assert_error(
        status,
        &res,
        StatusCode::NOT_FOUND,
        "photo_not_found",
        "an unknown photo",
    );
    for body in [
        json!({ "photo_ids": [] }),
        json!({ "photo_ids": ["not-an-id"] }),
        json!({ "page_id": "" }),
    ] {
        let (status, res) = post_automix(&api, &owner, &project, body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {res}");
        assert!(
            res["error"]["code"].is_string() && res["error"]["message"].is_string(),
            "{body}: {res}"
        );
    }

    // Bodies that are not the contract: unknown fields, wrong types, not JSON.
    for body in [
        json!({ "album_id": album, "theme": "wedding" }),
        json!({ "photo_ids": photos, "bogus": true }),
        json!({ "album_id": 42 }),
        json!({ "photo_ids": "all" }),
        json!({ "album_id": album, "seed": -1 }),
        json!(["album_id"]),
    ] {
        let (status, res) = post_automix(&api, &owner, &project, body.clone()).await;
        assert!(
            status == StatusCode::BAD_REQUEST || status == StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {status} {res}"
        );
        assert!(
            res["error"]["code"].is_string() && res["error"]["message"].is_string(),
            "{body}: {res}"
        );
    }
    let (status, res) = api
        .post_raw(
            &automix_path(&project),
            Some(&owner.token),
            "application/json",
            b"{\"album_id\":".to_vec(),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{res}");
    assert!(res["error"]["code"].is_string(), "{res}");

    // Nothing was queued by any refusal: no automix version, an empty book.
    let (status, listed) = api
        .call(
            Method::GET,
            &format!("/api/projects/{project}/versions"),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert!(
        listed
            .as_array()
            .expect("a list")
            .iter()
            .all(|v| v["reason"] != "automix"),
        "a refused request ran: {listed}"
    );

    // And the right people get through: an editor with their own album, the owner with theirs.
    let j = done_job(
        &api,
        &editor,
        &start_automix(
            &api,
            &editor,
            &project,
            json!({ "album_id": editors_album }),
        )
        .await,
    )
    .await;
    assert!(j["pages"].as_u64().is_some_and(|n| n >= 1), "{j}");
    let (status, res) = post_automix(&api, &owner, &project, json!({ "album_id": album })).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{res}");
    // A member who is not an editor may still watch the job; a stranger may not.
    let job = res["job"]["id"].as_str().expect("job id").to_owned();
    let (status, res) = api
        .call(
            Method::GET,
            &format!("/api/jobs/{job}"),
            Some(&viewer.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{res}");
    let (status, res) = api
        .call(
            Method::GET,
            &format!("/api/jobs/{job}"),
            Some(&stranger.token),
            None,
        )
        .await;
    assert!(
        status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
        "a stranger reads the job: {status} {res}"
    );
    done_job(&api, &owner, &job).await;
}

// ---- 7. a person edits while automix runs ----------------------------------------------------

/// SPEC §10: concurrent edits merge by the CRDT. The editor edits page 2 as soon as the run
/// has written it, while later pages are still being written; the edit survives the run.
#[tokio::test]
async fn an_edit_made_while_automix_runs_survives() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let project = api.create_project(&owner, "Busy").await;
    let (album, _photos) = album_with_photos(&api, &owner, "Busy", 3 * PHOTOS).await;
    let live = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    live.wait_synced().await;

    let job = start_automix(&api, &owner, &project, json!({ "album_id": album })).await;
    // Page 2 (after the cover and page 1) as soon as it exists.
    assert!(
        eventually(WAIT, || read(&live).is_some_and(|b| b.pages.len() >= 3)).await,
        "page 2 never arrived: {:?}",
        read(&live)
    );
    let page = book_of(&live).pages[2].clone();
    let note_id = uuid::Uuid::new_v4().to_string();
    live.edit(|txn| {
        model::set_page_auto(txn, &page.id, false).expect("set auto");
        let note = model::NewItem {
            id: note_id.clone(),
            kind: ItemKind::Text,
            bbox: [0.0, 0.4, 0.6, 0.1, 0.0],
            z: 50.0,
            created_by: owner.id.clone(),
            photo: None,
            text: Some("Written during the run".into()),
            style: Default::default(),
            slot: None,
        };
        model::add_item(txn, &page.id, note).expect("add note");
    });
    let result = done_job(&api, &owner, &job).await;
    let pages = result["pages"].as_u64().expect("pages") as usize;
    assert!(
        eventually(WAIT, || read(&live)
            .is_some_and(|b| b.pages.len() == pages + 1))
        .await,
        "{:?}",
        read(&live)
    );

    // The edit is in the book every client gets, next to the run's pages.
    let fresh = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    fresh.wait_synced().await;
    let survived = eventually(WAIT, || {
        read(&fresh).is_some_and(|b| {
            b.pages.iter().any(|p| {
                p.id == page.id
                    && !p.auto
                    && p.items.iter().any(|i| {
                        i.id == note_id && i.text.as_deref() == Some("Written during the run")
                    })
            })
        })
    })
    .await;
    assert!(
        survived,
        "the edit made during the run is lost: {:?}",
        read(&fresh)
    );
    assert!(
        live.seen.lock().unwrap().denied.is_empty(),
        "{:?}",
        live.seen.lock().unwrap().denied
    );
}

// ---- 8. the designed book validates against crdt-schema ------------------------------------

/// Everything automix wrote, taken as one update on top of the book before the run, passes
/// crdt-schema's validator with editor rights: the same rules a person's edit meets.
#[tokio::test]
async fn what_automix_writes_passes_the_schema_validator() {
    use crdt_schema::validate::{parse_update, Actor, Level, Validator};
    use yrs::ReadTxn;
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let project = api.create_project(&owner, "Checked").await;
    let (album, _photos) = album_with_photos(&api, &owner, "Checked", PHOTOS).await;
    let live = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    live.wait_synced().await;
    let (before_state, before_sv) = {
        let txn = live.doc.transact();
        (
            txn.encode_state_as_update_v1(&yrs::StateVector::default()),
            txn.state_vector(),
        )
    };

    let result = done_job(
        &api,
        &owner,
        &start_automix(&api, &owner, &project, json!({ "album_id": album })).await,
    )
    .await;
    let pages = result["pages"].as_u64().expect("pages") as usize;
    assert!(
        eventually(WAIT, || read(&live)
            .is_some_and(|b| b.pages.len() == pages + 1))
        .await,
        "{:?}",
        read(&live)
    );

    let written = live.doc.transact().encode_state_as_update_v1(&before_sv);
    let validator = Validator::from_state(&before_state).expect("the book before the run indexes");
    let parsed = parse_update(&written).expect("what automix wrote parses");
    let actor = Actor {
        user: SYSTEM.into(),
        level: Level::Editor,
    };
    if let Err(rejection) = validator.check(&parsed, &actor) {
        panic!("automix wrote what an editor could not: {rejection:?}");
    }
}

// ---- 9. the album's cover photo goes on the book's cover ------------------------------------

#[tokio::test]
async fn the_albums_cover_photo_goes_on_the_cover() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let stranger = api.signup("Stranger").await;
    let project = api.create_project(&owner, "Covered").await;
    let (album, photos) = album_with_photos(&api, &owner, "Covered", PHOTOS).await;
    let (_, theirs) = album_with_photos(&api, &stranger, "Theirs", 1).await;

    // Only a photo of the album can be its cover.
    let path = format!("/api/albums/{album}");
    let (status, body) = api
        .call(
            Method::PATCH,
            &path,
            Some(&owner.token),
            Some(json!({ "cover_photo_id": theirs[0] })),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_cover")),
        "{body}"
    );
    let (status, body) = api
        .call(Method::PATCH, &path, Some(&owner.token), Some(json!({})))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let chosen = photos[PHOTOS - 2].clone();
    let (status, body) = api
        .call(
            Method::PATCH,
            &path,
            Some(&owner.token),
            Some(json!({ "cover_photo_id": chosen })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["album"]["cover_photo_id"], chosen.as_str(), "{body}");

    let live = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    live.wait_synced().await;
    let result = done_job(
        &api,
        &owner,
        &start_automix(&api, &owner, &project, json!({ "album_id": album })).await,
    )
    .await;
    let pages = result["pages"].as_u64().expect("pages") as usize;
    assert!(
        eventually(WAIT, || read(&live)
            .is_some_and(|b| b.pages.len() == pages + 1))
        .await,
        "{:?}",
        read(&live)
    );
    let book = book_of(&live);
    assert_eq!(book.pages[0].kind, PageKind::FrontCover);
    assert_eq!(
        page_photos(&book.pages[0]),
        vec![chosen.clone()],
        "the album's cover is the book's cover photo"
    );

    // Clearing it with null goes back to the first photo.
    let (status, body) = api
        .call(
            Method::PATCH,
            &path,
            Some(&owner.token),
            Some(json!({ "cover_photo_id": null })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["album"]["cover_photo_id"].is_null(), "{body}");
}
