//! Validation scenarios on real yrs documents: each edit is made by a client doc, checked
//! against the server's validator, and applied only when accepted.

use std::sync::Arc;

use yrs::updates::decoder::Decode;
use yrs::{
    Any, Array, ArrayRef, Doc, Map, MapPrelim, MapRef, ReadTxn, StateVector, Text, TextPrelim,
    Transact, TransactionMut, Update, WriteTxn,
};

use super::*;

const ALICE: &str = "alice";
const BOB: &str = "bob";

struct Server {
    doc: Doc,
    v: Validator,
}

fn actor(user: &str, level: Level) -> Actor {
    Actor {
        user: Arc::from(user),
        level,
    }
}

impl Server {
    fn new() -> Server {
        let doc = Doc::with_client_id(1);
        let book = crate::new_book(2, "Trip", "square-8x8", "everyday");
        doc.transact_mut()
            .apply_update(Update::decode_v1(&book).unwrap())
            .unwrap();
        let state = doc
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        let v = Validator::from_state(&state).unwrap();
        Server { doc, v }
    }

    /// A client doc in sync with the server.
    fn client(&self, id: u64) -> Doc {
        let c = Doc::with_client_id(id);
        let state = self
            .doc
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        c.transact_mut()
            .apply_update(Update::decode_v1(&state).unwrap())
            .unwrap();
        c
    }

    fn submit(&mut self, update: &[u8], who: &Actor) -> Result<(), Rejection> {
        let parsed = parse_update(update)?;
        let accepted = self.v.check(&parsed, who)?;
        let mut txn = self.doc.transact_mut();
        txn.apply_update(Update::decode_v1(update).unwrap())
            .unwrap();
        let deleted = txn.delete_set().clone();
        drop(txn);
        self.v.commit_applied(accepted, &deleted);
        Ok(())
    }

    /// Submits `update` as the room does: client ids first (with `claim`), then the rules.
    fn submit_claimed(
        &mut self,
        update: &[u8],
        who: &Actor,
        claim: impl Fn(u64) -> ClientClaim,
    ) -> Result<(), Rejection> {
        let parsed = parse_update(update)?;
        self.v.check_clients(&parsed, claim)?;
        self.submit(update, who)
    }

    fn state_clock(&self, client: u64) -> u32 {
        self.doc
            .transact()
            .state_vector()
            .get(&yrs::ClientID::new(client))
    }

    /// The document's state, to show that a refused update changed nothing.
    fn state(&self) -> Vec<u8> {
        self.doc
            .transact()
            .encode_state_as_update_v1(&StateVector::default())
    }

    /// Client `c` makes an edit and submits it; on success the client is already in sync.
    fn edit(
        &mut self,
        c: &Doc,
        who: &Actor,
        f: impl FnOnce(&mut TransactionMut),
    ) -> Result<(), Rejection> {
        let update = {
            let mut txn = c.transact_mut();
            f(&mut txn);
            txn.encode_update_v1()
        };
        self.submit(&update, who)
    }

    /// Brings a client up to date with the server.
    fn sync(&self, c: &Doc) {
        let diff = self
            .doc
            .transact()
            .encode_diff_v1(&c.transact().state_vector());
        c.transact_mut()
            .apply_update(Update::decode_v1(&diff).unwrap())
            .unwrap();
    }
}

fn pages(txn: &mut TransactionMut) -> ArrayRef {
    txn.get_or_insert_array("pages")
}

fn add_page(txn: &mut TransactionMut, id: &str, by: &str) -> MapRef {
    let pages = pages(txn);
    let len = pages.len(txn);
    let page = pages.insert(txn, len, MapPrelim::default());
    page.insert(txn, "id", id);
    page.insert(txn, "kind", "page");
    page.insert(txn, "layout", Any::Null);
    page.insert(txn, "createdBy", by);
    page.insert(txn, "auto", false);
    page.insert(txn, "items", MapPrelim::default());
    page
}

