//! The subscribers to the domain events that handlers raise (`folio_domain::events`),
//! registered at startup in `lib.rs`:
//!
//! - [`LiveClients`] tells the nodes serving a book, and the clients they stream to, over
//!   the fan-out: wall comments and notifications go out as SSE activity, membership changes
//!   and deletions as control events that rooms and streams act on.
//! - [`ProactiveBooks`] queues a (re)design of the proactive book of each group of photos a
//!   change touches (SPEC §10.8).
//!
//! Both finish their work before `Events::publish` returns, so a client that hears the
//! answer to its request can already see the job or receive the event.

use std::sync::Arc;

use serde_json::json;

use crate::config::Config;
use crate::events::{DomainEvent, Handling, Subscriber};
use crate::fanout::{ActivityKind, Event, Fanout};
use crate::ids::GroupId;
use crate::jobs::Queue;

/// Publishes what live clients hear of to every node.
pub struct LiveClients {
    fanout: Arc<dyn Fanout>,
}

impl LiveClients {
    pub fn new(fanout: Arc<dyn Fanout>) -> LiveClients {
        LiveClients { fanout }
    }

    fn comment(&self, project: crate::ids::ProjectId, data: serde_json::Value) {
        let event = Event::Activity {
            project: Some(project),
            user: None,
            kind: ActivityKind::Comment,
            data: data.to_string().into(),
        };
        if let Err(e) = self.fanout.publish(event) {
            tracing::warn!(error = %e, "could not publish a wall event");
        }
    }

    fn control(&self, event: Event) {
        if let Err(e) = self.fanout.publish(event) {
            tracing::error!(error = %e, "publishing a membership event failed");
        }
    }
}

impl Subscriber for LiveClients {
    fn name(&self) -> &'static str {
        "live clients"
    }

    fn handle<'a>(&'a self, event: &'a DomainEvent) -> Handling<'a> {
        match event {
            DomainEvent::CommentPosted { project, comment } => {
                self.comment(*project, json!({ "action": "new", "comment": comment }));
            }
            DomainEvent::CommentEdited { project, comment } => {
                self.comment(*project, json!({ "action": "edited", "comment": comment }));
            }
            DomainEvent::CommentDeleted {
                project,
                comment,
                parent,
                page,
            } => self.comment(
                *project,
                json!({ "action": "deleted", "comment": { "id": comment, "parent_id": parent, "page_id": page } }),
            ),
            DomainEvent::MembershipChanged {
                project,
                user,
                role,
            } => self.control(Event::Member {
                project: *project,
                user: *user,
                role: *role,
            }),
            DomainEvent::ProjectDeleted { project } => {
                self.control(Event::ProjectDeleted { project: *project });
            }
            DomainEvent::NotificationRecorded { user, notification } => {
                let event = Event::Activity {
                    project: None,
                    user: Some(*user),
                    kind: ActivityKind::Notification,
                    data: notification.to_string().into(),
                };
                if let Err(e) = self.fanout.publish(event) {
                    tracing::warn!(error = %e, "could not publish a notification");
                }
            }
            DomainEvent::PhotosUploaded { .. }
            | DomainEvent::PhotosAddedToGroup { .. }
            | DomainEvent::PhotoRemovedFromGroup { .. }
            | DomainEvent::GroupCreated { .. }
            | DomainEvent::GroupChanged { .. }
            | DomainEvent::PhotoTagsChanged { .. } => {}
        }
        // Publishing to the fan-out does not wait: there is nothing to await.
        Box::pin(std::future::ready(()))
    }
}

/// Queues proactive designs for the groups of photos that change.
pub struct ProactiveBooks {
    cfg: Arc<Config>,
    jobs: Queue,
}

impl ProactiveBooks {
    pub fn new(cfg: Arc<Config>, jobs: Queue) -> ProactiveBooks {
        ProactiveBooks { cfg, jobs }
    }
}

/// The groups whose proactive book an event may change.
fn changed_groups(event: &DomainEvent) -> Vec<GroupId> {
    match event {
        // An upload into an album is that album's growth: one book, not two.
        DomainEvent::PhotosUploaded { upload, album, .. } => vec![album.unwrap_or(*upload)],
        DomainEvent::PhotosAddedToGroup { group, .. }
        | DomainEvent::PhotoRemovedFromGroup { group, .. }
        | DomainEvent::GroupCreated { group }
        | DomainEvent::GroupChanged { group } => vec![*group],
        DomainEvent::PhotoTagsChanged { groups, .. } => groups.clone(),
        DomainEvent::CommentPosted { .. }
        | DomainEvent::CommentEdited { .. }
        | DomainEvent::CommentDeleted { .. }
        | DomainEvent::MembershipChanged { .. }
        | DomainEvent::ProjectDeleted { .. }
        | DomainEvent::NotificationRecorded { .. } => Vec::new(),
    }
}

impl Subscriber for ProactiveBooks {
    fn name(&self) -> &'static str {
        "proactive books"
    }

    fn handle<'a>(&'a self, event: &'a DomainEvent) -> Handling<'a> {
        Box::pin(async move {
            let groups = changed_groups(event);
            if !groups.is_empty() {
                crate::proactive::groups_changed(&self.cfg, &self.jobs, &groups).await;
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{PhotoId, ProjectId};

    #[test]
    fn an_upload_into_an_album_redesigns_the_album_only() {
        let (upload, album) = (GroupId::new(), GroupId::new());
        let photos = vec![PhotoId::new()];
        let into_album = DomainEvent::PhotosUploaded {
            upload,
            album: Some(album),
            photos: photos.clone(),
        };
        assert_eq!(changed_groups(&into_album), [album]);
        let loose = DomainEvent::PhotosUploaded {
            upload,
            album: None,
            photos,
        };
        assert_eq!(changed_groups(&loose), [upload]);
    }

    #[test]
    fn wall_and_membership_events_design_nothing() {
        let ev = DomainEvent::ProjectDeleted {
            project: ProjectId::new(),
        };
        assert!(changed_groups(&ev).is_empty());
    }
}
