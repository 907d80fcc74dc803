//! Friends and their presence from live sync connections, on one node and across nodes.

use super::*;

async fn friends(api: &Api, who: &Account) -> Vec<Value> {
    let (status, body) = api
        .call(Method::GET, "/api/friends", Some(&who.token), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body.as_array()
        .unwrap_or_else(|| panic!("friends are a list: {body}"))
        .clone()
}

/// Polls `who`'s friends until `friend` shows `online == want`; false after `WAIT`.
async fn wait_online(api: &Api, who: &Account, friend: &Account, want: bool) -> bool {
    let start = std::time::Instant::now();
    loop {
        let list = friends(api, who).await;
        let entry = list
            .iter()
            .find(|f| f["user"]["id"] == json!(friend.id))
            .unwrap_or_else(|| {
                panic!(
                    "{} is not among {}'s friends: {list:?}",
                    friend.name, who.name
                )
            });
        if entry["online"] == json!(want) {
            return true;
        }
        if start.elapsed() > WAIT {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn friends_are_people_sharing_a_project_online_while_connected() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let olive = api.signup("Olive").await;
    let bea = api.signup("Bea").await;
    let al = api.signup("Al").await;
    let stranger = api.signup("Sam").await;
    let project = api.create_project(&olive, "Together").await;
    member_role(&api, &olive, &project, &bea, "editor").await;
    member_role(&api, &olive, &project, &al, "viewer").await;
    api.create_project(&stranger, "Alone").await;

    // Everyone sharing a project, by name; not the stranger, not oneself.
    let list = friends(&api, &olive).await;
    let names: Vec<&str> = list
        .iter()
        .map(|f| f["user"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Al", "Bea"], "{list:?}");
    assert_eq!(list[1]["user"]["id"], json!(bea.id));
    assert!(
        list.iter().all(|f| f["online"] == json!(false)),
        "nobody is connected yet: {list:?}"
    );
    let beas: Vec<String> = friends(&api, &bea)
        .await
        .iter()
        .map(|f| f["user"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(beas, [al.id.clone(), olive.id.clone()]);
    assert!(friends(&api, &stranger).await.is_empty());

    // Online while a sync connection is open, offline once it closes.
    let socket = YClient::connect(&server.ws_url(), &project, &bea.token).await;
    socket.wait_synced().await;
    assert!(
        wait_online(&api, &olive, &bea, true).await,
        "Bea is connected but not online"
    );
    let al_entry = friends(&api, &olive)
        .await
        .into_iter()
        .find(|f| f["user"]["id"] == json!(al.id))
        .unwrap();
    assert_eq!(al_entry["online"], json!(false), "Al has no connection");
    socket.close().await;
    assert!(
        wait_online(&api, &olive, &bea, false).await,
        "Bea closed her connection but stayed online"
    );
}

#[tokio::test]
async fn a_friend_connected_to_another_node_is_online() {
    let Some(cluster) = two_nodes().await else {
        return;
    };
    let (node1, node2) = (&cluster.nodes[0], &cluster.nodes[1]);
    let api1 = Api::new(&node1.url);
    let olive = api1.signup("Olive").await;
    let bea = api1.signup("Bea").await;
    let project = api1.create_project(&olive, "Across").await;
    member_role(&api1, &olive, &project, &bea, "editor").await;
    assert!(wait_online(&api1, &olive, &bea, false).await);

    let socket = YClient::connect(&node2.ws_url(), &project, &bea.token).await;
    socket.wait_synced().await;
    assert!(
        wait_online(&api1, &olive, &bea, true).await,
        "Bea's connection to node 2 does not show on node 1"
    );
    socket.close().await;
    assert!(
        wait_online(&api1, &olive, &bea, false).await,
        "Bea left node 2 but node 1 still shows her online"
    );
}
