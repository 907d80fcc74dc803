//! The y-websocket wire protocol: decoding client frames under limits, encoding server frames.
//!
//! Decoding happens on the connection's own task, so a hostile frame costs only its sender.
//! Awareness is decoded here rather than by yrs so that client ids, counts and state sizes
//! are checked before anything is allocated or applied.

use bytes::Bytes;
use yrs::encoding::read::{Cursor, Read};
use yrs::encoding::write::Write;
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::{Encode, Encoder, EncoderV1};
use crdt_schema::validate::{parse_update, ParsedUpdate};
use yrs::{StateVector, Update};

pub const MSG_SYNC: u64 = 0;
pub const MSG_AWARENESS: u64 = 1;
pub const MSG_AUTH: u64 = 2;
pub const MSG_QUERY_AWARENESS: u64 = 3;

pub const SYNC_STEP1: u64 = 0;
pub const SYNC_STEP2: u64 = 1;
pub const SYNC_UPDATE: u64 = 2;

/// Yjs client ids are 53-bit (JavaScript safe integers).
const MAX_CLIENT_ID: u64 = (1 << 53) - 1;

/// One decoded client message.
pub enum Incoming {
    SyncStep1(StateVector),
    /// SyncStep2 or Update: decoded for yrs, parsed for validation, and the raw bytes kept
    /// for the log and relays.
    Content { update: Update, parsed: ParsedUpdate, raw: Bytes },
    Awareness(Vec<AwarenessEntry>),
    QueryAwareness,
    /// An auth message from a client carries nothing the server acts on.
    Auth,
}

/// One client's awareness state, as sent on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwarenessEntry {
    pub client_id: u64,
    pub clock: u32,
    /// JSON text; `"null"` means the client went away.
    pub json: String,
}

/// Why a frame was refused. Each maps to a WebSocket close code of SPEC §5.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FrameError {
    #[error("malformed message: {0}")]
    Malformed(String),
    #[error("awareness state of {size} bytes is over the limit of {limit}")]
    AwarenessTooLarge { size: usize, limit: usize },
}

pub struct Limits {
    pub max_awareness_bytes: usize,
}

/// Decodes every message in one binary frame.
pub fn decode_frame(frame: &[u8], limits: &Limits) -> Result<Vec<Incoming>, FrameError> {
    let mut cur = Cursor::new(frame);
    let mut out = Vec::with_capacity(1);
    while cur.has_content() {
        out.push(decode_message(&mut cur, limits)?);
    }
    if out.is_empty() {
        return Err(FrameError::Malformed("empty frame".into()));
    }
    Ok(out)
}

fn malformed(what: &str) -> impl Fn(yrs::encoding::read::Error) -> FrameError + '_ {
    move |e| FrameError::Malformed(format!("{what}: {e}"))
}

fn decode_message(cur: &mut Cursor, limits: &Limits) -> Result<Incoming, FrameError> {
    let tag: u64 = cur.read_var().map_err(malformed("message type"))?;
    match tag {
        MSG_SYNC => {
            let step: u64 = cur.read_var().map_err(malformed("sync step"))?;
            let buf = cur.read_buf().map_err(malformed("sync payload"))?;
            match step {
                SYNC_STEP1 => {
                    let sv = StateVector::decode_v1(buf).map_err(malformed("state vector"))?;
                    Ok(Incoming::SyncStep1(sv))
                }
                SYNC_STEP2 | SYNC_UPDATE => {
                    precheck_update(buf)?;
                    // yrs asserts on some impossible inputs in debug builds; a hostile
                    // frame must cost an error, never a panic.
                    let decoded = std::panic::catch_unwind(|| (Update::decode_v1(buf), parse_update(buf)))
                        .map_err(|_| FrameError::Malformed("update could not be decoded".into()))?;
                    let update = decoded.0.map_err(malformed("update"))?;
                    let parsed = decoded.1.map_err(|e| FrameError::Malformed(e.message))?;
                    Ok(Incoming::Content { update, parsed, raw: Bytes::copy_from_slice(buf) })
                }
                other => Err(FrameError::Malformed(format!("unknown sync step {other}"))),
            }
        }
        MSG_AWARENESS => {
            let buf = cur.read_buf().map_err(malformed("awareness payload"))?;
            decode_awareness(buf, limits).map(Incoming::Awareness)
        }
        MSG_AUTH => {
            // y-protocols auth: a status byte and, for "denied", a reason.
            let status: u64 = cur.read_var().map_err(malformed("auth status"))?;
            if status == 0 {
                cur.read_string().map_err(malformed("auth reason"))?;
            }
            Ok(Incoming::Auth)
        }
        MSG_QUERY_AWARENESS => Ok(Incoming::QueryAwareness),
        other => Err(FrameError::Malformed(format!("unknown message type {other}"))),
    }
}

/// Rejects update headers that promise more entries than the bytes could hold, before
/// yrs reserves memory for them.
fn precheck_update(buf: &[u8]) -> Result<(), FrameError> {
    let mut cur = Cursor::new(buf);
    let clients: u64 = cur.read_var().map_err(malformed("update header"))?;
    if clients > buf.len() as u64 {
        return Err(FrameError::Malformed(format!("update claims {clients} clients in {} bytes", buf.len())));
    }
    if clients > 0 {
        let blocks: u64 = cur.read_var().map_err(malformed("update header"))?;
        if blocks > buf.len() as u64 {
            return Err(FrameError::Malformed(format!("update claims {blocks} blocks in {} bytes", buf.len())));
        }
    }
    Ok(())
}

