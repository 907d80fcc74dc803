//! Fan-out between nodes through Redis pub/sub.
//!
//! - Document updates and awareness go to `folio:doc:<project>`, which a node subscribes to
//!   while it has that project loaded; control events (roles, removals, deletions, revoked
//!   logins) go to `folio:ctl`, which every node subscribes to.
//! - One publish per event, made after the durable commit. Pub/sub gives no delivery
//!   guarantee, so nothing depends on it: every document update carries its log sequence
//!   number, a room that sees a gap reads the missing entries from the store, and after any
//!   reconnect every room catches up from the store (`Event::Resync`).
//! - While Redis is unreachable the node goes on serving its own clients; publishes are
//!   dropped (counted in `folio_fanout_dropped_total`) and the subscriber retries with
//!   backoff. Control events are also applied locally at once, so this node never waits on
//!   Redis for its own role changes.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use futures_util::StreamExt;
use tokio::sync::{broadcast, mpsc};

use super::{ActivityKind, Event, Fanout, FanoutError, NodeId};
use folio_domain::access::Role;
use folio_domain::ids::{ProjectId, SessionId, UserId};

const CONTROL: &str = "folio:ctl";
/// Publishes waiting for the connection beyond this many are dropped (gaps heal from the log).
const PUBLISH_QUEUE: usize = 65_536;

fn doc_channel(project: ProjectId) -> String {
    format!("folio:doc:{}", project.0)
}

enum SubCmd {
    Join(ProjectId),
    Leave(ProjectId),
}

pub struct RedisFanout {
    node: NodeId,
    local: broadcast::Sender<Event>,
    publish: mpsc::Sender<(String, Bytes)>,
    subs: mpsc::UnboundedSender<SubCmd>,
    joined: Arc<Mutex<HashSet<ProjectId>>>,
}

impl RedisFanout {
    /// Connects to Redis (failing if the URL is malformed or the first connection fails, so a
    /// misconfigured node does not start), then keeps both connections up in the background.
    pub async fn connect(url: &str, node: NodeId) -> Result<RedisFanout, FanoutError> {
        let client = redis::Client::open(url)
            .map_err(|e| FanoutError::Unavailable(format!("REDIS_URL is not usable: {e}")))?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(2);
        let manager = redis::aio::ConnectionManager::new_with_config(client.clone(), config)
            .await
            .map_err(|e| {
                FanoutError::Unavailable(format!("cannot reach Redis at {}: {e}", redact(url)))
            })?;
        let (local, _) = broadcast::channel(4096);
        let (publish, publish_rx) = mpsc::channel(PUBLISH_QUEUE);
        let (subs, subs_rx) = mpsc::unbounded_channel();
        let joined = Arc::new(Mutex::new(HashSet::new()));
        tokio::spawn(publisher(manager, publish_rx));
        tokio::spawn(subscriber(
            client,
            node,
            local.clone(),
            subs_rx,
            joined.clone(),
        ));
        Ok(RedisFanout {
            node,
            local,
            publish,
            subs,
            joined,
        })
    }
}

fn redact(url: &str) -> String {
    match url.split_once('@') {
        Some((_, host)) => format!("redis://…@{host}"),
        None => url.to_owned(),
    }
}

impl Fanout for RedisFanout {
    fn publish(&self, event: Event) -> Result<(), FanoutError> {
        let channel = match &event {
            Event::DocUpdate { project, .. } | Event::Awareness { project, .. } => {
                doc_channel(*project)
            }
            Event::Resync => return Ok(()),
            _ => {
                // Applied here at once; other nodes get it through Redis.
                let _ = self.local.send(event.clone());
                CONTROL.to_owned()
            }
        };
        let frame = encode(self.node, &event);
        match self.publish.try_send((channel, frame)) {
            Ok(()) => Ok(()),
            Err(_) => {
                metrics::counter!("folio_fanout_dropped_total").increment(1);
                Err(FanoutError::Unavailable(
                    "the Redis publish queue is full".into(),
                ))
            }
        }
    }

    fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.local.subscribe()
    }

    fn join(&self, project: ProjectId) {
        self.joined.lock().expect("joined").insert(project);
        let _ = self.subs.send(SubCmd::Join(project));
    }

    fn leave(&self, project: ProjectId) {
        self.joined.lock().expect("joined").remove(&project);
        let _ = self.subs.send(SubCmd::Leave(project));
    }
}

/// Sends publishes in order through a reconnecting connection; while Redis is down each
/// attempt fails fast and the event is dropped (and counted).
async fn publisher(
    mut conn: redis::aio::ConnectionManager,
    mut rx: mpsc::Receiver<(String, Bytes)>,
) {
    let mut failing = false;
    while let Some((channel, frame)) = rx.recv().await {
        let res: redis::RedisResult<i64> = redis::cmd("PUBLISH")
            .arg(&channel)
            .arg(frame.as_ref())
            .query_async(&mut conn)
            .await;
        match res {
            Ok(_) => {
                metrics::counter!("folio_fanout_published_total").increment(1);
                if failing {
                    tracing::info!("Redis publishing works again");
                    failing = false;
                }
            }
            Err(e) => {
                metrics::counter!("folio_fanout_dropped_total").increment(1);
                if !failing {
                    tracing::error!(error = %e, "Redis publish failed; serving this node's clients only until it is back");
                    failing = true;
                }
            }
        }
    }
}

