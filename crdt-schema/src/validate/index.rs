//! A compact index of a document's structure: for every run of item ids, where the items
//! live (parent and map key) and whether they are deleted; for every nested type, what it is
//! in the book (page, items map, item, caption text) and who created it.
//!
//! yrs resolves an item's parent from its neighbours internally but does not expose that
//! lookup, and validation must know the parent before applying. Consecutive ids with the
//! same place merge into one run, so a thousand moves of one item cost one entry.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::ops::Range;
use std::sync::Arc;

use super::parse::Id;

/// Where an item lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parent {
    /// A root type by name.
    Root(Arc<str>),
    /// A nested type, by the id of the item that holds it.
    Node(Id),
    /// Garbage-collected: the item has no parent any more.
    Gone,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loc {
    pub parent: Parent,
    /// The map key, for map entries; `None` for sequence elements.
    pub key: Option<Arc<str>>,
}

impl Loc {
    pub const GONE: Loc = Loc {
        parent: Parent::Gone,
        key: None,
    };
}

#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub end: u32,
    pub loc: Loc,
    pub deleted: bool,
}

/// What a nested type is in the book.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    Page,
    /// The `items` map of a page.
    ItemsMap,
    Item,
    /// The `text` of an item.
    Text,
    /// Anything else (only ever written by trusted code or older data).
    Other,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    /// The node this one lives in (`None` under a root).
    pub parent: Option<Id>,
    /// The map key it lives at in its parent (`None` for sequence elements).
    pub key: Option<Arc<str>>,
    pub created_by: Option<Arc<str>>,
    /// For text nodes: visible length in UTF-16 units.
    pub text_len: u32,
    pub deleted: bool,
}

#[derive(Debug, Default)]
pub struct DocIndex {
    runs: HashMap<u64, BTreeMap<u32, Run>>,
    pub(super) nodes: BTreeMap<Id, Node>,
    /// The nested types at the keys of each node: what lives at a key (for overwrites), and
    /// a node's children (for deleting a page that holds other people's items).
    children: HashMap<Id, HashMap<Arc<str>, Vec<Id>>>,
}

impl DocIndex {
    /// The next clock the index expects from `client` (its state vector entry).
    pub fn known_clock(&self, client: u64) -> u32 {
        self.runs
            .get(&client)
            .and_then(|m| m.last_key_value())
            .map(|(_, r)| r.end)
            .unwrap_or(0)
    }

    /// The run holding `id`, with the run's start clock.
    pub fn lookup(&self, id: Id) -> Option<(u32, &Run)> {
        let runs = self.runs.get(&id.client)?;
        let (start, run) = runs.range(..=id.clock).next_back()?;
        (id.clock < run.end).then_some((*start, run))
    }

    pub fn node(&self, id: Id) -> Option<&Node> {
        self.nodes.get(&id)
    }

    /// Nodes whose holder item lies in `[start, start+len)` of one client.
    pub fn nodes_in(&self, start: Id, len: u32) -> impl Iterator<Item = (&Id, &Node)> {
        let end = Id::new(start.client, start.clock.saturating_add(len));
        self.nodes
            .range((Bound::Included(start), Bound::Excluded(end)))
    }

    /// The parts of `range` of `client` that are indexed and not yet deleted.
    pub fn live_parts(&self, client: u64, range: Range<u32>) -> Vec<(Id, u32, Loc)> {
        let Some(runs) = self.runs.get(&client) else {
            return Vec::new();
        };
        let mut parts: Vec<(Id, u32, Loc)> = runs
            .range(..range.end)
            .rev()
            .take_while(|(_, r)| r.end > range.start)
            .filter(|(_, r)| !r.deleted)
            .map(|(s, r)| {
                let lo = (*s).max(range.start);
                let hi = r.end.min(range.end);
                (Id::new(client, lo), hi - lo, r.loc.clone())
            })
            .collect();
        parts.reverse();
        parts
    }

    pub fn node_mut(&mut self, id: Id) -> Option<&mut Node> {
        self.nodes.get_mut(&id)
    }

    pub fn insert_node(&mut self, id: Id, node: Node) {
        if let (Some(parent), Some(key)) = (node.parent, node.key.clone()) {
            let at = self
                .children
                .entry(parent)
                .or_default()
                .entry(key)
                .or_default();
            // Values overwritten at this key are of no further use once they are deleted.
            at.retain(|c| self.nodes.get(c).is_some_and(|n| !n.deleted));
            at.push(id);
        }
        self.nodes.insert(id, node);
    }

