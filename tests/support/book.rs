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
    let Some(pages) = txn.get_array("pages") else {
        return Vec::new();
    };
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

/// Adds a text item with a caption to the page at `page_index`.
pub fn add_text_item(
    txn: &mut TransactionMut,
    page_index: u32,
    user: &str,
    item_id: &str,
    text: &str,
) {
    let page = page_at(txn, page_index);
    let items = match page.get(txn, "items") {
        Some(yrs::Out::YMap(m)) => m,
        _ => panic!("page has no items map"),
    };
    let item = items.insert(txn, item_id, MapPrelim::default());
    item.insert(txn, "id", item_id);
    item.insert(txn, "kind", "text");
    item.insert(txn, "box", vec![0.0, 0.0, 0.5, 0.2, 0.0]);
    item.insert(txn, "z", 1);
    item.insert(txn, "createdBy", user);
    item.insert(txn, "text", yrs::TextPrelim::new(text));
}

/// The page map at `index`.
pub fn page_at<T: ReadTxn>(txn: &T, index: u32) -> yrs::MapRef {
    match txn.get_array("pages").and_then(|a| a.get(txn, index)) {
        Some(yrs::Out::YMap(m)) => m,
        _ => panic!("no page at {index}"),
    }
}

/// The caption text of an item on the page at `page_index`.
pub fn caption<T: ReadTxn>(txn: &T, page_index: u32, item_id: &str) -> Option<yrs::TextRef> {
    let Some(yrs::Out::YMap(page)) = txn.get_array("pages").and_then(|a| a.get(txn, page_index))
    else {
        return None;
    };
    let Some(yrs::Out::YMap(items)) = page.get(txn, "items") else {
        return None;
    };
    let Some(yrs::Out::YMap(item)) = items.get(txn, item_id) else {
        return None;
    };
    match item.get(txn, "text") {
        Some(yrs::Out::YText(t)) => Some(t),
        _ => None,
    }
}

/// `who` adds one inside page holding `items` through a live client, and waits (at most
/// `wait`) until a client connected before the edit receives it: the server relays an update
/// only once it is durable, so anything reading the durable book (preflight, renders) sees
/// it. The page's id.
pub async fn add_durable_page(
    server: &crate::TestServer,
    project: &str,
    who: &crate::http::Account,
    items: Vec<crdt_schema::model::NewItem>,
    wait: std::time::Duration,
) -> String {
    use crdt_schema::model::{self, Background, NewPage, PageKind};
    let witness = crate::YClient::connect(&server.ws_url(), project, &who.token).await;
    witness.wait_synced().await;
    let editor = crate::YClient::connect(&server.ws_url(), project, &who.token).await;
    editor.wait_synced().await;
    let page_id = uuid::Uuid::new_v4().to_string();
    let count = items.len();
    let page = NewPage {
        id: page_id.clone(),
        kind: PageKind::Page,
        layout: None,
        background: Background::default(),
        created_by: who.id.clone(),
        auto: false,
    };
    editor.edit(|txn| {
        let id = model::add_page(txn, 0, page).expect("add page");
        for it in items {
            model::add_item(txn, &id, it).expect("add item");
        }
    });
    let arrived = crate::eventually(wait, || {
        model::read_book(&witness.doc.transact()).is_ok_and(|b| {
            b.pages
                .iter()
                .any(|p| p.id == page_id && p.items.len() == count)
        })
    })
    .await;
    let seen = editor.seen.lock().unwrap();
    assert!(
        arrived,
        "the page never became durable; the editor saw {seen:?}"
    );
    assert!(
        seen.denied.is_empty() && seen.closed.is_none(),
        "the edit was refused: {seen:?}"
    );
    page_id
}
