//! Who may see a photo, and who may place one in a book (SPEC §9.1; issue 18, finding 3).
//!
//! A person sees a photo when:
//! - they own it;
//! - its owner shared it with a project they are a member of (a `share` group);
//! - it is placed in the durable book of a project where both they and its owner are members,
//!   and that placement *counts*: an item placing it was created by the photo's owner or by
//!   the system user (automix and proactive books, which place only photos their job was
//!   allowed to use), or `photo_placements` records that someone allowed to place it did.
//!
//! A person may place a photo in a book (write an item's `photo.id`) only when they may see
//! it, or when someone allowed placed it in that same book before (so an Undo of deleting it
//! works for every member who could delete it). The sync reader checks every photo an update
//! writes before the room sees the update, and records the placements it lets through.
//!
//! So every placement that counts was made by someone who could see the photo at the time: a
//! stranger who gets its owner into their book (by invite) and writes the photo's id into an
//! item is refused at the write, and an item they made before this check existed counts for
//! nothing. Removing the owner from a book ends what the book shows of their photos at once,
//! as before. Print and preflight use the same rule (`usable_in`).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use chrono::Utc;
use crdt_schema::model::Book;
use yrs::updates::decoder::Decode;
use yrs::{Doc, Transact, Update};

use crate::ids::{PhotoId, ProjectId, UserId};
use crate::store::{PhotoRecord, Store, StoreError, StoreResult};

/// The photo ids a book places, each with the `createdBy` of the items that place it.
pub type Placements = HashMap<String, Vec<String>>;

/// The photos `book` places, with who created each item placing them.
pub fn placements_of(book: &Book) -> Placements {
    let mut out: Placements = HashMap::new();
    for item in book.pages.iter().flat_map(|p| &p.items) {
        if let Some(photo) = &item.photo {
            out.entry(photo.id.clone())
                .or_default()
                .push(item.created_by.clone());
        }
    }
    out
}

/// Projects whose placements are remembered at once; past it the memory is cleared.
const PLACED_CACHE: usize = 512;

/// Per project: the durable log position and the placements of its book then.
type PlacedCache = Mutex<HashMap<ProjectId, (i64, Arc<Placements>)>>;

#[derive(Clone)]
pub struct Visibility {
    store: Arc<dyn Store>,
    placed: Arc<PlacedCache>,
}

impl Visibility {
    pub fn new(store: Arc<dyn Store>) -> Visibility {
        Visibility {
            store,
            placed: Arc::default(),
        }
    }