/// Keeps one pub/sub connection subscribed to the control channel and every joined project,
/// reconnecting with backoff; after every (re)connect, tells the rooms to catch up.
async fn subscriber(
    client: redis::Client,
    node: NodeId,
    local: broadcast::Sender<Event>,
    mut cmds: mpsc::UnboundedReceiver<SubCmd>,
    joined: Arc<Mutex<HashSet<ProjectId>>>,
) {
    let mut backoff = Duration::from_millis(50);
    let mut connected_once = false;
    loop {
        let attempt = async {
            let (mut sink, stream) = client.get_async_pubsub().await?.split();
            sink.subscribe(CONTROL).await?;
            // Commands queued before now are covered by the `joined` set.
            while cmds.try_recv().is_ok() {}
            let channels: Vec<String> = joined
                .lock()
                .expect("joined")
                .iter()
                .map(|p| doc_channel(*p))
                .collect();
            if !channels.is_empty() {
                sink.subscribe(&channels).await?;
            }
            Ok::<_, redis::RedisError>((sink, stream))
        };
        let (mut sink, mut stream) = match tokio::time::timeout(Duration::from_secs(3), attempt)
            .await
        {
            Ok(Ok(pair)) => pair,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, retry_in_ms = backoff.as_millis() as u64, "Redis subscription failed");
                metrics::counter!("folio_fanout_reconnects_total", "result" => "failed")
                    .increment(1);
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(1));
                continue;
            }
            Err(_) => {
                tracing::warn!(
                    retry_in_ms = backoff.as_millis() as u64,
                    "Redis subscription timed out"
                );
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(1));
                continue;
            }
        };
        backoff = Duration::from_millis(50);
        metrics::gauge!("folio_fanout_connected").set(1.0);
        if connected_once {
            tracing::info!("Redis subscription is back; rooms catch up from the store");
            metrics::counter!("folio_fanout_reconnects_total", "result" => "ok").increment(1);
        }
        connected_once = true;
        // Anything published while we were away is in the durable log.
        let _ = local.send(Event::Resync);
        loop {
            tokio::select! {
                msg = stream.next() => {
                    let Some(msg) = msg else { break };
                    match decode(msg.get_payload_bytes()) {
                        Some((origin, _)) if origin == node => {}
                        Some((_, event)) => {
                            metrics::counter!("folio_fanout_received_total").increment(1);
                            let _ = local.send(event);
                        }
                        None => tracing::warn!(channel = msg.get_channel_name(), "ignoring a malformed fan-out message"),
                    }
                }
                cmd = cmds.recv() => {
                    let res = match cmd {
                        Some(SubCmd::Join(p)) => sink.subscribe(doc_channel(p)).await,
                        Some(SubCmd::Leave(p)) => sink.unsubscribe(doc_channel(p)).await,
                        None => return,
                    };
                    if let Err(e) = res {
                        tracing::warn!(error = %e, "Redis (un)subscribe failed; reconnecting");
                        break;
                    }
                }
            }
        }
        metrics::gauge!("folio_fanout_connected").set(0.0);
        tracing::error!(
            "Redis subscription lost; serving this node's clients only until it is back"
        );
    }
}

// Wire format: kind byte, origin node (16 bytes), then per kind:
//   1 DocUpdate: project (16), seq (i64 BE), update bytes
//   2 Awareness: project (16), awareness update bytes
//   3 Member: project (16), user (16), role byte (0 = removed)
//   4 ProjectDeleted: project (16)
//   5 SessionRevoked: session (16)

fn role_byte(role: Option<Role>) -> u8 {
    match role {
        None => 0,
        Some(Role::Viewer) => 1,
        Some(Role::Commenter) => 2,
        Some(Role::Contributor) => 3,
        Some(Role::Editor) => 4,
        Some(Role::Manager) => 5,
    }
}

fn role_from_byte(b: u8) -> Option<Option<Role>> {
    Some(match b {
        0 => None,
        1 => Some(Role::Viewer),
        2 => Some(Role::Commenter),
        3 => Some(Role::Contributor),
        4 => Some(Role::Editor),
        5 => Some(Role::Manager),
        _ => return None,
    })
}

