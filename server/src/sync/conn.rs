//! One WebSocket connection: a reader that checks limits, decodes and checks the photos an
//! update places, and a writer that drains a bounded queue in batches, sends pings, and
//! closes with the right code.

mod photo_gate;

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use tokio::sync::{mpsc, watch};

use super::protocol::{self, FrameError, Limits};
use super::room::{Peer, PeerInfo, RoomMsg};
use super::socket::{Frame, SocketError};
use super::{close_code, Close, SyncService};
use crate::access::Role;
use crate::ids::{ProjectId, SessionId, UserId};
use crate::photos::Visibility;
use photo_gate::{PhotoGate, Refusal};

/// Who is connecting, already authenticated and authorised by the HTTP layer.
pub struct Who {
    pub project: ProjectId,
    pub user: UserId,
    pub name: String,
    pub color: &'static str,
    pub session: SessionId,
    pub session_expires: DateTime<Utc>,
    pub role: Role,
}

/// Most messages written to the socket before one flush.
const WRITE_BATCH: usize = 64;

/// Serves one upgraded socket until it closes. The socket is any stream and sink of
/// [`Frame`]s: the HTTP layer adapts its WebSocket to it.
pub async fn serve_socket<S>(socket: S, svc: SyncService, who: Who)
where
    S: Stream<Item = Result<Frame, SocketError>> + Sink<Frame> + Send + 'static,
{
    let cfg = svc.config().clone();
    let conn_id = svc.next_conn_id();
    let (out_tx, out_rx) = mpsc::channel(cfg.outbound_queue.max(1));
    let (close_tx, close_rx) = watch::channel(None);
    let close_tx = Arc::new(close_tx);
    let (sink, stream) = socket.split();
    let writer = tokio::spawn(write_loop(
        sink,
        out_rx,
        close_rx.clone(),
        cfg.ping_interval(),
    ));

    let peer = Peer {
        info: PeerInfo {
            conn_id,
            user: who.user,
            user_str: Arc::from(who.user.to_string()),
            session: who.session,
            role: who.role,
        },
        out: out_tx.clone(),
        close: close_tx.clone(),
    };
    let room = match svc.join(who.project, peer).await {
        Ok(room) => room,
        Err(e) => {
            close_tx.send_replace(Some(Close::new(e.close_code(), e.to_string())));
            let _ = writer.await;
            return;
        }
    };
    metrics::gauge!("folio_connections").increment(1.0);
    // Counted online until this connection's task ends.
    let _online = svc.presence().connected(who.user);

    let user_json = serde_json::json!({ "id": who.user, "name": who.name, "color": who.color });
    let reader = Reader {
        room: room.clone(),
        conn_id,
        close: close_tx.clone(),
        limits: Limits {
            max_awareness_bytes: cfg.max_awareness_bytes,
        },
        max_frame: cfg.max_frame_bytes,
        bucket: TokenBucket::new(cfg.rate_per_s, cfg.rate_burst),
        updates: TokenBucket::new(cfg.updates_per_s, cfg.updates_burst),
        user_json,
        photos: PhotoGate::new(
            who.project,
            who.user,
            Visibility::new(svc.shared.store.clone()),
        ),
        out: out_tx,
    };
    reader
        .run(stream, close_rx, who.session_expires, cfg.ping_interval())
        .await;

    let _ = room.send(RoomMsg::Leave { conn: conn_id }).await;
    // If nobody chose a close code yet, the peer went away or closed normally.
    close_tx.send_if_modified(|c| {
        if c.is_none() {
            *c = Some(Close::new(1000, "closing"));
            true
        } else {
            false
        }
    });
    let _ = writer.await;
    metrics::gauge!("folio_connections").decrement(1.0);
}

