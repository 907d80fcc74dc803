//! Typed read: the document → a [`Book`].
//!
//! Lenient where a reader can go on: an absent (or null) optional field takes its default,
//! unknown keys are ignored. A missing required field, or any field of the wrong type, is
//! an error naming the page or item and the field. client-web's `read.ts` follows the same
//! rules line by line, so both sides read one document alike.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

use yrs::{Any, Array, GetString, Map, MapRef, Out, ReadTxn};

use super::types::{
    Align, Background, Book, Border, Item, ItemKind, Meta, Page, PageKind, PhotoRef, Style,
};
use super::ModelError;
use crate::schema::{self, item, meta, page, SCHEMA_VERSION};

/// Reads the whole book. Pages are in document order; a page whose id was already seen
/// earlier in `pages` (two users moved the same page at once) is left out.
pub fn read_book(txn: &impl ReadTxn) -> Result<Book, ModelError> {
    let meta = read_meta(txn)?;
    let mut pages = Vec::new();
    if let Some(root) = txn.get_array(schema::ROOT_PAGES) {
        let mut seen = HashSet::new();
        for (index, out) in root.iter(txn).enumerate() {
            let at = format!("page #{index}");
            let Out::YMap(map) = out else {
                return Err(wrong(&at, schema::ROOT_PAGES, "a Y.Map"));
            };
            let id = Fields::new(txn, &map, &at).string(page::ID)?;
            if seen.insert(id.clone()) {
                pages.push(read_page(txn, &map, id)?);
            }
        }
    }
    Ok(Book { meta, pages })
}

