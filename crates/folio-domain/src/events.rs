//! Domain events: what happened, in the product's words, raised where it happened (an HTTP
//! handler, after its write has landed) and handled by the subscribers the server registers
//! at startup. A handler says "photos were added to this album"; it does not know that a
//! proactive book may be redesigned, or that live clients are told over SSE.
//!
//! This module is the vocabulary and the dispatch order, with no IO: [`Events`] hands each
//! event to every subscriber in turn and returns when all have handled it, so what a
//! subscriber does (queue a job, publish to other nodes) is done before the handler answers.
//! Subscribers are best effort: they log their own failures, and the change that raised the
//! event stands.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde_json::Value;

use crate::access::Role;
use crate::ids::{CommentId, GroupId, PhotoId, ProjectId, UserId};

/// Something that happened to a library, a book or its members.
#[derive(Debug, Clone, PartialEq)]
pub enum DomainEvent {
    /// An upload stored `photos` in a new upload group, and in `album` when it named one.
    PhotosUploaded {
        upload: GroupId,
        album: Option<GroupId>,
        photos: Vec<PhotoId>,
    },
    /// Photos were added to an existing group (an album).
    PhotosAddedToGroup {
        group: GroupId,
        photos: Vec<PhotoId>,
    },
    /// A photo was taken out of a group (an album).
    PhotoRemovedFromGroup { group: GroupId, photo: PhotoId },
    /// A group was made with its photos: a share with a project, or a print selection.
    GroupCreated { group: GroupId },
    /// A group's name or cover changed.
    GroupChanged { group: GroupId },
    /// A photo's tags changed. `groups` are the groups the change touches: those holding the
    /// photo after a tag was added, or before one was removed (tag groups included).
    PhotoTagsChanged {
        photo: PhotoId,
        groups: Vec<GroupId>,
    },
    /// A comment was posted on a book's wall; `comment` is the SPEC §4 `comment`.
    CommentPosted { project: ProjectId, comment: Value },
    /// A comment's text was edited; `comment` is the SPEC §4 `comment`.
    CommentEdited { project: ProjectId, comment: Value },
    /// A comment was deleted, with what a client needs to take it off its wall.
    CommentDeleted {
        project: ProjectId,
        comment: CommentId,
        parent: Option<CommentId>,
        page: Option<String>,
    },
    /// A member joined or their role changed (`Some`), or they left or were removed (`None`).
    MembershipChanged {
        project: ProjectId,
        user: UserId,
        role: Option<Role>,
    },
    /// A book was deleted.
    ProjectDeleted { project: ProjectId },
    /// A notification for `user` was recorded; `notification` is its JSON.
    NotificationRecorded { user: UserId, notification: Value },
}

/// A boxed future, so that subscribers can be held as trait objects.
pub type Handling<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// Reacts to domain events. Each subscriber ignores the events that are not its business,
/// and handles its own failures (logs them): raising an event never fails.
pub trait Subscriber: Send + Sync + 'static {
    /// A short name for logs.
    fn name(&self) -> &'static str;
    fn handle<'a>(&'a self, event: &'a DomainEvent) -> Handling<'a>;
}

/// The in-process bus: the subscribers registered at startup, in order.
#[derive(Clone, Default)]
pub struct Events {
    subscribers: Arc<[Arc<dyn Subscriber>]>,
}

impl Events {
    pub fn new(subscribers: Vec<Arc<dyn Subscriber>>) -> Events {
        Events {
            subscribers: subscribers.into(),
        }
    }

    /// Hands `event` to every subscriber in registration order, one after the other, and
    /// returns when the last has handled it.
    pub async fn publish(&self, event: DomainEvent) {
        for s in self.subscribers.iter() {
            s.handle(&event).await;
        }
    }

    /// The names of the subscribers, in order.
    pub fn subscribers(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.subscribers.iter().map(|s| s.name())
    }
}

impl std::fmt::Debug for Events {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.subscribers()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::task::{Context, Poll, Waker};

    struct Record(&'static str, Arc<Mutex<Vec<String>>>);

    impl Subscriber for Record {
        fn name(&self) -> &'static str {
            self.0
        }
        fn handle<'a>(&'a self, event: &'a DomainEvent) -> Handling<'a> {
            Box::pin(async move {
                let what = match event {
                    DomainEvent::GroupChanged { .. } => "group",
                    _ => "other",
                };
                self.1.lock().unwrap().push(format!("{}:{what}", self.0));
            })
        }
    }

    /// The futures here never wait, so one poll runs them to the end.
    fn now<F: Future>(f: F) -> F::Output {
        let mut f = std::pin::pin!(f);
        match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(v) => v,
            Poll::Pending => panic!("a test subscriber waited"),
        }
    }

    #[test]
    fn every_subscriber_handles_each_event_in_registration_order() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let events = Events::new(vec![
            Arc::new(Record("fanout", log.clone())),
            Arc::new(Record("proactive", log.clone())),
        ]);
        assert_eq!(
            events.subscribers().collect::<Vec<_>>(),
            ["fanout", "proactive"]
        );
        now(events.publish(DomainEvent::GroupChanged {
            group: GroupId::new(),
        }));
        now(events.publish(DomainEvent::ProjectDeleted {
            project: ProjectId::new(),
        }));
        assert_eq!(
            *log.lock().unwrap(),
            [
                "fanout:group",
                "proactive:group",
                "fanout:other",
                "proactive:other"
            ]
        );
    }

    #[test]
    fn a_bus_without_subscribers_does_nothing() {
        now(Events::default().publish(DomainEvent::GroupChanged {
            group: GroupId::new(),
        }));
    }
}
