//! Hostile input on the WebSocket: each gets its close code, the server stays up, and
//! other connections carry on.

use std::time::Duration;

use folio_tests::book::{add_page, page_ids};
use folio_tests::wire::write_var;
use folio_tests::{eventually, Api, RawSocket, TestServer, YClient};
use rand::{Rng, SeedableRng};
use tokio_tungstenite::tungstenite::Message;

const WAIT: Duration = Duration::from_secs(10);

struct Room {
    server: TestServer,
    project: String,
    token: String,
    user: String,
}

async fn room(tweak: impl FnOnce(&mut folio_server::config::Config)) -> Room {
    let server = TestServer::start_with(tweak).await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let project = api.create_project(&owner, "Trip").await;
    Room {
        server,
        project,
        token: owner.token,
        user: owner.id,
    }
}

async fn close_code_for(r: &Room, frame: Message) -> (u16, String) {
    let mut s = RawSocket::connect(&r.server.ws_url(), &r.project, &r.token).await;
    s.send(frame).await;
    s.close_code().await
}

/// Two healthy clients still exchange an edit.
async fn still_healthy(r: &Room, a: &YClient, b: &YClient, page: &str) {
    a.edit(|txn| add_page(txn, &r.user, page));
    assert!(
        eventually(WAIT, || page_ids(&b.doc).iter().any(|p| p == page)).await,
        "healthy clients stopped syncing"
    );
    assert!(a.closed().is_none() && b.closed().is_none());
}

#[tokio::test]
async fn malformed_frames_close_with_1008_and_harm_no_one_else() {
    let r = room(|_| {}).await;
    let a = YClient::connect(&r.server.ws_url(), &r.project, &r.token).await;
    let b = YClient::connect(&r.server.ws_url(), &r.project, &r.token).await;
    a.wait_synced().await;
    b.wait_synced().await;

    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty frame", vec![]),
        ("truncated varint", vec![0xff]),
        ("truncated varint inside sync", vec![0x00, 0x80]),
        ("sync without payload", vec![0x00, 0x02]),
        (
            "giant length prefix",
            vec![0x00, 0x02, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01],
        ),
        (
            "update claiming a billion clients",
            vec![0x00, 0x02, 0x05, 0x80, 0x94, 0xeb, 0xdc, 0x03],
        ),
        (
            "awareness count bomb",
            vec![0x01, 0x05, 0xff, 0xff, 0xff, 0xff, 0x0f],
        ),
        (
            "awareness client id over 2^53",
            vec![
                0x01, 0x10, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x01, 0x02,
                b'{', b'}', 0, 0,
            ],
        ),
        (
            "awareness state not JSON",
            vec![0x01, 0x07, 0x01, 0x05, 0x01, 0x03, b'a', b'b', b'c'],
        ),
        ("unknown message type", vec![0x09, 0x00]),
        ("unknown sync step", vec![0x00, 0x07, 0x00]),
        (
            "garbage update",
            vec![0x00, 0x02, 0x04, 0x01, 0x01, 0xff, 0xff],
        ),
    ];
    for (what, bytes) in cases {
        let (code, reason) = close_code_for(&r, Message::Binary(bytes.into())).await;
        assert_eq!(code, 1008, "{what}: got {code} {reason}");
        assert!(!reason.is_empty(), "{what}: close without a reason");
    }
    let (code, _) = close_code_for(&r, Message::Text("hello".into())).await;
    assert_eq!(code, 1008, "text frame");
    still_healthy(&r, &a, &b, "after-malformed").await;
}

#[tokio::test]
async fn random_bytes_never_take_the_server_down() {
    let r = room(|_| {}).await;
    let a = YClient::connect(&r.server.ws_url(), &r.project, &r.token).await;
    let b = YClient::connect(&r.server.ws_url(), &r.project, &r.token).await;
    a.wait_synced().await;
    b.wait_synced().await;
    let mut rng = rand::rngs::StdRng::seed_from_u64(0xf0110);
    let mut closed_1008 = 0;
    for _ in 0..60 {
        let mut s = RawSocket::connect(&r.server.ws_url(), &r.project, &r.token).await;
        for _ in 0..5 {
            let len = rng.random_range(1..400);
            let mut bytes: Vec<u8> = (0..len).map(|_| rng.random()).collect();
            // Mostly valid message types, so the decoders behind them get exercised.
            bytes[0] = rng.random_range(0..4);
            s.send(Message::Binary(bytes.into())).await;
        }
        s.send(Message::Close(None)).await;
        let (code, _) = s.close_code().await;
        assert!(
            code == 1008 || code == 1000 || code == 1005,
            "unexpected close {code}"
        );
        if code == 1008 {
            closed_1008 += 1;
        }
    }
    assert!(
        closed_1008 > 30,
        "random bytes were mostly accepted ({closed_1008} of 60 refused)"
    );
    still_healthy(&r, &a, &b, "after-random").await;
}

