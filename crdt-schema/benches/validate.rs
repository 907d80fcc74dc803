//! What validation costs on top of a plain apply (SPEC §6.3 budget: at most 3×), on a
//! 40-page book with 25 items per page, for the edits a book sees most: item moves (one
//! `box` overwrite each), caption typing, and adding items.
//!
//! Run: `cargo bench -p crdt-schema --bench validate`. Each measurement applies the same
//! batch of client updates to a fresh copy of the book, once plainly and once validated.

use std::hint::black_box;
use std::sync::Arc;

use crdt_schema::validate::{parse_update, Actor, ClientClaim, Level, Validator};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use yrs::updates::decoder::Decode;
use yrs::{
    Array, Doc, Map, MapPrelim, MapRef, ReadTxn, StateVector, Text, TextPrelim, Transact, Update,
    WriteTxn,
};

const USER: &str = "11111111-1111-1111-1111-111111111111";
const PAGES: u32 = 40;
const ITEMS: u32 = 25;

fn book() -> Vec<u8> {
    let doc = Doc::with_client_id(7);
    {
        let mut txn = doc.transact_mut();
        let meta = txn.get_or_insert_map("meta");
        meta.insert(&mut txn, "schema", 1);
        meta.insert(&mut txn, "title", "Bench");
        let pages = txn.get_or_insert_array("pages");
        for p in 0..PAGES {
            let page = pages.push_back(&mut txn, MapPrelim::default());
            page.insert(&mut txn, "id", format!("page-{p}"));
            page.insert(&mut txn, "kind", "page");
            page.insert(&mut txn, "createdBy", USER);
            page.insert(&mut txn, "auto", false);
            let items = page.insert(&mut txn, "items", MapPrelim::default());
            for i in 0..ITEMS {
                let id = format!("item-{p}-{i}");
                let item = items.insert(&mut txn, id.as_str(), MapPrelim::default());
                item.insert(&mut txn, "id", id.as_str());
                item.insert(&mut txn, "kind", "text");
                item.insert(&mut txn, "box", vec![0.0, 0.0, 0.2, 0.2, 0.0]);
                item.insert(&mut txn, "z", i);
                item.insert(&mut txn, "createdBy", USER);
                item.insert(&mut txn, "text", TextPrelim::new("caption"));
            }
        }
    }
    let state = doc
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    state
}

fn item(txn: &yrs::TransactionMut, p: u32, i: u32) -> MapRef {
    let Some(yrs::Out::YMap(page)) = txn.get_array("pages").unwrap().get(txn, p) else {
        panic!()
    };
    let Some(yrs::Out::YMap(items)) = page.get(txn, "items") else {
        panic!()
    };
    let Some(yrs::Out::YMap(it)) = items.get(txn, &format!("item-{p}-{i}")) else {
        panic!()
    };
    it
}

/// Client updates: `n` of one kind, made against the book in order.
fn updates(state: &[u8], kind: &str, n: u32) -> Vec<Vec<u8>> {
    let client = Doc::with_client_id(99);
    client
        .transact_mut()
        .apply_update(Update::decode_v1(state).unwrap())
        .unwrap();
    (0..n)
        .map(|k| {
            let mut txn = client.transact_mut();
            let (p, i) = (k % PAGES, (k * 7) % ITEMS);
            match kind {
                "move" => {
                    item(&txn, p, i).insert(
                        &mut txn,
                        "box",
                        vec![k as f64 / 1000.0, 0.1, 0.2, 0.2, 0.0],
                    );
                }
                "type" => {
                    let Some(yrs::Out::YText(t)) = item(&txn, 0, 0).get(&txn, "text") else {
                        panic!()
                    };
                    t.insert(&mut txn, k, "a");
                }
                _ => {
                    let Some(yrs::Out::YMap(page)) = txn.get_array("pages").unwrap().get(&txn, p)
                    else {
                        panic!()
                    };
                    let Some(yrs::Out::YMap(items)) = page.get(&txn, "items") else {
                        panic!()
                    };
                    let id = format!("new-{k}");
                    let it = items.insert(&mut txn, id.as_str(), MapPrelim::default());
                    it.insert(&mut txn, "id", id.as_str());
                    it.insert(&mut txn, "kind", "sticker");
                    it.insert(&mut txn, "box", vec![0.0, 0.0, 0.1, 0.1, 0.0]);
                    it.insert(&mut txn, "z", 100);
                    it.insert(&mut txn, "createdBy", USER);
                }
            }
            txn.encode_update_v1()
        })
        .collect()
}

fn loaded(state: &[u8]) -> Doc {
    let doc = Doc::with_client_id(1);
    doc.transact_mut()
        .apply_update(Update::decode_v1(state).unwrap())
        .unwrap();
    doc
}

fn bench(c: &mut Criterion) {
    let state = book();
    let actor = Actor {
        user: Arc::from(USER),
        level: Level::Contributor,
    };
    for kind in ["move", "type", "add"] {
        let batch = updates(&state, kind, 200);
        let mut group = c.benchmark_group(format!("{kind} x200 on 40x25 book"));
        group.bench_function("plain apply", |b| {
            b.iter_batched(
                || loaded(&state),
                |doc| {
                    for u in &batch {
                        doc.transact_mut()
                            .apply_update(Update::decode_v1(black_box(u)).unwrap())
                            .unwrap();
                    }
                    doc
                },
                BatchSize::LargeInput,
            )
        });
        group.bench_function("validated apply", |b| {
            b.iter_batched(
                || {
                    let doc = loaded(&state);
                    let v = Validator::from_state(&state).unwrap();
                    (doc, v)
                },
                |(doc, mut v)| {
                    for u in &batch {
                        let parsed = parse_update(black_box(u)).unwrap();
                        v.check_clients(&parsed, |_| ClientClaim::Mine)
                            .expect("own client id");
                        let accepted = v.check(&parsed, &actor).expect("valid edit");
                        let mut txn = doc.transact_mut();
                        txn.apply_update(Update::decode_v1(u).unwrap()).unwrap();
                        let deleted = txn.delete_set().clone();
                        drop(txn);
                        v.commit_applied(accepted, &deleted);
                    }
                    (doc, v)
                },
                BatchSize::LargeInput,
            )
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
