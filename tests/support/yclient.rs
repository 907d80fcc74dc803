//! A y-websocket client built on yrs and tokio-tungstenite, as a stock client behaves:
//! it sends SyncStep1 on open, answers the server's SyncStep1, applies updates, and keeps
//! a log of what it saw (permission denials, awareness, the close frame).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::{self, Message};
use yrs::encoding::read::Cursor;
use yrs::sync::{Message as YMessage, SyncMessage};
use yrs::updates::decoder::{Decode, DecoderV1};
use yrs::updates::encoder::Encode;
use yrs::{Doc, ReadTxn, StateVector, Transact, TransactionMut, Update};

/// What a client has seen from the server.
#[derive(Default, Debug)]
pub struct Seen {
    pub denied: Vec<String>,
    pub closed: Option<(u16, String)>,
    /// Awareness states by client id (removed states are dropped).
    pub awareness: HashMap<u64, Value>,
    pub synced: bool,
    /// Number of sync updates received.
    pub updates: usize,
}

/// Dropping a client ends its socket task.
pub struct YClient {
    pub doc: Doc,
    pub seen: Arc<Mutex<Seen>>,
    out: mpsc::UnboundedSender<Message>,
    task: JoinHandle<()>,
    awareness_clock: u32,
}

fn encode(msg: YMessage) -> Message {
    Message::Binary(msg.encode_v1().into())
}

/// Connects; `Err` carries the HTTP status when the upgrade was refused.
pub async fn connect_ws(
    ws_base: &str,
    project: &str,
    token: &str,
) -> Result<
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    u16,
> {
    let url = format!("{ws_base}/ws/projects/{project}?token={token}");
    match tokio_tungstenite::connect_async(url).await {
        Ok((ws, _)) => Ok(ws),
        Err(tungstenite::Error::Http(res)) => Err(res.status().as_u16()),
        Err(e) => panic!("websocket connect failed: {e}"),
    }
}

impl YClient {
    pub async fn connect(ws_base: &str, project: &str, token: &str) -> YClient {
        Self::connect_doc(ws_base, project, token, Doc::new()).await
    }

    /// Connects with an existing doc (e.g. one edited while offline).
    pub async fn connect_doc(ws_base: &str, project: &str, token: &str, doc: Doc) -> YClient {
        let ws = connect_ws(ws_base, project, token)
            .await
            .unwrap_or_else(|s| panic!("upgrade refused with {s}"));
        let (mut sink, mut stream) = ws.split();
        let (out, mut out_rx) = mpsc::unbounded_channel::<Message>();
        let seen = Arc::new(Mutex::new(Seen::default()));
        // Like y-websocket: SyncStep1 first.
        let sv = doc.transact().state_vector();
        out.send(encode(YMessage::Sync(SyncMessage::SyncStep1(sv))))
            .expect("queue");
        let task = {
            let doc = doc.clone();
            let seen = seen.clone();
            let out = out.clone();
            tokio::spawn(async move {
                loop {
                    tokio::select! {
                        msg = out_rx.recv() => match msg {
                            // A failed send means the connection is gone too (a killed
                            // server resets it): record that, as a failed read does.
                            Some(m) => if sink.send(m).await.is_err() {
                                let mut s = seen.lock().unwrap();
                                if s.closed.is_none() { s.closed = Some((1006, "connection lost".into())); }
                                break;
                            },
                            None => break,
                        },
                        frame = stream.next() => match frame {
                            Some(Ok(Message::Binary(data))) => handle(&doc, &seen, &out, &data),
                            Some(Ok(Message::Close(frame))) => {
                                let c = frame.map(|f| (u16::from(f.code), f.reason.to_string())).unwrap_or((1005, String::new()));
                                seen.lock().unwrap().closed = Some(c);
                                break;
                            }
                            Some(Ok(_)) => {}
                            Some(Err(_)) | None => {
                                let mut s = seen.lock().unwrap();
                                if s.closed.is_none() { s.closed = Some((1006, "connection lost".into())); }
                                break;
                            }
                        }
                    }
                }
            })
        };
        YClient {
            doc,
            seen,
            out,
            task,
            awareness_clock: 0,
        }
    }

    /// Runs a local edit and sends it as an Update message.
    pub fn edit(&self, f: impl FnOnce(&mut TransactionMut)) {
        let update = {
            let mut txn = self.doc.transact_mut();
            f(&mut txn);
            txn.encode_update_v1()
        };
        let _ = self
            .out
            .send(encode(YMessage::Sync(SyncMessage::Update(update))));
    }

