//! Finding 9: only managers see members' emails.

use super::*;

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
