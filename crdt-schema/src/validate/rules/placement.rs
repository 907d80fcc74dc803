//! Where each new item of an update goes: its parent, key and the nested types it creates,
//! and what the index learns once the update is applied.

use super::*;

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
    pub(crate) fn set_deletes(&mut self, deleted: &yrs::IdSet) {
        self.deletes.clear();
        for (client, ranges) in deleted.iter() {
            for r in ranges.iter() {
                self.deletes.push((client.get(), r.clone()));
            }
        }
    }
}

/// A new part of a block: its first id, length and place.
pub(super) struct Placed<'a> {
    pub(super) start: Id,
    pub(super) len: u32,
    pub(super) loc: Loc,
    pub(super) block: &'a Block,
}

/// `lenient` (trusted input) places what it can instead of refusing.
pub(super) fn place<'a>(
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

pub(super) fn type_name(ty: TypeKind) -> &'static str {
    match ty {
        TypeKind::Map => "Y.Map",
        TypeKind::Array => "Y.Array",
        TypeKind::Text => "Y.Text",
        TypeKind::Other => "shared type of this kind",
    }
}

pub(super) fn kind_name(kind: Option<NodeKind>) -> &'static str {
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
pub(crate) fn place_trusted(index: &DocIndex, update: &ParsedUpdate) -> Accepted {
    match place(index, update, true) {
        Ok((placed, nodes)) => accepted(placed, nodes, update),
        Err(_) => Accepted::default(),
    }
}

pub(super) fn accepted(
    placed: Vec<Placed>,
    nodes: HashMap<Id, Node>,
    update: &ParsedUpdate,
) -> Accepted {
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

pub(crate) fn commit(index: &mut DocIndex, a: Accepted) {
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
