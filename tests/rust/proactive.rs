//! Proactive books (SPEC §4, §10.8): a group of photos (an upload, an album, a print
//! selection) that grows into its size range gets a book designed by the server with no
//! request, owned by the group's owner, whose `origin` names the group; the owner is told
//! through the notifications API, their open event streams and the email outbox; a group
//! that changes later has the same book redesigned (pages a person touched are kept); a
//! print selection has its own threshold; a zero threshold turns the feature off; and a burst
//! of changes never makes a second book for one group.
//!
//! The servers here use small thresholds (and `Config::test`'s 200 ms delay) so that the
//! tests need only a handful of tiny photos; the first test keeps the default threshold.
//! Whether the server has finished with a group is read from its job queue (the `jobs`
//! table, whose `dedupe_key` names the group): tests wait until the group's proactive jobs
//! are all finished rather than for fixed times.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::time::{Duration, Instant};

use crdt_schema::model::{self, Book, ItemKind, NewItem, Page, PageKind, Style};
use folio_tests::http::Account;
use folio_tests::sse::open_events;
use folio_tests::{eventually, Api, TestServer, YClient};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use yrs::Transact;

/// A hang guard for jobs and live documents: generous for unoptimised builds on a busy
/// machine, never a performance bound.
const WAIT: Duration = Duration::from_secs(90);
/// The system user (SPEC §6.3 rule 5): what server-side workers write as.
const SYSTEM: &str = "00000000-0000-0000-0000-000000000000";

// ---- pictures and the API -----------------------------------------------------------------

/// A tiny EXIF-less JPEG: landscape, portrait or square by `i`, each in its own colours.
fn picture(i: usize) -> Vec<u8> {
    folio_tests::pictures::numbered_jpeg(i, [(64, 48), (48, 64), (56, 56)])
}

/// One upload of the pictures numbered `from..to`: the upload's group id and the photo ids
/// in upload order.
async fn upload(api: &Api, who: &Account, from: usize, to: usize) -> (String, Vec<String>) {
    let files: Vec<(String, Vec<u8>)> = (from..to)
        .map(|i| (format!("pic-{i:03}.jpg"), picture(i)))
        .collect();
    let parts: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(name, bytes)| (name.as_str(), bytes.as_slice()))
        .collect();
    let (status, body) = api.upload(&who.token, &parts, None).await;
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
    assert_eq!(ids.len(), to - from, "{body}");
    let group = body["group_id"]
        .as_str()
        .unwrap_or_else(|| panic!("an upload names its group: {body}"))
        .to_owned();
    (group, ids)
}

/// Uploads the pictures `from..to` in batches of `batch` (each batch its own upload group,
/// kept below the threshold by the caller): the upload groups and all photo ids in order.
async fn upload_in_batches(
    api: &Api,
    who: &Account,
    from: usize,
    to: usize,
    batch: usize,
) -> (Vec<String>, Vec<String>) {
    let (mut groups, mut photos) = (Vec::new(), Vec::new());
    let mut at = from;
    while at < to {
        let end = (at + batch).min(to);
        let (g, ids) = upload(api, who, at, end).await;
        groups.push(g);
        photos.extend(ids);
        at = end;
    }
    (groups, photos)
}

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

