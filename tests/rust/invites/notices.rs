//! Invites by email go to the outbox; a role change notifies the member.

use super::*;

#[tokio::test]
async fn an_invite_by_email_goes_to_the_outbox() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let project = api.create_project(&owner, "Birthday").await;
    let store = server.store().await;

    let email = folio_tests::unique_email("guest");
    let created = new_link(
        &api,
        &owner,
        &project,
        json!({"role": "commenter", "email": email}),
    )
    .await;
    assert_eq!(created["invite"]["email"], json!(email), "{created}");
    let url = created["url"].as_str().expect("url").to_owned();
    assert!(url.ends_with(&token_of(&created)), "{created}");

    let outbox = store.outbox(100).await.expect("outbox");
    let mail = outbox
        .iter()
        .find(|m| m.to_email == email)
        .unwrap_or_else(|| panic!("no mail to {email}: {outbox:?}"));
    assert!(
        mail.body.contains(&url),
        "the mail does not hold the link {url}: {:?}",
        mail.body
    );
    assert!(!mail.subject.is_empty(), "{mail:?}");

    // An invalid address is refused, and nothing more is queued.
    for bad in ["not-an-email", "a b@example.com", "@example.com"] {
        let (status, body) = create_invite(
            &api,
            &owner,
            &project,
            json!({"role": "viewer", "email": bad}),
        )
        .await;
        assert_error(status, &body, 422, "invalid_email");
    }
    assert_eq!(store.outbox(100).await.expect("outbox").len(), outbox.len());
}

#[tokio::test]
async fn a_role_change_notifies_the_member() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Olga").await;
    let member = api.signup("Max").await;
    let project = api.create_project(&owner, "Ski week").await;
    let (status, body) = api.set_role(&owner, &project, &member, "viewer").await;
    assert!(status.is_success(), "{body}");
    let (status, body) = api.set_role(&owner, &project, &member, "editor").await;
    assert!(status.is_success(), "{body}");

    let changes = of_kind(&notifications(&api, &member).await, "role_changed");
    let editor_change = changes
        .iter()
        .find(|n| n["data"]["role"] == "editor")
        .unwrap_or_else(|| panic!("no role_changed notification with the new role: {changes:?}"));
    assert_eq!(
        editor_change["user_id"],
        json!(member.id),
        "{editor_change}"
    );
    assert_eq!(
        editor_change["data"]["project_id"],
        json!(project),
        "{editor_change}"
    );
    assert_eq!(
        editor_change["data"]["project_title"], "Ski week",
        "{editor_change}"
    );
    assert_eq!(
        editor_change["data"]["by"]["id"],
        json!(owner.id),
        "{editor_change}"
    );
    assert_eq!(
        editor_change["data"]["by"]["name"], "Olga",
        "{editor_change}"
    );
    assert!(editor_change["read_at"].is_null(), "{editor_change}");
    // Newest first: the latest change leads the list.
    assert_eq!(changes[0]["data"]["role"], "editor", "{changes:?}");
    // The manager who made the change is not notified of it.
    assert!(of_kind(&notifications(&api, &owner).await, "role_changed").is_empty());
}