struct Reader {
    room: mpsc::Sender<RoomMsg>,
    conn_id: u64,
    close: Arc<watch::Sender<Option<Close>>>,
    limits: Limits,
    max_frame: usize,
    bucket: TokenBucket,
    /// Updates, however many a frame packs (FOLIO_UPDATES_PER_S).
    updates: TokenBucket,
    user_json: serde_json::Value,
    photos: PhotoGate,
    /// This connection's outbound queue, for refusals the reader answers itself.
    out: mpsc::Sender<Bytes>,
}

impl Reader {
    fn close(&self, code: u16, reason: impl Into<String>) {
        self.close.send_replace(Some(Close::new(code, reason)));
    }

    async fn run(
        mut self,
        stream: impl Stream<Item = Result<Frame, SocketError>>,
        mut close_rx: watch::Receiver<Option<Close>>,
        expires: DateTime<Utc>,
        ping: Duration,
    ) {
        tokio::pin!(stream);
        let ttl = (expires - Utc::now()).to_std().unwrap_or(Duration::ZERO);
        let expiry = tokio::time::sleep(ttl);
        tokio::pin!(expiry);
        let mut liveness = tokio::time::interval(ping);
        let mut last_seen = Instant::now();
        loop {
            tokio::select! {
                _ = close_rx.changed() => return,
                _ = &mut expiry => return self.close(close_code::TOKEN, "your login expired; log in again"),
                _ = liveness.tick() => {
                    if last_seen.elapsed() > ping * 3 {
                        return self.close(close_code::GOING_AWAY, "no answer to ping");
                    }
                }
                frame = stream.next() => {
                    last_seen = Instant::now();
                    match frame {
                        None | Some(Ok(Frame::Close(_))) => return,
                        Some(Err(SocketError::TooLarge)) => {
                            return self.close(close_code::TOO_LARGE, format!("frame over the limit of {} bytes", self.max_frame));
                        }
                        Some(Err(SocketError::Other(text))) => {
                            tracing::debug!(error = %text, "websocket read failed");
                            return;
                        }
                        Some(Ok(Frame::Binary(data))) => {
                            if !self.binary(data).await {
                                return;
                            }
                        }
                        Some(Ok(Frame::Text)) => {
                            return self.close(close_code::MALFORMED, "text frames are not part of the y-websocket protocol");
                        }
                        Some(Ok(Frame::Ping(_) | Frame::Pong(_))) => {}
                    }
                }
            }
        }
    }

    /// Handles one binary frame; false ends the connection.
    async fn binary(&mut self, data: Bytes) -> bool {
        if data.len() > self.max_frame {
            self.close(
                close_code::TOO_LARGE,
                format!(
                    "frame of {} bytes is over the limit of {}",
                    data.len(),
                    self.max_frame
                ),
            );
            return false;
        }
        if !self.bucket.take() {
            self.close(close_code::RATE, "message rate over the limit; slow down");
            return false;
        }
        let mut msgs = match protocol::decode_frame(&data, &self.limits) {
            Ok(m) => m,
            Err(e @ FrameError::AwarenessTooLarge { .. }) => {
                self.close(close_code::TOO_LARGE, e.to_string());
                return false;
            }
            Err(e) => {
                self.close(close_code::MALFORMED, e.to_string());
                return false;
            }
        };
        let updates = msgs
            .iter()
            .filter(|m| matches!(m, protocol::Incoming::Content { .. }))
            .count();
        if !self.updates.take_n(updates) {
            self.close(close_code::RATE, "update rate over the limit; slow down");
            return false;
        }
        for m in &mut msgs {
            if let protocol::Incoming::Awareness(entries) = m {
                for e in entries.iter_mut() {
                    if let Err(err) = protocol::stamp_user(e, &self.user_json) {
                        self.close(close_code::MALFORMED, err.to_string());
                        return false;
                    }
                }
            }
        }
        let mut passed = Vec::with_capacity(msgs.len());
        for m in msgs {
            if let protocol::Incoming::Content { parsed, .. } = &m {
                match self.photos.check(parsed).await {
                    Ok(()) => {}
                    Err(Refusal::Photo(reason)) => {
                        // Refused like the room refuses an update: not applied, persisted or
                        // relayed, and the sender told why.
                        metrics::counter!("folio_updates_rejected_total", "reason" => "photo")
                            .increment(1);
                        if self
                            .out
                            .try_send(protocol::permission_denied(&format!(
                                "permission denied: {reason}"
                            )))
                            .is_err()
                        {
                            self.close(
                                close_code::TOO_SLOW,
                                "outbound queue full; reconnect and resync",
                            );
                            return false;
                        }
                        continue;
                    }
                    Err(Refusal::Store(e)) => {
                        // Neither refused nor passed: the client reconnects and sends it again.
                        tracing::warn!(conn = self.conn_id, error = %e, "checking the photos of an update failed");
                        self.close(
                            close_code::RESTART,
                            "the server could not check this update just now; reconnecting",
                        );
                        return false;
                    }
                }
            }
            passed.push(m);
        }
        if passed.is_empty() {
            return true;
        }
        self.room
            .send(RoomMsg::Frame {
                conn: self.conn_id,
                msgs: passed,
            })
            .await
            .is_ok()
    }
}

