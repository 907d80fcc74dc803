//! Who may reach whom and what (issue 18, findings 3, 7 and 9), on SQLite and PostgreSQL:
//! members are added by PUT only from the manager's friends, an item's photo must be one its
//! writer may see, a placement shows a photo only when it was made by someone who could see
//! it, an invite never outlives or outranks its maker, and only managers see members' emails.
//!
//! Each end-to-end scenario runs once per database (`sqlite` and `postgres`), against a real
//! server driven over HTTP and the WebSocket, the way an attacker would drive it.

use std::time::Duration;

use chrono::Utc;
use crdt_schema::model::{self, Background, ItemKind, NewItem, NewPage, PageKind, PhotoRef, Style};
use folio_server::access::Role;
use folio_server::ids::{InviteId, NotificationId, PhotoId, ProjectId, UserId};
use folio_server::store::{
    AcceptOutcome, Invite, InviteRefusal, Notification, PhotoRecord, Project, Store,
};
use folio_tests::http::Account;
use folio_tests::{eventually, test_both_dbs, Api, TestServer, YClient};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use yrs::Transact;

const WAIT: Duration = Duration::from_secs(15);

/// Runs `$scenario(server)` once on a SQLite server and once on a PostgreSQL one.
macro_rules! on_both_dbs {
    ($name:ident, $scenario:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$scenario(folio_tests::TestServer::start().await).await;
            }

            #[tokio::test]
            async fn postgres() {
                let Some(server) = folio_tests::TestServer::start_pg().await else {
                    return;
                };
                super::$scenario(server).await;
            }
        }
    };
}

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

