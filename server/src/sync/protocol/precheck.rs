//! A walk over an update's bytes, before yrs decodes them: declared counts must fit in the
//! bytes that follow, client ids in 53 bits, clocks in 32, and values nest only so deep.

use yrs::encoding::read::{Cursor, Read};

use super::{malformed, FrameError, MAX_CLIENT_ID};

/// Most levels of arrays and maps nested in one JSON-like value of an update. yrs decodes such
/// values recursively: a deeper one, a few bytes per level, would run a worker thread out of
/// stack and take the whole process down. The book's values nest two or three levels.
pub const MAX_VALUE_DEPTH: usize = 64;

/// Walks a v1 update the way yrs 0.28's `Update::decode` reads it, block by block and value
/// by value, without building anything, and refuses it when a count it declares (clients,
/// blocks, values, map entries, JSON strings, delete ranges) could not fit in the bytes left,
/// or when a value nests deeper than `MAX_VALUE_DEPTH`. yrs and the validator's parser
/// reserve memory for every declared count before reading the entries, so a few bytes
/// claiming four billion values would otherwise ask for tens of gigabytes. An update that
/// passes is read by yrs exactly as before; one that fails here would fail there too.
pub(super) fn precheck_update(buf: &[u8]) -> Result<(), FrameError> {
    let mut cur = Cursor::new(buf);
    let clients = count(&mut cur, 3, "clients")?;
    for _ in 0..clients {
        let blocks = count(&mut cur, 2, "blocks")?;
        client_id(&mut cur)?;
        let mut clock: u32 = cur.read_var().map_err(malformed("update clock"))?;
        for _ in 0..blocks {
            let len = skip_block(&mut cur)?;
            clock = clock.checked_add(len).ok_or_else(|| {
                FrameError::Malformed("an update's blocks run past the largest clock".into())
            })?;
        }
    }
    let delete_clients = count(&mut cur, 2, "delete-set clients")?;
    for _ in 0..delete_clients {
        client_id(&mut cur)?;
        let ranges = count(&mut cur, 2, "delete ranges")?;
        for _ in 0..ranges {
            let clock: u32 = cur.read_var().map_err(malformed("delete set"))?;
            let len: u32 = cur.read_var().map_err(malformed("delete set"))?;
            clock.checked_add(len).ok_or_else(|| {
                FrameError::Malformed("a deleted range runs past the largest clock".into())
            })?;
        }
    }
    Ok(())
}

/// Refuses a state vector that declares more entries (two bytes each at least) than it has
/// bytes for, before yrs reserves room for them, or that names a client id past 53 bits.
pub(super) fn precheck_state_vector(buf: &[u8]) -> Result<(), FrameError> {
    let mut cur = Cursor::new(buf);
    for _ in 0..count(&mut cur, 2, "state vector entries")? {
        client_id(&mut cur)?;
        let _clock: u32 = cur.read_var().map_err(malformed("state vector clock"))?;
    }
    Ok(())
}

/// Reads a client id; Yjs client ids are 53-bit, and yrs asserts so on every one it reads.
fn client_id(cur: &mut Cursor) -> Result<u64, FrameError> {
    let client: u64 = cur.read_var().map_err(malformed("client id"))?;
    if client > MAX_CLIENT_ID {
        return Err(FrameError::Malformed(format!(
            "client id {client} is longer than 53 bits"
        )));
    }
    Ok(client)
}

/// Reads an item id (client and clock).
fn item_id(cur: &mut Cursor) -> Result<(), FrameError> {
    client_id(cur)?;
    let _clock: u32 = cur.read_var().map_err(malformed("item id"))?;
    Ok(())
}

/// Reads a declared count and checks that that many entries of at least `min_bytes` each
/// fit in what is left of the buffer.
fn count(cur: &mut Cursor, min_bytes: u64, what: &str) -> Result<u32, FrameError> {
    let n: u32 = cur.read_var().map_err(malformed(what))?;
    let left = (cur.buf.len() - cur.next) as u64;
    if n as u64 * min_bytes > left {
        return Err(FrameError::Malformed(format!(
            "update claims {n} {what} in {left} bytes"
        )));
    }
    Ok(n)
}

// yrs 0.28's block and content tags (`yrs::block`), and its type refs (`yrs::types`).
const BLOCK_GC: u8 = 0;
const BLOCK_SKIP: u8 = 10;
const HAS_ORIGIN: u8 = 0b1000_0000;
const HAS_RIGHT_ORIGIN: u8 = 0b0100_0000;
const HAS_PARENT_SUB: u8 = 0b0010_0000;

