//! The photo library's rows (SPEC §9): photos, tags, and groups of photos with the events
//! that record how each group changed. SQLite and PostgreSQL implement `PhotoStore` in
//! `sqlite_photos.rs` and `postgres_photos.rs`.
//!
//! **Invariant:** a group only ever holds photos of its own owner, and every change to a
//! group's photos, tags or name is written in the same transaction as its `group_events`
//! row, so a reader of the events (proactive books, #7) never misses or double-counts one.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::StoreResult;
use folio_domain::ids::{GroupId, PhotoId, ProjectId, UserId};

/// One photo. `meta` is the SPEC §4 `photo` metadata as ingest wrote it (format, size,
/// orientation, shape, capture time, GPS, camera, colours, sizes, bytes).
#[derive(Debug, Clone, PartialEq)]
pub struct PhotoRecord {
    pub id: PhotoId,
    pub owner_id: UserId,
    pub name: String,
    pub remote: bool,
    pub meta: serde_json::Value,
    pub created_at: DateTime<Utc>,
    /// Sorted; filled in on reads.
    pub tags: Vec<String>,
}

/// Where a group of photos comes from (SPEC §9, seed 000).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupSource {
    /// The photos of one upload request.
    Upload,
    Album,
    /// Every photo of one owner carrying one tag; the group's name is the tag.
    Tag,
    /// Photos their owner shared with a project's members.
    Share,
    /// Photos picked for printing.
    Print,
}