fn page_at(txn: &TransactionMut, i: u32) -> MapRef {
    match txn.get_array("pages").unwrap().get(txn, i).unwrap() {
        yrs::Out::YMap(m) => m,
        other => panic!("not a page map: {other:?}"),
    }
}

fn items(txn: &TransactionMut, page: &MapRef) -> MapRef {
    match page.get(txn, "items").unwrap() {
        yrs::Out::YMap(m) => m,
        other => panic!("items is not a map: {other:?}"),
    }
}

fn item(txn: &TransactionMut, page: &MapRef, id: &str) -> MapRef {
    match items(txn, page).get(txn, id).unwrap() {
        yrs::Out::YMap(m) => m,
        other => panic!("not an item: {other:?}"),
    }
}

fn add_item(txn: &mut TransactionMut, page: &MapRef, id: &str, by: &str) -> MapRef {
    let items = items(txn, page);
    let it = items.insert(txn, id, MapPrelim::default());
    it.insert(txn, "id", id);
    it.insert(txn, "kind", "text");
    it.insert(txn, "box", vec![0.0, 0.0, 0.5, 0.25, 0.0]);
    it.insert(txn, "z", 1);
    it.insert(txn, "createdBy", by);
    it.insert(txn, "text", TextPrelim::new("caption"));
    it
}

fn text_of(txn: &TransactionMut, it: &MapRef) -> yrs::TextRef {
    match it.get(txn, "text").unwrap() {
        yrs::Out::YText(t) => t,
        other => panic!("not text: {other:?}"),
    }
}

/// A book with a page and an item by Alice, and a page and an item by Bob.
fn two_authors() -> (Server, Doc, Doc) {
    let mut s = Server::new();
    let a = s.client(10);
    let b = s.client(20);
    s.edit(&a, &actor(ALICE, Level::Contributor), |txn| {
        let p = add_page(txn, "pa", ALICE);
        add_item(txn, &p, "ia", ALICE);
    })
    .unwrap();
    s.sync(&b);
    s.edit(&b, &actor(BOB, Level::Contributor), |txn| {
        let p = add_page(txn, "pb", BOB);
        add_item(txn, &p, "ib", BOB);
        let pa = page_at(txn, 0);
        add_item(txn, &pa, "ib2", BOB); // Bob may add to Alice's page.
    })
    .unwrap();
    s.sync(&a);
    s.sync(&b);
    (s, a, b)
}

fn rule_of(r: Result<(), Rejection>) -> &'static str {
    r.expect_err("should be refused").rule
}

#[test]
fn contributors_add_pages_and_items() {
    let (s, _, _) = two_authors();
    let txn = s.doc.transact_mut();
    assert_eq!(txn.get_array("pages").unwrap().len(&txn), 2);
}

#[test]
fn contributor_cannot_move_someone_elses_item() {
    let (mut s, a, _) = two_authors();
    let r = s.edit(&a, &actor(ALICE, Level::Contributor), |txn| {
        let pb = page_at(txn, 1);
        item(txn, &pb, "ib").insert(txn, "box", vec![0.1, 0.1, 0.5, 0.25, 0.0]);
    });
    assert_eq!(rule_of(r), "rule 4 (ownership)");
}

#[test]
fn contributor_moves_and_deletes_own_item_but_not_others() {
    let (mut s, a, _) = two_authors();
    let alice = actor(ALICE, Level::Contributor);
    s.edit(&a, &alice, |txn| {
        let pa = page_at(txn, 0);
        item(txn, &pa, "ia").insert(txn, "box", vec![0.2, 0.1, 0.5, 0.25, 15.0 / 10.0]);
    })
    .unwrap();
    // Bob's item on Alice's page is still Bob's.
    let r = s.edit(&a, &alice, |txn| {
        let pa = page_at(txn, 0);
        items(txn, &pa).remove(txn, "ib2");
    });
    assert_eq!(rule_of(r), "rule 4 (ownership)");
    let a = s.client(11);
    s.edit(&a, &alice, |txn| {
        let pa = page_at(txn, 0);
        items(txn, &pa).remove(txn, "ia");
    })
    .unwrap();
}