fn read_meta(txn: &impl ReadTxn) -> Result<Meta, ModelError> {
    let at = schema::ROOT_META;
    let Some(map) = txn.get_map(schema::ROOT_META) else {
        return Err(missing(at, meta::SCHEMA));
    };
    let fields = Fields::new(txn, &map, at);
    let version = fields.required(meta::SCHEMA, "an integer", as_integer)?;
    if version > SCHEMA_VERSION {
        return Err(ModelError::NewerSchema {
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(Meta {
        schema: version,
        title: fields.string(meta::TITLE)?,
        product: fields.string(meta::PRODUCT)?,
        theme: fields.string(meta::THEME)?,
    })
}

fn read_page(txn: &impl ReadTxn, map: &MapRef, id: String) -> Result<Page, ModelError> {
    let at = format!("page {id}");
    let fields = Fields::new(txn, map, &at);
    let kind = fields.required(page::KIND, "a page kind", |v| {
        as_str(v).and_then(PageKind::parse)
    })?;
    let layout = fields.optional(page::LAYOUT, "a string", as_string)?;
    let background = match fields.any(page::BACKGROUND)? {
        None => Background::default(),
        Some(v) => read_background(&Obj::new(&v, &at, page::BACKGROUND)?)?,
    };
    let mut items = Vec::new();
    match fields.get(page::ITEMS) {
        None => {}
        Some(Out::YMap(items_map)) => {
            for (_, out) in items_map.iter(txn) {
                let Out::YMap(item_map) = out else {
                    return Err(wrong(&at, page::ITEMS, "a Y.Map of Y.Maps"));
                };
                items.push(read_item(txn, &item_map, &id)?);
            }
        }
        Some(_) => return Err(wrong(&at, page::ITEMS, "a Y.Map")),
    }
    items.sort_by(|a, b| {
        a.z.partial_cmp(&b.z)
            .unwrap_or(Ordering::Equal)
            .then_with(|| cmp_utf16(&a.id, &b.id))
    });
    Ok(Page {
        kind,
        layout,
        background,
        items,
        created_by: fields.string(page::CREATED_BY)?,
        auto: fields
            .optional(page::AUTO, "a boolean", as_bool)?
            .unwrap_or(false),
        id,
    })
}

fn read_background(obj: &Obj) -> Result<Background, ModelError> {
    Ok(Background {
        color: obj.optional("color", "a string", as_string)?,
        asset: obj.optional("asset", "a string", as_string)?,
        flip: obj.optional("flip", "a boolean", as_bool)?.unwrap_or(false),
    })
}

fn read_item(txn: &impl ReadTxn, map: &MapRef, page_id: &str) -> Result<Item, ModelError> {
    let pending = format!("an item on page {page_id}");
    let id = Fields::new(txn, map, &pending).string(item::ID)?;
    let at = format!("item {id} on page {page_id}");
    let fields = Fields::new(txn, map, &at);
    let text = match fields.get(item::TEXT) {
        None => None,
        Some(Out::YText(text)) => Some(text.get_string(txn)),
        Some(_) => return Err(wrong(&at, item::TEXT, "a Y.Text")),
    };
    let photo = match fields.any(item::PHOTO)? {
        None => None,
        Some(v) => Some(read_photo(&Obj::new(&v, &at, item::PHOTO)?)?),
    };
    let style = match fields.any(item::STYLE)? {
        None => Style::default(),
        Some(v) => read_style(&Obj::new(&v, &at, item::STYLE)?)?,
    };
    Ok(Item {
        kind: fields.required(item::KIND, "an item kind", |v| {
            as_str(v).and_then(ItemKind::parse)
        })?,
        bbox: fields.required(item::BOX, "an array of 5 numbers", as_numbers::<5>)?,
        z: fields
            .optional(item::Z, "a number", as_number)?
            .unwrap_or(0.0),
        created_by: fields.string(item::CREATED_BY)?,
        photo,
        text,
        style,
        slot: fields.optional(item::SLOT, "a whole number ≥ 0", as_u32)?,
        id,
    })
}

fn read_photo(obj: &Obj) -> Result<PhotoRef, ModelError> {
    Ok(PhotoRef {
        id: obj.required("id", "a string", as_string)?,
        pan: obj
            .optional("pan", "an array of 2 numbers", as_numbers::<2>)?
            .unwrap_or([0.0, 0.0]),
        zoom: obj.optional("zoom", "a number", as_number)?.unwrap_or(1.0),
    })
}

fn read_style(obj: &Obj) -> Result<Style, ModelError> {
    let border = match obj.optional("border", "an object", |v| Some(v.clone()))? {
        None => None,
        Some(v) => {
            let border = Obj::new(&v, obj.at, &obj.field("border"))?;
            Some(Border {
                width: border.required("width", "a number", as_number)?,
                color: border.required("color", "a string", as_string)?,
            })
        }
    };
    Ok(Style {
        font: obj.optional("font", "a string", as_string)?,
        size: obj.optional("size", "a number", as_number)?,
        color: obj.optional("color", "a string", as_string)?,
        align: obj.optional("align", "left, center, right or justify", |v| {
            as_str(v).and_then(Align::parse)
        })?,
        opacity: obj.optional("opacity", "a number", as_number)?,
        shadow: obj.optional("shadow", "a boolean", as_bool)?,
        border,
        frame: obj.optional("frame", "a string", as_string)?,
    })
}

/// Orders strings as JavaScript's `<` does (by UTF-16 code units).
pub(crate) fn cmp_utf16(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

fn missing(at: &str, field: &str) -> ModelError {
    ModelError::MissingField {
        at: at.to_owned(),
        field: field.to_owned(),
    }
}

fn wrong(at: &str, field: &str, expected: &'static str) -> ModelError {
    ModelError::WrongType {
        at: at.to_owned(),
        field: field.to_owned(),
        expected,
    }
}

/// The keys of one Y.Map, read with the place they belong to for errors.
pub(crate) struct Fields<'a, T: ReadTxn> {
    txn: &'a T,
    map: &'a MapRef,
    at: &'a str,
}

impl<'a, T: ReadTxn> Fields<'a, T> {
    pub(crate) fn new(txn: &'a T, map: &'a MapRef, at: &'a str) -> Self {
        Fields { txn, map, at }
    }

    /// The value under `key`; null and undefined count as absent.
    pub(crate) fn get(&self, key: &str) -> Option<Out> {
        match self.map.get(self.txn, key)? {
            Out::Any(Any::Null | Any::Undefined) => None,
            out => Some(out),
        }
    }

    /// A plain JSON value under `key`; a shared type there is an error.
    pub(crate) fn any(&self, key: &str) -> Result<Option<Any>, ModelError> {
        match self.get(key) {
            None => Ok(None),
            Some(Out::Any(v)) => Ok(Some(v)),
            Some(_) => Err(wrong(self.at, key, "a plain value, not a shared type")),
        }
    }

    pub(crate) fn optional<V>(
        &self,
        key: &str,
        expected: &'static str,
        f: impl Fn(&Any) -> Option<V>,
    ) -> Result<Option<V>, ModelError> {
        match self.get(key) {
            None => Ok(None),
            Some(Out::Any(v)) => f(&v).map(Some).ok_or_else(|| wrong(self.at, key, expected)),
            Some(_) => Err(wrong(self.at, key, expected)),
        }
    }

    pub(crate) fn required<V>(
        &self,
        key: &str,
        expected: &'static str,
        f: impl Fn(&Any) -> Option<V>,
    ) -> Result<V, ModelError> {
        self.optional(key, expected, f)?
            .ok_or_else(|| missing(self.at, key))
    }

    pub(crate) fn string(&self, key: &str) -> Result<String, ModelError> {
        self.required(key, "a string", as_string)
    }
}

/// The keys of a JSON object stored under one key (`background`, `photo`, `style`).
struct Obj<'a> {
    map: HashMap<String, Any>,
    at: &'a str,
    prefix: String,
}

impl<'a> Obj<'a> {
    fn new(value: &Any, at: &'a str, prefix: &str) -> Result<Obj<'a>, ModelError> {
        match value {
            Any::Map(map) => Ok(Obj {
                map: map.as_ref().clone(),
                at,
                prefix: prefix.to_owned(),
            }),
            _ => Err(wrong(at, prefix, "an object")),
        }
    }

    fn field(&self, key: &str) -> String {
        format!("{}.{key}", self.prefix)
    }

    fn optional<V>(
        &self,
        key: &str,
        expected: &'static str,
        f: impl Fn(&Any) -> Option<V>,
    ) -> Result<Option<V>, ModelError> {
        match self.map.get(key) {
            None | Some(Any::Null | Any::Undefined) => Ok(None),
            Some(v) => f(v)
                .map(Some)
                .ok_or_else(|| wrong(self.at, &self.field(key), expected)),
        }
    }

    fn required<V>(
        &self,
        key: &str,
        expected: &'static str,
        f: impl Fn(&Any) -> Option<V>,
    ) -> Result<V, ModelError> {
        self.optional(key, expected, f)?
            .ok_or_else(|| missing(self.at, &self.field(key)))
    }
}

fn as_str(v: &Any) -> Option<&str> {
    match v {
        Any::String(s) => Some(s),
        _ => None,
    }
}

fn as_string(v: &Any) -> Option<String> {
    as_str(v).map(str::to_owned)
}

fn as_bool(v: &Any) -> Option<bool> {
    match v {
        Any::Bool(b) => Some(*b),
        _ => None,
    }
}

pub(crate) fn as_number(v: &Any) -> Option<f64> {
    match v {
        Any::Number(n) => n.as_f64(),
        _ => None,
    }
}

/// Largest integer a JavaScript number holds exactly.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

fn as_integer(v: &Any) -> Option<i64> {
    let n = as_number(v)?;
    (n.fract() == 0.0 && n.abs() <= MAX_SAFE_INTEGER).then_some(n as i64)
}

fn as_u32(v: &Any) -> Option<u32> {
    as_integer(v).and_then(|n| u32::try_from(n).ok())
}

pub(crate) fn as_numbers<const N: usize>(v: &Any) -> Option<[f64; N]> {
    let Any::Array(values) = v else { return None };
    if values.len() != N {
        return None;
    }
    let mut out = [0.0; N];
    for (slot, value) in out.iter_mut().zip(values.iter()) {
        *slot = as_number(value)?;
    }
    Some(out)
}
