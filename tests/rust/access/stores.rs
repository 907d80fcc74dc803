//! The same answers from both stores, SQLite and PostgreSQL, through the store API.

use super::*;

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