#[test]
fn editor_deletes_anything() {
    let (mut s, _, _) = two_authors();
    let e = s.client(30);
    s.edit(&e, &actor("ed", Level::Editor), |txn| {
        let pb = page_at(txn, 1);
        items(txn, &pb).remove(txn, "ib");
        pages(txn).remove(txn, 0);
    })
    .unwrap();
}

#[test]
fn contributor_cannot_delete_own_page_while_it_holds_others_items() {
    // Finding 6: deleting a page deletes everything in it, and Bob's item is not Alice's.
    let (mut s, a, b) = two_authors();
    let alice = actor(ALICE, Level::Contributor);
    let before = s.state();
    assert_eq!(
        rule_of(s.edit(&a, &alice, |txn| pages(txn).remove(txn, 0))),
        "rule 4 (ownership)"
    );
    assert_eq!(s.state(), before, "a refused update changes nothing");
    // Nor by replacing the page's items map with an empty one.
    let a = s.client(13);
    let r = s.edit(&a, &alice, |txn| {
        let pa = page_at(txn, 0);
        pa.insert(txn, "items", MapPrelim::default());
    });
    assert_eq!(rule_of(r), "rule 4 (ownership)");
    // Once Bob has taken his item off it, the page is Alice's alone to delete.
    s.edit(&b, &actor(BOB, Level::Contributor), |txn| {
        let pa = page_at(txn, 0);
        items(txn, &pa).remove(txn, "ib2");
    })
    .unwrap();
    let a = s.client(14);
    s.edit(&a, &alice, |txn| pages(txn).remove(txn, 0)).unwrap();
    // An editor may delete a page with anyone's items in it.
    let (mut s, _, _) = two_authors();
    let e = s.client(32);
    s.edit(&e, &actor("ed", Level::Editor), |txn| {
        pages(txn).remove(txn, 0)
    })
    .unwrap();
}

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
fn rotation_goes_round_the_full_circle_but_positions_stay_bounded() {
    let (mut s, a, _) = two_authors();
    let alice = actor(ALICE, Level::Contributor);
    for rot in [90.0, -90.0, 180.0, 359.5, -360.0] {
        s.edit(&a, &alice, |txn| {
            let pa = page_at(txn, 0);
            item(txn, &pa, "ia").insert(txn, "box", vec![0.0, 0.0, 0.5, 0.5, rot]);
        })
        .unwrap_or_else(|e| panic!("rot {rot}: {e}"));
    }
    for bad in [
        vec![0.0, 0.0, 0.5, 0.5, 361.0],
        vec![10.5, 0.0, 0.5, 0.5, 0.0],
        vec![0.0, 0.0, 0.5, 0.5, f64::NAN],
    ] {
        let a = s.client(16);
        let r = s.edit(&a, &alice, |txn| {
            let pa = page_at(txn, 0);
            item(txn, &pa, "ia").insert(txn, "box", bad.clone());
        });
        assert_eq!(rule_of(r), "rule 2 (types)", "{bad:?}");
    }
}

#[test]
fn contributor_cannot_delete_someone_elses_page_or_touch_meta() {
    let (mut s, a, _) = two_authors();
    let alice = actor(ALICE, Level::Contributor);
    assert_eq!(
        rule_of(s.edit(&a, &alice, |txn| pages(txn).remove(txn, 1))),
        "rule 4 (ownership)"
    );
    let a = s.client(12);
    let r = s.edit(&a, &alice, |txn| {
        txn.get_or_insert_map("meta").insert(txn, "title", "Mine");
    });
    assert_eq!(rule_of(r), "rule 4 (ownership)");
    let e = s.client(31);
    s.edit(&e, &actor("ed", Level::Editor), |txn| {
        txn.get_or_insert_map("meta").insert(txn, "title", "Ours");
    })
    .unwrap();
}

