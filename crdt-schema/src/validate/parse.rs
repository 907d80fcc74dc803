//! Reads the blocks of a Yjs v1 update without applying it: ids, lengths, where each item
//! says it belongs (an explicit parent, or the neighbours it was inserted next to), and its
//! content. yrs keeps its decoded blocks private, so the block layout is walked here with
//! yrs' own public decoder and content reader.

use std::sync::Arc;

use yrs::block::ItemContent;
use yrs::encoding::read::{Cursor, Read};
use yrs::types::TypeRef;
use yrs::updates::decoder::{Decoder, DecoderV1};

use super::Rejection;

const BLOCK_GC: u8 = 0;
const BLOCK_SKIP: u8 = 10;
const HAS_ORIGIN: u8 = 0b1000_0000;
const HAS_RIGHT_ORIGIN: u8 = 0b0100_0000;
const HAS_PARENT_SUB: u8 = 0b0010_0000;

/// A Yjs id: the client that made an item and its clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id {
    pub client: u64,
    pub clock: u32,
}

impl Id {
    pub fn new(client: u64, clock: u32) -> Id {
        Id { client, clock }
    }
}

impl From<yrs::ID> for Id {
    fn from(id: yrs::ID) -> Id {
        Id {
            client: id.client.get(),
            clock: id.clock,
        }
    }
}

/// The parent an item names explicitly (only when it has no neighbours to copy it from).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParentRef {
    Root(Arc<str>),
    Type(Id),
}

