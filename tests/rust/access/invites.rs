//! Finding 7: an invite never outlives or outranks its maker.

use super::*;

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