#[test]
fn captions_are_edited_by_their_owner() {
    let (mut s, a, _) = two_authors();
    let alice = actor(ALICE, Level::Contributor);
    s.edit(&a, &alice, |txn| {
        let pa = page_at(txn, 0);
        let t = text_of(txn, &item(txn, &pa, "ia"));
        t.insert(txn, 7, " by the sea ☀️");
    })
    .unwrap();
    s.edit(&a, &alice, |txn| {
        let pa = page_at(txn, 0);
        let t = text_of(txn, &item(txn, &pa, "ia"));
        t.remove_range(txn, 0, 3);
    })
    .unwrap();
    let r = s.edit(&a, &alice, |txn| {
        let pb = page_at(txn, 1);
        let t = text_of(txn, &item(txn, &pb, "ib"));
        t.insert(txn, 0, "graffiti ");
    });
    assert_eq!(rule_of(r), "rule 4 (ownership)");
}

#[test]
fn unknown_roots_wrong_types_nan_and_oversized_values_are_refused() {
    let (mut s, _, _) = two_authors();
    let ed = actor("ed", Level::Editor);
    type Edit = Box<dyn Fn(&mut TransactionMut)>;
    let cases: Vec<(&str, Edit)> = vec![
        (
            "rule 1 (schema)",
            Box::new(|txn| txn.get_or_insert_map("secret").insert(txn, "x", 1).ignore()),
        ),
        (
            "rule 1 (schema)",
            Box::new(|txn| pages(txn).push_back(txn, "not a page").ignore()),
        ),
        (
            "rule 1 (schema)",
            Box::new(|txn| page_at(txn, 0).insert(txn, "colour", "red").ignore()),
        ),
        (
            "rule 2 (types)",
            Box::new(|txn| page_at(txn, 0).insert(txn, "kind", 5).ignore()),
        ),
        (
            "rule 2 (types)",
            Box::new(|txn| page_at(txn, 0).insert(txn, "kind", "poster").ignore()),
        ),
        (
            "rule 2 (types)",
            Box::new(|txn| {
                item(txn, &page_at(txn, 0), "ia")
                    .insert(txn, "box", "left")
                    .ignore()
            }),
        ),
        (
            "rule 2 (types)",
            Box::new(|txn| {
                item(txn, &page_at(txn, 0), "ia")
                    .insert(txn, "box", vec![0.0, f64::NAN, 0.5, 0.5, 0.0])
                    .ignore()
            }),
        ),
        (
            "rule 2 (types)",
            Box::new(|txn| {
                item(txn, &page_at(txn, 0), "ia")
                    .insert(txn, "box", vec![0.0, 0.0, 0.5, 0.5, 1e9])
                    .ignore()
            }),
        ),
        (
            "rule 2 (types)",
            Box::new(|txn| {
                item(txn, &page_at(txn, 0), "ia")
                    .insert(txn, "box", vec![0.0, 0.0, 0.5])
                    .ignore()
            }),
        ),
        (
            "rule 2 (types)",
            Box::new(|txn| {
                item(txn, &page_at(txn, 0), "ia")
                    .insert(txn, "text", "plain string")
                    .ignore()
            }),
        ),
        (
            "rule 2 (types)",
            Box::new(|txn| {
                item(txn, &page_at(txn, 0), "ia")
                    .remove(txn, "box")
                    .ignore()
            }),
        ),
        (
            "rule 3 (sizes)",
            Box::new(|txn| {
                page_at(txn, 0)
                    .insert(txn, "layout", "x".repeat(100_000))
                    .ignore()
            }),
        ),
        (
            "rule 3 (sizes)",
            Box::new(|txn| {
                let t = text_of(txn, &item(txn, &page_at(txn, 0), "ia"));
                t.insert(txn, 0, &"y".repeat(30_000));
            }),
        ),
        (
            "rule 1 (schema)",
            Box::new(|txn| {
                let pa = page_at(txn, 0);
                items(txn, &pa)
                    .insert(txn, "nested", ArrayRef::default_prelim())
                    .ignore();
            }),
        ),
    ];
    for (i, (rule, f)) in cases.into_iter().enumerate() {
        let c = s.client(100 + i as u64);
        let r = s.edit(&c, &ed, |txn| f(txn));
        assert_eq!(rule_of(r), rule, "case {i}");
    }
    // Nothing of the refused edits reached the server.
    let txn = s.doc.transact();
    assert!(txn.get_map("secret").is_none());
}

