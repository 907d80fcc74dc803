//! Crafted updates: overwritten keys, GC blocks and another connection's client id, resyncs,
//! unknown dependencies, and the index against the document.

use super::*;

/// The bytes of `update` with its delete set removed, as a crafted client would send it.
fn strip_deletes(update: &[u8], delete_set: &[u8]) -> Vec<u8> {
    assert!(
        update.ends_with(delete_set),
        "the delete set is the update's tail"
    );
    let mut out = update[..update.len() - delete_set.len()].to_vec();
    out.push(0); // no delete-set clients
    out
}

/// Makes an edit on `c` and returns the update with its delete set stripped.
fn crafted(c: &Doc, f: impl FnOnce(&mut TransactionMut)) -> Vec<u8> {
    use yrs::updates::encoder::Encode;
    let mut txn = c.transact_mut();
    f(&mut txn);
    let ds = txn.delete_set().encode_v1();
    strip_deletes(&txn.encode_update_v1(), &ds)
}

#[test]
fn contributor_cannot_replace_someone_elses_item_by_overwriting_its_key() {
    // Finding 2: a new Y.Map written to the key of Bob's item, the delete set stripped.
    let (mut s, a, _) = two_authors();
    let alice = actor(ALICE, Level::Contributor);
    let update = crafted(&a, |txn| {
        let pb = page_at(txn, 1);
        let it = items(txn, &pb).insert(txn, "ib", MapPrelim::default());
        it.insert(txn, "id", "ib");
        it.insert(txn, "kind", "text");
        it.insert(txn, "box", vec![0.0, 0.0, 0.1, 0.1, 0.0]);
        it.insert(txn, "createdBy", ALICE);
    });
    assert!(
        parse_update(&update).unwrap().deletes.is_empty(),
        "the crafted update deletes nothing explicitly"
    );
    let before = s.state();
    assert_eq!(rule_of(s.submit(&update, &alice)), "rule 4 (ownership)");
    assert_eq!(s.state(), before);
    // The same overwrite of her own item is hers to make, and the index records that the
    // old value is gone although the update never said so.
    let a = s.client(15);
    let update = crafted(&a, |txn| {
        let pa = page_at(txn, 0);
        let it = items(txn, &pa).insert(txn, "ia", MapPrelim::default());
        it.insert(txn, "id", "ia");
        it.insert(txn, "kind", "text");
        it.insert(txn, "box", vec![0.0, 0.0, 0.1, 0.1, 0.0]);
        it.insert(txn, "createdBy", ALICE);
    });
    s.submit(&update, &alice).unwrap();
    assert_index_matches_document(&s);
    // An editor may replace anyone's item.
    let e = s.client(33);
    let update = crafted(&e, |txn| {
        let pb = page_at(txn, 1);
        let it = items(txn, &pb).insert(txn, "ib", MapPrelim::default());
        it.insert(txn, "id", "ib");
        it.insert(txn, "kind", "sticker");
        it.insert(txn, "box", vec![0.0, 0.0, 0.1, 0.1, 0.0]);
        it.insert(txn, "createdBy", "ed");
    });
    s.submit(&update, &actor("ed", Level::Editor)).unwrap();
    assert_index_matches_document(&s);
    // Bob's item is now the editor's; Bob may no longer change it.
    let b = s.client(21);
    let r = s.edit(&b, &actor(BOB, Level::Contributor), |txn| {
        let pb = page_at(txn, 1);
        item(txn, &pb, "ib").insert(txn, "z", 5);
    });
    assert_eq!(rule_of(r), "rule 4 (ownership)");
}

/// The validator's index agrees with one rebuilt from the document's state: the same
/// known clocks, nodes, kinds, creators and deletions.
fn assert_index_matches_document(s: &Server) {
    let state = s.state();
    let rebuilt = Validator::from_state(&state).unwrap();
    let sv = s.doc.transact().state_vector();
    for (client, clock) in sv.iter() {
        assert_eq!(
            s.v.index().known_clock(client.get()),
            *clock,
            "client {client}"
        );
        assert_eq!(
            rebuilt.index().known_clock(client.get()),
            *clock,
            "client {client}"
        );
    }
    let nodes = |v: &Validator| {
        let mut k: Vec<(Id, NodeKind, Option<Arc<str>>)> = v
            .index()
            .nodes
            .iter()
            .filter(|(id, _)| !v.index().is_node_gone(**id))
            .map(|(id, n)| (*id, n.kind, n.created_by.clone()))
            .collect();
        k.sort_by_key(|x| x.0);
        k
    };
    assert_eq!(nodes(&rebuilt), nodes(&s.v));
}