/// Skips one block; its length in clocks, as yrs counts it.
fn skip_block(cur: &mut Cursor) -> Result<u32, FrameError> {
    let bad = malformed("update block");
    let info = cur.read_u8().map_err(&bad)?;
    if info == BLOCK_GC || info == BLOCK_SKIP {
        return cur.read_var().map_err(&bad);
    }
    if info & HAS_ORIGIN != 0 {
        item_id(cur)?;
    }
    if info & HAS_RIGHT_ORIGIN != 0 {
        item_id(cur)?;
    }
    if info & (HAS_ORIGIN | HAS_RIGHT_ORIGIN) == 0 {
        let named: u32 = cur.read_var().map_err(&bad)?;
        if named == 1 {
            cur.read_string().map_err(&bad)?;
        } else {
            item_id(cur)?;
        }
        if info & HAS_PARENT_SUB != 0 {
            cur.read_string().map_err(&bad)?;
        }
    }
    let len = match info & 0b1111 {
        // Deleted: a length.
        1 => cur.read_var::<u32>().map_err(&bad)?,
        // Legacy JSON: yrs reads one string more than the count it is given.
        2 => {
            let n = count(cur, 1, "JSON strings")?;
            if n > i32::MAX as u32 || n as u64 + 1 > (cur.buf.len() - cur.next) as u64 {
                return Err(FrameError::Malformed(format!(
                    "update claims {n} JSON strings"
                )));
            }
            for _ in 0..=n {
                cur.read_string().map_err(&bad)?;
            }
            n + 1
        }
        // Binary; a string, as long as its UTF-16 units; an embed (JSON text).
        3 => {
            cur.read_buf().map_err(&bad)?;
            1
        }
        4 => cur.read_string().map_err(&bad)?.encode_utf16().count() as u32,
        5 => {
            cur.read_string().map_err(&bad)?;
            1
        }
        // Format: key and JSON text.
        6 => {
            cur.read_string().map_err(&bad)?;
            cur.read_string().map_err(&bad)?;
            1
        }
        // A nested type: its type ref, and a tag name for an XML element. Weak links are a
        // yrs feature this build does not have.
        7 => {
            match cur.read_u8().map_err(&bad)? {
                0 | 1 | 2 | 4 | 5 | 6 | 9 | 15 => {}
                3 => {
                    cur.read_string().map_err(&bad)?;
                }
                other => {
                    return Err(FrameError::Malformed(format!(
                        "unknown type ref {other} in an update"
                    )))
                }
            }
            1
        }
        // JSON-like values.
        8 => {
            let n = count(cur, 1, "values")?;
            for _ in 0..n {
                skip_value(cur, 0)?;
            }
            n
        }
        // A sub-document: its guid and options.
        9 => {
            cur.read_string().map_err(&bad)?;
            skip_value(cur, 0)?;
            1
        }
        other => {
            return Err(FrameError::Malformed(format!(
                "unknown content {other} in an update"
            )))
        }
    };
    Ok(len)
}

/// Skips a lib0 signed varint of at most 10 bytes. yrs 0.28 reads longer ones by shifting
/// past 64 bits, which panics where overflow checks are on (found by the validator fuzz
/// targets); no i64 needs more than 10 bytes.
fn skip_signed_var(cur: &mut Cursor) -> Result<(), FrameError> {
    let bad = malformed("update value");
    for _ in 0..10 {
        if cur.read_u8().map_err(&bad)? & 0x80 == 0 {
            return Ok(());
        }
    }
    Err(FrameError::Malformed(
        "a signed integer in an update is longer than 10 bytes".into(),
    ))
}