async fn add_to_album(api: &Api, who: &Account, album: &str, photos: &[String]) -> Value {
    let (status, body) = api
        .call(
            Method::POST,
            &format!("/api/albums/{album}/photos"),
            Some(&who.token),
            Some(json!({ "photo_ids": photos })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "add to album: {body}");
    body["album"].clone()
}

/// A print selection of `photos`: its group.
async fn print_selection(api: &Api, who: &Account, name: &str, photos: &[String]) -> Value {
    let (status, body) = api
        .call(
            Method::POST,
            "/api/print-selections",
            Some(&who.token),
            Some(json!({ "photo_ids": photos, "name": name })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "print selection: {body}");
    body["group"].clone()
}

async fn group(api: &Api, who: &Account, id: &str) -> Value {
    let (status, body) = api
        .call(
            Method::GET,
            &format!("/api/groups/{id}"),
            Some(&who.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "group {id}: {body}");
    body["group"].clone()
}

/// `GET /api/projects` as `who`: every `{project, role}`.
async fn projects(api: &Api, who: &Account) -> Vec<Value> {
    let (status, body) = api
        .call(Method::GET, "/api/projects", Some(&who.token), None)
        .await;
    assert_eq!(status, StatusCode::OK, "projects: {body}");
    body.as_array()
        .unwrap_or_else(|| panic!("projects are a list: {body}"))
        .clone()
}

/// The `{project, role}` entries whose project is the proactive book of `group`.
async fn books_of(api: &Api, who: &Account, group: &str) -> Vec<Value> {
    projects(api, who)
        .await
        .into_iter()
        .filter(|p| p["project"]["origin"]["group_id"] == group)
        .collect()
}

/// The one proactive book of `group`, checked: owned by `who` (manager), and its origin is
/// exactly `{kind: "proactive", source, group_id}`.
async fn the_book_of(api: &Api, who: &Account, group: &str, source: &str) -> Value {
    let books = books_of(api, who, group).await;
    assert_eq!(
        books.len(),
        1,
        "group {group} has {} proactive books: {books:?}",
        books.len()
    );
    let entry = &books[0];
    let project = entry["project"].clone();
    assert_eq!(
        project["owner_id"],
        json!(who.id),
        "the book is the group owner's: {entry}"
    );
    assert_eq!(
        entry["role"], "manager",
        "the owner manages the book: {entry}"
    );
    assert_eq!(
        project["origin"],
        json!({ "kind": "proactive", "source": source, "group_id": group }),
        "{entry}"
    );
    project
}

async fn notifications(api: &Api, who: &Account) -> Vec<Value> {
    let (status, list) = api
        .call(Method::GET, "/api/notifications", Some(&who.token), None)
        .await;
    assert_eq!(status, StatusCode::OK, "notifications: {list}");
    list.as_array().expect("a list").clone()
}

async fn book_notifications(api: &Api, who: &Account) -> Vec<Value> {
    notifications(api, who)
        .await
        .into_iter()
        .filter(|n| n["kind"] == "proactive_book")
        .collect()
}

async fn email_of(api: &Api, who: &Account) -> String {
    let (status, body) = api
        .call(Method::GET, "/api/me", Some(&who.token), None)
        .await;
    assert_eq!(status, StatusCode::OK, "me: {body}");
    body["user"]["email"]
        .as_str()
        .unwrap_or_else(|| panic!("no email: {body}"))
        .to_owned()
}

// ---- the job queue ------------------------------------------------------------------------

/// A read-only look at the server's `jobs` table, to know when it has finished with a group.
enum Jobs {
    Sqlite(sqlx::SqlitePool),
    Pg(sqlx::PgPool),
}

/// One proactive job: its state and its result.
#[derive(Debug)]
struct JobRow {
    state: String,
    result: Value,
}

impl Jobs {
    async fn open(server: &TestServer) -> Jobs {
        match server.database_url.as_deref() {
            Some(url) if url.starts_with("postgres") => Jobs::Pg(
                sqlx::postgres::PgPoolOptions::new()
                    .max_connections(1)
                    .connect(url)
                    .await
                    .expect("open PostgreSQL"),
            ),
            Some(url) => {
                Jobs::sqlite(Path::new(
                    url.trim_start_matches("sqlite://")
                        .trim_start_matches("sqlite:"),
                ))
                .await
            }
            None => Jobs::sqlite(&server.data_dir.join("folio.db")).await,
        }
    }

    async fn sqlite(path: &Path) -> Jobs {
        let opts = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(path)
            .read_only(true)
            .busy_timeout(Duration::from_secs(10));
        Jobs::Sqlite(
            sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(opts)
                .await
                .expect("open SQLite"),
        )
    }

    /// The proactive jobs of `group`, oldest first (`groups_changed` keys them by group).
    async fn of_group(&self, group: &str) -> Vec<JobRow> {
        let key = format!("proactive:{group}");
        let rows: Vec<(String, Option<String>)> = match self {
            Jobs::Sqlite(pool) => sqlx::query_as("SELECT state, result FROM jobs WHERE kind = 'proactive' AND dedupe_key = ? ORDER BY created_at, rowid")
                .bind(key)
                .fetch_all(pool)
                .await
                .expect("read jobs"),
            Jobs::Pg(pool) => sqlx::query_as("SELECT state, result::text FROM jobs WHERE kind = 'proactive' AND dedupe_key = $1 ORDER BY created_at")
                .bind(key)
                .fetch_all(pool)
                .await
                .expect("read jobs"),
        };
        rows.into_iter()
            .map(|(state, result)| JobRow {
                state,
                result: result
                    .and_then(|r| serde_json::from_str(&r).ok())
                    .unwrap_or(Value::Null),
            })
            .collect()
    }

    /// How many proactive jobs there are at all.
    async fn count_all(&self) -> i64 {
        match self {
            Jobs::Sqlite(pool) => {
                sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE kind = 'proactive'")
                    .fetch_one(pool)
                    .await
                    .expect("count jobs")
            }
            Jobs::Pg(pool) => {
                sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE kind = 'proactive'")
                    .fetch_one(pool)
                    .await
                    .expect("count jobs")
            }
        }
    }

    /// Waits until `group` has had a proactive job and none is queued or running (the
    /// server is done with the group's changes so far); every job must have succeeded.
    /// Returns the group's jobs.
    async fn settled(&self, group: &str) -> Vec<JobRow> {
        let start = Instant::now();
        loop {
            let jobs = self.of_group(group).await;
            if !jobs.is_empty()
                && jobs
                    .iter()
                    .all(|j| j.state == "done" || j.state == "failed")
            {
                assert!(
                    jobs.iter().all(|j| j.state == "done"),
                    "a proactive job of group {group} failed: {jobs:?}"
                );
                return jobs;
            }
            assert!(
                start.elapsed() < WAIT,
                "the proactive jobs of group {group} did not finish within {WAIT:?}: {jobs:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// The last job of a group that stayed out of range said so.
fn assert_skipped(jobs: &[JobRow], group: &str) {
    let last = jobs.last().expect("a job");
    assert_eq!(
        last.result["skipped"], "outside the size range",
        "group {group}: {jobs:?}"
    );
}

// ---- the book -------------------------------------------------------------------------------

/// The book as the server has it now: a fresh client's synced document.
async fn book_now(server: &TestServer, who: &Account, project: &str) -> Book {
    let client = YClient::connect(&server.ws_url(), project, &who.token).await;
    client.wait_synced().await;
    let book = model::read_book(&client.doc.transact()).expect("the book reads");
    client.close().await;
    book
}

fn page_photos(p: &Page) -> Vec<String> {
    p.items
        .iter()
        .filter(|i| i.kind == ItemKind::Photo)
        .filter_map(|i| i.photo.as_ref().map(|r| r.id.clone()))
        .collect()
}

/// How many times each photo is on an inside page (every page but the front cover).
fn inside_counts(book: &Book) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for page in book.pages.iter().filter(|p| p.kind != PageKind::FrontCover) {
        for id in page_photos(page) {
            *counts.entry(id).or_insert(0) += 1;
        }
    }
    counts
}

/// A book as automix designs it from `photos` with no person's page in it: a front cover
/// holding one of the photos and the title, then inside pages, all auto and by the system
/// user, holding every photo exactly once and nothing else.
fn assert_designed_from(book: &Book, photos: &[String], title: &str) {
    assert!(
        book.pages.len() >= 2,
        "a cover and inside pages: {:#?}",
        book.pages
    );
    for page in &book.pages {
        assert!(page.auto, "page {} is not auto", page.id);
        assert_eq!(
            page.created_by, SYSTEM,
            "page {} is not the system user's",
            page.id
        );
        assert!(page.layout.is_some(), "page {} has no layout", page.id);
    }
    let cover = &book.pages[0];
    assert_eq!(
        cover.kind,
        PageKind::FrontCover,
        "the first page is the front cover: {cover:?}"
    );
    assert_eq!(
        book.pages
            .iter()
            .filter(|p| p.kind == PageKind::FrontCover)
            .count(),
        1,
        "one front cover"
    );
    let cover_photos = page_photos(cover);
    assert_eq!(
        cover_photos.len(),
        1,
        "the cover holds one photo: {cover:?}"
    );
    assert!(
        photos.contains(&cover_photos[0]),
        "the cover photo is one of the group's: {cover:?}"
    );
    assert!(
        cover
            .items
            .iter()
            .any(|i| i.kind == ItemKind::Text && i.text.as_deref() == Some(title)),
        "the cover is titled {title:?}: {cover:?}"
    );
    let counts = inside_counts(book);
    let want: BTreeMap<String, usize> = photos.iter().map(|p| (p.clone(), 1)).collect();
    assert_eq!(
        counts, want,
        "the inside pages hold every photo of the group exactly once, and no other"
    );
}

// ---- 1. an upload gets a book -------------------------------------------------------------

#[tokio::test]
async fn an_upload_at_the_threshold_gets_a_book_and_its_owner_is_told() {
    // The default threshold (20) of `Config::test`, as the spec's seed 000 sets it.
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let jobs = Jobs::open(&server).await;
    let owner = api.signup("Owner").await;
    let other = api.signup("Other").await;

    // An open event stream of a project of the owner's, to hear the notification live.
    let elsewhere = api.create_project(&owner, "Something else").await;
    let mut events = open_events(&server.url, &elsewhere, &owner.token)
        .await
        .unwrap_or_else(|e| panic!("events stream refused: {e:?}"));

    let (group_id, photos) = upload(&api, &owner, 0, 20).await;
    let group = group(&api, &owner, &group_id).await;
    assert_eq!(group["source"], "upload", "{group}");
    assert_eq!(group["photo_count"], 20, "{group}");
    let name = group["name"].as_str().expect("group name").to_owned();

    // The notification reaches the open stream, with no request.
    let live = events.expect_event("notification", WAIT).await.json();
    assert_eq!(live["kind"], "proactive_book", "{live}");
    assert_eq!(live["user_id"], json!(owner.id), "{live}");
    let project_id = live["data"]["project_id"]
        .as_str()
        .unwrap_or_else(|| panic!("the notification names the project: {live}"))
        .to_owned();
    assert_eq!(live["data"]["group_id"], json!(group_id), "{live}");

    jobs.settled(&group_id).await;
    let project = the_book_of(&api, &owner, &group_id, "upload").await;
    assert_eq!(
        project["id"],
        json!(project_id),
        "the notified project is the book: {project}"
    );
    assert_eq!(
        project["title"],
        json!(name),
        "the book is titled with the group's name: {project}"
    );
    // Exactly one new project: the book (beside the one the owner made).
    assert_eq!(projects(&api, &owner).await.len(), 2);
    // Nobody else has it.
    assert!(books_of(&api, &other, &group_id).await.is_empty());
    let (status, body) = api
        .call(
            Method::GET,
            &format!("/api/projects/{project_id}"),
            Some(&other.token),
            None,
        )
        .await;
    assert!(
        status == StatusCode::NOT_FOUND || status == StatusCode::FORBIDDEN,
        "a stranger reads the book: {status} {body}"
    );

    // The book is designed from every photo of the upload.
    let book = book_now(&server, &owner, &project_id).await;
    assert_designed_from(&book, &photos, &name);
    assert_eq!(book.meta.title, name);
    assert_eq!(book.meta.theme, project["theme"].as_str().expect("theme"));

    // The notification is listed…
    let listed = book_notifications(&api, &owner).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    let n = &listed[0];
    assert_eq!(n["id"], live["id"], "{n}");
    assert_eq!(n["data"]["project_id"], json!(project_id), "{n}");
    assert_eq!(n["data"]["project_title"], json!(name), "{n}");
    assert_eq!(n["data"]["source"], "upload", "{n}");
    assert!(n["read_at"].is_null(), "{n}");
    assert!(book_notifications(&api, &other).await.is_empty());

    // …and a mail to the owner is in the outbox, pointing at the book.
    let email = email_of(&api, &owner).await;
    let store = server.store().await;
    let outbox = store.outbox(100).await.expect("outbox");
    let mails: Vec<_> = outbox.iter().filter(|m| m.to_email == email).collect();
    assert_eq!(mails.len(), 1, "one mail to the owner: {outbox:?}");
    assert!(
        mails[0].body.contains(&project_id),
        "the mail does not point at the book: {:?}",
        mails[0]
    );
    assert!(!mails[0].subject.is_empty(), "{:?}", mails[0]);
}

// ---- 2. an album grows into its range, then changes ---------------------------------------

#[tokio::test]
async fn an_album_growing_into_range_gets_one_book_that_is_redesigned_keeping_touched_pages() {
    let server = TestServer::start_with(|cfg| cfg.proactive_min = 5).await;
    let api = Api::new(&server.url);
    let jobs = Jobs::open(&server).await;
    let owner = api.signup("Owner").await;

    // Ten photos in uploads of four or fewer: no upload group reaches five.
    let (uploads, photos) = upload_in_batches(&api, &owner, 0, 10, 4).await;
    let album = create_album(&api, &owner, "Summer vacation").await;

    // Four photos: below the threshold, no book.
    add_to_album(&api, &owner, &album, &photos[..4]).await;
    let settled = jobs.settled(&album).await;
    assert_skipped(&settled, &album);
    for g in &uploads {
        assert_skipped(&jobs.settled(g).await, g);
    }
    assert!(
        projects(&api, &owner).await.is_empty(),
        "no group reached the threshold: {:?}",
        projects(&api, &owner).await
    );
    assert!(book_notifications(&api, &owner).await.is_empty());

    // Two more: the album enters its range and gets exactly one book.
    let grown = add_to_album(&api, &owner, &album, &photos[4..6]).await;
    assert_eq!(grown["photo_count"], 6, "{grown}");
    jobs.settled(&album).await;
    let project = the_book_of(&api, &owner, &album, "album").await;
    let project_id = project["id"].as_str().expect("project id").to_owned();
    assert_eq!(project["title"], "Summer vacation", "{project}");
    assert_eq!(
        project["theme"], "vacation",
        "the theme comes from the album's name: {project}"
    );
    assert_eq!(
        projects(&api, &owner).await.len(),
        1,
        "only the album got a book"
    );
    let book = book_now(&server, &owner, &project_id).await;
    assert_designed_from(&book, &photos[..6], "Summer vacation");
    assert_eq!(book.meta.theme, "vacation");
    let notes = book_notifications(&api, &owner).await;
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0]["data"]["project_id"], json!(project_id));
    assert_eq!(notes[0]["data"]["source"], "album");

    // A live editor makes an inside page theirs: no longer auto, with a caption of theirs.
    let editor = YClient::connect(&server.ws_url(), &project_id, &owner.token).await;
    editor.wait_synced().await;
    let touched = model::read_book(&editor.doc.transact())
        .expect("book")
        .pages
        .iter()
        .find(|p| p.kind == PageKind::Page)
        .expect("an inside page")
        .id
        .clone();
    let owner_id = owner.id.clone();
    let page_id = touched.clone();
    editor.edit(move |txn| {
        model::set_page_auto(txn, &page_id, false).expect("set auto");
        let caption = NewItem {
            id: "owners-caption".into(),
            kind: ItemKind::Text,
            bbox: [0.0, 0.4, 0.6, 0.1, 0.0],
            z: 50.0,
            created_by: owner_id,
            photo: None,
            text: Some("Best day of the summer".into()),
            style: Style::default(),
            slot: None,
        };
        model::add_item(txn, &page_id, caption).expect("add caption");
    });
    let kept: Page = model::read_book(&editor.doc.transact())
        .expect("book")
        .pages
        .into_iter()
        .find(|p| p.id == touched)
        .expect("the touched page");
    assert!(!kept.auto);
    // The server has the edit (a fresh client sees it) before the album changes again.
    let start = Instant::now();
    loop {
        let now = book_now(&server, &owner, &project_id).await;
        if now.pages.iter().any(|p| p == &kept) {
            break;
        }
        assert!(
            start.elapsed() < WAIT,
            "the editor's change never reached the server"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        editor.seen.lock().unwrap().denied.is_empty(),
        "the owner's edit was refused: {:?}",
        editor.seen.lock().unwrap().denied
    );

    // More photos: the same book is redesigned.
    let grown = add_to_album(&api, &owner, &album, &photos[6..10]).await;
    assert_eq!(grown["photo_count"], 10, "{grown}");
    jobs.settled(&album).await;
    let project = the_book_of(&api, &owner, &album, "album").await;
    assert_eq!(
        project["id"],
        json!(project_id),
        "the redesign is of the same book"
    );
    assert_eq!(projects(&api, &owner).await.len(), 1, "still one project");
    assert_eq!(
        book_notifications(&api, &owner).await.len(),
        1,
        "a redesign announces no new book"
    );

    let book = book_now(&server, &owner, &project_id).await;
    // The touched page is there once, exactly as the editor left it.
    let same: Vec<&Page> = book.pages.iter().filter(|p| p.id == touched).collect();
    assert_eq!(
        same.len(),
        1,
        "the touched page is kept once: {:#?}",
        book.pages
    );
    assert_eq!(same[0], &kept, "the redesign changed the touched page");
    // Every other page is the redesign's: auto, by the system user.
    for page in book.pages.iter().filter(|p| p.id != touched) {
        assert!(
            page.auto && page.created_by == SYSTEM,
            "page {} is neither kept nor designed: {page:?}",
            page.id
        );
    }
    assert_eq!(
        book.pages
            .iter()
            .filter(|p| p.kind == PageKind::FrontCover)
            .count(),
        1,
        "one front cover"
    );
    // The new photos are in the book; the redesigned pages hold every photo of the album
    // not on the kept page, once, and the kept page's photos are not placed again.
    let on_kept: HashSet<String> = page_photos(&kept).into_iter().collect();
    let counts = inside_counts(&book);
    for new in &photos[6..10] {
        assert!(
            counts.contains_key(new),
            "new photo {new} is not in the redesigned book: {counts:?}"
        );
    }
    let mut designed: BTreeMap<String, usize> = BTreeMap::new();
    for page in book
        .pages
        .iter()
        .filter(|p| p.id != touched && p.kind != PageKind::FrontCover)
    {
        for id in page_photos(page) {
            *designed.entry(id).or_insert(0) += 1;
        }
    }
    let want: BTreeMap<String, usize> = photos
        .iter()
        .filter(|p| !on_kept.contains(*p))
        .map(|p| (p.clone(), 1))
        .collect();
    assert_eq!(
        designed, want,
        "the redesigned pages hold every photo of the album not on the kept page exactly once"
    );
    let all: BTreeMap<String, usize> = photos.iter().map(|p| (p.clone(), 1)).collect();
    assert_eq!(
        counts, all,
        "the book's inside pages hold every photo of the album exactly once"
    );
    // The live editor sees the same book.
    assert!(
        eventually(WAIT, || model::read_book(&editor.doc.transact())
            .is_ok_and(|b| b == book))
        .await,
        "the live editor's book differs from the server's"
    );
    editor.close().await;
}

// ---- 3. print selections -----------------------------------------------------------------

#[tokio::test]
async fn a_print_selection_uses_its_own_threshold() {
    let server = TestServer::start_with(|cfg| {
        cfg.proactive_min = 8;
        cfg.proactive_min_print = 4;
    })
    .await;
    let api = Api::new(&server.url);
    let jobs = Jobs::open(&server).await;
    let owner = api.signup("Owner").await;

    let (upload_group, photos) = upload(&api, &owner, 0, 7).await;
    assert_skipped(&jobs.settled(&upload_group).await, &upload_group);

    // Four photos are enough for a print selection, not for an album.
    let album = create_album(&api, &owner, "Garden").await;
    add_to_album(&api, &owner, &album, &photos[..4]).await;
    assert_skipped(&jobs.settled(&album).await, &album);
    // Three are not enough for a print selection.
    let small = print_selection(&api, &owner, "Three prints", &photos[..3]).await;
    let small_id = small["id"].as_str().expect("group id").to_owned();
    assert_eq!(small["source"], "print", "{small}");
    assert_skipped(&jobs.settled(&small_id).await, &small_id);
    assert!(
        projects(&api, &owner).await.is_empty(),
        "{:?}",
        projects(&api, &owner).await
    );

    let picked = &photos[2..6];
    let prints = print_selection(&api, &owner, "Prints for grandma", picked).await;
    let prints_id = prints["id"].as_str().expect("group id").to_owned();
    assert_eq!(prints["photo_count"], 4, "{prints}");
    jobs.settled(&prints_id).await;
    let project = the_book_of(&api, &owner, &prints_id, "print").await;
    assert_eq!(project["title"], "Prints for grandma", "{project}");
    assert_eq!(
        projects(&api, &owner).await.len(),
        1,
        "only the print selection got a book"
    );
    let book = book_now(&server, &owner, project["id"].as_str().expect("id")).await;
    assert_designed_from(&book, picked, "Prints for grandma");
    let notes = book_notifications(&api, &owner).await;
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0]["data"]["source"], "print", "{}", notes[0]);
}

// ---- 4. turned off -------------------------------------------------------------------------

#[tokio::test]
async fn a_zero_threshold_turns_proactive_books_off() {
    let server = TestServer::start_with(|cfg| {
        cfg.proactive_min = 0;
        cfg.proactive_min_print = 0;
    })
    .await;
    let api = Api::new(&server.url);
    let jobs = Jobs::open(&server).await;
    let owner = api.signup("Owner").await;

    // Groups that would all be in range with any threshold up to six.
    let (_, photos) = upload(&api, &owner, 0, 6).await;
    let album = create_album(&api, &owner, "Birthday party").await;
    add_to_album(&api, &owner, &album, &photos).await;
    print_selection(&api, &owner, "All of them", &photos).await;

    // Nothing is queued for them; and (a short complement) no book appears within ten delays.
    assert_eq!(
        jobs.count_all().await,
        0,
        "proactive jobs were queued with proactive books off"
    );
    tokio::time::sleep(Duration::from_millis(2000)).await;
    assert_eq!(
        jobs.count_all().await,
        0,
        "proactive jobs were queued with proactive books off"
    );
    assert!(
        projects(&api, &owner).await.is_empty(),
        "{:?}",
        projects(&api, &owner).await
    );
    assert!(book_notifications(&api, &owner).await.is_empty());
}

// ---- 5. bursts -----------------------------------------------------------------------------

#[tokio::test]
async fn a_burst_of_changes_never_makes_a_second_book() {
    let server = TestServer::start_with(|cfg| cfg.proactive_min = 5).await;
    let api = Api::new(&server.url);
    let jobs = Jobs::open(&server).await;
    let owner = api.signup("Owner").await;

    let (uploads, photos) = upload_in_batches(&api, &owner, 0, 12, 3).await;
    let album = create_album(&api, &owner, "Burst").await;

    // Six additions at once: the album passes the threshold in the middle of the burst.
    let burst = photos[..6].iter().map(|p| {
        let (api, owner, album, p) = (api.clone(), owner.clone(), album.clone(), p.clone());
        async move { add_to_album(&api, &owner, &album, &[p]).await }
    });
    futures_util::future::join_all(burst).await;
    // Then six more, some while the book is being designed (every 100 ms, the delay is 200).
    for p in &photos[6..12] {
        add_to_album(&api, &owner, &album, std::slice::from_ref(p)).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    jobs.settled(&album).await;
    for g in &uploads {
        assert_skipped(&jobs.settled(g).await, g);
    }

    let project = the_book_of(&api, &owner, &album, "album").await;
    assert_eq!(
        projects(&api, &owner).await.len(),
        1,
        "one project in all: {:?}",
        projects(&api, &owner).await
    );
    let notes = book_notifications(&api, &owner).await;
    assert_eq!(notes.len(), 1, "one book, announced once: {notes:?}");
    assert_eq!(notes[0]["data"]["project_id"], project["id"]);

    // The one book is designed from the whole album, the photos added last included (a
    // change that lands while a run is finishing gets a follow-up run): each photo on it
    // once, all of them the album's.
    let id = project["id"].as_str().expect("id").to_owned();
    let mut counts = inside_counts(&book_now(&server, &owner, &id).await);
    for _ in 0..300 {
        if photos.iter().all(|p| counts.contains_key(p)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        counts = inside_counts(&book_now(&server, &owner, &id).await);
    }
    let book = book_now(&server, &owner, &id).await;
    let album_photos: HashSet<&String> = photos.iter().collect();
    assert!(
        counts.values().all(|&n| n == 1),
        "a photo is on two pages: {counts:?}"
    );
    assert!(
        counts.keys().all(|p| album_photos.contains(p)),
        "a photo from outside the album: {counts:?}"
    );
    for p in &photos {
        assert!(
            counts.contains_key(p),
            "album photo {p} is not in the book: {counts:?}"
        );
    }
    assert!(
        book.pages.iter().all(|p| p.auto && p.created_by == SYSTEM),
        "{:#?}",
        book.pages
    );
}

/// Uploads pictures `from..to` straight into an album: the photo ids.
async fn upload_into(api: &Api, who: &Account, album: &str, from: usize, to: usize) -> Vec<String> {
    let pictures: Vec<(String, Vec<u8>)> = (from..to)
        .map(|i| (format!("IMG_{i:04}.jpg"), picture(i)))
        .collect();
    let files: Vec<(&str, &[u8])> = pictures
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let (status, body) = api.upload(&who.token, &files, Some(album)).await;
    assert_eq!(status, StatusCode::OK, "upload: {body}");
    body["photos"]
        .as_array()
        .expect("photos")
        .iter()
        .map(|p| p["id"].as_str().expect("id").to_owned())
        .collect()
}

/// The issue's own scenario, with the default thresholds: 20 photos uploaded into an album
/// named "Hawaii Vacation" make a vacation book and a notification; 5 more update the auto
/// pages and keep a page the user had edited.
#[tokio::test]
async fn twenty_photos_into_hawaii_vacation_make_a_book_and_five_more_update_it() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let jobs = Jobs::open(&server).await;
    let owner = api.signup("Owner").await;
    let album = create_album(&api, &owner, "Hawaii Vacation").await;

    let mut photos = upload_into(&api, &owner, &album, 0, 20).await;
    assert_eq!(photos.len(), 20);
    jobs.settled(&album).await;
    let project = the_book_of(&api, &owner, &album, "album").await;
    let project_id = project["id"].as_str().expect("project id").to_owned();
    assert_eq!(project["theme"], "vacation", "{project}");
    assert_eq!(
        projects(&api, &owner).await.len(),
        1,
        "one book, for the album: {:?}",
        projects(&api, &owner).await
    );
    let notes = book_notifications(&api, &owner).await;
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0]["data"]["project_id"], json!(project_id));
    assert_designed_from(
        &book_now(&server, &owner, &project_id).await,
        &photos,
        "Hawaii Vacation",
    );

    // The user edits an inside page.
    let editor = YClient::connect(&server.ws_url(), &project_id, &owner.token).await;
    editor.wait_synced().await;
    let touched = model::read_book(&editor.doc.transact())
        .expect("book")
        .pages
        .iter()
        .find(|p| p.kind == PageKind::Page)
        .expect("an inside page")
        .id
        .clone();
    let (page_id, owner_id) = (touched.clone(), owner.id.clone());
    editor.edit(move |txn| {
        model::set_page_auto(txn, &page_id, false).expect("set auto");
        let note = NewItem {
            id: "aloha".into(),
            kind: ItemKind::Text,
            bbox: [0.0, 0.4, 0.6, 0.1, 0.0],
            z: 50.0,
            created_by: owner_id,
            photo: None,
            text: Some("Aloha".into()),
            style: Style::default(),
            slot: None,
        };
        model::add_item(txn, &page_id, note).expect("add note");
    });
    let kept: Page = model::read_book(&editor.doc.transact())
        .expect("book")
        .pages
        .into_iter()
        .find(|p| p.id == touched)
        .expect("the page");
    let start = Instant::now();
    while !book_now(&server, &owner, &project_id)
        .await
        .pages
        .iter()
        .any(|p| p == &kept)
    {
        assert!(start.elapsed() < WAIT, "the edit never reached the server");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let before: HashSet<String> = book_now(&server, &owner, &project_id)
        .await
        .pages
        .iter()
        .filter(|p| p.id != touched)
        .map(|p| p.id.clone())
        .collect();

    // Five more: the auto pages are redone with them; the edited page stays as it was.
    photos.extend(upload_into(&api, &owner, &album, 20, 25).await);
    let start = Instant::now();
    let book = loop {
        jobs.settled(&album).await;
        let book = book_now(&server, &owner, &project_id).await;
        let counts = inside_counts(&book);
        if photos[20..].iter().all(|p| counts.contains_key(p)) {
            break book;
        }
        assert!(
            start.elapsed() < WAIT,
            "the five new photos never reached the book: {counts:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(projects(&api, &owner).await.len(), 1, "still one book");
    let same: Vec<&Page> = book.pages.iter().filter(|p| p.id == touched).collect();
    assert_eq!(same.len(), 1, "the edited page is kept once");
    assert_eq!(same[0], &kept, "the edited page is unchanged");
    for page in book.pages.iter().filter(|p| p.id != touched) {
        assert!(
            page.auto && page.created_by == SYSTEM && !before.contains(&page.id),
            "page {} was not redone: {page:?}",
            page.id
        );
    }
    let counts = inside_counts(&book);
    assert!(
        counts.values().all(|&n| n == 1),
        "a photo is on two pages: {counts:?}"
    );
    assert!(
        photos.iter().all(|p| counts.contains_key(p)),
        "every album photo is in the book: {counts:?}"
    );
}
