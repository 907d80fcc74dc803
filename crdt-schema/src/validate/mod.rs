//! Validation of incoming updates against the schema and the role rules of SPEC §6.3.
//!
//! An update is parsed (`parse`), each new item is placed in the document through the
//! structure index (`index`), and every insertion and deletion is checked (`rules`) before
//! anything is applied. A refused update changes nothing; an accepted one is applied by the
//! caller and then committed to the index, so index and document move together.

mod index;
mod parse;
mod rules;

use std::sync::Arc;

pub use index::{DocIndex, Loc, Node, NodeKind, Parent};
pub use parse::{parse_update, Block, BlockBody, Content, Id, ItemBlock, ParentRef, ParsedUpdate, TypeKind};
pub use rules::Accepted;

#[cfg(test)]
mod tests;

/// Why an update was refused: the rule it broke and what was wrong, for PermissionDenied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{rule}: {message}")]
pub struct Rejection {
    pub rule: &'static str,
    pub message: String,
}

/// The rule named when an update builds on content the document does not have yet: the
/// one rejection that a later update from the same sender can cure.
pub const CAUSALITY: &str = "rule 0 (causality)";

impl Rejection {
    pub fn new(rule: &'static str, message: impl Into<String>) -> Rejection {
        Rejection { rule, message: message.into() }
    }
}

/// How far a writer may go (SPEC §3 and §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Adds pages and items; changes and deletes only their own.
    Contributor,
    /// Changes anything in the book.
    Editor,
    /// Server-side workers.
    System,
}

/// Who sends an update.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user: Arc<str>,
    pub level: Level,
}

/// The validator of one loaded document.
#[derive(Debug, Default)]
pub struct Validator {
    index: DocIndex,
}

impl Validator {
    /// Indexes a document's current state (once, when it loads).
    pub fn from_state(state_update: &[u8]) -> Result<Validator, Rejection> {
        let mut v = Validator::default();
        let parsed = parse_update(state_update)?;
        v.observe(&parsed);
        Ok(v)
    }

    /// Checks an update from `actor`; `Ok` carries what to commit once it is applied.
    pub fn check(&self, update: &ParsedUpdate, actor: &Actor) -> Result<Accepted, Rejection> {
        rules::check(&self.index, update, actor)
    }

    /// Records an accepted update after it was applied.
    pub fn commit(&mut self, accepted: Accepted) {
        rules::commit(&mut self.index, accepted);
    }

    /// Records a trusted update (the document's own state, or a system edit) without rules.
    pub fn observe(&mut self, update: &ParsedUpdate) {
        let accepted = rules::place_trusted(&self.index, update);
        rules::commit(&mut self.index, accepted);
    }

    pub fn index(&self) -> &DocIndex {
        &self.index
    }
}