/// A v1 update of one GC block: `len` clocks of `client` from `clock`, and no deletes.
fn gc_block(client: u64, clock: u32, len: u32) -> Vec<u8> {
    fn var(out: &mut Vec<u8>, mut n: u64) {
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
    let mut out = Vec::new();
    var(&mut out, 1); // one client
    var(&mut out, 1); // one block
    var(&mut out, client);
    var(&mut out, clock as u64);
    out.push(0); // GC
    var(&mut out, len as u64);
    var(&mut out, 0); // empty delete set
    out
}

#[test]
fn gc_blocks_cannot_claim_another_clients_clocks() {
    // Finding 5: a GC block for Bob's client id would make the server drop Bob's next edits
    // as already known.
    let (mut s, _, _) = two_authors();
    let alice = actor(ALICE, Level::Contributor);
    let bob_clock = s.v.index().known_clock(20);
    let attack = gc_block(20, bob_clock, 1_000_000);
    let before = s.state();
    // Bob is connected (his id is another connection's) …
    assert_eq!(
        s.submit_claimed(&attack, &alice, |c| if c == 20 {
            ClientClaim::Others
        } else {
            ClientClaim::Free
        })
        .unwrap_err()
        .rule,
        "client ids"
    );
    // … or gone: an id the document knows is not free for garbage.
    assert_eq!(
        s.submit_claimed(&attack, &alice, |_| ClientClaim::Free)
            .unwrap_err()
            .rule,
        "client ids"
    );
    assert_eq!(s.state(), before);
    assert_eq!(s.v.index().known_clock(20), bob_clock);
    // Near 2³², whatever the claim: the clock bound.
    let overflow = gc_block(77, 0, u32::MAX - 10);
    assert_eq!(
        s.submit_claimed(&overflow, &alice, |_| ClientClaim::Mine)
            .unwrap_err()
            .rule,
        "rule 3 (sizes)"
    );
    assert_eq!(s.state(), before);
    // Bob's own edit still goes through.
    let b = s.client(20);
    s.edit(&b, &actor(BOB, Level::Contributor), |txn| {
        let pb = page_at(txn, 1);
        item(txn, &pb, "ib").insert(txn, "z", 7);
    })
    .unwrap();
    // A client's own collected range (offline content it deleted again) is fine.
    let mine = gc_block(10, s.v.index().known_clock(10), 3);
    s.submit_claimed(&mine, &alice, |c| {
        if c == 10 {
            ClientClaim::Mine
        } else {
            ClientClaim::Free
        }
    })
    .unwrap();
    assert_eq!(s.v.index().known_clock(10), s.state_clock(10));
}

#[test]
fn new_content_under_another_connections_client_id_is_refused() {
    let (mut s, _, _) = two_authors();
    // Alice's client doc happens to use Bob's client id.
    let forged = s.client(20);
    let update = {
        let mut txn = forged.transact_mut();
        let pa = page_at(&txn, 0);
        add_item(&mut txn, &pa, "forged", ALICE);
        txn.encode_update_v1()
    };
    let alice = actor(ALICE, Level::Contributor);
    let r = s.submit_claimed(&update, &alice, |c| {
        if c == 20 {
            ClientClaim::Others
        } else {
            ClientClaim::Free
        }
    });
    assert_eq!(r.unwrap_err().rule, "client ids");
}

#[test]
fn a_resync_repeating_known_deletes_is_accepted() {
    let (mut s, _, b) = two_authors();
    // An editor deletes Bob's item; later Bob's client resyncs with its whole state.
    let e = s.client(50);
    s.edit(&e, &actor("ed", Level::Editor), |txn| {
        let pa = page_at(txn, 0);
        items(txn, &pa).remove(txn, "ib2");
    })
    .unwrap();
    s.sync(&b);
    let a = s.client(51);
    let full = a
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    s.submit(&full, &actor(ALICE, Level::Contributor)).unwrap();
}

#[test]
fn updates_that_build_on_unknown_content_are_refused() {
    let (mut s, _, _) = two_authors();
    let stray = Doc::with_client_id(60);
    let update = {
        let mut txn = stray.transact_mut();
        let m = txn.get_or_insert_map("meta");
        m.insert(&mut txn, "title", "a");
        m.insert(&mut txn, "title", "b");
        txn.encode_update_v1()
    };
    // Send only the second half: it builds on an item the server never saw.
    let second = {
        let sv = StateVector::new([(yrs::ClientID::new(60), 1)].into_iter().collect());
        stray.transact().encode_diff_v1(&sv)
    };
    let _ = update;
    assert_eq!(
        rule_of(s.submit(&second, &actor("ed", Level::Editor))),
        "rule 0 (causality)"
    );
}

#[test]
fn index_rebuilt_from_state_matches_the_incremental_one() {
    let (s, _, _) = two_authors();
    let state = s
        .doc
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    let rebuilt = Validator::from_state(&state).unwrap();
    for client in [1, 2, 10, 20] {
        assert_eq!(
            rebuilt.index().known_clock(client),
            s.v.index().known_clock(client),
            "client {client}"
        );
    }
    let kinds = |v: &Validator| {
        let mut k: Vec<(Id, NodeKind, Option<Arc<str>>)> = v
            .index()
            .nodes
            .iter()
            .map(|(id, n)| (*id, n.kind, n.created_by.clone()))
            .collect();
        k.sort_by_key(|x| x.0);
        k
    };
    assert_eq!(kinds(&rebuilt), kinds(&s.v));
    assert!(kinds(&rebuilt)
        .iter()
        .any(|(_, k, by)| *k == NodeKind::Item && by.as_deref() == Some(BOB)));
}