    /// The live nested types at `key` of node `parent` (normally at most one).
    pub fn live_at<'a>(&'a self, parent: Id, key: &str) -> impl Iterator<Item = Id> + 'a {
        self.children
            .get(&parent)
            .and_then(|keys| keys.get(key))
            .into_iter()
            .flatten()
            .copied()
            .filter(|id| self.is_live(*id))
    }

    /// The live nested types directly inside node `parent`.
    pub fn live_children(&self, parent: Id) -> impl Iterator<Item = Id> + '_ {
        self.children
            .get(&parent)
            .into_iter()
            .flat_map(|keys| keys.values())
            .flatten()
            .copied()
            .filter(|id| self.is_live(*id))
    }

    fn is_live(&self, id: Id) -> bool {
        self.nodes.get(&id).is_some_and(|n| !n.deleted)
    }

    pub fn runs_len(&self) -> usize {
        self.runs.values().map(|m| m.len()).sum()
    }

    /// Records new items `[start, start+len)` of one client, merging with the run before.
    pub fn insert_run(&mut self, start: Id, len: u32, loc: Loc, deleted: bool) {
        let runs = self.runs.entry(start.client).or_default();
        let end = start.clock + len;
        if let Some((_, prev)) = runs.range_mut(..start.clock).next_back() {
            if prev.end == start.clock && prev.loc == loc && prev.deleted == deleted {
                prev.end = end;
                return;
            }
        }
        runs.insert(start.clock, Run { end, loc, deleted });
    }

    /// Marks `range` of `client` deleted; returns the parts that were not deleted before.
    pub fn mark_deleted(&mut self, client: u64, range: Range<u32>) -> Vec<(Id, u32, Loc)> {
        let Some(runs) = self.runs.get_mut(&client) else {
            return Vec::new();
        };
        let starts: Vec<u32> = runs
            .range(..range.end)
            .rev()
            .take_while(|(_, r)| r.end > range.start)
            .filter(|(_, r)| !r.deleted)
            .map(|(s, _)| *s)
            .collect();
        let mut newly = Vec::new();
        for start in starts {
            let run = runs.remove(&start).expect("run exists");
            let lo = start.max(range.start);
            let hi = run.end.min(range.end);
            if start < lo {
                runs.insert(
                    start,
                    Run {
                        end: lo,
                        ..run.clone()
                    },
                );
            }
            runs.insert(
                lo,
                Run {
                    end: hi,
                    deleted: true,
                    ..run.clone()
                },
            );
            if hi < run.end {
                runs.insert(
                    hi,
                    Run {
                        end: run.end,
                        ..run.clone()
                    },
                );
            }
            newly.push((Id::new(client, lo), hi - lo, run.loc.clone()));
        }
        newly
    }

    /// Whether a node or any node it lives in is deleted.
    pub fn is_node_gone(&self, mut id: Id) -> bool {
        loop {
            match self.nodes.get(&id) {
                Some(n) if n.deleted => return true,
                Some(n) => match n.parent {
                    Some(p) => id = p,
                    None => return false,
                },
                None => return false,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loc(key: &str) -> Loc {
        Loc {
            parent: Parent::Root("meta".into()),
            key: Some(key.into()),
        }
    }

    #[test]
    fn consecutive_runs_merge_and_deletes_split() {
        let mut ix = DocIndex::default();
        ix.insert_run(Id::new(1, 0), 3, loc("a"), false);
        ix.insert_run(Id::new(1, 3), 2, loc("a"), false);
        assert_eq!(ix.runs_len(), 1);
        assert_eq!(ix.known_clock(1), 5);
        ix.insert_run(Id::new(1, 5), 1, loc("b"), false);
        assert_eq!(ix.runs_len(), 2);
        let newly = ix.mark_deleted(1, 1..4);
        assert_eq!(newly, vec![(Id::new(1, 1), 3, loc("a"))]);
        assert!(ix.lookup(Id::new(1, 2)).unwrap().1.deleted);
        assert!(!ix.lookup(Id::new(1, 0)).unwrap().1.deleted);
        assert!(!ix.lookup(Id::new(1, 4)).unwrap().1.deleted);
        // Deleting again reports nothing new.
        assert!(ix
            .mark_deleted(1, 0..6)
            .iter()
            .all(|(id, _, _)| id.clock != 1));
        assert!(ix.lookup(Id::new(1, 9)).is_none());
    }
}