/// Skips one lib0 `Any` (yrs `Any::decode`).
fn skip_value(cur: &mut Cursor, depth: usize) -> Result<(), FrameError> {
    let bad = malformed("update value");
    match cur.read_u8().map_err(&bad)? {
        127 | 126 | 121 | 120 => {}
        125 => skip_signed_var(cur)?,
        124 => {
            cur.read_f32().map_err(&bad)?;
        }
        123 => {
            cur.read_f64().map_err(&bad)?;
        }
        122 => {
            cur.read_i64().map_err(&bad)?;
        }
        119 => {
            cur.read_string().map_err(&bad)?;
        }
        116 => {
            cur.read_buf().map_err(&bad)?;
        }
        tag @ (117 | 118) => {
            if depth >= MAX_VALUE_DEPTH {
                return Err(FrameError::Malformed(format!(
                    "a value in the update nests deeper than {MAX_VALUE_DEPTH} levels"
                )));
            }
            let map = tag == 118;
            let n = count(
                cur,
                if map { 2 } else { 1 },
                if map { "map entries" } else { "array values" },
            )?;
            for _ in 0..n {
                if map {
                    cur.read_string().map_err(&bad)?;
                }
                skip_value(cur, depth + 1)?;
            }
        }
        other => {
            return Err(FrameError::Malformed(format!(
                "unknown value tag {other} in an update"
            )))
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::protocol::{
        decode_frame, sync_step1, sync_update, Incoming, Limits, MSG_SYNC, SYNC_STEP1,
    };
    use yrs::updates::decoder::Decode;
    use yrs::{StateVector, Update};

    const LIMITS: Limits = Limits {
        max_awareness_bytes: 100,
    };

    /// A frame carrying `update` as a sync Update.
    fn update_frame(update: &[u8]) -> Vec<u8> {
        sync_update(update).to_vec()
    }

    #[test]
    fn declared_counts_past_the_bytes_are_refused_before_decoding() {
        // Found by the sync_decoder fuzz target: an item of JSON-like values whose count
        // says four billion made yrs reserve 32 GB.
        let found = include_bytes!(
            "../../../../fuzz/regressions/sync_decoder/any-count-4-billion-values.bin"
        );
        assert!(decode_frame(found, &LIMITS).is_err());
        // One client, one block: an item under root "m", key "k", values claiming u32::MAX.
        let mut any = vec![1, 1, 5, 0, HAS_PARENT_SUB | 8, 1, 1, b'm', 1, b'k'];
        any.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x0f, 120]);
        any.extend_from_slice(&[0]);
        let err = decode_frame(&update_frame(&any), &LIMITS)
            .err()
            .expect("refused");
        assert!(err.to_string().contains("values"), "{err}");
        // The same with legacy JSON strings, and an array value claiming too many entries.
        let mut json = any.clone();
        json[4] = HAS_PARENT_SUB | 2;
        assert!(decode_frame(&update_frame(&json), &LIMITS).is_err());
        let nested = [
            &[
                1,
                1,
                5,
                0,
                HAS_PARENT_SUB | 8,
                1,
                1,
                b'm',
                1,
                b'k',
                1,
                117,
                0xff,
                0xff,
                0xff,
                0x0f,
            ][..],
            &[0],
        ]
        .concat();
        assert!(decode_frame(&update_frame(&nested), &LIMITS).is_err());
        // A state vector claiming four billion entries.
        let step1 = [
            MSG_SYNC as u8,
            SYNC_STEP1 as u8,
            5,
            0xff,
            0xff,
            0xff,
            0xff,
            0x0f,
        ];
        assert!(decode_frame(&step1, &LIMITS).is_err());
    }

    #[test]
    fn client_ids_past_53_bits_are_refused() {
        // Found by the sync_decoder fuzz target: yrs asserts on such an id in a state vector
        // (a panic on the connection's task in debug builds, a silently changed id in release).
        let found = include_bytes!(
            "../../../../fuzz/regressions/sync_decoder/state-vector-client-past-53-bits.bin"
        );
        assert!(decode_frame(found, &LIMITS).is_err());
        let big = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10]; // 2^59
        let step1 = [&[MSG_SYNC as u8, SYNC_STEP1 as u8, 11, 1][..], &big, &[1]].concat();
        assert!(decode_frame(&step1, &LIMITS)
            .err()
            .expect("refused")
            .to_string()
            .contains("53 bits"));
        // In an update's header, an origin and the delete set.
        let header = [&[1, 0][..], &big, &[0, 0]].concat();
        assert!(precheck_update(&header).is_err());
        let origin = [&[1, 1, 5, 0, HAS_ORIGIN | 4][..], &big, &[0, 1, b'x', 0]].concat();
        assert!(precheck_update(&origin).is_err());
        let deletes = [&[0, 1][..], &big, &[1, 0, 1]].concat();
        assert!(precheck_update(&deletes).is_err());
        let fine = [
            &[0, 1][..],
            &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f],
            &[1, 0, 1],
        ]
        .concat(); // 2^53 - 1
        assert_eq!(precheck_update(&fine), Ok(()));
    }

    #[test]
    fn clocks_past_u32_are_refused() {
        // Found by the sync_decoder fuzz target: a deleted range whose end passes 2^32 made
        // yrs overflow (a caught panic in debug builds, a wrapped range in release).
        let found =
            include_bytes!("../../../../fuzz/regressions/sync_decoder/delete-range-past-u32.bin");
        assert!(decode_frame(found, &LIMITS).is_err());
        let deletes = [0, 1, 5, 1, 0xff, 0xff, 0xff, 0xff, 0x0f, 2];
        assert!(precheck_update(&deletes)
            .expect_err("refused")
            .to_string()
            .contains("largest clock"));
        // A GC block of length 2 at clock 2^32 - 1.
        let gc = [1, 1, 5, 0xff, 0xff, 0xff, 0xff, 0x0f, 0, 2, 0];
        assert!(precheck_update(&gc)
            .expect_err("refused")
            .to_string()
            .contains("largest clock"));
        let gc_fits = [1, 1, 5, 0xfe, 0xff, 0xff, 0xff, 0x0f, 0, 1, 0];
        assert_eq!(precheck_update(&gc_fits), Ok(()));
    }

    #[test]
    fn deeply_nested_values_are_refused_without_recursing() {
        // Arrays of one array each, 100 000 deep: yrs would recurse once per level.
        let depth = 100_000;
        let mut update = vec![1, 1, 5, 0, HAS_PARENT_SUB | 8, 1, 1, b'm', 1, b'k', 1];
        update.extend(std::iter::repeat_n([117u8, 1], depth).flatten());
        update.extend_from_slice(&[126, 0]);
        let err = decode_frame(&update_frame(&update), &LIMITS)
            .err()
            .expect("refused");
        assert!(err.to_string().contains("deeper"), "{err}");
        // Shallow nesting is what the book holds, and passes.
        let mut shallow = vec![1, 1, 5, 0, HAS_PARENT_SUB | 8, 1, 1, b'm', 1, b'k', 1];
        shallow.extend(std::iter::repeat_n([117u8, 1], 8).flatten());
        shallow.extend_from_slice(&[126, 0]);
        assert!(precheck_update(&shallow).is_ok());
        assert!(Update::decode_v1(&shallow).is_ok());
    }

    #[test]
    fn the_precheck_passes_every_kind_of_content_yrs_writes() {
        use yrs::types::text::{Text, TextPrelim};
        use yrs::{
            Any, Array, ArrayPrelim, Doc, Map, MapPrelim, ReadTxn, Transact, WriteTxn,
            XmlElementPrelim, XmlFragment,
        };
        let doc = Doc::with_client_id(7);
        let first = {
            let mut txn = doc.transact_mut();
            let map = txn.get_or_insert_map("meta");
            map.insert(&mut txn, "n", 1.5);
            map.insert(&mut txn, "i", i64::MAX);
            map.insert(&mut txn, "s", "héllo");
            map.insert(&mut txn, "b", Any::Buffer(vec![1u8, 2, 3].into()));
            map.insert(
                &mut txn,
                "j",
                Any::from_json(r#"{"a":[1,{"b":[true,null,"x"]}],"c":-7}"#).unwrap(),
            );
            map.insert(&mut txn, "nested", MapPrelim::default());
            map.insert(&mut txn, "sub", Doc::new());
            let text = txn.get_or_insert_text("text");
            text.insert(&mut txn, 0, "hello 🌊 world");
            text.format(
                &mut txn,
                0,
                5,
                [("bold".into(), Any::Bool(true))].into_iter().collect(),
            );
            text.insert_embed(&mut txn, 3, Any::from_json(r#"{"image":"x.png"}"#).unwrap());
            let pages = txn.get_or_insert_array("pages");
            pages.insert_range(&mut txn, 0, [1, 2, 3, 4]);
            pages.insert(&mut txn, 0, ArrayPrelim::default());
            pages.insert(&mut txn, 1, TextPrelim::new("t"));
            pages.remove_range(&mut txn, 2, 2);
            let xml = txn.get_or_insert_xml_fragment("xml");
            xml.insert(&mut txn, 0, XmlElementPrelim::empty("p"));
            txn.encode_update_v1()
        };
        let second = {
            let mut txn = doc.transact_mut();
            txn.get_or_insert_map("meta").remove(&mut txn, "s");
            txn.encode_update_v1()
        };
        let third = {
            let mut txn = doc.transact_mut();
            txn.get_or_insert_map("meta").insert(&mut txn, "s", "again");
            txn.encode_update_v1()
        };
        let state = doc
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        // Skips: the first and third update without the second in between.
        let gapped = yrs::merge_updates_v1([first.as_slice(), third.as_slice()]).unwrap();
        let yjs = [
            &include_bytes!("../../../../crdt-schema/fixtures/ts/full.update.bin")[..],
            include_bytes!("../../../../crdt-schema/fixtures/ts/edited.update.bin"),
            include_bytes!("../../../../crdt-schema/fixtures/ts/concurrent-page-move.update.bin"),
        ];
        for update in [
            &first[..],
            &second,
            &third,
            &state,
            &gapped,
            Update::EMPTY_V1,
        ]
        .into_iter()
        .chain(yjs)
        {
            assert_eq!(precheck_update(update), Ok(()), "{update:?}");
            assert!(matches!(
                &decode_frame(&update_frame(update), &LIMITS).unwrap()[..],
                [Incoming::Content { .. }]
            ));
        }
        assert!(decode_frame(&sync_step1(&doc.transact().state_vector()), &LIMITS).is_ok());
    }
}
