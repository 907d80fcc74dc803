//! The checks themselves: where each new item goes, whether its value has the schema's
//! type, and whether the sender's role may make the change (SPEC §6.3).

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use yrs::Any;

use super::index::{DocIndex, Loc, Node, NodeKind, Parent};
use super::parse::{Block, BlockBody, Content, Id, ParentRef, ParsedUpdate, TypeKind};
use super::{Actor, Level, Rejection};
use crate::schema::{self, item, meta, page};

/// A checked update: what the index learns once the update is applied.
#[derive(Debug, Default)]
pub struct Accepted {
    runs: Vec<(Id, u32, Loc)>,
    nodes: Vec<(Id, Node)>,
    text_added: Vec<(Id, u32)>,
    deletes: Vec<(u64, Range<u32>)>,
}

impl Accepted {
    /// Replaces the update's own delete set with what applying it really deleted.
    pub(super) fn set_deletes(&mut self, deleted: &yrs::IdSet) {
        self.deletes.clear();
        for (client, ranges) in deleted.iter() {
            for r in ranges.iter() {
                self.deletes.push((client.get(), r.clone()));
            }
        }
    }
}

/// Whose a Yjs client id is, as the room sees the connection that sends an update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientClaim {
    /// The sender's: it announced the id in its awareness or wrote under it before.
    Mine,
    /// Another connection's, another user's, or the server's own.
    Others,
    /// Nobody's as far as the room knows.
    Free,
}

fn client_err(message: impl Into<String>) -> Rejection {
    Rejection::new("client ids", message)
}

pub(super) fn check_clients(
    index: &DocIndex,
    update: &ParsedUpdate,
    claim: impl Fn(u64) -> ClientClaim,
) -> Result<(), Rejection> {
    let too_far = || size_err(format!("a Yjs clock may not reach {}", schema::MAX_CLOCK));
    let mut seen: Vec<(u64, ClientClaim, u32)> = Vec::new();
    let mut lookup = |client: u64| -> (ClientClaim, u32) {
        if let Some((_, c, k)) = seen.iter().find(|(id, _, _)| *id == client) {
            return (*c, *k);
        }
        let entry = (claim(client), index.known_clock(client));
        seen.push((client, entry.0, entry.1));
        entry
    };
    for b in &update.blocks {
        let end = b.id.clock.checked_add(b.len).ok_or_else(too_far)?;
        if end > schema::MAX_CLOCK {
            return Err(too_far());
        }
        let (claim, known) = lookup(b.id.client);
        if end <= known {
            continue;
        }
        // Content sent already deleted (or collected) that starts inside what the server
        // has: yrs 0.28 deletes the whole range it names, known content included. Stock
        // clients start at the server's clock; found by the validator fuzz targets.
        let dead = matches!(&b.body, BlockBody::Gc)
            || matches!(&b.body, BlockBody::Item(it) if it.content == Content::Deleted);
        if dead && b.id.clock < known {
            return Err(client_err(format!("the update re-sends deleted clocks of Yjs client id {} that the server already has", b.id.client)));
        }
        match (&b.body, claim) {
            (_, ClientClaim::Others) => {
                return Err(client_err(format!(
                    "the update writes under Yjs client id {} which belongs to another connection; a client writes under its own id",
                    b.id.client
                )))
            }
            (BlockBody::Gc, ClientClaim::Free) if known > 0 => {
                return Err(client_err(format!(
                    "the update marks clocks of Yjs client id {} as collected garbage; only that client's own connection may",
                    b.id.client
                )))
            }
            _ => {}
        }
    }
    for (client, range) in &update.skips {
        if range.end > schema::MAX_CLOCK {
            return Err(too_far());
        }
        let (claim, known) = lookup(*client);
        if range.end > known && claim != ClientClaim::Mine {
            return Err(client_err(format!(
                "the update skips clocks of Yjs client id {client}, which is not this connection's"
            )));
        }
    }
    if update
        .deletes
        .iter()
        .any(|(_, r)| r.end > schema::MAX_CLOCK)
    {
        return Err(too_far());
    }
    Ok(())
}

