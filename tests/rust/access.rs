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

// ---------------------------------------------------------------------------------------
// Finding 3: a stranger cannot reach a private photo

async fn a_stranger_cannot_reach_a_private_photo(server: TestServer) {
    let api = Api::new(&server.url);
    let victim = api.signup("Vera").await;
    let stranger = api.signup("Sid").await;
    let victim_email = email_of(&api, &victim).await;
    let private = upload(&api, &victim).await;
    let book = api.create_project(&stranger, "Bait").await;

    // Step 1, refused: the stranger cannot put Vera in their book, and learns nothing of her.
    let (status, body) = api
        .call(
            Method::PUT,
            &format!("/api/projects/{book}/members/{}", victim.id),
            Some(&stranger.token),
            Some(json!({"role": "viewer"})),
        )
        .await;
    assert_error(status, &body, 403, "not_a_friend");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("invite"),
        "the refusal should point to invites: {body}"
    );
    assert!(
        !body.to_string().contains(&victim_email),
        "the refusal shows Vera's email: {body}"
    );
    let (status, _) = api
        .call(
            Method::GET,
            &format!("/api/projects/{book}"),
            Some(&victim.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "Vera became a member anyway");
    assert_eq!(
        photo_access(&api, &stranger, &private).await,
        (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND)
    );

    // Even once Vera joins by an invite she accepted, Sid cannot place her private photo.
    api.join_by_invite(&stranger, &book, &victim, "contributor")
        .await;
    let reason = place(&server, &book, &stranger, &private)
        .await
        .expect_err("Sid placed Vera's private photo");
    assert!(
        reason.contains(&format!("photo {private} is not yours to place")),
        "{reason}"
    );
    assert_eq!(
        photo_access(&api, &stranger, &private).await,
        (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND)
    );
    // Nor through automix.
    let (status, body) = api
        .call(
            Method::POST,
            &format!("/api/projects/{book}/automix"),
            Some(&stranger.token),
            Some(json!({"photo_ids": [private]})),
        )
        .await;
    assert_error(status, &body, 404, "photo_not_found");

    // What Vera places herself, the book's members see; Sid, who manages the book, cannot
    // swap her private photo into her item either.
    let shown = upload(&api, &victim).await;
    let (page, item) = place(&server, &book, &victim, &shown)
        .await
        .expect("Vera places her own photo");
    assert_eq!(
        photo_access(&api, &stranger, &shown).await,
        (StatusCode::OK, StatusCode::OK)
    );
    let swap = PhotoRef {
        id: private.clone(),
        pan: [0.0, 0.0],
        zoom: 1.0,
    };
    let reason = set_photo(&server, &book, &stranger, &page, &item, swap)
        .await
        .expect_err("Sid swapped in Vera's private photo");
    assert!(reason.contains("is not yours to place"), "{reason}");
    assert_eq!(
        photo_access(&api, &stranger, &private).await,
        (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND)
    );
    // Ids that name no photo are refused the same way, so none can be probed.
    for ghost in [uuid::Uuid::new_v4().to_string(), "not-a-photo".to_owned()] {
        let reason = place(&server, &book, &stranger, &ghost)
            .await
            .expect_err("a photo id that names nothing was placed");
        assert!(reason.contains("is not yours to place"), "{reason}");
    }

    // An item Sid made before this check existed (written straight to the stored book here)
    // counts for nothing: he did not make it as someone who could see the photo.
    let sid = stranger.id.clone();
    let (sneak_page, sneak_item) = (
        new_page(&sid),
        photo_item(&sid, &uuid::Uuid::new_v4().to_string(), &private),
    );
    legacy_write(&server, &book, move |txn| {
        let id = model::add_page(txn, 0, sneak_page).expect("add page");
        model::add_item(txn, &id, sneak_item).expect("add item");
    })
    .await;
    assert_eq!(
        photo_access(&api, &stranger, &private).await,
        (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND),
        "an unchecked placement showed the photo"
    );
    let (status, report) = api
        .call(
            Method::GET,
            &format!("/api/projects/{book}/preflight"),
            Some(&stranger.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert!(
        report.to_string().contains("missing_photo"),
        "the unchecked placement would print: {report}"
    );

    // When Vera leaves, the book shows nothing of hers any more.
    let (status, body) = api
        .call(
            Method::DELETE,
            &format!("/api/projects/{book}/members/{}", victim.id),
            Some(&victim.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(
        photo_access(&api, &stranger, &shown).await,
        (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND)
    );
}
on_both_dbs!(
    a_stranger_cannot_reach_a_private_photo_at_any_step,
    a_stranger_cannot_reach_a_private_photo
);

// ---------------------------------------------------------------------------------------
// Finding 3, the honest side: what a friend places stays visible

async fn a_photo_a_member_places_stays_visible_to_the_book(server: TestServer) {
    let api = Api::new(&server.url);
    let owner = api.signup("Olga").await;
    let friend = api.signup("Fred").await;
    let editor = api.signup("Edda").await;
    let viewer = api.signup("Vik").await;
    let book = api.create_project(&owner, "Holidays").await;
    for (who, role) in [
        (&friend, "contributor"),
        (&editor, "editor"),
        (&viewer, "viewer"),
    ] {
        let (status, body) = api.set_role(&owner, &book, who, role).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    // Fred now shares a book with Olga, so she adds him to another one directly.
    let other = api.create_project(&owner, "Next year").await;
    let (status, body) = api
        .call(
            Method::PUT,
            &format!("/api/projects/{other}/members/{}", friend.id),
            Some(&owner.token),
            Some(json!({"role": "editor"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "a friend is added by PUT: {body}");
    assert_eq!(body["role"], "editor", "{body}");

    let photo = upload(&api, &friend).await;
    let (page, item) = place(&server, &book, &friend, &photo)
        .await
        .expect("Fred places his own photo");
    for who in [&owner, &editor, &viewer] {
        assert_eq!(
            photo_access(&api, who, &photo).await,
            (StatusCode::OK, StatusCode::OK),
            "{} sees Fred's photo",
            who.name
        );
    }

    // Edda, an editor who does not own it, pans it, then deletes the item: gone from the book,
    // the photo is Fred's again alone.
    let panned = PhotoRef {
        id: photo.clone(),
        pan: [0.1, -0.1],
        zoom: 1.5,
    };
    set_photo(&server, &book, &editor, &page, &item, panned)
        .await
        .expect("an editor pans a placed photo");
    let removed = item.clone();
    write(
        &server,
        &book,
        &editor,
        |txn| model::remove_item(txn, &page, &removed).expect("remove item"),
        |doc| photo_of(doc, &removed).is_none(),
    )
    .await
    .expect("an editor deletes the item");
    assert_eq!(
        photo_access(&api, &viewer, &photo).await,
        (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND),
        "the viewer sees it after it left the book"
    );
    // Edda cannot carry it into a book of her own now ...
    let edda_book = api.create_project(&editor, "Edda's").await;
    assert!(
        place(&server, &edda_book, &editor, &photo).await.is_err(),
        "Edda carried the photo out once it had left the book"
    );
    // ... but, as Fred placed it in this book, its members may place it here again (so an
    // Undo of the deletion works), and it shows again.
    place(&server, &book, &editor, &photo)
        .await
        .expect("an editor places again a photo that was in the book");
    assert_eq!(
        photo_access(&api, &viewer, &photo).await,
        (StatusCode::OK, StatusCode::OK),
        "the viewer sees it again"
    );

    // It prints: preflight finds it.
    let (status, report) = api
        .call(
            Method::GET,
            &format!("/api/projects/{book}/preflight"),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert!(!report.to_string().contains("missing_photo"), "{report}");
}
on_both_dbs!(
    a_photo_a_member_places_stays_visible,
    a_photo_a_member_places_stays_visible_to_the_book
);

// ---------------------------------------------------------------------------------------
// Finding 7: an invite never outlives or outranks its maker

async fn an_invite_acts_for_its_maker(server: TestServer) {
    let api = Api::new(&server.url);
    let owner = api.signup("Owen").await;
    let manager = api.signup("Mia").await;
    let other = api.signup("Nat").await;
    let book = api.create_project(&owner, "Reunion").await;
    api.set_role(&owner, &book, &manager, "manager").await;
    api.set_role(&owner, &book, &other, "manager").await;

    // Mia makes the longest, widest manager link there is, and is removed.
    let (status, created) = api
        .call(
            Method::POST,
            &format!("/api/projects/{book}/invites"),
            Some(&manager.token),
            Some(json!({"role": "manager", "expires_in_s": 365 * 24 * 3600, "max_uses": 10_000})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let token = created["token"].as_str().unwrap().to_owned();
    let (status, body) = api
        .call(
            Method::DELETE,
            &format!("/api/projects/{book}/members/{}", manager.id),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");

    // Her link died with her membership: she cannot come back through it, nor can anyone.
    let (status, body) = api
        .call(
            Method::POST,
            &format!("/api/invites/{token}/accept"),
            Some(&manager.token),
            None,
        )
        .await;
    assert_error(status, &body, 410, "invite_revoked");
    let (status, _) = api
        .call(
            Method::GET,
            &format!("/api/projects/{book}"),
            Some(&manager.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the removed manager is back");
    let newcomer = api.signup("Nia").await;
    let (status, body) = api
        .call(
            Method::POST,
            &format!("/api/invites/{token}/accept"),
            Some(&newcomer.token),
            None,
        )
        .await;
    assert_error(status, &body, 410, "invite_revoked");
    let (status, body) = api
        .call(Method::GET, &format!("/api/invites/{token}"), None, None)
        .await;
    assert_error(status, &body, 410, "invite_revoked");
    let (_, list) = api
        .call(
            Method::GET,
            &format!("/api/projects/{book}/invites"),
            Some(&owner.token),
            None,
        )
        .await;
    let listed = list
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == created["invite"]["id"])
        .cloned()
        .expect("listed");
    assert_eq!(listed["state"], "revoked", "{listed}");

    // Nat's manager link, once Nat is a viewer, admits people as viewers only.
    let (status, created) = api
        .call(
            Method::POST,
            &format!("/api/projects/{book}/invites"),
            Some(&other.token),
            Some(json!({"role": "manager"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let token = created["token"].as_str().unwrap().to_owned();
    let (status, body) = api.set_role(&owner, &book, &other, "viewer").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, offer) = api
        .call(Method::GET, &format!("/api/invites/{token}"), None, None)
        .await;
    assert_eq!(
        (status, offer["role"].clone()),
        (StatusCode::OK, json!("viewer")),
        "{offer}"
    );
    let (status, joined) = api
        .call(
            Method::POST,
            &format!("/api/invites/{token}/accept"),
            Some(&newcomer.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{joined}");
    assert_eq!(
        (joined["role"].clone(), joined["joined"].clone()),
        (json!("viewer"), json!(true)),
        "{joined}"
    );
    let (status, joined) = api
        .call(
            Method::POST,
            &format!("/api/invites/{token}/accept"),
            Some(&other.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{joined}");
    assert_eq!(
        (joined["role"].clone(), joined["joined"].clone()),
        (json!("viewer"), json!(false)),
        "Nat raised himself: {joined}"
    );
}
on_both_dbs!(
    an_invite_never_outlives_or_outranks_its_maker,
    an_invite_acts_for_its_maker
);

// ---------------------------------------------------------------------------------------
// Finding 9: only managers see emails

async fn only_managers_see_member_emails(server: TestServer) {
    let api = Api::new(&server.url);
    let owner = api.signup("Oona").await;
    let viewer = api.signup("Vince").await;
    let editor = api.signup("Elio").await;
    let book = api.create_project(&owner, "Family").await;
    api.set_role(&owner, &book, &viewer, "viewer").await;
    api.set_role(&owner, &book, &editor, "editor").await;
    let emails = [
        email_of(&api, &owner).await,
        email_of(&api, &viewer).await,
        email_of(&api, &editor).await,
    ];

    for who in [&viewer, &editor] {
        let (status, list) = api
            .call(
                Method::GET,
                &format!("/api/projects/{book}/members"),
                Some(&who.token),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{list}");
        let members = list.as_array().expect("a list");
        assert_eq!(members.len(), 3, "{list}");
        for m in members {
            assert!(
                m["user"]["id"].is_string()
                    && m["user"]["name"].is_string()
                    && m["role"].is_string(),
                "{m}"
            );
            assert!(
                m["user"].get("email").is_none(),
                "{} sees an email: {m}",
                who.name
            );
        }
        for e in &emails {
            assert!(
                !list.to_string().contains(e.as_str()),
                "{} sees {e}",
                who.name
            );
        }
    }
    let (status, list) = api
        .call(
            Method::GET,
            &format!("/api/projects/{book}/members"),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let seen: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["user"]["email"].as_str())
        .collect();
    assert_eq!(
        seen,
        emails.iter().map(String::as_str).collect::<Vec<_>>(),
        "the manager sees every email: {list}"
    );
}
on_both_dbs!(only_managers_see_emails, only_managers_see_member_emails);

// ---------------------------------------------------------------------------------------
// The same answers from both stores

fn now() -> chrono::DateTime<Utc> {
    use chrono::SubsecRound;
    Utc::now().trunc_subsecs(6)
}

async fn user(store: &dyn Store, name: &str) -> UserId {
    store
        .create_user(&folio_tests::unique_email(name), name, "hash", now())
        .await
        .expect("create user")
        .id
}

async fn project(store: &dyn Store, owner: UserId) -> ProjectId {
    let p = Project {
        id: ProjectId::new(),
        title: "Trip".into(),
        owner_id: owner,
        product: "square-8x8".into(),
        theme: "everyday".into(),
        created_at: now(),
        updated_at: now(),
        origin: None,
    };
    store
        .create_project(&p, b"first")
        .await
        .expect("create project");
    p.id
}

async fn invite(
    store: &dyn Store,
    project: ProjectId,
    by: UserId,
    role: Role,
    token: &[u8],
) -> InviteId {
    let i = Invite {
        id: InviteId::new(),
        project_id: project,
        role,
        created_by: by,
        email: None,
        created_at: now(),
        expires_at: None,
        max_uses: None,
        uses: 0,
        revoked_at: None,
    };
    store
        .create_invite(&i, token, None)
        .await
        .expect("create invite");
    i.id
}

async fn accept(store: &dyn Store, token: &[u8], user: UserId, inviter: UserId) -> AcceptOutcome {
    let n = Notification {
        id: NotificationId::new(),
        user_id: inviter,
        kind: "invite_accepted".into(),
        data: json!({}),
        created_at: now(),
        read_at: None,
    };
    store
        .accept_invite(token, user, now(), &n)
        .await
        .expect("accept")
        .1
}

test_both_dbs!(invites_act_for_their_maker_in_the_store, async |store| {
    let owner = user(&*store, "Owner").await;
    let mia = user(&*store, "Mia").await;
    let nat = user(&*store, "Nat").await;
    let guest = user(&*store, "Guest").await;
    let p = project(&*store, owner).await;
    store
        .set_member(p, mia, Role::Manager, now())
        .await
        .unwrap();
    store
        .set_member(p, nat, Role::Manager, now())
        .await
        .unwrap();
    let miass = invite(&*store, p, mia, Role::Manager, b"mia-manager").await;
    let nats_editor = invite(&*store, p, nat, Role::Editor, b"nat-editor").await;
    let nats_viewer = invite(&*store, p, nat, Role::Viewer, b"nat-viewer").await;
    let owners = invite(&*store, p, owner, Role::Manager, b"owner-manager").await;

    // Demoting Nat caps his invites at his new role; lower ones stay as they were.
    store
        .set_member(p, nat, Role::Commenter, now())
        .await
        .unwrap();
    // Removing Mia revokes hers; the owner's are untouched.
    store.remove_member(p, mia, now()).await.unwrap();
    let listed: Vec<(InviteId, Role, bool)> = store
        .invites(p)
        .await
        .unwrap()
        .into_iter()
        .map(|i| (i.id, i.role, i.revoked_at.is_some()))
        .collect();
    let find = |id: InviteId| listed.iter().find(|l| l.0 == id).copied().expect("listed");
    assert_eq!(find(miass), (miass, Role::Manager, true));
    assert_eq!(find(nats_editor), (nats_editor, Role::Commenter, false));
    assert_eq!(find(nats_viewer), (nats_viewer, Role::Viewer, false));
    assert_eq!(find(owners), (owners, Role::Manager, false));

    assert_eq!(
        accept(&*store, b"mia-manager", mia, mia).await,
        AcceptOutcome::Refused(InviteRefusal::Revoked)
    );
    assert_eq!(store.role_of(p, mia).await.unwrap(), None);
    assert_eq!(
        accept(&*store, b"nat-editor", guest, nat).await,
        AcceptOutcome::Joined(Role::Commenter)
    );
    assert_eq!(
        store.role_of(p, guest).await.unwrap(),
        Some(Role::Commenter)
    );

    // The accept itself holds a link to its maker's standing, whatever the rows say: a link
    // whose maker is not a member is revoked when used, and one above its maker's role
    // grants the maker's role.
    let stranger = user(&*store, "Stranger").await;
    let stray = invite(&*store, p, stranger, Role::Manager, b"stray").await;
    assert_eq!(
        accept(&*store, b"stray", stranger, stranger).await,
        AcceptOutcome::Refused(InviteRefusal::Revoked)
    );
    assert_eq!(store.role_of(p, stranger).await.unwrap(), None);
    assert!(store
        .invites(p)
        .await
        .unwrap()
        .iter()
        .find(|i| i.id == stray)
        .unwrap()
        .revoked_at
        .is_some());
    let viewer = user(&*store, "Viewer").await;
    store
        .set_member(p, viewer, Role::Viewer, now())
        .await
        .unwrap();
    invite(&*store, p, viewer, Role::Manager, b"above").await;
    let joiner = user(&*store, "Joiner").await;
    assert_eq!(
        accept(&*store, b"above", joiner, viewer).await,
        AcceptOutcome::Joined(Role::Viewer)
    );
    assert_eq!(
        accept(&*store, b"above", viewer, viewer).await,
        AcceptOutcome::AlreadyMember(Role::Viewer)
    );
});

test_both_dbs!(
    placements_are_recorded_once_per_book_and_photo,
    async |store| {
        let owner = user(&*store, "Owner").await;
        let p = project(&*store, owner).await;
        let q = project(&*store, owner).await;
        let photo = PhotoRecord {
            id: PhotoId::new(),
            owner_id: owner,
            name: "a.jpg".into(),
            remote: false,
            meta: json!({}),
            created_at: now(),
            tags: Vec::new(),
        };
        store.insert_photo(&photo).await.unwrap();
        let missing = PhotoId::new();

        assert!(!store.placement_recorded(p, photo.id).await.unwrap());
        // A photo that does not exist is skipped; recording again changes nothing.
        store
            .record_placements(p, &[photo.id, missing], Some(owner), now())
            .await
            .unwrap();
        store
            .record_placements(p, &[photo.id], None, now())
            .await
            .unwrap();
        assert!(store.placement_recorded(p, photo.id).await.unwrap());
        assert!(!store.placement_recorded(p, missing).await.unwrap());
        assert!(
            !store.placement_recorded(q, photo.id).await.unwrap(),
            "a placement belongs to one book"
        );
        let r = store
            .record_placements(ProjectId::new(), &[photo.id], None, now())
            .await;
        assert!(
            matches!(r, Err(folio_server::store::StoreError::NotFound)),
            "{r:?}"
        );
        // Deleting the photo or the book takes its placements with it.
        store.delete_photo(photo.id).await.unwrap();
        assert!(!store.placement_recorded(p, photo.id).await.unwrap());
    }
);