pub fn decode_awareness(buf: &[u8], limits: &Limits) -> Result<Vec<AwarenessEntry>, FrameError> {
    let mut cur = Cursor::new(buf);
    let count: u64 = cur.read_var().map_err(malformed("awareness count"))?;
    // Each entry takes at least three bytes.
    if count > (buf.len() as u64) / 3 {
        return Err(FrameError::Malformed(format!("awareness claims {count} states in {} bytes", buf.len())));
    }
    let mut entries = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let client_id: u64 = cur.read_var().map_err(malformed("awareness client id"))?;
        if client_id == 0 || client_id > MAX_CLIENT_ID {
            return Err(FrameError::Malformed(format!("awareness client id {client_id} is out of range")));
        }
        let clock: u32 = cur.read_var().map_err(malformed("awareness clock"))?;
        let json = cur.read_string().map_err(malformed("awareness state"))?;
        if json.len() > limits.max_awareness_bytes {
            return Err(FrameError::AwarenessTooLarge { size: json.len(), limit: limits.max_awareness_bytes });
        }
        entries.push(AwarenessEntry { client_id, clock, json: json.to_owned() });
    }
    if cur.has_content() {
        return Err(FrameError::Malformed("trailing bytes after awareness states".into()));
    }
    Ok(entries)
}

/// Replaces the `user` field of a state with the authenticated user. States that are not
/// JSON objects are refused; `null` (the client left) passes through.
pub fn stamp_user(entry: &mut AwarenessEntry, user: &serde_json::Value) -> Result<(), FrameError> {
    if entry.json == "null" {
        return Ok(());
    }
    let mut state: serde_json::Value = serde_json::from_str(&entry.json)
        .map_err(|e| FrameError::Malformed(format!("awareness state is not JSON: {e}")))?;
    match state.as_object_mut() {
        Some(obj) => {
            obj.insert("user".into(), user.clone());
        }
        None => return Err(FrameError::Malformed("awareness state must be a JSON object or null".into())),
    }
    entry.json = state.to_string();
    Ok(())
}

// ---- encoding ----

fn frame(f: impl FnOnce(&mut EncoderV1)) -> Bytes {
    let mut enc = EncoderV1::new();
    f(&mut enc);
    Bytes::from(enc.to_vec())
}

pub fn sync_step1(sv: &StateVector) -> Bytes {
    frame(|e| {
        e.write_var(MSG_SYNC);
        e.write_var(SYNC_STEP1);
        e.write_buf(sv.encode_v1());
    })
}

pub fn sync_step2(update: &[u8]) -> Bytes {
    frame(|e| {
        e.write_var(MSG_SYNC);
        e.write_var(SYNC_STEP2);
        e.write_buf(update);
    })
}

pub fn sync_update(update: &[u8]) -> Bytes {
    frame(|e| {
        e.write_var(MSG_SYNC);
        e.write_var(SYNC_UPDATE);
        e.write_buf(update);
    })
}

pub fn permission_denied(reason: &str) -> Bytes {
    frame(|e| {
        e.write_var(MSG_AUTH);
        e.write_var(0u8);
        e.write_string(reason);
    })
}

pub fn awareness<'a>(entries: impl ExactSizeIterator<Item = (u64, u32, &'a str)>) -> Bytes {
    let mut inner = EncoderV1::new();
    inner.write_var(entries.len());
    for (client, clock, json) in entries {
        inner.write_var(client);
        inner.write_var(clock);
        inner.write_string(json);
    }
    let inner = inner.to_vec();
    frame(|e| {
        e.write_var(MSG_AWARENESS);
        e.write_buf(&inner);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits { max_awareness_bytes: 100 };

    #[test]
    fn awareness_round_trips() {
        let bytes = awareness([(7u64, 3u32, "{\"a\":1}")].into_iter());
        let msgs = decode_frame(&bytes, &LIMITS).unwrap();
        match &msgs[..] {
            [Incoming::Awareness(e)] => assert_eq!(e, &vec![AwarenessEntry { client_id: 7, clock: 3, json: "{\"a\":1}".into() }]),
            _ => panic!("expected one awareness message"),
        }
    }

    #[test]
    fn hostile_frames_are_errors_not_panics() {
        let cases: Vec<Vec<u8>> = vec![
            vec![],
            vec![0xff],                                   // truncated varint
            vec![0x00, 0x01, 0xff, 0xff, 0xff, 0xff, 0x0f], // giant length prefix
            vec![0x00, 0x02, 0x05, 0x01],                 // length beyond the frame
            vec![0x01, 0x04, 0xff, 0xff, 0xff, 0x7f],     // awareness count bomb
            vec![0x09],                                   // unknown type
            vec![0x00, 0x07, 0x00],                       // unknown sync step
        ];
        for c in cases {
            assert!(decode_frame(&c, &LIMITS).is_err(), "{c:?} should be refused");
        }
    }

    #[test]
    fn oversized_awareness_is_its_own_error() {
        let big = format!("{{\"x\":\"{}\"}}", "a".repeat(200));
        let bytes = awareness([(7u64, 1u32, big.as_str())].into_iter());
        assert!(matches!(decode_frame(&bytes, &LIMITS), Err(FrameError::AwarenessTooLarge { .. })));
    }

    #[test]
    fn stamping_overwrites_a_spoofed_user() {
        let mut e = AwarenessEntry { client_id: 1, clock: 1, json: r#"{"user":{"name":"Mallory"},"cursor":1}"#.into() };
        stamp_user(&mut e, &serde_json::json!({"id":"u1","name":"Alice","color":"#fff"})).unwrap();
        let v: serde_json::Value = serde_json::from_str(&e.json).unwrap();
        assert_eq!(v["user"]["name"], "Alice");
        assert_eq!(v["cursor"], 1);
    }
}