fn encode(origin: NodeId, event: &Event) -> Bytes {
    let mut b = BytesMut::with_capacity(64);
    let head = |kind: u8, b: &mut BytesMut| {
        b.put_u8(kind);
        b.put_slice(origin.as_bytes());
    };
    match event {
        Event::DocUpdate {
            project,
            seq,
            update,
            ..
        } => {
            head(1, &mut b);
            b.put_slice(project.0.as_bytes());
            b.put_i64(*seq);
            b.put_slice(update);
        }
        Event::Awareness {
            project, update, ..
        } => {
            head(2, &mut b);
            b.put_slice(project.0.as_bytes());
            b.put_slice(update);
        }
        Event::Member {
            project,
            user,
            role,
        } => {
            head(3, &mut b);
            b.put_slice(project.0.as_bytes());
            b.put_slice(user.0.as_bytes());
            b.put_u8(role_byte(*role));
        }
        Event::ProjectDeleted { project } => {
            head(4, &mut b);
            b.put_slice(project.0.as_bytes());
        }
        Event::SessionRevoked { session } => {
            head(5, &mut b);
            b.put_slice(session.0.as_bytes());
        }
        Event::Activity {
            project,
            user,
            kind,
            data,
        } => {
            head(6, &mut b);
            b.put_slice(project.map(|p| p.0).unwrap_or_default().as_bytes());
            b.put_slice(user.map(|u| u.0).unwrap_or_default().as_bytes());
            b.put_u8(kind.byte());
            b.put_slice(data);
        }
        Event::Resync => unreachable!("resync is local only"),
    }
    b.freeze()
}

fn decode(frame: &[u8]) -> Option<(NodeId, Event)> {
    let mut buf = frame;
    fn id(buf: &mut &[u8]) -> Option<uuid::Uuid> {
        if buf.len() < 16 {
            return None;
        }
        let u = uuid::Uuid::from_slice(&buf[..16]).ok()?;
        buf.advance(16);
        Some(u)
    }
    if buf.is_empty() {
        return None;
    }
    let kind = buf.get_u8();
    let origin = id(&mut buf)?;
    let event = match kind {
        1 => {
            let project = ProjectId(id(&mut buf)?);
            if buf.len() < 8 {
                return None;
            }
            let seq = buf.get_i64();
            Event::DocUpdate {
                origin,
                project,
                seq,
                update: Bytes::copy_from_slice(buf),
            }
        }
        2 => Event::Awareness {
            origin,
            project: ProjectId(id(&mut buf)?),
            update: Bytes::copy_from_slice(buf),
        },
        3 => {
            let project = ProjectId(id(&mut buf)?);
            let user = UserId(id(&mut buf)?);
            if buf.len() != 1 {
                return None;
            }
            Event::Member {
                project,
                user,
                role: role_from_byte(buf[0])?,
            }
        }
        4 => Event::ProjectDeleted {
            project: ProjectId(id(&mut buf)?),
        },
        5 => Event::SessionRevoked {
            session: SessionId(id(&mut buf)?),
        },
        6 => {
            // The nil id stands for "none".
            let project = Some(id(&mut buf)?).filter(|u| !u.is_nil()).map(ProjectId);
            let user = Some(id(&mut buf)?).filter(|u| !u.is_nil()).map(UserId);
            if buf.is_empty() {
                return None;
            }
            let kind = ActivityKind::from_byte(buf.get_u8())?;
            Event::Activity {
                project,
                user,
                kind,
                data: Bytes::copy_from_slice(buf),
            }
        }
        _ => return None,
    };
    Some((origin, event))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_round_trips_and_garbage_is_refused() {
        let node = uuid::Uuid::new_v4();
        let p = ProjectId(uuid::Uuid::new_v4());
        let events = vec![
            Event::DocUpdate {
                origin: node,
                project: p,
                seq: 42,
                update: Bytes::from_static(b"\x01\x02"),
            },
            Event::Awareness {
                origin: node,
                project: p,
                update: Bytes::from_static(b"aw"),
            },
            Event::Member {
                project: p,
                user: UserId(uuid::Uuid::new_v4()),
                role: Some(Role::Editor),
            },
            Event::Member {
                project: p,
                user: UserId(uuid::Uuid::new_v4()),
                role: None,
            },
            Event::ProjectDeleted { project: p },
            Event::SessionRevoked {
                session: SessionId(uuid::Uuid::new_v4()),
            },
            Event::Activity {
                project: Some(p),
                user: None,
                kind: ActivityKind::Comment,
                data: Bytes::from_static(b"{}"),
            },
            Event::Activity {
                project: None,
                user: Some(UserId(uuid::Uuid::new_v4())),
                kind: ActivityKind::Notification,
                data: Bytes::from_static(b"{\"a\":1}"),
            },
        ];
        for e in events {
            let (origin, back) = decode(&encode(node, &e)).expect("decodes");
            assert_eq!(origin, node);
            assert_eq!(format!("{back:?}"), format!("{e:?}"));
        }
        assert!(decode(b"").is_none());
        assert!(decode(&[1, 2, 3]).is_none());
        assert!(decode(&[9; 40]).is_none());
        let mut bad_role = encode(
            node,
            &Event::Member {
                project: p,
                user: UserId(uuid::Uuid::nil()),
                role: None,
            },
        )
        .to_vec();
        *bad_role.last_mut().unwrap() = 77;
        assert!(decode(&bad_role).is_none());
    }
}
