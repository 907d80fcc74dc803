//! Accepting never lowers a role, and a one-use link makes one member under concurrent
//! accepts.

use super::*;

#[tokio::test]
async fn accepting_never_lowers_a_role() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let editor = api.signup("Edith").await;
    let viewer = api.signup("Vic").await;
    let project = api.create_project(&owner, "Garden").await;
    api.set_role(&owner, &project, &editor, "editor").await;
    api.set_role(&owner, &project, &viewer, "viewer").await;

    // An editor accepting a one-use viewer link stays editor, and spends no use.
    let created = new_link(
        &api,
        &owner,
        &project,
        json!({"role": "viewer", "max_uses": 1}),
    )
    .await;
    let token = token_of(&created);
    let (status, body) = accept(&api, Some(&editor), &token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["joined"], false, "{body}");
    assert_eq!(body["role"], "editor", "{body}");
    assert_eq!(own_role(&api, &editor, &project).await, "editor");
    assert_eq!(
        listed_invite(&api, &owner, &project, &created["invite"]["id"]).await["uses"],
        0
    );
    // The one use is still there for someone new.
    let newcomer = api.signup("Newt").await;
    let (status, body) = accept(&api, Some(&newcomer), &token).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the editor's accept used up the link: {body}"
    );
    assert_eq!(body["joined"], true, "{body}");

    // A viewer accepting an editor link is raised to editor.
    let up = token_of(&new_link(&api, &owner, &project, json!({"role": "editor"})).await);
    let (status, body) = accept(&api, Some(&viewer), &up).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["joined"], true, "{body}");
    assert_eq!(body["role"], "editor", "{body}");
    assert_eq!(own_role(&api, &viewer, &project).await, "editor");
    let list = members(&api, &owner, &project).await;
    assert!(
        list.contains(&(viewer.id.clone(), "editor".into())),
        "{list:?}"
    );
    assert!(
        list.contains(&(editor.id.clone(), "editor".into())),
        "{list:?}"
    );

    // The inviter hears of the two who joined, not of the editor who was already in. (The
    // editor and the viewer first joined by invite too, as strangers to the owner do.)
    let joiners: Vec<Value> = of_kind(&notifications(&api, &owner).await, "invite_accepted")
        .iter()
        .map(|n| n["data"]["user"]["id"].clone())
        .collect();
    let times = |who: &Account| joiners.iter().filter(|id| **id == json!(who.id)).count();
    assert_eq!(
        (times(&newcomer), times(&viewer), times(&editor)),
        (1, 2, 1),
        "{joiners:?}"
    );
}

#[tokio::test]
async fn concurrent_accepts_of_a_one_use_link_make_one_member() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let project = api.create_project(&owner, "Reunion").await;

    for round in 0..5 {
        let token = token_of(
            &new_link(
                &api,
                &owner,
                &project,
                json!({"role": "contributor", "max_uses": 1}),
            )
            .await,
        );
        let a = api.signup(&format!("A{round}")).await;
        let b = api.signup(&format!("B{round}")).await;
        let (ra, rb) = tokio::join!(
            accept(&api, Some(&a), &token),
            accept(&api, Some(&b), &token)
        );
        let results = [(&a, ra), (&b, rb)];
        let winners: Vec<&Account> = results
            .iter()
            .filter(|(_, (s, body))| *s == StatusCode::OK && body["joined"] == true)
            .map(|(u, _)| *u)
            .collect();
        let losers: Vec<&Account> = results
            .iter()
            .filter(|(_, (s, body))| s.as_u16() == 410 && body["error"]["code"] == "invite_used_up")
            .map(|(u, _)| *u)
            .collect();
        assert!(
            winners.len() == 1 && losers.len() == 1,
            "round {round}: {:?}",
            results.iter().map(|(_, r)| r).collect::<Vec<_>>()
        );
        let list = members(&api, &owner, &project).await;
        assert!(
            list.contains(&(winners[0].id.clone(), "contributor".into())),
            "round {round}: {list:?}"
        );
        assert!(
            !list.iter().any(|(id, _)| id == &losers[0].id),
            "round {round}: both became members: {list:?}"
        );
    }
    // The owner plus one member per round.
    assert_eq!(members(&api, &owner, &project).await.len(), 6);
}