/// A new part of a block: its first id, length and place.
struct Placed<'a> {
    start: Id,
    len: u32,
    loc: Loc,
    block: &'a Block,
}

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
/// `lenient` (trusted input) places what it can instead of refusing.
fn place<'a>(
    index: &DocIndex,
    update: &'a ParsedUpdate,
    lenient: bool,
) -> Result<(Vec<Placed<'a>>, HashMap<Id, Node>), Rejection> {
    // 1. The parts of each block the document does not have yet.
    // Updates carry few clients: a vector beats a map here.
    let mut expected: Vec<(u64, u32)> = Vec::new();
    let mut fresh: Vec<(Id, u32, &Block)> = Vec::with_capacity(update.blocks.len());
    for b in &update.blocks {
        let slot = match expected.iter().position(|(c, _)| *c == b.id.client) {
            Some(i) => i,
            None => {
                expected.push((b.id.client, index.known_clock(b.id.client)));
                expected.len() - 1
            }
        };
        let exp = expected[slot].1;
        let end = b.id.clock + b.len;
        if end <= exp {
            continue;
        }
        if b.id.clock > exp {
            if lenient {
                continue;
            }
            return Err(missing("skips over"));
        }
        let start = exp.max(b.id.clock);
        fresh.push((Id::new(b.id.client, start), end - start, b));
        expected[slot].1 = end;
    }

    // 2. Places: explicit parents, or copied from the left (else right) neighbour.
    const SMALL: usize = 16;
    let mut by_client: HashMap<u64, Vec<usize>> = HashMap::new();
    if fresh.len() > SMALL {
        for (i, (start, _, _)) in fresh.iter().enumerate() {
            by_client.entry(start.client).or_default().push(i);
        }
    }
    let staged = |id: Id| -> Option<usize> {
        if fresh.len() <= SMALL {
            return fresh.iter().position(|(s, len, _)| {
                s.client == id.client && s.clock <= id.clock && id.clock < s.clock + len
            });
        }
        let list = by_client.get(&id.client)?;
        let pos = list.partition_point(|&i| fresh[i].0.clock <= id.clock);
        let i = *list.get(pos.checked_sub(1)?)?;
        (id.clock < fresh[i].0.clock + fresh[i].1).then_some(i)
    };
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        Todo,
        Busy,
        Done,
    }
    let mut state = vec![State::Todo; fresh.len()];
    let mut locs: Vec<Loc> = vec![Loc::GONE; fresh.len()];
    for root in 0..fresh.len() {
        let mut stack = vec![root];
        while let Some(&i) = stack.last() {
            if state[i] == State::Done {
                stack.pop();
                continue;
            }
            state[i] = State::Busy;
            let item = match &fresh[i].2.body {
                BlockBody::Gc => None,
                BlockBody::Item(it) => Some(it),
            };
            let Some(it) = item else {
                locs[i] = Loc::GONE;
                state[i] = State::Done;
                stack.pop();
                continue;
            };
            if let Some(p) = &it.parent {
                locs[i] = Loc {
                    parent: match p {
                        ParentRef::Root(name) => Parent::Root(name.clone()),
                        ParentRef::Type(id) => Parent::Node(*id),
                    },
                    key: it.key.clone(),
                };
                state[i] = State::Done;
                stack.pop();
                continue;
            }
            // Yjs takes the parent from the left neighbour if it is an item, else the right.
            let mut resolved: Option<Loc> = None;
            let mut waiting = None;
            for n in [it.origin, it.right_origin].into_iter().flatten() {
                if let Some((_, run)) = index.lookup(n) {
                    if run.loc.parent != Parent::Gone {
                        resolved = Some(run.loc.clone());
                        break;
                    }
                    continue;
                }
                match staged(n) {
                    Some(j) if j == i => {
                        return Err(schema_err("an item cannot be its own neighbour"))
                    }
                    Some(j) => match state[j] {
                        State::Done if locs[j].parent != Parent::Gone => {
                            resolved = Some(locs[j].clone());
                            break;
                        }
                        State::Done => continue,
                        State::Busy => {
                            return Err(schema_err(
                                "the update's items refer to each other in a cycle",
                            ))
                        }
                        State::Todo => {
                            waiting = Some(j);
                            break;
                        }
                    },
                    None if lenient => continue,
                    None => return Err(missing("builds on")),
                }
            }
            if let Some(j) = waiting {
                stack.push(j);
                continue;
            }
            locs[i] = resolved.unwrap_or(Loc::GONE);
            state[i] = State::Done;
            stack.pop();
        }
    }

    // 3. Nested types created here, known once their parent node is known.
    let mut nodes: HashMap<Id, Node> = HashMap::new();
    let mut pending: Vec<usize> = (0..fresh.len())
        .filter(|&i| matches!(&fresh[i].2.body, BlockBody::Item(it) if matches!(it.content, Content::Type(_))))
        .collect();
    while !pending.is_empty() {
        let before = pending.len();
        let mut next = Vec::new();
        for i in pending {
            let BlockBody::Item(it) = &fresh[i].2.body else {
                unreachable!()
            };
            let Content::Type(ty) = it.content else {
                unreachable!()
            };
            let loc = &locs[i];
            let (parent, parent_kind) = match &loc.parent {
                Parent::Gone => (None, None),
                Parent::Root(_) => (None, None),
                Parent::Node(p) => match nodes.get(p).or_else(|| index.node(*p)) {
                    Some(n) => (Some(*p), Some(n.kind)),
                    None if staged(*p).is_some_and(|j| pending_has(&fresh, j))
                        && !nodes.contains_key(p) =>
                    {
                        next.push(i);
                        continue;
                    }
                    None if lenient => (Some(*p), None),
                    None => {
                        return Err(schema_err(
                            "an item names a parent that is not a shared type",
                        ))
                    }
                },
            };
            let kind = node_kind(&loc.parent, parent_kind, loc.key.as_deref(), ty);
            if kind == NodeKind::Other && !lenient && loc.parent != Parent::Gone {
                return Err(schema_err(format!(
                    "a {} is not allowed {}",
                    type_name(ty),
                    place_name(loc, parent_kind)
                )));
            }
            nodes.insert(
                fresh[i].0,
                Node {
                    kind,
                    parent,
                    key: loc.key.clone(),
                    created_by: None,
                    text_len: 0,
                    deleted: false,
                },
            );
        }
        if next.len() == before {
            if lenient {
                break;
            }
            return Err(schema_err(
                "nested types refer to parents that never appear",
            ));
        }
        pending = next;
    }

    let placed = fresh
        .into_iter()
        .zip(locs)
        .map(|((start, len, block), loc)| Placed {
            start,
            len,
            loc,
            block,
        })
        .collect();
    Ok((placed, nodes))
}

