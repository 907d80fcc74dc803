//! The photos an update places, checked on the connection before its room sees the update
//! (issue 18, finding 3): an item's `photo.id` must name a photo its writer may see when it is
//! written (`photos::visibility`). The reader awaits the check, so frames keep their order.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crdt_schema::validate::{BlockBody, Content, ParsedUpdate};
use yrs::Any;

use crate::ids::{ProjectId, UserId};
use crate::photos::Visibility;
use crate::store::StoreError;

/// How long an allowed photo stays allowed without asking the store again. A share or a
/// membership that ends stops new placements within this time.
const ALLOWED_FOR: Duration = Duration::from_secs(60);
/// Most photo ids remembered per connection; past it the memory is cleared.
const MAX_ALLOWED: usize = 1024;

/// Every photo id the update writes, once each, in the order first written. A photo
/// reference is a map value holding a string `id`: in a book only an item's `photo` looks so
/// (backgrounds have no `id`, and `style` may not hold one), and the validator refuses the
/// key anywhere else. Every element of every JSON value is looked at, so a crafted update
/// cannot hide a reference where the validator or a reader might still find it.
pub fn photo_refs(parsed: &ParsedUpdate) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for block in &parsed.blocks {
        let BlockBody::Item(item) = &block.body else {
            continue;
        };
        let Content::Any(values) = &item.content else {
            continue;
        };
        for value in values {
            if let Any::Map(map) = value {
                if let Some(Any::String(id)) = map.get("id") {
                    if !out.contains(&id.as_ref()) {
                        out.push(id);
                    }
                }
            }
        }
    }
    out
}

/// Why an update may not go on to the room.
pub enum Refusal {
    /// The writer may not place this photo; the reason is for PermissionDenied.
    Photo(String),
    /// The store could not answer; the update was neither refused nor passed.
    Store(StoreError),
}

/// One connection's check, with its memory of photos already allowed.
pub struct PhotoGate {
    project: ProjectId,
    user: UserId,
    visibility: Visibility,
    allowed: HashMap<String, Instant>,
}

impl PhotoGate {
    pub fn new(project: ProjectId, user: UserId, visibility: Visibility) -> PhotoGate {
        PhotoGate {
            project,
            user,
            visibility,
            allowed: HashMap::new(),
        }
    }

    /// Passes an update whose every photo reference the writer may place; refuses it at the
    /// first one they may not.
    pub async fn check(&mut self, parsed: &ParsedUpdate) -> Result<(), Refusal> {
        for id in photo_refs(parsed) {
            if self
                .allowed
                .get(id)
                .is_some_and(|at| at.elapsed() < ALLOWED_FOR)
            {
                continue;
            }
            match self
                .visibility
                .allow_placement(self.user, self.project, id)
                .await
            {
                Ok(true) => {
                    if self.allowed.len() >= MAX_ALLOWED {
                        self.allowed.clear();
                    }
                    self.allowed.insert(id.to_owned(), Instant::now());
                }
                Ok(false) => {
                    return Err(Refusal::Photo(format!(
                        "photo {} is not yours to place; upload it or ask its owner to share it",
                        shorten(id)
                    )))
                }
                Err(e) => return Err(Refusal::Store(e)),
            }
        }
        Ok(())
    }
}

/// An id as a reason shows it: whole when it is id-sized, else its start.
fn shorten(id: &str) -> String {
    const MAX: usize = 40;
    if id.len() <= MAX {
        return id.to_owned();
    }
    let mut end = MAX;
    while !id.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &id[..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::{Doc, Map, MapPrelim, Transact, WriteTxn};

    fn parsed(edit: impl FnOnce(&mut yrs::TransactionMut)) -> ParsedUpdate {
        let doc = Doc::with_client_id(7);
        let mut txn = doc.transact_mut();
        edit(&mut txn);
        let update = txn.encode_update_v1();
        crdt_schema::validate::parse_update(&update).expect("parses")
    }

    #[test]
    fn finds_item_photos_and_nothing_else() {
        let p = parsed(|txn| {
            let pages = txn.get_or_insert_map("probe");
            let item = pages.insert(txn, "item", MapPrelim::default());
            item.insert(
                txn,
                "photo",
                Any::from(HashMap::from([
                    ("id".to_owned(), Any::from("p-1")),
                    ("zoom".to_owned(), Any::from(1.0)),
                ])),
            );
            item.insert(
                txn,
                "again",
                Any::from(HashMap::from([("id".to_owned(), Any::from("p-1"))])),
            );
            item.insert(
                txn,
                "background",
                Any::from(HashMap::from([("color".to_owned(), Any::from("#fff"))])),
            );
            item.insert(txn, "id", "item-1");
            item.insert(
                txn,
                "numeric",
                Any::from(HashMap::from([("id".to_owned(), Any::from(3.0))])),
            );
            let many = txn.get_or_insert_array("many");
            yrs::Array::insert_range(
                &many,
                txn,
                0,
                [
                    Any::from(1.0),
                    Any::from(HashMap::from([("id".to_owned(), Any::from("p-2"))])),
                ],
            );
        });
        let mut refs = photo_refs(&p);
        refs.sort();
        assert_eq!(refs, vec!["p-1", "p-2"]);
    }

    #[test]
    fn long_ids_are_shortened_in_reasons() {
        assert_eq!(shorten("abc"), "abc");
        let long = "é".repeat(50);
        let short = shorten(&long);
        assert!(short.len() <= 44 && short.ends_with('…'), "{short}");
    }
}
