//! Validation scenarios on real yrs documents: each edit is made by a client doc, checked
//! against the server's validator, and applied only when accepted.

use std::sync::Arc;

use yrs::updates::decoder::Decode;
use yrs::{Any, Array, ArrayRef, Doc, Map, MapPrelim, MapRef, ReadTxn, StateVector, Text, TextPrelim, Transact, TransactionMut, Update, WriteTxn};

use super::*;

const ALICE: &str = "alice";
const BOB: &str = "bob";

struct Server {
    doc: Doc,
    v: Validator,
}

fn actor(user: &str, level: Level) -> Actor {
    Actor { user: Arc::from(user), level }
}

impl Server {
    fn new() -> Server {
        let doc = Doc::with_client_id(1);
        let book = crate::new_book(2, "Trip", "square-8x8", "everyday");
        doc.transact_mut().apply_update(Update::decode_v1(&book).unwrap()).unwrap();
        let state = doc.transact().encode_state_as_update_v1(&StateVector::default());
        let v = Validator::from_state(&state).unwrap();
        Server { doc, v }
    }

    /// A client doc in sync with the server.
    fn client(&self, id: u64) -> Doc {
        let c = Doc::with_client_id(id);
        let state = self.doc.transact().encode_state_as_update_v1(&StateVector::default());
        c.transact_mut().apply_update(Update::decode_v1(&state).unwrap()).unwrap();
        c
    }

    fn submit(&mut self, update: &[u8], who: &Actor) -> Result<(), Rejection> {
        let parsed = parse_update(update)?;
        let accepted = self.v.check(&parsed, who)?;
        self.doc.transact_mut().apply_update(Update::decode_v1(update).unwrap()).unwrap();
        self.v.commit(accepted);
        Ok(())
    }

    /// Client `c` makes an edit and submits it; on success the client is already in sync.
    fn edit(&mut self, c: &Doc, who: &Actor, f: impl FnOnce(&mut TransactionMut)) -> Result<(), Rejection> {
        let update = {
            let mut txn = c.transact_mut();
            f(&mut txn);
            txn.encode_update_v1()
        };
        self.submit(&update, who)
    }

    /// Brings a client up to date with the server.
    fn sync(&self, c: &Doc) {
        let diff = self.doc.transact().encode_diff_v1(&c.transact().state_vector());
        c.transact_mut().apply_update(Update::decode_v1(&diff).unwrap()).unwrap();
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
fn contributor_deletes_own_page_with_others_items_inside() {
    let (mut s, a, _) = two_authors();
    s.edit(&a, &actor(ALICE, Level::Contributor), |txn| pages(txn).remove(txn, 0)).unwrap();
}

#[test]
fn contributor_cannot_delete_someone_elses_page_or_touch_meta() {
    let (mut s, a, _) = two_authors();
    let alice = actor(ALICE, Level::Contributor);
    assert_eq!(rule_of(s.edit(&a, &alice, |txn| pages(txn).remove(txn, 1))), "rule 4 (ownership)");
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
    let cases: Vec<(&str, Box<dyn Fn(&mut TransactionMut)>)> = vec![
        ("rule 1 (schema)", Box::new(|txn| txn.get_or_insert_map("secret").insert(txn, "x", 1).ignore())),
        ("rule 1 (schema)", Box::new(|txn| pages(txn).push_back(txn, "not a page").ignore())),
        ("rule 1 (schema)", Box::new(|txn| page_at(txn, 0).insert(txn, "colour", "red").ignore())),
        ("rule 2 (types)", Box::new(|txn| page_at(txn, 0).insert(txn, "kind", 5).ignore())),
        ("rule 2 (types)", Box::new(|txn| page_at(txn, 0).insert(txn, "kind", "poster").ignore())),
        ("rule 2 (types)", Box::new(|txn| item(txn, &page_at(txn, 0), "ia").insert(txn, "box", "left").ignore())),
        ("rule 2 (types)", Box::new(|txn| item(txn, &page_at(txn, 0), "ia").insert(txn, "box", vec![0.0, f64::NAN, 0.5, 0.5, 0.0]).ignore())),
        ("rule 2 (types)", Box::new(|txn| item(txn, &page_at(txn, 0), "ia").insert(txn, "box", vec![0.0, 0.0, 0.5, 0.5, 1e9]).ignore())),
        ("rule 2 (types)", Box::new(|txn| item(txn, &page_at(txn, 0), "ia").insert(txn, "box", vec![0.0, 0.0, 0.5]).ignore())),
        ("rule 2 (types)", Box::new(|txn| item(txn, &page_at(txn, 0), "ia").insert(txn, "text", "plain string").ignore())),
        ("rule 2 (types)", Box::new(|txn| item(txn, &page_at(txn, 0), "ia").remove(txn, "box").ignore())),
        ("rule 3 (sizes)", Box::new(|txn| page_at(txn, 0).insert(txn, "layout", "x".repeat(100_000)).ignore())),
        ("rule 3 (sizes)", Box::new(|txn| {
            let t = text_of(txn, &item(txn, &page_at(txn, 0), "ia"));
            t.insert(txn, 0, &"y".repeat(30_000));
        })),
        ("rule 1 (schema)", Box::new(|txn| {
            let pa = page_at(txn, 0);
            items(txn, &pa).insert(txn, "nested", ArrayRef::default_prelim()).ignore();
        })),
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
    let full = a.transact().encode_state_as_update_v1(&StateVector::default());
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
    assert_eq!(rule_of(s.submit(&second, &actor("ed", Level::Editor))), "rule 0 (causality)");
}

#[test]
fn index_rebuilt_from_state_matches_the_incremental_one() {
    let (s, _, _) = two_authors();
    let state = s.doc.transact().encode_state_as_update_v1(&StateVector::default());
    let rebuilt = Validator::from_state(&state).unwrap();
    for client in [1, 2, 10, 20] {
        assert_eq!(rebuilt.index().known_clock(client), s.v.index().known_clock(client), "client {client}");
    }
    let kinds = |v: &Validator| {
        let mut k: Vec<(Id, NodeKind, Option<Arc<str>>)> =
            v.index().nodes.iter().map(|(id, n)| (*id, n.kind, n.created_by.clone())).collect();
        k.sort_by_key(|x| x.0);
        k
    };
    assert_eq!(kinds(&rebuilt), kinds(&s.v));
    assert!(kinds(&rebuilt).iter().any(|(_, k, by)| *k == NodeKind::Item && by.as_deref() == Some(BOB)));
}