/// What a block holds, reduced to what validation needs.
#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    /// A nested shared type.
    Type(TypeKind),
    /// JSON-like values (map values, array elements).
    Any(Vec<yrs::Any>),
    /// Text, with its length in UTF-16 units and in bytes.
    String { utf16: u32, bytes: usize },
    /// Content already deleted when it was sent.
    Deleted,
    /// Binary, embeds, formatting, sub-documents, legacy JSON: none belongs in a book.
    Other(&'static str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeKind {
    Map,
    Array,
    Text,
    Other,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ItemBlock {
    pub origin: Option<Id>,
    pub right_origin: Option<Id>,
    pub parent: Option<ParentRef>,
    pub key: Option<Arc<str>>,
    pub content: Content,
}

#[derive(Debug, Clone, PartialEq)]
pub enum BlockBody {
    /// Garbage-collected content: it occupies clocks and nothing else.
    Gc,
    Item(ItemBlock),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub id: Id,
    pub len: u32,
    pub body: BlockBody,
}

/// A decoded update: its blocks, the ranges it skips, and its delete set.
#[derive(Debug, Default)]
pub struct ParsedUpdate {
    pub blocks: Vec<Block>,
    /// Skip blocks: clock ranges the update jumps over without content, per client.
    pub skips: Vec<(u64, std::ops::Range<u32>)>,
    pub deletes: Vec<(u64, std::ops::Range<u32>)>,
}

fn malformed(e: impl std::fmt::Display) -> Rejection {
    Rejection::new("malformed", format!("the update could not be read: {e}"))
}

/// Parses a v1 update. Errors name what could not be read.
pub fn parse_update(bytes: &[u8]) -> Result<ParsedUpdate, Rejection> {
    let mut dec = DecoderV1::new(Cursor::new(bytes));
    let mut out = ParsedUpdate::default();
    let clients: u32 = dec.read_var().map_err(malformed)?;
    if clients as usize > bytes.len() {
        return Err(malformed("more clients than bytes"));
    }
    for _ in 0..clients {
        let count: u32 = dec.read_var().map_err(malformed)?;
        if count as usize > bytes.len() {
            return Err(malformed("more blocks than bytes"));
        }
        let client = dec.read_client().map_err(malformed)?.get();
        let mut clock: u32 = dec.read_var().map_err(malformed)?;
        out.blocks.reserve(count as usize);
        for _ in 0..count {
            let info = dec.read_info().map_err(malformed)?;
            let id = Id::new(client, clock);
            let (len, body) = match info {
                BLOCK_SKIP => {
                    let len: u32 = dec.read_var().map_err(malformed)?;
                    if len == 0 {
                        return Err(malformed("empty skip"));
                    }
                    let end = clock
                        .checked_add(len)
                        .ok_or_else(|| malformed("clock overflow"))?;
                    out.skips.push((client, clock..end));
                    clock = end;
                    continue;
                }
                BLOCK_GC => (dec.read_len().map_err(malformed)?, BlockBody::Gc),
                info => {
                    let (item, len) = read_item(&mut dec, info)?;
                    (len, BlockBody::Item(item))
                }
            };
            if len == 0 {
                // yrs drops empty items too; they occupy no clock.
                continue;
            }
            clock = clock
                .checked_add(len)
                .ok_or_else(|| malformed("clock overflow"))?;
            out.blocks.push(Block { id, len, body });
        }
    }
    // The delete set: per client, (clock, len) ranges.
    let ds_clients: u32 = dec.read_var().map_err(malformed)?;
    if ds_clients as usize > bytes.len() {
        return Err(malformed("more delete-set clients than bytes"));
    }
    for _ in 0..ds_clients {
        dec.reset_ds_cur_val();
        let client: u64 = dec.read_var().map_err(malformed)?;
        let ranges: u32 = dec.read_var().map_err(malformed)?;
        if ranges as usize > bytes.len() {
            return Err(malformed("more delete ranges than bytes"));
        }
        for _ in 0..ranges {
            let clock = dec.read_ds_clock().map_err(malformed)?;
            let len = dec.read_ds_len().map_err(malformed)?;
            let end = clock
                .checked_add(len)
                .ok_or_else(|| malformed("delete range overflow"))?;
            if len > 0 {
                out.deletes.push((client, clock..end));
            }
        }
    }
    Ok(out)
}

/// The item header and its content reduced, with its length in clocks.
fn read_item(dec: &mut DecoderV1, info: u8) -> Result<(ItemBlock, u32), Rejection> {
    let has_neighbour = info & (HAS_ORIGIN | HAS_RIGHT_ORIGIN) != 0;
    let origin = if info & HAS_ORIGIN != 0 {
        Some(dec.read_left_id().map_err(malformed)?.into())
    } else {
        None
    };
    let right_origin = if info & HAS_RIGHT_ORIGIN != 0 {
        Some(dec.read_right_id().map_err(malformed)?.into())
    } else {
        None
    };
    let (parent, key) = if has_neighbour {
        (None, None)
    } else {
        let parent = if dec.read_parent_info().map_err(malformed)? {
            ParentRef::Root(dec.read_string().map_err(malformed)?.into())
        } else {
            ParentRef::Type(dec.read_left_id().map_err(malformed)?.into())
        };
        let key = if info & HAS_PARENT_SUB != 0 {
            Some(Arc::from(dec.read_string().map_err(malformed)?))
        } else {
            None
        };
        (Some(parent), key)
    };
    let raw = ItemContent::decode(dec, info).map_err(malformed)?;
    let len = raw.len_utf16();
    let content = match raw {
        ItemContent::Any(values) => Content::Any(values),
        ItemContent::String(s) => Content::String {
            utf16: len,
            bytes: s.as_str().len(),
        },
        ItemContent::Deleted(_) => Content::Deleted,
        ItemContent::Type(branch) => Content::Type(match branch.type_ref() {
            TypeRef::Map => TypeKind::Map,
            TypeRef::Array => TypeKind::Array,
            TypeRef::Text => TypeKind::Text,
            _ => TypeKind::Other,
        }),
        ItemContent::Binary(_) => Content::Other("binary"),
        ItemContent::Doc(..) => Content::Other("a sub-document"),
        ItemContent::JSON(_) => Content::Other("legacy JSON"),
        ItemContent::Embed(_) => Content::Other("an embed"),
        ItemContent::Format(..) => Content::Other("text formatting"),
        #[allow(unreachable_patterns)]
        _ => Content::Other("an unsupported content type"),
    };
    Ok((
        ItemBlock {
            origin,
            right_origin,
            parent,
            key,
            content,
        },
        len,
    ))
}
