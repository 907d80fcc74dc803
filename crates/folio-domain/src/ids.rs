//! Newtype ids, so a project id can never be passed where a user id is expected.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            pub fn new() -> Self {
                Self(Uuid::new_v4())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

id_type!(
    /// A user account.
    UserId
);
id_type!(
    /// A project, which is one book document.
    ProjectId
);
id_type!(
    /// A login session (one bearer token).
    SessionId
);

id_type!(
    /// A saved version of a book document (SPEC §7).
    VersionId
);
id_type!(
    /// A background job in the SQL queue.
    JobId
);
id_type!(
    /// A print render of a book (SPEC §11).
    RenderId
);
id_type!(
    /// A photo in someone's library (SPEC §9).
    PhotoId
);
id_type!(
    /// An invitation link to a project (SPEC §12).
    InviteId
);
id_type!(
    /// A comment on a book's wall.
    CommentId
);
id_type!(
    /// A notification for one user.
    NotificationId
);
id_type!(
    /// A group of photos: an upload batch, album, tag, share or print selection (SPEC §9).
    GroupId
);

impl UserId {
    /// The system user that server-side workers write as (SPEC §6.3 rule 5).
    pub const SYSTEM: UserId = UserId(Uuid::nil());
}