trait Ignore {
    fn ignore(self);
}
impl<T> Ignore for T {
    fn ignore(self) {}
}

trait DefaultPrelim {
    fn default_prelim() -> yrs::ArrayPrelim;
}
impl DefaultPrelim for ArrayRef {
    fn default_prelim() -> yrs::ArrayPrelim {
        yrs::ArrayPrelim::default()
    }
}

#[test]
fn new_pages_carry_their_creator() {
    let mut s = Server::new();
    let c = s.client(40);
    let r = s.edit(&c, &actor(ALICE, Level::Contributor), |txn| {
        add_page(txn, "p", BOB);
    });
    assert_eq!(rule_of(r), "rule 5 (createdBy)");
    let c = s.client(41);
    let r = s.edit(&c, &actor(ALICE, Level::Editor), |txn| {
        let pages = pages(txn);
        let p = pages.push_back(txn, MapPrelim::default());
        p.insert(txn, "id", "p");
        p.insert(txn, "kind", "page");
        p.insert(txn, "items", MapPrelim::default());
    });
    assert_eq!(rule_of(r), "rule 2 (types)");
    let (mut s, a, _) = two_authors();
    let r = s.edit(&a, &actor(ALICE, Level::Editor), |txn| {
        page_at(txn, 0).insert(txn, "createdBy", BOB);
    });
    assert_eq!(rule_of(r), "rule 5 (createdBy)");
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

#[test]
fn style_is_typed_as_the_model_reads_it() {
    // Found by the validator fuzz targets: these were accepted, after which the book no
    // longer read.
    let (mut s, a, _) = two_authors();
    let alice = actor(ALICE, Level::Contributor);
    let restyle = |s: &mut Server, id: u64, style: Any| {
        let c = s.client(id);
        s.edit(&c, &alice, |txn| {
            let pa = page_at(txn, 0);
            item(txn, &pa, "ia").insert(txn, "style", style);
        })
    };
    let map = |pairs: Vec<(&str, Any)>| {
        Any::from(
            pairs
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect::<std::collections::HashMap<String, Any>>(),
        )
    };
    let border = |pairs: Vec<(&str, Any)>| map(pairs);
    let good = map(vec![
        ("align", Any::from("justify")),
        ("size", Any::from(0.05)),
        ("shadow", Any::from(true)),
        (
            "border",
            border(vec![
                ("width", Any::from(0.01)),
                ("color", Any::from("#333")),
            ]),
        ),
        ("font", Any::Null),
    ]);
    restyle(&mut s, 40, good).unwrap();
    for bad in [
        map(vec![("align", Any::from("sideways"))]),
        map(vec![("border", border(vec![("color", Any::from("#333"))]))]),
        map(vec![("shadow", Any::from("yes"))]),
        map(vec![("size", Any::from("big"))]),
    ] {
        let r = restyle(&mut s, 41, bad.clone());
        assert_eq!(rule_of(r), "rule 2 (types)", "{bad:?}");
    }
    assert!(crate::model::read_book(&s.doc.transact()).is_ok());
    let _ = a;
}

#[test]
fn no_one_removes_a_meta_field_though_anyone_allowed_may_replace_it() {
    let (mut s, _, _) = two_authors();
    for level in [Level::Editor, Level::System] {
        let c = s.client(50 + level as u64);
        let r = s.edit(&c, &actor("ed", level), |txn| {
            txn.get_or_insert_map("meta").remove(txn, "title");
        });
        assert_eq!(rule_of(r), "rule 2 (types)", "{level:?}");
    }
    let c = s.client(60);
    s.edit(&c, &actor("ed", Level::Editor), |txn| {
        txn.get_or_insert_map("meta")
            .insert(txn, "title", "Renamed");
    })
    .unwrap();
    assert!(crate::model::read_book(&s.doc.transact()).is_ok());
}