impl GroupSource {
    pub const ALL: [GroupSource; 5] = [
        GroupSource::Upload,
        GroupSource::Album,
        GroupSource::Tag,
        GroupSource::Share,
        GroupSource::Print,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            GroupSource::Upload => "upload",
            GroupSource::Album => "album",
            GroupSource::Tag => "tag",
            GroupSource::Share => "share",
            GroupSource::Print => "print",
        }
    }

    pub fn parse(s: &str) -> Option<GroupSource> {
        Self::ALL.into_iter().find(|g| g.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    pub id: GroupId,
    pub owner_id: UserId,
    pub source: GroupSource,
    pub name: String,
    /// The project a share is for.
    pub project_id: Option<ProjectId>,
    pub cover_photo_id: Option<PhotoId>,
    pub photo_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewGroup {
    pub id: GroupId,
    pub owner_id: UserId,
    pub source: GroupSource,
    pub name: String,
    pub project_id: Option<ProjectId>,
}

/// What changed in a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupEventKind {
    Created,
    PhotosAdded,
    PhotosRemoved,
    /// A photo of the group got a new tag (`detail`): the group's style may change.
    TagAdded,
    /// The group's new name is `detail`.
    Renamed,
}

impl GroupEventKind {
    pub const ALL: [GroupEventKind; 5] = [
        GroupEventKind::Created,
        GroupEventKind::PhotosAdded,
        GroupEventKind::PhotosRemoved,
        GroupEventKind::TagAdded,
        GroupEventKind::Renamed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            GroupEventKind::Created => "created",
            GroupEventKind::PhotosAdded => "photos_added",
            GroupEventKind::PhotosRemoved => "photos_removed",
            GroupEventKind::TagAdded => "tag_added",
            GroupEventKind::Renamed => "renamed",
        }
    }

    pub fn parse(s: &str) -> Option<GroupEventKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupEvent {
    /// Increasing across the whole store: read a group's events `after` the last one seen.
    pub id: i64,
    pub group_id: GroupId,
    pub kind: GroupEventKind,
    pub photo_ids: Vec<PhotoId>,
    pub detail: Option<String>,
    /// The group's size after the change.
    pub photo_count: i64,
    pub created_at: DateTime<Utc>,
}

/// Which of an owner's photos to list.
#[derive(Debug, Clone, Default)]
pub struct PhotoFilter {
    pub group: Option<GroupId>,
    pub tag: Option<String>,
}

#[async_trait]
pub trait PhotoStore: Send + Sync {
    /// Records an ingested photo whose blobs are already written.
    async fn insert_photo(&self, photo: &PhotoRecord) -> StoreResult<()>;
    /// Deletes a photo row (and its tags and memberships); used to undo an ingest.
    async fn delete_photo(&self, id: PhotoId) -> StoreResult<()>;
    async fn photo(&self, id: PhotoId) -> StoreResult<PhotoRecord>;
    /// An owner's photos in upload order, narrowed by `filter`.
    async fn photos(&self, owner: UserId, filter: &PhotoFilter) -> StoreResult<Vec<PhotoRecord>>;
    /// Photos shared with a project (share groups for it), in upload order.
    async fn photos_shared_with(&self, project: ProjectId) -> StoreResult<Vec<PhotoRecord>>;
    /// Whether a share group of a project `user` is a member of holds the photo.
    async fn photo_shared_to_member(&self, photo: PhotoId, user: UserId) -> StoreResult<bool>;
    /// Projects both users are members of.
    async fn common_projects(&self, a: UserId, b: UserId) -> StoreResult<Vec<ProjectId>>;

    /// Records that `photos` were placed in a project's book by someone allowed to place
    /// them: `by`, or the system when `None`. A pair already recorded keeps its first row, and
    /// photos that no longer exist are skipped; `NotFound` (nothing written) when the project
    /// does not exist.
    async fn record_placements(
        &self,
        project: ProjectId,
        photos: &[PhotoId],
        by: Option<UserId>,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Whether someone allowed to place the photo has placed it in the project's book.
    async fn placement_recorded(&self, project: ProjectId, photo: PhotoId) -> StoreResult<bool>;

    /// Adds tags to one photo; each new tag puts the photo in its owner's tag group (created
    /// on first use) and is a `tag_added` event on every other group holding the photo.
    async fn add_tags(
        &self,
        photo: PhotoId,
        tags: &[String],
        now: DateTime<Utc>,
    ) -> StoreResult<PhotoRecord>;
    /// Removes a tag, and the photo from that tag's group.
    async fn remove_tag(
        &self,
        photo: PhotoId,
        tag: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<PhotoRecord>;

    /// Creates a group holding `photos`; `NotFound` (and nothing written) when one of them is
    /// not the owner's.
    async fn create_group(
        &self,
        group: &NewGroup,
        photos: &[PhotoId],
        now: DateTime<Utc>,
    ) -> StoreResult<Group>;
    async fn group(&self, id: GroupId) -> StoreResult<Group>;
    /// An owner's groups, newest first.
    async fn groups(&self, owner: UserId, source: Option<GroupSource>) -> StoreResult<Vec<Group>>;
    /// A group's photos in the order they joined it.
    async fn group_photo_ids(&self, id: GroupId) -> StoreResult<Vec<PhotoId>>;
    /// Adds the photos not yet in the group; all-or-nothing like `create_group`.
    async fn add_to_group(
        &self,
        id: GroupId,
        photos: &[PhotoId],
        now: DateTime<Utc>,
    ) -> StoreResult<Group>;
    /// False when the photo was not in the group.
    async fn remove_from_group(
        &self,
        id: GroupId,
        photo: PhotoId,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    async fn rename_group(&self, id: GroupId, name: &str, now: DateTime<Utc>)
        -> StoreResult<Group>;
    /// Sets (or clears) a group's cover; `NotFound` when the photo is not in the group.
    async fn set_group_cover(
        &self,
        id: GroupId,
        photo: Option<PhotoId>,
        now: DateTime<Utc>,
    ) -> StoreResult<Group>;
    /// A group's events after `after`, oldest first, at most `limit`.
    async fn group_events(
        &self,
        id: GroupId,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<GroupEvent>>;
    /// The groups holding a photo.
    async fn groups_of_photo(&self, photo: PhotoId) -> StoreResult<Vec<GroupId>>;
    /// The id of a group's newest event (0 without any).
    async fn latest_group_event(&self, id: GroupId) -> StoreResult<i64>;

    /// The book designed for a group, and the last group event its design took in.
    async fn proactive_book(&self, group: GroupId) -> StoreResult<Option<(ProjectId, i64)>>;
    /// Records the book of a group; false (nothing written) when the group has one already.
    async fn insert_proactive_book(
        &self,
        group: GroupId,
        project: ProjectId,
        last_event: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    async fn set_proactive_event(&self, group: GroupId, last_event: i64) -> StoreResult<()>;
}
