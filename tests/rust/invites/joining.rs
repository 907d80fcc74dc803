//! A manager invites, and a new user joins at the link's role.

use super::*;

#[tokio::test]
async fn a_manager_invites_and_a_new_user_joins_at_the_link_role() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let manager = api.signup("Mona").await;
    let project = api.create_project(&owner, "Lake trip").await;
    let (status, body) = api.set_role(&owner, &project, &manager, "manager").await;
    assert!(status.is_success(), "{body}");

    let created = new_link(
        &api,
        &manager,
        &project,
        json!({"role": "contributor", "max_uses": 3}),
    )
    .await;
    let token = token_of(&created);
    let invite = &created["invite"];
    assert_eq!(
        created["url"],
        json!(format!("/invite/{token}")),
        "{created}"
    );
    assert_eq!(invite["project_id"], json!(project), "{created}");
    assert_eq!(invite["role"], "contributor", "{created}");
    assert_eq!(invite["created_by"], json!(manager.id), "{created}");
    assert_eq!(invite["max_uses"], 3, "{created}");
    assert_eq!(invite["uses"], 0, "{created}");
    assert_eq!(invite["state"], "active", "{created}");

    // Anyone with the link sees what it offers, without logging in.
    let (status, offer) = inspect(&api, &token).await;
    assert_eq!(status, StatusCode::OK, "{offer}");
    assert_eq!(offer["project_title"], "Lake trip", "{offer}");
    assert_eq!(offer["role"], "contributor", "{offer}");
    assert_eq!(offer["inviter"]["id"], json!(manager.id), "{offer}");
    assert_eq!(offer["inviter"]["name"], "Mona", "{offer}");
    assert!(offer["expires_at"].is_string(), "{offer}");

    // A new user signs up and accepts.
    let newcomer = api.signup("Nico").await;
    let (status, joined) = accept(&api, Some(&newcomer), &token).await;
    assert_eq!(status, StatusCode::OK, "{joined}");
    assert_eq!(joined["project"]["id"], json!(project), "{joined}");
    assert_eq!(joined["role"], "contributor", "{joined}");
    assert_eq!(joined["joined"], true, "{joined}");

    assert_eq!(own_role(&api, &newcomer, &project).await, "contributor");
    let list = members(&api, &owner, &project).await;
    assert!(
        list.contains(&(newcomer.id.clone(), "contributor".into())),
        "{list:?}"
    );

    let after = listed_invite(&api, &manager, &project, &invite["id"]).await;
    assert_eq!(after["uses"], 1, "{after}");
    assert_eq!(
        after["state"], "active",
        "two of three uses are left: {after}"
    );

    // The inviter is told, with who joined and at which role.
    let accepted = of_kind(&notifications(&api, &manager).await, "invite_accepted");
    assert_eq!(accepted.len(), 1, "{accepted:?}");
    let n = &accepted[0];
    assert_eq!(n["user_id"], json!(manager.id), "{n}");
    assert_eq!(n["data"]["project_id"], json!(project), "{n}");
    assert_eq!(n["data"]["project_title"], "Lake trip", "{n}");
    assert_eq!(n["data"]["user"]["id"], json!(newcomer.id), "{n}");
    assert_eq!(n["data"]["user"]["name"], "Nico", "{n}");
    assert_eq!(n["data"]["role"], "contributor", "{n}");
    assert!(n["read_at"].is_null(), "{n}");
    let id = n["id"].clone();

    // Someone else marking the manager's notification changes nothing for the manager.
    let (status, body) = api
        .call(
            Method::POST,
            "/api/notifications/read",
            Some(&newcomer.token),
            Some(json!({"ids": [id]})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let still = notifications(&api, &manager)
        .await
        .into_iter()
        .find(|x| x["id"] == id)
        .expect("still listed");
    assert!(
        still["read_at"].is_null(),
        "another user marked the manager's notification read: {still}"
    );

    // The manager marks it read.
    let (status, body) = api
        .call(
            Method::POST,
            "/api/notifications/read",
            Some(&manager.token),
            Some(json!({"ids": [id]})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let read = notifications(&api, &manager)
        .await
        .into_iter()
        .find(|x| x["id"] == id)
        .expect("still listed");
    assert!(read["read_at"].is_string(), "read_at was not set: {read}");
}
