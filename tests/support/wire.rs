//! Raw bytes of the wire formats, for tests that must send what a stock client never would:
//! lib0 varints and hand-made Yjs v1 updates.

/// Appends `n` as a lib0 variable-length unsigned integer.
pub fn write_var(out: &mut Vec<u8>, mut n: u64) {
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

/// A Yjs v1 update of one GC block, `len` clocks of `client` from `clock`, and no deletes:
/// what a crafted client sends to claim someone else's clocks.
pub fn gc_block_update(client: u64, clock: u32, len: u32) -> Vec<u8> {
    let mut out = Vec::new();
    write_var(&mut out, 1); // one client
    write_var(&mut out, 1); // one block
    write_var(&mut out, client);
    write_var(&mut out, clock as u64);
    out.push(0); // a GC block
    write_var(&mut out, len as u64);
    write_var(&mut out, 0); // an empty delete set
    out
}