fn pending_has(fresh: &[(Id, u32, &Block)], j: usize) -> bool {
    matches!(&fresh[j].2.body, BlockBody::Item(it) if matches!(it.content, Content::Type(_)))
}

fn node_kind(
    parent: &Parent,
    parent_kind: Option<NodeKind>,
    key: Option<&str>,
    ty: TypeKind,
) -> NodeKind {
    match (parent, parent_kind, key, ty) {
        (Parent::Root(r), _, None, TypeKind::Map) if &**r == schema::ROOT_PAGES => NodeKind::Page,
        (Parent::Node(_), Some(NodeKind::Page), Some(page::ITEMS), TypeKind::Map) => {
            NodeKind::ItemsMap
        }
        (Parent::Node(_), Some(NodeKind::ItemsMap), Some(_), TypeKind::Map) => NodeKind::Item,
        (Parent::Node(_), Some(NodeKind::Item), Some(item::TEXT), TypeKind::Text) => NodeKind::Text,
        _ => NodeKind::Other,
    }
}

fn type_name(ty: TypeKind) -> &'static str {
    match ty {
        TypeKind::Map => "Y.Map",
        TypeKind::Array => "Y.Array",
        TypeKind::Text => "Y.Text",
        TypeKind::Other => "shared type of this kind",
    }
}

fn kind_name(kind: Option<NodeKind>) -> &'static str {
    match kind {
        Some(NodeKind::Page) => "page",
        Some(NodeKind::ItemsMap) => "page's items map",
        Some(NodeKind::Item) => "item",
        Some(NodeKind::Text) => "text",
        Some(NodeKind::Other) | None => "unknown part of the document",
    }
}

fn place_name(loc: &Loc, parent_kind: Option<NodeKind>) -> String {
    let key = loc
        .key
        .as_deref()
        .map(|k| format!(" at key '{k}'"))
        .unwrap_or_default();
    match &loc.parent {
        Parent::Root(r) => format!("in the root '{r}'{key}"),
        Parent::Node(_) => format!("in a {}{key}", kind_name(parent_kind)),
        Parent::Gone => "in deleted content".into(),
    }
}

/// Trusted input: place what can be placed and record it, no rules.
pub(super) fn place_trusted(index: &DocIndex, update: &ParsedUpdate) -> Accepted {
    match place(index, update, true) {
        Ok((placed, nodes)) => accepted(placed, nodes, update),
        Err(_) => Accepted::default(),
    }
}