async fn email_of(api: &Api, who: &Account) -> String {
    let (status, me) = api
        .call(Method::GET, "/api/me", Some(&who.token), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{me}");
    me["user"]["email"].as_str().expect("email").to_owned()
}

/// Uploads one JPEG for `who`; its id.
async fn upload(api: &Api, who: &Account) -> String {
    let bytes = folio_tests::pictures::gradient_jpeg(320, 240);
    let (status, body) = api.upload(&who.token, &[("photo.jpg", &bytes)], None).await;
    assert_eq!(status, StatusCode::OK, "upload: {body}");
    body["photos"][0]["id"]
        .as_str()
        .expect("photo id")
        .to_owned()
}

/// The status of `GET /api/photos/{id}` and of its original file, as `who`.
async fn photo_access(api: &Api, who: &Account, id: &str) -> (StatusCode, StatusCode) {
    let (json_status, _) = api
        .call(
            Method::GET,
            &format!("/api/photos/{id}"),
            Some(&who.token),
            None,
        )
        .await;
    let (file_status, _, _) = api
        .get_bytes(&format!("/api/photos/{id}/file"), Some(&who.token))
        .await;
    (json_status, file_status)
}

fn photo_item(user: &str, item_id: &str, photo: &str) -> NewItem {
    NewItem {
        id: item_id.to_owned(),
        kind: ItemKind::Photo,
        bbox: [0.0, 0.0, 0.5, 0.5, 0.0],
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

fn new_page(user: &str) -> NewPage {
    NewPage {
        id: uuid::Uuid::new_v4().to_string(),
        kind: PageKind::Page,
        layout: None,
        background: Background::default(),
        created_by: user.to_owned(),
        auto: false,
    }
}

/// The photo of item `item_id` in `doc`, if the item exists.
fn photo_of(doc: &yrs::Doc, item_id: &str) -> Option<Option<String>> {
    let book = model::read_book(&doc.transact()).ok()?;
    let item = book
        .pages
        .iter()
        .flat_map(|p| &p.items)
        .find(|i| i.id == item_id)?;
    Some(item.photo.as_ref().map(|p| p.id.clone()))
}

/// Runs `edit` on a live client of `who` and waits until the server either refuses it
/// (`Err(reason)`) or keeps it: a second client that joins afterwards sees `kept` hold.
async fn write(
    server: &TestServer,
    project: &str,
    who: &Account,
    edit: impl FnOnce(&mut yrs::TransactionMut),
    kept: impl Fn(&yrs::Doc) -> bool,
) -> Result<(), String> {
    let c = YClient::connect(&server.ws_url(), project, &who.token).await;
    c.wait_synced().await;
    c.edit(edit);
    let settled = eventually(WAIT, || {
        !c.seen.lock().unwrap().denied.is_empty() || kept(&c.doc)
    })
    .await;
    assert!(settled, "the edit was neither refused nor applied");
    // A refusal arrives quickly; give it the chance before looking at the server's copy.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let denied = c.seen.lock().unwrap().denied.clone();
    let late = YClient::connect(&server.ws_url(), project, &who.token).await;
    late.wait_synced().await;
    if !denied.is_empty() {
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(!kept(&late.doc), "a refused edit was kept: {denied:?}");
        return Err(denied.join("; "));
    }
    assert!(
        eventually(WAIT, || kept(&late.doc)).await,
        "the server did not keep the edit"
    );
    assert!(c.closed().is_none(), "{:?}", c.closed());
    Ok(())
}

/// Appends `edit` to the stored book directly, as if it had been accepted before the photo
/// check existed (no room sees it; readers of the durable book do).
async fn legacy_write(
    server: &TestServer,
    project: &str,
    edit: impl FnOnce(&mut yrs::TransactionMut),
) {
    use yrs::updates::decoder::Decode;
    let store = server.store().await;
    let project: ProjectId = project.parse().expect("project id");
    let stored = store.load_doc(project).await.expect("load the book");
    let doc = yrs::Doc::new();
    {
        let mut txn = doc.transact_mut();
        for bytes in stored
            .snapshot
            .iter()
            .chain(stored.updates.iter().map(|(_, u)| u))
        {
            txn.apply_update(yrs::Update::decode_v1(bytes).expect("decode"))
                .expect("apply");
        }
    }
    let update = {
        let mut txn = doc.transact_mut();
        edit(&mut txn);
        txn.encode_update_v1()
    };
    store
        .append_updates(project, &[update.as_slice()], Utc::now())
        .await
        .expect("append");
}

/// `who` adds a page holding a photo item of `photo`; the page's and the item's ids.
async fn place(
    server: &TestServer,
    project: &str,
    who: &Account,
    photo: &str,
) -> Result<(String, String), String> {
    let page = new_page(&who.id);
    let (page_id, item_id) = (page.id.clone(), uuid::Uuid::new_v4().to_string());
    let item = photo_item(&who.id, &item_id, photo);
    let want = photo.to_owned();
    let check = item_id.clone();
    write(
        server,
        project,
        who,
        move |txn| {
            let id = model::add_page(txn, 0, page).expect("add page");
            model::add_item(txn, &id, item).expect("add item");
        },
        move |doc| photo_of(doc, &check) == Some(Some(want.clone())),
    )
    .await?;
    Ok((page_id, item_id))
}

/// `who` sets the photo of an existing item (a pan, or another photo).
async fn set_photo(
    server: &TestServer,
    project: &str,
    who: &Account,
    page_id: &str,
    item_id: &str,
    photo: PhotoRef,
) -> Result<(), String> {
    let (page, item, want) = (page_id.to_owned(), item_id.to_owned(), photo.clone());
    let check = item_id.to_owned();
    write(
        server,
        project,
        who,
        move |txn| model::set_photo(txn, &page, &item, photo).expect("set photo"),
        move |doc| {
            model::read_book(&doc.transact()).is_ok_and(|b| {
                b.pages
                    .iter()
                    .flat_map(|p| &p.items)
                    .any(|i| i.id == check && i.photo.as_ref() == Some(&want))
            })
        },
    )
    .await
}

mod emails;
mod invites;
mod placed_photos;
mod private_photos;
mod stores;
