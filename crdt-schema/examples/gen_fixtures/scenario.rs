//! Replays the edit scripts of `fixtures/scenarios.json` through the Rust typed edit API,
//! and writes a typed read as the canonical JSON both sides compare. Shared by the
//! `gen_fixtures` example and `tests/fixtures.rs`; client-web's `scripts/scenario.ts`
//! replays the same scripts through the TypeScript API.

use std::collections::{BTreeMap, HashMap};

use crdt_schema::model::{self, Background, Book, Meta, NewItem, NewPage, PhotoRef, Style};
use serde::Deserialize;
use serde_json::Value;
use yrs::updates::decoder::Decode;
use yrs::{Doc, ReadTxn, StateVector, Transact, TransactionMut, Update};

/// One scenario: named clients (each a Doc with a fixed client id), the steps they take,
/// and the client whose document is the fixture.
#[derive(Debug, Deserialize)]
pub struct Scenario {
    #[allow(dead_code)]
    pub about: String,
    pub clients: BTreeMap<String, u64>,
    pub output: String,
    pub steps: Vec<Value>,
}

/// One step: a single typed edit in its own transaction, or a sync between two clients.
#[derive(Debug, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase", deny_unknown_fields)]
enum Op {
    CreateBook {
        client: String,
        meta: Meta,
    },
    AddPage {
        client: String,
        index: u32,
        page: NewPage,
    },
    RemovePage {
        client: String,
        page: String,
    },
    MovePage {
        client: String,
        page: String,
        index: u32,
    },
    AddItem {
        client: String,
        page: String,
        item: NewItem,
    },
    RemoveItem {
        client: String,
        page: String,
        item: String,
    },
    MoveItem {
        client: String,
        page: String,
        item: String,
        x: f64,
        y: f64,
    },
    ResizeItem {
        client: String,
        page: String,
        item: String,
        w: f64,
        h: f64,
    },
    RotateItem {
        client: String,
        page: String,
        item: String,
        rot: f64,
    },
    SetZ {
        client: String,
        page: String,
        item: String,
        z: f64,
    },
    RestyleItem {
        client: String,
        page: String,
        item: String,
        style: Style,
    },
    SetPhoto {
        client: String,
        page: String,
        item: String,
        photo: PhotoRef,
    },
    SetCaption {
        client: String,
        page: String,
        item: String,
        text: String,
    },
    #[serde(rename_all = "camelCase")]
    EditCaption {
        client: String,
        page: String,
        item: String,
        index: u32,
        delete_len: u32,
        insert: String,
    },
    SetPageLayout {
        client: String,
        page: String,
        layout: Option<String>,
    },
    SetPageBackground {
        client: String,
        page: String,
        background: Background,
    },
    SetPageAuto {
        client: String,
        page: String,
        auto: bool,
    },
    Sync {
        from: String,
        to: String,
    },
}

/// The scenarios of `scenarios.json`, by name.
pub fn load(json: &str) -> BTreeMap<String, Scenario> {
    serde_json::from_str(json).expect("scenarios.json is valid")
}