fn accepted(placed: Vec<Placed>, nodes: HashMap<Id, Node>, update: &ParsedUpdate) -> Accepted {
    let mut text_added: HashMap<Id, u32> = HashMap::new();
    let mut nodes = nodes;
    for p in &placed {
        let BlockBody::Item(it) = &p.block.body else {
            continue;
        };
        if let (Parent::Node(n), Content::String { .. }) = (&p.loc.parent, &it.content) {
            *text_added.entry(*n).or_default() += p.len;
        }
        if let (Parent::Node(n), Some(item::CREATED_BY), Content::Any(v)) =
            (&p.loc.parent, p.loc.key.as_deref(), &it.content)
        {
            if let (Some(node), [Any::String(s)]) = (nodes.get_mut(n), v.as_slice()) {
                node.created_by.get_or_insert_with(|| s.clone());
            }
        }
    }
    Accepted {
        runs: placed
            .into_iter()
            .map(|p| (p.start, p.len, p.loc))
            .collect(),
        nodes: nodes.into_iter().collect(),
        text_added: text_added.into_iter().collect(),
        deletes: update.deletes.clone(),
    }
}

pub(super) fn commit(index: &mut DocIndex, a: Accepted) {
    for (id, node) in a.nodes {
        index.insert_node(id, node);
    }
    for (start, len, loc) in a.runs {
        index.insert_run(start, len, loc, false);
    }
    for (node, n) in a.text_added {
        if let Some(t) = index.node_mut(node) {
            t.text_len = t.text_len.saturating_add(n);
        }
    }
    for (client, range) in a.deletes {
        for (start, len, loc) in index.mark_deleted(client, range) {
            if let Parent::Node(p) = loc.parent {
                if let Some(t) = index.node_mut(p).filter(|t| t.kind == NodeKind::Text) {
                    t.text_len = t.text_len.saturating_sub(len);
                }
            }
            let gone: Vec<Id> = index.nodes_in(start, len).map(|(id, _)| *id).collect();
            for id in gone {
                if let Some(n) = index.node_mut(id) {
                    n.deleted = true;
                }
            }
        }
    }
}

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

struct Ctx<'a> {
    index: &'a DocIndex,
    new_nodes: &'a HashMap<Id, Node>,
    actor: &'a Actor,
}