    /// Sends this client's awareness state (JSON), with the next clock.
    pub fn set_awareness(&mut self, state: &Value) {
        self.awareness_clock += 1;
        let mut clients = HashMap::new();
        clients.insert(
            self.doc.client_id(),
            yrs::sync::awareness::AwarenessUpdateEntry {
                clock: self.awareness_clock,
                json: state.to_string().into(),
            },
        );
        let msg = YMessage::Awareness(yrs::sync::awareness::AwarenessUpdate { clients });
        let _ = self.out.send(encode(msg));
    }

    pub fn send_raw(&self, bytes: Vec<u8>) {
        let _ = self.out.send(Message::Binary(bytes.into()));
    }

    pub fn client_id(&self) -> u64 {
        self.doc.client_id().get()
    }

    pub async fn wait_synced(&self) {
        assert!(
            crate::eventually(Duration::from_secs(10), || self.seen.lock().unwrap().synced).await,
            "client never synced"
        );
    }

    pub fn closed(&self) -> Option<(u16, String)> {
        self.seen.lock().unwrap().closed.clone()
    }

    /// Closes the socket normally and waits for the client task to end.
    pub async fn close(mut self) {
        let _ = self.out.send(Message::Close(None));
        if tokio::time::timeout(Duration::from_secs(5), &mut self.task)
            .await
            .is_err()
        {
            self.task.abort();
        }
    }

    /// The full document state, for comparing documents.
    pub fn state(&self) -> Vec<u8> {
        self.doc
            .transact()
            .encode_state_as_update_v1(&StateVector::default())
    }
}

fn handle(doc: &Doc, seen: &Mutex<Seen>, out: &mpsc::UnboundedSender<Message>, data: &[u8]) {
    let mut decoder = DecoderV1::new(Cursor::new(data));
    let msg = match YMessage::decode(&mut decoder) {
        Ok(m) => m,
        Err(e) => panic!("server sent an undecodable frame: {e}"),
    };
    match msg {
        YMessage::Sync(SyncMessage::SyncStep1(sv)) => {
            let diff = doc.transact().encode_diff_v1(&sv);
            let _ = out.send(encode(YMessage::Sync(SyncMessage::SyncStep2(diff))));
        }
        YMessage::Sync(SyncMessage::SyncStep2(u)) => {
            doc.transact_mut()
                .apply_update(Update::decode_v1(&u).expect("update"))
                .expect("apply");
            let mut s = seen.lock().unwrap();
            s.synced = true;
            s.updates += 1;
        }
        YMessage::Sync(SyncMessage::Update(u)) => {
            doc.transact_mut()
                .apply_update(Update::decode_v1(&u).expect("update"))
                .expect("apply");
            seen.lock().unwrap().updates += 1;
        }
        YMessage::Awareness(update) => {
            let mut s = seen.lock().unwrap();
            for (client, entry) in update.clients {
                if entry.json.as_ref() == "null" {
                    s.awareness.remove(&client.get());
                } else {
                    s.awareness.insert(
                        client.get(),
                        serde_json::from_str(&entry.json).expect("awareness json"),
                    );
                }
            }
        }
        YMessage::Auth(Some(reason)) => seen.lock().unwrap().denied.push(reason),
        _ => {}
    }
}

/// A bare socket for sending hostile bytes and reading the close code.
pub struct RawSocket {
    ws: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
}

impl RawSocket {
    pub async fn connect(ws_base: &str, project: &str, token: &str) -> RawSocket {
        RawSocket {
            ws: connect_ws(ws_base, project, token)
                .await
                .unwrap_or_else(|s| panic!("upgrade refused with {s}")),
        }
    }

    pub async fn send(&mut self, msg: Message) {
        let _ = self.ws.send(msg).await;
    }

    /// Reads until the server closes; returns its close code and reason (1006 if it just hung up).
    pub async fn close_code(&mut self) -> (u16, String) {
        let read = async {
            while let Some(frame) = self.ws.next().await {
                match frame {
                    Ok(Message::Close(Some(f))) => {
                        return (u16::from(f.code), f.reason.to_string())
                    }
                    Ok(Message::Close(None)) => return (1005, String::new()),
                    Ok(_) => {}
                    Err(_) => return (1006, String::new()),
                }
            }
            (1006, String::new())
        };
        tokio::time::timeout(Duration::from_secs(10), read)
            .await
            .expect("server did not close within 10 s")
    }
}

impl Drop for YClient {
    fn drop(&mut self) {
        self.task.abort();
    }
}