/// Runs a scenario and returns the output client's whole document as a v1 update.
pub fn run(scenario: &Scenario) -> Result<Vec<u8>, String> {
    let mut docs: HashMap<&str, Doc> = HashMap::new();
    for (name, id) in &scenario.clients {
        docs.insert(name, Doc::with_client_id(*id));
    }
    let doc = |name: &str| {
        docs.get(name)
            .ok_or_else(|| format!("unknown client {name}"))
    };
    for (n, step) in scenario.steps.iter().enumerate() {
        let op: Op = serde_json::from_value(step.clone()).map_err(|e| format!("step {n}: {e}"))?;
        let fail = |e: model::ModelError| format!("step {n}: {e}");
        let apply = |client: &str,
                     f: &dyn Fn(&mut TransactionMut) -> Result<(), model::ModelError>|
         -> Result<(), String> {
            f(&mut doc(client)?.transact_mut()).map_err(fail)
        };
        match op {
            Op::CreateBook { client, meta } => apply(&client, &|t| {
                model::create_book(t, &meta);
                Ok(())
            })?,
            Op::AddPage {
                client,
                index,
                page,
            } => apply(&client, &|t| {
                model::add_page(t, index, page.clone()).map(drop)
            })?,
            Op::RemovePage { client, page } => apply(&client, &|t| model::remove_page(t, &page))?,
            Op::MovePage {
                client,
                page,
                index,
            } => apply(&client, &|t| model::move_page(t, &page, index))?,
            Op::AddItem { client, page, item } => apply(&client, &|t| {
                model::add_item(t, &page, item.clone()).map(drop)
            })?,
            Op::RemoveItem { client, page, item } => {
                apply(&client, &|t| model::remove_item(t, &page, &item))?
            }
            Op::MoveItem {
                client,
                page,
                item,
                x,
                y,
            } => apply(&client, &|t| model::move_item(t, &page, &item, x, y))?,
            Op::ResizeItem {
                client,
                page,
                item,
                w,
                h,
            } => apply(&client, &|t| model::resize_item(t, &page, &item, w, h))?,
            Op::RotateItem {
                client,
                page,
                item,
                rot,
            } => apply(&client, &|t| model::rotate_item(t, &page, &item, rot))?,
            Op::SetZ {
                client,
                page,
                item,
                z,
            } => apply(&client, &|t| model::set_z(t, &page, &item, z))?,
            Op::RestyleItem {
                client,
                page,
                item,
                style,
            } => apply(&client, &|t| {
                model::restyle_item(t, &page, &item, style.clone())
            })?,
            Op::SetPhoto {
                client,
                page,
                item,
                photo,
            } => apply(&client, &|t| {
                model::set_photo(t, &page, &item, photo.clone())
            })?,
            Op::SetCaption {
                client,
                page,
                item,
                text,
            } => apply(&client, &|t| model::set_caption(t, &page, &item, &text))?,
            Op::EditCaption {
                client,
                page,
                item,
                index,
                delete_len,
                insert,
            } => apply(&client, &|t| {
                model::edit_caption(t, &page, &item, index, delete_len, &insert)
            })?,
            Op::SetPageLayout {
                client,
                page,
                layout,
            } => apply(&client, &|t| {
                model::set_page_layout(t, &page, layout.as_deref())
            })?,
            Op::SetPageBackground {
                client,
                page,
                background,
            } => apply(&client, &|t| {
                model::set_page_background(t, &page, background.clone())
            })?,
            Op::SetPageAuto { client, page, auto } => {
                apply(&client, &|t| model::set_page_auto(t, &page, auto))?
            }
            Op::Sync { from, to } => {
                let (from, to) = (doc(&from)?, doc(&to)?);
                let diff = from
                    .transact()
                    .encode_diff_v1(&to.transact().state_vector());
                let update = Update::decode_v1(&diff).map_err(|e| format!("step {n}: {e}"))?;
                to.transact_mut()
                    .apply_update(update)
                    .map_err(|e| format!("step {n}: {e}"))?;
            }
        }
    }
    let output = doc(&scenario.output)?
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    Ok(output)
}

/// Applies a whole-document update to a fresh Doc and reads it.
pub fn read_update(bytes: &[u8]) -> Result<(Book, StateVector), String> {
    let doc = Doc::with_client_id(1);
    let update = Update::decode_v1(bytes).map_err(|e| e.to_string())?;
    doc.transact_mut()
        .apply_update(update)
        .map_err(|e| e.to_string())?;
    let txn = doc.transact();
    let book = model::read_book(&txn).map_err(|e| e.to_string())?;
    Ok((book, txn.state_vector()))
}

/// The fixture JSON of a book: pretty, two-space indent, and every integral number written
/// as an integer (`1`, not `1.0`), which is how JavaScript's JSON.stringify writes it.
pub fn canonical_json(book: &Book) -> String {
    let value = normalise(serde_json::to_value(book).expect("a book serialises"));
    serde_json::to_string_pretty(&value).expect("JSON serialises") + "\n"
}

/// Rewrites integral floats as integers, recursively, so that values compare as numbers:
/// yrs reads `1` as 1.0 while JavaScript has one number type.
pub fn normalise(value: Value) -> Value {
    match value {
        Value::Number(n) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_991.0 => {
                Value::from(f as i64)
            }
            _ => Value::Number(n),
        },
        Value::Array(values) => Value::Array(values.into_iter().map(normalise).collect()),
        Value::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (k, normalise(v))).collect())
        }
        other => other,
    }
}