impl Ctx<'_> {
    fn node(&self, id: Id) -> Option<&Node> {
        self.new_nodes.get(&id).or_else(|| self.index.node(id))
    }

    /// Contributors may change only what they created (rule 4).
    fn may_change(&self, node_id: Id) -> Result<(), Rejection> {
        if self.actor.level >= Level::Editor || self.new_nodes.contains_key(&node_id) {
            return Ok(());
        }
        let node = self.node(node_id);
        let owner = node.and_then(|n| n.created_by.as_deref());
        if owner == Some(&*self.actor.user) {
            return Ok(());
        }
        let what = kind_name(node.map(|n| n.kind));
        Err(Rejection::new(
            "rule 4 (ownership)",
            format!("a contributor may change or delete only the pages and items they created; this {what} was created by someone else"),
        ))
    }

    /// Removing node `id` (deleting it, or overwriting the key it lives at) removes all that
    /// is in it: a contributor may do that only when they may change it and every live page
    /// and item inside it (rule 4). A page that holds someone else's item is not theirs alone.
    fn may_remove(&self, id: Id) -> Result<(), Rejection> {
        if self.actor.level >= Level::Editor {
            return Ok(());
        }
        let mut stack = vec![id];
        while let Some(n) = stack.pop() {
            if matches!(
                self.node(n).map(|x| x.kind),
                Some(NodeKind::Page | NodeKind::Item)
            ) {
                self.may_change(n)?;
            }
            stack.extend(self.index.live_children(n));
        }
        Ok(())
    }

    /// A value sent already deleted, at a map key: it removes what lives at the key.
    fn check_deleted_value(&self, p: &Placed, set_keys: &KeySet) -> Result<(), Rejection> {
        let Some(key) = p.loc.key.as_deref() else {
            return Ok(());
        };
        match &p.loc.parent {
            Parent::Root(r) if &**r == schema::ROOT_META => {
                if self.actor.level < Level::Editor {
                    return Err(Rejection::new(
                        "rule 4 (ownership)",
                        "a contributor may not change the book's meta",
                    ));
                }
                if meta::ALL.contains(&key) && !set_keys.contains(META_KEYS, key) {
                    return Err(type_err(format!(
                        "the required field meta.{key} cannot be removed"
                    )));
                }
                Ok(())
            }
            Parent::Node(n) => {
                let Some(node) = self.node(*n) else {
                    return Err(schema_err(
                        "an item names a parent that is not a shared type",
                    ));
                };
                for old in self.index.live_at(*n, key) {
                    self.may_remove(old)?;
                }
                let required: &[&str] = match node.kind {
                    NodeKind::Page => &[page::ID, page::KIND, page::ITEMS, page::CREATED_BY],
                    NodeKind::Item => &[item::ID, item::KIND, item::BOX, item::CREATED_BY],
                    _ => &[],
                };
                if matches!(node.kind, NodeKind::Page | NodeKind::Item | NodeKind::Text) {
                    self.may_change(self.owner_of(*n))?;
                }
                if required.contains(&key) && !set_keys.contains(*n, key) {
                    return Err(type_err(format!(
                        "the required field '{key}' cannot be removed"
                    )));
                }
                if node.kind == NodeKind::Other && self.actor.level < Level::System {
                    return Err(schema_err(
                        "this part of the document is not in the book schema",
                    ));
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// The page or item whose ownership covers a change inside node `id`.
    fn owner_of(&self, id: Id) -> Id {
        match self.node(id) {
            Some(n) if n.kind == NodeKind::Text => n.parent.unwrap_or(id),
            _ => id,
        }
    }

    fn check_insert(
        &self,
        p: &Placed,
        content: &Content,
        text_added: &mut HashMap<Id, u32>,
    ) -> Result<(), Rejection> {
        let key = p.loc.key.as_deref();
        match &p.loc.parent {
            Parent::Gone => Ok(()),
            Parent::Root(r) if &**r == schema::ROOT_META => {
                if self.actor.level < Level::Editor {
                    return Err(Rejection::new(
                        "rule 4 (ownership)",
                        "a contributor may not change the book's meta",
                    ));
                }
                let key =
                    key.ok_or_else(|| schema_err("meta is a map; it has no sequence elements"))?;
                check_meta_value(key, content)
            }
            Parent::Root(r) if &**r == schema::ROOT_PAGES => {
                if key.is_some() || !matches!(content, Content::Type(TypeKind::Map)) {
                    return Err(schema_err("pages holds only page maps (Y.Map)"));
                }
                Ok(())
            }
            Parent::Root(r) => Err(schema_err(format!(
                "only the roots 'meta' and 'pages' may be written; this update writes '{r}'"
            ))),
            Parent::Node(n) => {
                let node = self.node(*n).ok_or_else(|| {
                    schema_err("an item names a parent that is not a shared type")
                })?;
                // Writing a key replaces what lives there: Yjs deletes the old value when it
                // integrates the new one, whether or not the update's delete set says so.
                if let Some(k) = key {
                    for old in self.index.live_at(*n, k) {
                        self.may_remove(old)?;
                    }
                }
                match node.kind {
                    NodeKind::Page => {
                        let key = key.ok_or_else(|| {
                            schema_err("a page is a map; it has no sequence elements")
                        })?;
                        self.check_created_by(*n, key, content)?;
                        check_page_value(key, content)?;
                        self.may_change(*n)
                    }
                    NodeKind::ItemsMap => {
                        if key.is_none() || !matches!(content, Content::Type(TypeKind::Map)) {
                            return Err(schema_err(
                                "a page's items map holds only item maps (Y.Map) by id",
                            ));
                        }
                        Ok(())
                    }
                    NodeKind::Item => {
                        let key = key.ok_or_else(|| {
                            schema_err("an item is a map; it has no sequence elements")
                        })?;
                        self.check_created_by(*n, key, content)?;
                        check_item_value(key, content)?;
                        self.may_change(*n)
                    }
                    NodeKind::Text => match content {
                        Content::String { bytes, .. } => {
                            if *bytes > 4 * schema::MAX_TEXT_LEN as usize {
                                return Err(size_err("the inserted text is too long"));
                            }
                            *text_added.entry(*n).or_default() += p.len;
                            self.may_change(self.owner_of(*n))
                        }
                        _ => Err(type_err("captions and text boxes hold plain text only")),
                    },
                    NodeKind::Other => {
                        if self.actor.level == Level::System {
                            Ok(())
                        } else {
                            Err(schema_err(
                                "this part of the document is not in the book schema",
                            ))
                        }
                    }
                }
            }
        }
    }

    /// `createdBy` is set once, to the sender, when the page or item is created (rule 5).
    fn check_created_by(&self, node: Id, key: &str, content: &Content) -> Result<(), Rejection> {
        if key != page::CREATED_BY {
            return Ok(());
        }
        if !self.new_nodes.contains_key(&node) {
            return Err(Rejection::new(
                "rule 5 (createdBy)",
                "createdBy of an existing page or item cannot change",
            ));
        }
        match content {
            Content::Any(v) if matches!(v.as_slice(), [Any::String(s)] if **s == *self.actor.user) => {
                Ok(())
            }
            _ => Err(Rejection::new(
                "rule 5 (createdBy)",
                "createdBy of a new page or item must be your own user id",
            )),
        }
    }

    fn node_is_deleted_here(&self, id: Id, update: &ParsedUpdate) -> bool {
        update
            .deletes
            .iter()
            .any(|(c, r)| *c == id.client && r.contains(&id.clock))
    }

    /// Deletions: only of known content, by the owner (or an editor), never of a required
    /// field without a new value, and not through a node that is itself deleted here.
    fn check_deletes(
        &self,
        update: &ParsedUpdate,
        set_keys: &KeySet,
        placed: &[Placed],
    ) -> Result<(), Rejection> {
        let staged_end = |client: u64| {
            placed
                .iter()
                .filter(|p| p.start.client == client)
                .map(|p| p.start.clock + p.len)
                .max()
                .unwrap_or(0)
        };
        let mut parts = Vec::new();
        for (client, range) in &update.deletes {
            let known = self.index.known_clock(*client).max(staged_end(*client));
            if range.end > known {
                return Err(missing("deletes"));
            }
            parts.extend(self.index.live_parts(*client, range.clone()));
        }
        // Nodes deleted by this update: changes inside them are part of that deletion.
        let mut dying: HashSet<Id> = HashSet::new();
        for (start, len, _) in &parts {
            dying.extend(self.index.nodes_in(*start, *len).map(|(id, _)| *id));
        }
        let inside_dying = |mut id: Id| loop {
            if dying.contains(&id) || self.index.is_node_gone(id) {
                return true;
            }
            match self.index.node(id).and_then(|n| n.parent) {
                Some(p) => id = p,
                None => return false,
            }
        };
        for (start, len, loc) in &parts {
            match &loc.parent {
                Parent::Gone => {}
                Parent::Root(r) if &**r == schema::ROOT_META => {
                    if self.actor.level < Level::Editor {
                        return Err(Rejection::new("rule 4 (ownership)", "a contributor may not change the book's meta"));
                    }
                    // Every meta field is required (rule 2): it may be replaced, not removed.
                    if let Some(k) = loc.key.as_deref() {
                        let replaced = placed.iter().any(|p| p.loc.key.as_deref() == Some(k) && matches!(&p.loc.parent, Parent::Root(r) if &**r == schema::ROOT_META));
                        if meta::ALL.contains(&k) && !replaced {
                            return Err(type_err(format!("the required field meta.{k} cannot be removed")));
                        }
                    }
                }
                Parent::Root(r) if &**r == schema::ROOT_PAGES => {
                    for (page_id, _) in self.index.nodes_in(*start, *len) {
                        self.may_remove(*page_id)?;
                    }
                }
                Parent::Root(r) => {
                    return Err(schema_err(format!("only the roots 'meta' and 'pages' may be written; this update deletes from '{r}'")))
                }
                Parent::Node(n) => {
                    if inside_dying(*n) {
                        continue;
                    }
                    let kind = self.index.node(*n).map(|x| x.kind);
                    match kind {
                        Some(NodeKind::ItemsMap) => {
                            for (item_id, _) in self.index.nodes_in(*start, *len) {
                                self.may_remove(*item_id)?;
                            }
                        }
                        Some(NodeKind::Page | NodeKind::Item | NodeKind::Text) => {
                            self.may_change(self.owner_of(*n))?;
                            for (inner, _) in self.index.nodes_in(*start, *len) {
                                self.may_remove(*inner)?;
                            }
                            let required: &[&str] = match kind {
                                Some(NodeKind::Page) => &[page::ID, page::KIND, page::ITEMS, page::CREATED_BY],
                                Some(NodeKind::Item) => &[item::ID, item::KIND, item::BOX, item::CREATED_BY],
                                _ => &[],
                            };
                            if let Some(k) = loc.key.as_deref() {
                                if required.contains(&k) && !set_keys.contains(*n, k) {
                                    return Err(type_err(format!("the required field '{k}' cannot be removed")));
                                }
                            }
                        }
                        Some(NodeKind::Other) | None => {
                            if self.actor.level < Level::Editor {
                                return Err(schema_err("this part of the document is not in the book schema"));
                            }
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

// ---- value checks ----

fn one_value<'a>(content: &'a Content, key: &str) -> Result<Option<&'a Any>, Rejection> {
    match content {
        Content::Any(v) if v.len() == 1 => Ok(Some(&v[0])),
        Content::Any(_) => Err(type_err(format!("'{key}' must hold exactly one value"))),
        Content::Type(_) => Ok(None),
        Content::String { .. } => Err(type_err(format!(
            "'{key}' holds a text fragment where a value was expected"
        ))),
        Content::Deleted => Ok(None),
        Content::Other(what) => Err(type_err(format!(
            "'{key}' holds {what}, which a book does not use"
        ))),
    }
}

fn want_string(v: Option<&Any>, key: &str, max: usize) -> Result<(), Rejection> {
    match v {
        Some(Any::String(s)) if s.len() <= max => Ok(()),
        Some(Any::String(_)) => Err(size_err(format!("'{key}' is longer than {max} bytes"))),
        _ => Err(type_err(format!("'{key}' must be a string"))),
    }
}

fn want_string_or_null(v: Option<&Any>, key: &str) -> Result<(), Rejection> {
    match v {
        Some(Any::Null) => Ok(()),
        other => want_string(other, key, schema::MAX_STRING_BYTES),
    }
}

fn want_one_of(v: Option<&Any>, key: &str, allowed: &[&str]) -> Result<(), Rejection> {
    match v {
        Some(Any::String(s)) if allowed.contains(&&**s) => Ok(()),
        _ => Err(type_err(format!(
            "'{key}' must be one of {}",
            allowed.join(", ")
        ))),
    }
}

fn number(v: &Any) -> Option<f64> {
    match v {
        Any::Number(n) => n.as_f64(),
        _ => None,
    }
}

fn want_finite(v: Option<&Any>, key: &str) -> Result<f64, Rejection> {
    match v.and_then(number) {
        Some(x) if x.is_finite() => Ok(x),
        _ => Err(type_err(format!("'{key}' must be a finite number"))),
    }
}

fn want_bool(v: Option<&Any>, key: &str) -> Result<(), Rejection> {
    match v {
        Some(Any::Bool(_)) => Ok(()),
        _ => Err(type_err(format!("'{key}' must be true or false"))),
    }
}

fn want_type(content: &Content, ty: TypeKind, key: &str) -> Result<(), Rejection> {
    match content {
        Content::Type(t) if *t == ty => Ok(()),
        _ => Err(type_err(format!("'{key}' must be a {}", type_name(ty)))),
    }
}

fn check_meta_value(key: &str, content: &Content) -> Result<(), Rejection> {
    if !meta::ALL.contains(&key) {
        return Err(schema_err(format!("meta has no field '{key}'")));
    }
    let v = one_value(content, key)?;
    match key {
        meta::SCHEMA => match v.and_then(number) {
            Some(x) if x == schema::SCHEMA_VERSION as f64 => Ok(()),
            _ => Err(type_err(format!(
                "meta.schema must be {}",
                schema::SCHEMA_VERSION
            ))),
        },
        _ => want_string(v, key, schema::MAX_STRING_BYTES),
    }
}

fn check_page_value(key: &str, content: &Content) -> Result<(), Rejection> {
    if !page::ALL.contains(&key) {
        return Err(schema_err(format!("a page has no field '{key}'")));
    }
    if key == page::ITEMS {
        return want_type(content, TypeKind::Map, key);
    }
    let v = one_value(content, key)?;
    match key {
        page::ID | page::CREATED_BY => want_string(v, key, 128),
        page::KIND => want_one_of(v, key, &page::KINDS),
        page::LAYOUT => want_string_or_null(v, key),
        page::AUTO => want_bool(v, key),
        page::BACKGROUND => match v {
            Some(Any::Null) => Ok(()),
            Some(Any::Map(m)) => {
                for (k, x) in m.iter() {
                    match k.as_str() {
                        "color" | "asset" => want_string_or_null(Some(x), k)?,
                        "flip" => want_bool(Some(x), k)?,
                        other => {
                            return Err(schema_err(format!(
                                "a page background has no field '{other}'"
                            )))
                        }
                    }
                }
                Ok(())
            }
            _ => Err(type_err(
                "'background' must be an object {color?, asset?, flip}",
            )),
        },
        _ => Ok(()),
    }
}

fn check_item_value(key: &str, content: &Content) -> Result<(), Rejection> {
    if !item::ALL.contains(&key) {
        return Err(schema_err(format!("an item has no field '{key}'")));
    }
    if key == item::TEXT {
        return want_type(content, TypeKind::Text, key);
    }
    let v = one_value(content, key)?;
    match key {
        item::ID | item::CREATED_BY => want_string(v, key, 128),
        item::KIND => want_one_of(v, key, &item::KINDS),
        item::BOX => check_box(v),
        item::Z => want_finite(v, key).map(|_| ()),
        item::SLOT => match v {
            Some(Any::Null) => Ok(()),
            other => match other.and_then(number) {
                Some(x) if x.is_finite() && x >= 0.0 && x.fract() == 0.0 && x < 1000.0 => Ok(()),
                _ => Err(type_err("'slot' must be a slot index or null")),
            },
        },
        item::PHOTO => match v {
            Some(Any::Null) => Ok(()),
            Some(Any::Map(m)) => {
                for (k, x) in m.iter() {
                    match k.as_str() {
                        "id" => want_string(Some(x), "photo.id", 128)?,
                        "zoom" => {
                            let z = want_finite(Some(x), "photo.zoom")?;
                            if !(z > 0.0 && z <= 100.0) {
                                return Err(type_err(
                                    "'photo.zoom' must be above 0 and at most 100",
                                ));
                            }
                        }
                        "pan" => check_numbers(Some(x), "photo.pan", 2, |_| 10.0)?,
                        other => {
                            return Err(schema_err(format!(
                                "a photo reference has no field '{other}'"
                            )))
                        }
                    }
                }
                if !m.contains_key("id") {
                    return Err(type_err("a photo reference needs an 'id'"));
                }
                Ok(())
            }
            _ => Err(type_err(
                "'photo' must be an object {id, pan, zoom} or null",
            )),
        },
        item::STYLE => match v {
            Some(Any::Null) => Ok(()),
            Some(Any::Map(m)) => {
                for (k, x) in m.iter() {
                    check_style_value(k, x)?;
                }
                Ok(())
            }
            _ => Err(type_err("'style' must be an object")),
        },
        _ => Ok(()),
    }
}

/// A `box` is `[x, y, w, h, rot]`: five finite numbers, the first four within ±10 and `rot`
/// within ±360 degrees (rule 2).
fn check_box(v: Option<&Any>) -> Result<(), Rejection> {
    check_numbers(v, "box", 5, schema::box_limit)
}

/// `n` finite numbers, the `i`th within ±`limit(i)`.
fn check_numbers(
    v: Option<&Any>,
    key: &str,
    n: usize,
    limit: impl Fn(usize) -> f64,
) -> Result<(), Rejection> {
    let Some(Any::Array(xs)) = v else {
        return Err(type_err(format!("'{key}' must be an array of {n} numbers")));
    };
    if xs.len() != n {
        return Err(type_err(format!("'{key}' must have exactly {n} numbers")));
    }
    for (i, x) in xs.iter().enumerate() {
        let limit = limit(i);
        match number(x) {
            Some(f) if f.is_finite() && f.abs() <= limit => {}
            Some(f) if f.is_finite() && n == 5 && i == 4 => {
                return Err(type_err(format!(
                    "'{key}' rotation must lie within ±{limit} degrees"
                )))
            }
            Some(f) if f.is_finite() => {
                return Err(type_err(format!("'{key}' values must lie within ±{limit}")))
            }
            _ => return Err(type_err(format!("'{key}' values must be finite numbers"))),
        }
    }
    Ok(())
}

/// One field of an item's `style`, typed as the model reads it (`model::read`), so that no
/// accepted update leaves a book that does not read. Null means "the theme's default".
fn check_style_value(key: &str, v: &Any) -> Result<(), Rejection> {
    if matches!(v, Any::Null) {
        return if item::STYLE_KEYS.contains(&key) {
            Ok(())
        } else {
            Err(schema_err(format!("a style has no field '{key}'")))
        };
    }
    let field = format!("style.{key}");
    match key {
        "font" | "color" | "frame" => want_string(Some(v), &field, schema::MAX_STRING_BYTES),
        "size" | "opacity" => want_finite(Some(v), &field).map(|_| ()),
        "shadow" => want_bool(Some(v), &field),
        "align" => want_one_of(Some(v), &field, &["left", "center", "right", "justify"]),
        "border" => match v {
            Any::Map(m) => {
                for (k, x) in m.iter() {
                    match k.as_str() {
                        "width" => {
                            want_finite(Some(x), "style.border.width")?;
                        }
                        "color" => {
                            want_string(Some(x), "style.border.color", schema::MAX_STRING_BYTES)?
                        }
                        other => {
                            return Err(schema_err(format!(
                                "a style's border has no field '{other}'"
                            )))
                        }
                    }
                }
                for required in ["width", "color"] {
                    if !m.contains_key(required) {
                        return Err(type_err(format!("'style.border' needs a '{required}'")));
                    }
                }
                Ok(())
            }
            _ => Err(type_err("'style.border' must be an object {width, color}")),
        },
        other => Err(schema_err(format!("a style has no field '{other}'"))),
    }
}
