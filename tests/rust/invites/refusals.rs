//! Refusals: escalation and dead links (revoked, expired, used up, guessed), and the
//! validation of invite options and their management.

use super::*;

#[tokio::test]
async fn escalation_and_dead_links_are_refused() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let manager = api.signup("Manager").await;
    let editor = api.signup("Editor").await;
    let project = api.create_project(&owner, "Wedding").await;
    api.set_role(&owner, &project, &manager, "manager").await;
    api.set_role(&owner, &project, &editor, "editor").await;
    // The links they joined by, used up.
    let (status, before) = api
        .call(
            Method::GET,
            &format!("/api/projects/{project}/invites"),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{before}");

    // An editor cannot create links at all, not even for the lowest role.
    for role in ["viewer", "editor"] {
        let (status, body) = create_invite(&api, &editor, &project, json!({"role": role})).await;
        assert_error(status, &body, 403, "forbidden");
    }
    // A manager cannot hand out ownership.
    let (status, body) = create_invite(&api, &manager, &project, json!({"role": "owner"})).await;
    assert_error(status, &body, 403, "forbidden");
    let (status, list) = api
        .call(
            Method::GET,
            &format!("/api/projects/{project}/invites"),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list, before, "a refused invite was stored");

    // A used-up link: the second user is refused, and so is anyone inspecting it.
    let token = token_of(
        &new_link(
            &api,
            &manager,
            &project,
            json!({"role": "viewer", "max_uses": 1}),
        )
        .await,
    );
    let first = api.signup("First").await;
    let second = api.signup("Second").await;
    let (status, body) = accept(&api, Some(&first), &token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["joined"], true, "{body}");
    let (status, body) = accept(&api, Some(&second), &token).await;
    assert_error(status, &body, 410, "invite_used_up");
    let (status, body) = inspect(&api, &token).await;
    assert_error(status, &body, 410, "invite_used_up");

    // A revoked link.
    let created = new_link(&api, &manager, &project, json!({"role": "contributor"})).await;
    let revoked = token_of(&created);
    let invite_id = created["invite"]["id"]
        .as_str()
        .expect("invite id")
        .to_owned();
    let (status, body) = api
        .call(
            Method::DELETE,
            &format!("/api/projects/{project}/invites/{invite_id}"),
            Some(&manager.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let third = api.signup("Third").await;
    let (status, body) = accept(&api, Some(&third), &revoked).await;
    assert_error(status, &body, 410, "invite_revoked");
    let (status, body) = inspect(&api, &revoked).await;
    assert_error(status, &body, 410, "invite_revoked");
    assert_eq!(
        listed_invite(&api, &manager, &project, &json!(invite_id)).await["state"],
        "revoked"
    );

    // A guessed token, shaped like a real one (43 URL-safe characters).
    let guessed: String = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
    .chars()
    .take(43)
    .collect();
    let (status, body) = inspect(&api, &guessed).await;
    assert_error(status, &body, 404, "invite_not_found");
    let (status, body) = accept(&api, Some(&third), &guessed).await;
    assert_error(status, &body, 404, "invite_not_found");

    // An expired link.
    let expiring = token_of(
        &new_link(
            &api,
            &manager,
            &project,
            json!({"role": "viewer", "expires_in_s": 1}),
        )
        .await,
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (status, body) = accept(&api, Some(&third), &expiring).await;
    assert_error(status, &body, 410, "invite_expired");
    let (status, body) = inspect(&api, &expiring).await;
    assert_error(status, &body, 410, "invite_expired");

    // Accepting a live link needs a login.
    let live = token_of(&new_link(&api, &manager, &project, json!({"role": "viewer"})).await);
    let (status, body) = accept(&api, None, &live).await;
    assert_error(status, &body, 401, "unauthorized");

    // None of the refused users became a member.
    let list = members(&api, &owner, &project).await;
    for refused in [&second, &third] {
        assert!(
            !list.iter().any(|(id, _)| id == &refused.id),
            "{} became a member: {list:?}",
            refused.name
        );
    }
    assert!(
        list.contains(&(first.id.clone(), "viewer".into())),
        "{list:?}"
    );
}

#[tokio::test]
async fn invite_options_and_management_are_validated() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let editor = api.signup("Editor").await;
    let stranger = api.signup("Stranger").await;
    let project = api.create_project(&owner, "Harbour").await;
    let other = api.create_project(&owner, "Elsewhere").await;
    api.set_role(&owner, &project, &editor, "editor").await;

    let cases = [
        (json!({"role": "admin"}), "invalid_role"),
        (
            json!({"role": "viewer", "expires_in_s": 0}),
            "invalid_expiry",
        ),
        (
            json!({"role": "viewer", "expires_in_s": 365 * 24 * 3600 + 1}),
            "invalid_expiry",
        ),
        (json!({"role": "viewer", "max_uses": 0}), "invalid_max_uses"),
        (
            json!({"role": "viewer", "max_uses": 10_001}),
            "invalid_max_uses",
        ),
    ];
    for (body, code) in cases {
        let (status, reply) = create_invite(&api, &owner, &project, body.clone()).await;
        assert_error(status, &reply, 422, code);
    }
    // The bounds themselves are allowed, and a manager may invite a manager.
    new_link(
        &api,
        &owner,
        &project,
        json!({"role": "manager", "expires_in_s": 365 * 24 * 3600, "max_uses": 10_000}),
    )
    .await;
    let created = new_link(
        &api,
        &owner,
        &project,
        json!({"role": "viewer", "expires_in_s": 1, "max_uses": 1}),
    )
    .await;

    // Only managers create, list and revoke.
    let (status, body) = create_invite(&api, &stranger, &project, json!({"role": "viewer"})).await;
    assert_error(status, &body, 403, "forbidden");
    let id = created["invite"]["id"].as_str().expect("invite id");
    for who in [&editor, &stranger] {
        let (status, body) = api
            .call(
                Method::GET,
                &format!("/api/projects/{project}/invites"),
                Some(&who.token),
                None,
            )
            .await;
        assert_error(status, &body, 403, "forbidden");
        let (status, body) = api
            .call(
                Method::DELETE,
                &format!("/api/projects/{project}/invites/{id}"),
                Some(&who.token),
                None,
            )
            .await;
        assert_error(status, &body, 403, "forbidden");
    }
    // Revoking an unknown invite, or one through another project, is a 404.
    let unknown = uuid::Uuid::new_v4();
    let (status, body) = api
        .call(
            Method::DELETE,
            &format!("/api/projects/{project}/invites/{unknown}"),
            Some(&owner.token),
            None,
        )
        .await;
    assert_error(status, &body, 404, "not_found");
    let (status, body) = api
        .call(
            Method::DELETE,
            &format!("/api/projects/{other}/invites/{id}"),
            Some(&owner.token),
            None,
        )
        .await;
    assert_error(status, &body, 404, "not_found");
    assert_eq!(
        listed_invite(&api, &owner, &project, &json!(id)).await["revoked_at"],
        Value::Null
    );
}