async fn write_loop(
    sink: impl Sink<Frame>,
    mut out: mpsc::Receiver<Bytes>,
    mut close: watch::Receiver<Option<Close>>,
    ping: Duration,
) {
    tokio::pin!(sink);
    let mut pings = tokio::time::interval(ping);
    pings.tick().await;
    loop {
        tokio::select! {
            biased;
            changed = close.changed() => {
                let reason = close.borrow().clone();
                if changed.is_err() || reason.is_some() {
                    if let Some(c) = reason {
                        let frame = Close::new(c.code, truncate(&c.reason, 120));
                        let _ = sink.send(Frame::Close(Some(frame))).await;
                    }
                    let _ = sink.close().await;
                    return;
                }
            }
            msg = out.recv() => {
                let Some(first) = msg else {
                    let _ = sink.close().await;
                    return;
                };
                if sink.feed(Frame::Binary(first)).await.is_err() {
                    return;
                }
                for _ in 1..WRITE_BATCH {
                    match out.try_recv() {
                        Ok(b) => {
                            if sink.feed(Frame::Binary(b)).await.is_err() {
                                return;
                            }
                        }
                        Err(_) => break,
                    }
                }
                if sink.flush().await.is_err() {
                    return;
                }
            }
            _ = pings.tick() => {
                if sink.send(Frame::Ping(Bytes::new())).await.is_err() {
                    return;
                }
            }
        }
    }
}

fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Per-connection message rate limit.
struct TokenBucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    fn new(rate_per_s: u32, burst: u32) -> TokenBucket {
        let burst = burst.max(1) as f64;
        TokenBucket {
            rate: rate_per_s as f64,
            burst,
            tokens: burst,
            last: Instant::now(),
        }
    }

    fn take(&mut self) -> bool {
        self.take_n(1)
    }

    fn take_n(&mut self, n: usize) -> bool {
        let now = Instant::now();
        self.tokens =
            (self.tokens + now.duration_since(self.last).as_secs_f64() * self.rate).min(self.burst);
        self.last = now;
        if self.tokens >= n as f64 {
            self.tokens -= n as f64;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_allows_the_burst_then_refuses() {
        let mut b = TokenBucket::new(0, 3);
        assert!(b.take() && b.take() && b.take());
        assert!(!b.take());
    }

    #[test]
    fn a_packed_frame_costs_one_token_per_update() {
        let mut b = TokenBucket::new(0, 5);
        assert!(b.take_n(0) && b.take_n(4));
        assert!(!b.take_n(2), "only one token is left");
        assert!(b.take_n(1));
    }

    #[test]
    fn close_reasons_fit_in_a_frame() {
        let long = "é".repeat(100);
        let t = truncate(&long, 120);
        assert!(t.len() <= 120 && t.is_char_boundary(t.len()));
    }
}
