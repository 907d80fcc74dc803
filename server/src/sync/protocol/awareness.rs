//! Awareness states as the client sends them: decoded under the size limit, and stamped
//! with the authenticated user.

use yrs::encoding::read::{Cursor, Read};

use super::{malformed, AwarenessEntry, FrameError, Limits, MAX_CLIENT_ID};

pub fn decode_awareness(buf: &[u8], limits: &Limits) -> Result<Vec<AwarenessEntry>, FrameError> {
    let mut cur = Cursor::new(buf);
    let count: u64 = cur.read_var().map_err(malformed("awareness count"))?;
    // Each entry takes at least three bytes.
    if count > (buf.len() as u64) / 3 {
        return Err(FrameError::Malformed(format!(
            "awareness claims {count} states in {} bytes",
            buf.len()
        )));
    }
    let mut entries = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let client_id: u64 = cur.read_var().map_err(malformed("awareness client id"))?;
        if client_id == 0 || client_id > MAX_CLIENT_ID {
            return Err(FrameError::Malformed(format!(
                "awareness client id {client_id} is out of range"
            )));
        }
        let clock: u32 = cur.read_var().map_err(malformed("awareness clock"))?;
        let json = cur.read_string().map_err(malformed("awareness state"))?;
        if json.len() > limits.max_awareness_bytes {
            return Err(FrameError::AwarenessTooLarge {
                size: json.len(),
                limit: limits.max_awareness_bytes,
            });
        }
        entries.push(AwarenessEntry {
            client_id,
            clock,
            json: json.to_owned(),
        });
    }
    if cur.has_content() {
        return Err(FrameError::Malformed(
            "trailing bytes after awareness states".into(),
        ));
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
        None => {
            return Err(FrameError::Malformed(
                "awareness state must be a JSON object or null".into(),
            ))
        }
    }
    entry.json = state.to_string();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamping_overwrites_a_spoofed_user() {
        let mut e = AwarenessEntry {
            client_id: 1,
            clock: 1,
            json: r#"{"user":{"name":"Mallory"},"cursor":1}"#.into(),
        };
        stamp_user(
            &mut e,
            &serde_json::json!({"id":"u1","name":"Alice","color":"#fff"}),
        )
        .unwrap();
        let v: serde_json::Value = serde_json::from_str(&e.json).unwrap();
        assert_eq!(v["user"]["name"], "Alice");
        assert_eq!(v["cursor"], 1);
    }
}
