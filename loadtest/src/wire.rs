//! The y-websocket wire format, with an adapter for Hocuspocus's framing (every frame is
//! prefixed with the document name, and the first message authenticates).

use yrs::encoding::read::{Cursor, Read};
use yrs::encoding::write::Write;
use yrs::updates::encoder::{Encode, Encoder, EncoderV1};
use yrs::StateVector;

pub const MSG_SYNC: u64 = 0;
pub const MSG_AWARENESS: u64 = 1;
pub const MSG_AUTH: u64 = 2;

/// How messages are wrapped on the socket.
#[derive(Debug, Clone)]
pub enum Framing {
    /// Plain y-websocket: one message per frame.
    YWebsocket,
    /// Hocuspocus: `varString(document)` before every message.
    Hocuspocus { document: String },
}

impl Framing {
    fn frame(&self, f: impl FnOnce(&mut EncoderV1)) -> Vec<u8> {
        let mut e = EncoderV1::new();
        if let Framing::Hocuspocus { document } = self {
            e.write_string(document);
        }
        f(&mut e);
        e.to_vec()
    }

    pub fn sync_step1(&self, sv: &StateVector) -> Vec<u8> {
        self.frame(|e| {
            e.write_var(MSG_SYNC);
            e.write_var(0u8);
            e.write_buf(sv.encode_v1());
        })
    }

    pub fn sync_step2(&self, update: &[u8]) -> Vec<u8> {
        self.frame(|e| {
            e.write_var(MSG_SYNC);
            e.write_var(1u8);
            e.write_buf(update);
        })
    }

    pub fn update(&self, update: &[u8]) -> Vec<u8> {
        self.frame(|e| {
            e.write_var(MSG_SYNC);
            e.write_var(2u8);
            e.write_buf(update);
        })
    }

    pub fn awareness(&self, client: u64, clock: u32, json: &str) -> Vec<u8> {
        let mut inner = EncoderV1::new();
        inner.write_var(1u8);
        inner.write_var(client);
        inner.write_var(clock);
        inner.write_string(json);
        let inner = inner.to_vec();
        self.frame(|e| {
            e.write_var(MSG_AWARENESS);
            e.write_buf(&inner);
        })
    }

    /// Hocuspocus's first message: `Auth` with a token.
    pub fn hocuspocus_auth(&self, token: &str) -> Vec<u8> {
        self.frame(|e| {
            e.write_var(MSG_AUTH);
            e.write_var(0u8);
            e.write_string(token);
        })
    }

    /// Splits a received frame into the message body (after any document prefix).
    pub fn body<'a>(&self, frame: &'a [u8]) -> Option<&'a [u8]> {
        match self {
            Framing::YWebsocket => Some(frame),
            Framing::Hocuspocus { .. } => {
                let mut c = Cursor::new(frame);
                c.read_string().ok()?;
                Some(&frame[c.next..])
            }
        }
    }
}

/// A received message, decoded as far as the generator needs.
#[derive(Debug)]
pub enum Received<'a> {
    SyncStep1(StateVector),
    SyncStep2(&'a [u8]),
    Update(&'a [u8]),
    Awareness(Vec<(u64, u32, &'a str)>),
    PermissionDenied(String),
    /// Anything else (Hocuspocus's auth replies, sync status, query-awareness …).
    Other,
}

/// Reads a length-prefixed byte string, borrowing from `buf` itself.
fn take<'a>(buf: &'a [u8], c: &mut Cursor) -> Option<&'a [u8]> {
    let len: usize = c.read_var().ok()?;
    let start = c.next;
    let end = start.checked_add(len)?;
    if end > buf.len() {
        return None;
    }
    c.next = end;
    Some(&buf[start..end])
}

pub fn decode(body: &[u8]) -> Option<Received<'_>> {
    use yrs::updates::decoder::Decode;
    let mut c = Cursor::new(body);
    let tag: u64 = c.read_var().ok()?;
    match tag {
        MSG_SYNC => {
            let step: u64 = c.read_var().ok()?;
            let buf = take(body, &mut c)?;
            match step {
                0 => Some(Received::SyncStep1(StateVector::decode_v1(buf).ok()?)),
                1 => Some(Received::SyncStep2(buf)),
                2 => Some(Received::Update(buf)),
                _ => None,
            }
        }
        MSG_AWARENESS => {
            let buf = take(body, &mut c)?;
            let mut a = Cursor::new(buf);
            let n: u64 = a.read_var().ok()?;
            let mut out = Vec::new();
            for _ in 0..n.min(10_000) {
                let client: u64 = a.read_var().ok()?;
                let clock: u32 = a.read_var().ok()?;
                let json = std::str::from_utf8(take(buf, &mut a)?).ok()?;
                out.push((client, clock, json));
            }
            Some(Received::Awareness(out))
        }
        MSG_AUTH => {
            let status: u64 = c.read_var().ok()?;
            if status == 0 {
                let reason = take(body, &mut c)
                    .map(|b| String::from_utf8_lossy(b).into_owned())
                    .unwrap_or_default();
                Some(Received::PermissionDenied(reason))
            } else {
                Some(Received::Other)
            }
        }
        _ => Some(Received::Other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_in_both_framings() {
        for framing in [
            Framing::YWebsocket,
            Framing::Hocuspocus {
                document: "doc-1".into(),
            },
        ] {
            let f = framing.update(&[1, 2, 3]);
            match decode(framing.body(&f).unwrap()) {
                Some(Received::Update(u)) => assert_eq!(u, &[1, 2, 3]),
                other => panic!("{other:?}"),
            }
            let a = framing.awareness(7, 2, "{\"t\":1}");
            match decode(framing.body(&a).unwrap()) {
                Some(Received::Awareness(v)) => assert_eq!(v, vec![(7, 2, "{\"t\":1}")]),
                other => panic!("{other:?}"),
            }
        }
    }
}
