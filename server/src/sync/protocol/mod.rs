//! The y-websocket wire protocol: decoding client frames under limits, encoding server frames.
//!
//! Decoding happens on the connection's own task, so a hostile frame costs only its sender.
//! Awareness is decoded here rather than by yrs so that client ids, counts and state sizes
//! are checked before anything is allocated or applied.

mod awareness;
mod encode;
mod precheck;

use bytes::Bytes;
use crdt_schema::validate::{parse_update, ParsedUpdate};
use yrs::encoding::read::{Cursor, Read};
use yrs::updates::decoder::Decode;
use yrs::{StateVector, Update};

pub use awareness::{decode_awareness, stamp_user};
pub use encode::{awareness, permission_denied, sync_step1, sync_step2, sync_update};
pub use precheck::MAX_VALUE_DEPTH;
use precheck::{precheck_state_vector, precheck_update};

pub const MSG_SYNC: u64 = 0;
pub const MSG_AWARENESS: u64 = 1;
pub const MSG_AUTH: u64 = 2;
pub const MSG_QUERY_AWARENESS: u64 = 3;

pub const SYNC_STEP1: u64 = 0;
pub const SYNC_STEP2: u64 = 1;
pub const SYNC_UPDATE: u64 = 2;

/// Yjs client ids are 53-bit (JavaScript safe integers).
pub(super) const MAX_CLIENT_ID: u64 = (1 << 53) - 1;

/// One decoded client message.
pub enum Incoming {
    SyncStep1(StateVector),
    /// SyncStep2 or Update: decoded for yrs, parsed for validation, and the raw bytes kept
    /// for the log and relays.
    Content {
        update: Update,
        parsed: ParsedUpdate,
        raw: Bytes,
    },
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

pub(super) fn malformed(what: &str) -> impl Fn(yrs::encoding::read::Error) -> FrameError + '_ {
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
                    precheck_state_vector(buf)?;
                    let sv = StateVector::decode_v1(buf).map_err(malformed("state vector"))?;
                    Ok(Incoming::SyncStep1(sv))
                }
                SYNC_STEP2 | SYNC_UPDATE => {
                    precheck_update(buf)?;
                    // yrs asserts on some impossible inputs in debug builds; a hostile
                    // frame must cost an error, never a panic.
                    let decoded =
                        std::panic::catch_unwind(|| (Update::decode_v1(buf), parse_update(buf)))
                            .map_err(|_| {
                                FrameError::Malformed("update could not be decoded".into())
                            })?;
                    let update = decoded.0.map_err(malformed("update"))?;
                    let parsed = decoded.1.map_err(|e| FrameError::Malformed(e.message))?;
                    Ok(Incoming::Content {
                        update,
                        parsed,
                        raw: Bytes::copy_from_slice(buf),
                    })
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
        other => Err(FrameError::Malformed(format!(
            "unknown message type {other}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        max_awareness_bytes: 100,
    };

    #[test]
    fn awareness_round_trips() {
        let bytes = awareness([(7u64, 3u32, "{\"a\":1}")].into_iter());
        let msgs = decode_frame(&bytes, &LIMITS).unwrap();
        match &msgs[..] {
            [Incoming::Awareness(e)] => assert_eq!(
                e,
                &vec![AwarenessEntry {
                    client_id: 7,
                    clock: 3,
                    json: "{\"a\":1}".into()
                }]
            ),
            _ => panic!("expected one awareness message"),
        }
    }

    #[test]
    fn hostile_frames_are_errors_not_panics() {
        let cases: Vec<Vec<u8>> = vec![
            vec![],
            vec![0xff],                                     // truncated varint
            vec![0x00, 0x01, 0xff, 0xff, 0xff, 0xff, 0x0f], // giant length prefix
            vec![0x00, 0x02, 0x05, 0x01],                   // length beyond the frame
            vec![0x01, 0x04, 0xff, 0xff, 0xff, 0x7f],       // awareness count bomb
            vec![0x09],                                     // unknown type
            vec![0x00, 0x07, 0x00],                         // unknown sync step
        ];
        for c in cases {
            assert!(
                decode_frame(&c, &LIMITS).is_err(),
                "{c:?} should be refused"
            );
        }
    }

    #[test]
    fn oversized_awareness_is_its_own_error() {
        let big = format!("{{\"x\":\"{}\"}}", "a".repeat(200));
        let bytes = awareness([(7u64, 1u32, big.as_str())].into_iter());
        assert!(matches!(
            decode_frame(&bytes, &LIMITS),
            Err(FrameError::AwarenessTooLarge { .. })
        ));
    }
}
