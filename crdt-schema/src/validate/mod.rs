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
pub use parse::{
    parse_update, Block, BlockBody, Content, Id, ItemBlock, ParentRef, ParsedUpdate, TypeKind,
};
pub use rules::{Accepted, ClientClaim};

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
        Rejection {
            rule,
            message: message.into(),
        }
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

    /// Checks the Yjs client ids and clocks of `update` (rules of the room, not of the book):
    /// every clock stays below [`crate::schema::MAX_CLOCK`]; new content may not be written
    /// under a client id that `claim` says is someone else's; and garbage-collected or
    /// skipped ranges, which claim clocks without showing content, are accepted only for
    /// the sender's own client ids (or a client id the document has never seen).
    pub fn check_clients(
        &self,
        update: &ParsedUpdate,
        claim: impl Fn(u64) -> ClientClaim,
    ) -> Result<(), Rejection> {
        rules::check_clients(&self.index, update, claim)
    }

    /// Records an accepted update after it was applied. Prefer [`Validator::commit_applied`]
    /// where the applying transaction is at hand.
    pub fn commit(&mut self, accepted: Accepted) {
        rules::commit(&mut self.index, accepted);
    }

    /// Records an accepted update after it was applied, with what the applying transaction
    /// really deleted: besides the update's delete set, yrs deletes the old value of every
    /// map key the update overwrites, and a value that lost a concurrent overwrite.
    pub fn commit_applied(&mut self, mut accepted: Accepted, deleted: &yrs::IdSet) {
        accepted.set_deletes(deleted);
        rules::commit(&mut self.index, accepted);
    }

    /// Records a trusted update (the document's own state, or a system edit) without rules.
    pub fn observe(&mut self, update: &ParsedUpdate) {
        let accepted = rules::place_trusted(&self.index, update);
        rules::commit(&mut self.index, accepted);
    }

    /// Records a trusted update after it was applied, with what the transaction deleted.
    pub fn observe_applied(&mut self, update: &ParsedUpdate, deleted: &yrs::IdSet) {
        let mut accepted = rules::place_trusted(&self.index, update);
        accepted.set_deletes(deleted);
        rules::commit(&mut self.index, accepted);
    }

    pub fn index(&self) -> &DocIndex {
        &self.index
    }
}
