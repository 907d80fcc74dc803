//! The role rules (SPEC §6.3, rule 4 and the deletion rules): who may change, replace and
//! remove what, checked insert by insert and delete by delete.

use super::*;

pub(super) struct Ctx<'a> {
    pub(super) index: &'a DocIndex,
    pub(super) new_nodes: &'a HashMap<Id, Node>,
    pub(super) actor: &'a Actor,
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
    pub(super) fn check_deleted_value(
        &self,
        p: &Placed,
        set_keys: &KeySet,
    ) -> Result<(), Rejection> {
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

    pub(super) fn check_insert(
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

    pub(super) fn node_is_deleted_here(&self, id: Id, update: &ParsedUpdate) -> bool {
        update
            .deletes
            .iter()
            .any(|(c, r)| *c == id.client && r.contains(&id.clock))
    }

    /// Deletions: only of known content, by the owner (or an editor), never of a required
    /// field without a new value, and not through a node that is itself deleted here.
    pub(super) fn check_deletes(
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