    /// Whether `user` may see the photo (see the module documentation).
    pub async fn can_see(&self, user: UserId, record: &PhotoRecord) -> StoreResult<bool> {
        if record.owner_id == user {
            return Ok(true);
        }
        if self.store.photo_shared_to_member(record.id, user).await? {
            return Ok(true);
        }
        let id = record.id.to_string();
        for project in self.store.common_projects(user, record.owner_id).await? {
            let placed = self.placed_in(project).await?;
            if let Some(creators) = placed.get(&id) {
                if self.placement_counts(project, record, creators).await? {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }

    /// Whether `user`, a member of `project`, may write `photo_id` as an item's photo in its
    /// book. When they may, the placement is recorded (so the book's members may place the
    /// photo there again, and the placement counts). An id that is not a photo's (not a
    /// UUID, or no such photo) is refused like a photo one may not see, so ids cannot be
    /// probed.
    pub async fn allow_placement(
        &self,
        user: UserId,
        project: ProjectId,
        photo_id: &str,
    ) -> StoreResult<bool> {
        let Ok(id) = photo_id.parse::<PhotoId>() else {
            return Ok(false);
        };
        if self.store.placement_recorded(project, id).await? {
            return Ok(true);
        }
        let record = match self.store.photo(id).await {
            Ok(r) => r,
            Err(StoreError::NotFound) => return Ok(false),
            Err(e) => return Err(e),
        };
        if !self.can_see(user, &record).await? {
            return Ok(false);
        }
        match self
            .store
            .record_placements(project, &[id], Some(user), Utc::now())
            .await
        {
            Ok(()) => Ok(true),
            // The project went away meanwhile; the room refuses the update anyway.
            Err(StoreError::NotFound) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The photos `book` (a version or the live book of `project`) may show, and so print:
    /// those shared with the project, and those whose owner is a member and whose placement
    /// counts. The rest show nothing, and preflight reports them as missing.
    pub async fn usable_in(
        &self,
        project: ProjectId,
        book: &Book,
    ) -> StoreResult<HashMap<String, PhotoRecord>> {
        let mut found = HashMap::new();
        let placed = placements_of(book);
        if placed.is_empty() {
            return Ok(found);
        }
        let members: HashSet<UserId> = self
            .store
            .members(project)
            .await?
            .into_iter()
            .map(|m| m.user.id)
            .collect();
        let mut shared: Option<HashSet<PhotoId>> = None;
        for (raw, creators) in &placed {
            let Ok(id) = raw.parse::<PhotoId>() else {
                continue;
            };
            let record = match self.store.photo(id).await {
                Ok(r) => r,
                Err(StoreError::NotFound) => continue,
                Err(e) => return Err(e),
            };
            if shared.is_none() {
                shared = Some(
                    self.store
                        .photos_shared_with(project)
                        .await?
                        .into_iter()
                        .map(|p| p.id)
                        .collect(),
                );
            }
            let usable = shared.as_ref().is_some_and(|s| s.contains(&id))
                || (members.contains(&record.owner_id)
                    && self.placement_counts(project, &record, creators).await?);
            if usable {
                found.insert(raw.clone(), record);
            }
        }
        Ok(found)
    }

    /// Whether a placement of the photo in the project's book, by items with these
    /// `createdBy`, counts toward who may see it.
    async fn placement_counts(
        &self,
        project: ProjectId,
        record: &PhotoRecord,
        creators: &[String],
    ) -> StoreResult<bool> {
        let owner = record.owner_id.to_string();
        if creators
            .iter()
            .any(|c| *c == owner || c == crdt_schema::schema::SYSTEM_USER)
        {
            return Ok(true);
        }
        self.store.placement_recorded(project, record.id).await
    }

    /// The placements of a project's durable book, remembered until its log moves on.
    async fn placed_in(&self, project: ProjectId) -> StoreResult<Arc<Placements>> {
        let cached = self
            .placed
            .lock()
            .expect("placed cache")
            .get(&project)
            .cloned();
        if let Some((seq, placed)) = cached {
            let newer = self.store.doc_since(project, seq).await?;
            if newer.snapshot.is_none() && newer.updates.is_empty() {
                return Ok(placed);
            }
        }
        let stored = self.store.load_doc(project).await?;
        let seq = stored.last_seq();
        let placed = Arc::new(read_placements(&stored));
        let mut cache = self.placed.lock().expect("placed cache");
        if cache.len() >= PLACED_CACHE {
            cache.clear();
        }
        cache.insert(project, (seq, placed.clone()));
        Ok(placed)
    }
}

/// The placements of a stored document; a document that does not decode places nothing
/// anyone can see through it.
fn read_placements(stored: &crate::store::StoredDoc) -> Placements {
    let doc = Doc::new();
    {
        let mut txn = doc.transact_mut();
        for bytes in stored
            .snapshot
            .iter()
            .chain(stored.updates.iter().map(|(_, u)| u))
        {
            let applied = Update::decode_v1(bytes)
                .ok()
                .is_some_and(|u| txn.apply_update(u).is_ok());
            if !applied {
                return Placements::new();
            }
        }
    }
    let book = crdt_schema::model::read_book(&doc.transact());
    book.map(|b| placements_of(&b)).unwrap_or_default()
}
