//! Building and reading book content in tests, in the shape of SPEC §6.

use yrs::types::ToJson;
use yrs::{Any, Array, Map, MapPrelim, ReadTxn, Transact, TransactionMut, WriteTxn};

/// Appends a page with the given id, created by `user`.
pub fn add_page(txn: &mut TransactionMut, user: &str, page_id: &str) {
    let pages = txn.get_or_insert_array("pages");
    let page = pages.push_back(txn, MapPrelim::default());
    page.insert(txn, "id", page_id);
    page.insert(txn, "kind", "page");
    page.insert(txn, "createdBy", user);
    page.insert(txn, "auto", false);
    page.insert(txn, "items", MapPrelim::default());
}

/// The ids of all pages, in book order.
pub fn page_ids(doc: &yrs::Doc) -> Vec<String> {
    let txn = doc.transact();
    let Some(pages) = txn.get_array("pages") else { return Vec::new() };
    pages
        .iter(&txn)
        .filter_map(|v| match v {
            yrs::Out::YMap(m) => match m.get(&txn, "id").map(|id| id.to_json(&txn)) {
                Some(Any::String(s)) => Some(s.to_string()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// The whole document (`meta` and `pages`) as JSON, for comparing two documents.
pub fn doc_json(doc: &yrs::Doc) -> serde_json::Value {
    let meta = doc.get_or_insert_map("meta");
    let pages = doc.get_or_insert_array("pages");
    let txn = doc.transact();
    serde_json::json!({
        "meta": serde_json::to_value(meta.to_json(&txn)).expect("json"),
        "pages": serde_json::to_value(pages.to_json(&txn)).expect("json"),
    })
}
