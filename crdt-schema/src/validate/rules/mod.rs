//! The checks themselves: where each new item goes, whether its value has the schema's
//! type, and whether the sender's role may make the change (SPEC §6.3).

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use yrs::Any;

use super::index::{DocIndex, Loc, Node, NodeKind, Parent};
use super::parse::{Block, BlockBody, Content, Id, ParentRef, ParsedUpdate, TypeKind};
use super::{Actor, Level, Rejection};
use crate::schema::{self, item, meta, page};

mod clients;
mod ownership;
mod placement;
mod values;

pub(super) use clients::check_clients;
pub use clients::ClientClaim;
use ownership::Ctx;
pub use placement::Accepted;
use placement::{accepted, kind_name, place, type_name, Placed};
pub(super) use placement::{commit, place_trusted};
use values::{check_item_value, check_meta_value, check_page_value};

fn missing(what: &str) -> Rejection {
    Rejection::new(
        super::CAUSALITY,
        format!(
            "the update {what} content the server does not have; reload the book and try again"
        ),
    )
}

fn schema_err(message: impl Into<String>) -> Rejection {
    Rejection::new("rule 1 (schema)", message)
}

fn type_err(message: impl Into<String>) -> Rejection {
    Rejection::new("rule 2 (types)", message)
}

fn size_err(message: impl Into<String>) -> Rejection {
    Rejection::new("rule 3 (sizes)", message)
}

/// Finds where every new item of `update` lives and which nested types it creates.
/// Checks `update` from `actor` against the schema and the role rules.
pub(super) fn check(
    index: &DocIndex,
    update: &ParsedUpdate,
    actor: &Actor,
) -> Result<Accepted, Rejection> {
    let (placed, new_nodes) = place(index, update, false)?;
    let ctx = Ctx {
        index,
        new_nodes: &new_nodes,
        actor,
    };
    let mut set_keys: Vec<(Id, &str)> = Vec::new();
    let mut text_added: HashMap<Id, u32> = HashMap::new();
    for p in &placed {
        let BlockBody::Item(it) = &p.block.body else {
            continue;
        };
        // A value the update also deletes sets nothing.
        let gone = it.content == Content::Deleted
            || update
                .deletes
                .iter()
                .any(|(c, r)| *c == p.start.client && r.contains(&p.start.clock));
        match (&p.loc.parent, p.loc.key.as_deref(), gone) {
            (Parent::Node(n), Some(k), false) => set_keys.push((*n, k)),
            (Parent::Root(r), Some(k), false) if &**r == schema::ROOT_META => {
                set_keys.push((META_KEYS, k))
            }
            _ => {}
        }
        if let Some(k) = p.loc.key.as_deref() {
            if k.len() > 256 {
                return Err(size_err("a map key is longer than 256 bytes"));
            }
        }
    }
    set_keys.sort_unstable();
    let set_keys = KeySet(set_keys);
    for p in &placed {
        let BlockBody::Item(it) = &p.block.body else {
            continue;
        };
        if it.content == Content::Deleted {
            // Content sent already deleted still takes its key: yrs lets it replace the
            // live value there, which is a removal of that value.
            ctx.check_deleted_value(p, &set_keys)?;
            continue;
        }
        ctx.check_insert(p, &it.content, &mut text_added)?;
    }
    for (node, added) in &text_added {
        let before = index.node(*node).map(|n| n.text_len).unwrap_or(0);
        if before.saturating_add(*added) > schema::MAX_TEXT_LEN {
            return Err(size_err(format!(
                "a text may hold at most {} characters",
                schema::MAX_TEXT_LEN
            )));
        }
    }
    // New pages and items carry their creator and their required fields.
    for (id, node) in &new_nodes {
        let required: &[&str] = match node.kind {
            NodeKind::Page => &[page::ID, page::KIND, page::ITEMS, page::CREATED_BY],
            NodeKind::Item => &[item::ID, item::KIND, item::BOX, item::CREATED_BY],
            _ => continue,
        };
        if ctx.node_is_deleted_here(*id, update) {
            continue;
        }
        for key in required {
            if !set_keys.contains(*id, key) {
                return Err(type_err(format!(
                    "a new {} must set '{key}'",
                    kind_name(Some(node.kind))
                )));
            }
        }
    }
    ctx.check_deletes(update, &set_keys, &placed)?;
    Ok(accepted(placed, new_nodes, update))
}

/// Where `KeySet` keeps the keys an update writes in the root `meta` (no item has this id).
const META_KEYS: Id = Id {
    client: u64::MAX,
    clock: u32::MAX,
};

/// The (node, key) pairs an update writes, sorted for lookups.
struct KeySet<'a>(Vec<(Id, &'a str)>);

impl KeySet<'_> {
    fn contains(&self, id: Id, key: &str) -> bool {
        self.0
            .binary_search_by(|(i, k)| (*i, *k).cmp(&(id, key)))
            .is_ok()
    }
}
