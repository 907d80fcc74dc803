//! Validation scenarios on real yrs documents: each edit is made by a client doc, checked
//! against the server's validator, and applied only when accepted.

use std::sync::Arc;

use yrs::updates::decoder::Decode;
use yrs::{
    Any, Array, ArrayRef, Doc, Map, MapPrelim, MapRef, ReadTxn, StateVector, Text, TextPrelim,
    Transact, TransactionMut, Update, WriteTxn,
};

use super::*;

mod ownership;
mod updates;
mod values;

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
