//! Encoding the server's frames. Each is built once and shared by every receiver.

use bytes::Bytes;
use yrs::encoding::write::Write;
use yrs::updates::encoder::{Encode, Encoder, EncoderV1};
use yrs::StateVector;

use super::{MSG_AUTH, MSG_AWARENESS, MSG_SYNC, SYNC_STEP1, SYNC_STEP2, SYNC_UPDATE};

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
