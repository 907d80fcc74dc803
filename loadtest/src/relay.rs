//! The floor: a bare WebSocket relay that forwards every frame to the other connections
//! on the same path, with no CRDT work, no persistence and no protocol at all. It answers
//! a client's SyncStep1 with an empty SyncStep2 so that stock clients consider themselves
//! synced.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::Message;

type Rooms = Arc<Mutex<HashMap<String, Vec<(u64, mpsc::Sender<Bytes>)>>>>;

/// Serves the relay on `listener` until the process ends.
pub async fn serve(listener: TcpListener) -> anyhow::Result<()> {
    let rooms: Rooms = Arc::default();
    let mut next = 0u64;
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        next += 1;
        let id = next;
        let rooms = rooms.clone();
        // The handshake callback's error type is tungstenite's, large by design.
        #[allow(clippy::result_large_err)]
        tokio::spawn(async move {
            let mut path = String::new();
            let ws = tokio_tungstenite::accept_hdr_async(stream, |req: &Request, res: Response| {
                path = req.uri().path().to_owned();
                Ok(res)
            })
            .await;
            let Ok(ws) = ws else { return };
            let (mut sink, mut stream) = ws.split();
            let (tx, mut rx) = mpsc::channel::<Bytes>(1024);
            rooms
                .lock()
                .unwrap()
                .entry(path.clone())
                .or_default()
                .push((id, tx.clone()));
            let writer = tokio::spawn(async move {
                while let Some(first) = rx.recv().await {
                    if sink.feed(Message::Binary(first)).await.is_err() {
                        return;
                    }
                    while let Ok(more) = rx.try_recv() {
                        if sink.feed(Message::Binary(more)).await.is_err() {
                            return;
                        }
                    }
                    if sink.flush().await.is_err() {
                        return;
                    }
                }
            });
            while let Some(Ok(msg)) = stream.next().await {
                let Message::Binary(data) = msg else { continue };
                // SyncStep1 from a client: answer with an empty SyncStep2 (tag 0, step 1, update [0, 0]).
                if data.len() >= 2 && data[0] == 0 && data[1] == 0 {
                    let _ = tx.try_send(Bytes::from_static(&[0, 1, 2, 0, 0]));
                    continue;
                }
                let peers: Vec<mpsc::Sender<Bytes>> = rooms
                    .lock()
                    .unwrap()
                    .get(&path)
                    .map(|v| {
                        v.iter()
                            .filter(|(pid, _)| *pid != id)
                            .map(|(_, s)| s.clone())
                            .collect()
                    })
                    .unwrap_or_default();
                for p in peers {
                    let _ = p.try_send(data.clone());
                }
            }
            if let Some(v) = rooms.lock().unwrap().get_mut(&path) {
                v.retain(|(pid, _)| *pid != id);
            }
            drop(tx);
            let _ = writer.await;
        });
    }
}
