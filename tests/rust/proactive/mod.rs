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

mod album;
mod bursts;
mod hawaii;
mod print_selection;
mod turned_off;
mod upload;

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
