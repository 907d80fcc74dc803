//! What automix writes passes crdt-schema's validator.

use super::*;

/// Everything automix wrote, taken as one update on top of the book before the run, passes
/// crdt-schema's validator with editor rights: the same rules a person's edit meets.
#[tokio::test]
async fn what_automix_writes_passes_the_schema_validator() {
    use crdt_schema::validate::{parse_update, Actor, Level, Validator};
    use yrs::ReadTxn;
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let project = api.create_project(&owner, "Checked").await;
    let (album, _photos) = album_with_photos(&api, &owner, "Checked", PHOTOS).await;
    let live = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    live.wait_synced().await;
    let (before_state, before_sv) = {
        let txn = live.doc.transact();
        (
            txn.encode_state_as_update_v1(&yrs::StateVector::default()),
            txn.state_vector(),
        )
    };

    let result = done_job(
        &api,
        &owner,
        &start_automix(&api, &owner, &project, json!({ "album_id": album })).await,
    )
    .await;
    let pages = result["pages"].as_u64().expect("pages") as usize;
    assert!(
        eventually(WAIT, || read(&live)
            .is_some_and(|b| b.pages.len() == pages + 1))
        .await,
        "{:?}",
        read(&live)
    );

    let written = live.doc.transact().encode_state_as_update_v1(&before_sv);
    let validator = Validator::from_state(&before_state).expect("the book before the run indexes");
    let parsed = parse_update(&written).expect("what automix wrote parses");
    let actor = Actor {
        user: SYSTEM.into(),
        level: Level::Editor,
    };
    if let Err(rejection) = validator.check(&parsed, &actor) {
        panic!("automix wrote what an editor could not: {rejection:?}");
    }
}