#[tokio::test]
async fn oversized_frames_and_awareness_close_with_4413() {
    let r = room(|c| {
        c.max_frame_bytes = 64 * 1024;
        c.max_awareness_bytes = 1024;
    })
    .await;
    let a = YClient::connect(&r.server.ws_url(), &r.project, &r.token).await;
    let b = YClient::connect(&r.server.ws_url(), &r.project, &r.token).await;
    a.wait_synced().await;
    b.wait_synced().await;

    let mut big = vec![0x00, 0x02];
    big.extend(std::iter::repeat_n(0u8, 100 * 1024));
    let (code, reason) = close_code_for(&r, Message::Binary(big.into())).await;
    assert_eq!(code, 4413, "{reason}");
    assert!(reason.contains("limit"));

    // Far past the limit the transport refuses it before it is read whole.
    let huge = vec![0u8; 4 * 1024 * 1024];
    let (code, _) = close_code_for(&r, Message::Binary(huge.into())).await;
    assert!(
        code == 4413 || code == 1006 || code == 1009,
        "huge frame: {code}"
    );

    let state = format!("{{\"pad\":\"{}\"}}", "x".repeat(4000));
    let mut frame = vec![0x01];
    let mut inner = vec![0x01, 0x05, 0x01];
    write_var(&mut inner, state.len() as u64);
    inner.extend(state.as_bytes());
    write_var(&mut frame, inner.len() as u64);
    frame.extend(inner);
    let (code, reason) = close_code_for(&r, Message::Binary(frame.into())).await;
    assert_eq!(code, 4413, "{reason}");
    still_healthy(&r, &a, &b, "after-oversized").await;
}

#[tokio::test]
async fn message_floods_close_with_4429() {
    let r = room(|c| {
        c.rate_per_s = 20;
        c.rate_burst = 40;
    })
    .await;
    let a = YClient::connect(&r.server.ws_url(), &r.project, &r.token).await;
    a.wait_synced().await;
    let mut s = RawSocket::connect(&r.server.ws_url(), &r.project, &r.token).await;
    for _ in 0..200 {
        s.send(Message::Binary(vec![0x03].into())).await; // query-awareness: cheap and valid
    }
    let (code, reason) = s.close_code().await;
    assert_eq!(code, 4429, "{reason}");
    assert!(a.closed().is_none());
}

#[tokio::test]
async fn a_client_that_does_not_read_is_dropped_with_4500() {
    // The healthy reader keeps up with a 64-message queue even on a loaded machine; the
    // stalled one overflows it once its socket buffers (a few MB) are full.
    let r = room(|c| c.outbound_queue = 64).await;
    let writer = YClient::connect(&r.server.ws_url(), &r.project, &r.token).await;
    let reader = YClient::connect(&r.server.ws_url(), &r.project, &r.token).await;
    writer.wait_synced().await;
    reader.wait_synced().await;
    // Never reads: its socket buffers fill, then its queue.
    let mut stalled = RawSocket::connect(&r.server.ws_url(), &r.project, &r.token).await;
    // Each update: a page with ten long captions, about 190 kB.
    let blob = "x".repeat(19_000);
    for i in 0..200 {
        writer.edit(|txn| add_page(txn, &r.user, &format!("big{i}")));
        writer.edit(|txn| {
            use yrs::{Array, ReadTxn};
            let last = txn.get_array("pages").unwrap().len(txn) - 1;
            for k in 0..10 {
                folio_tests::book::add_text_item(txn, last, &r.user, &format!("t{i}-{k}"), &blob);
            }
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // The healthy reader got everything and stayed connected.
    assert!(
        eventually(Duration::from_secs(60), || page_ids(&reader.doc).len()
            == 200)
        .await,
        "the healthy reader fell behind: {:?}",
        reader.closed()
    );
    assert!(reader.closed().is_none());
    let (code, reason) = stalled.close_code().await;
    assert_eq!(code, 4500, "{reason}");
}
