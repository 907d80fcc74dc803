//! Invitation links, notifications and the email outbox (SPEC §12): `InviteStore` and
//! its row types; its one body over both databases is `body/invites.rs`.
//!
//! **Invariants:**
//! - accepting an invite checks it, counts the use and writes the membership (and the
//!   inviter's notification) in one transaction that holds the invite's row, so two
//!   concurrent accepts of a one-use link make exactly one member, and an accept never lowers
//!   the role of someone who is already a member higher up (nor spends a use on them);
//! - an invite acts for the member who made it, never above them: removing a member revokes
//!   the invites they made and demoting one caps their invites at the new role, each in the
//!   same transaction as the membership change, and an accept grants at most its maker's
//!   role at that moment (an invite whose maker is no longer a member is revoked then).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::StoreResult;
use folio_domain::access::Role;
use folio_domain::ids::{InviteId, NotificationId, ProjectId, UserId};

/// SQL ranking the role column `col` as `Role`'s order does: viewer 0 up to manager 4.
pub(crate) fn role_rank_sql(col: &str) -> String {
    format!("(CASE {col} WHEN 'viewer' THEN 0 WHEN 'commenter' THEN 1 WHEN 'contributor' THEN 2 WHEN 'editor' THEN 3 ELSE 4 END)")
}

/// The rank `role_rank_sql` gives `role`.
pub(crate) fn role_rank(role: Role) -> i32 {
    Role::ALL
        .iter()
        .position(|r| *r == role)
        .expect("every role is listed") as i32
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Invite {
    pub id: InviteId,
    pub project_id: ProjectId,
    pub role: Role,
    pub created_by: UserId,
    /// Who it was mailed to, for an invite by email.
    pub email: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub max_uses: Option<i32>,
    pub uses: i32,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Why a link no longer admits anyone (each a 410).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InviteRefusal {
    Revoked,
    Expired,
    UsedUp,
}

impl Invite {
    /// Whether the link still admits someone at `now`, and why not.
    pub fn refusal(&self, now: DateTime<Utc>) -> Option<InviteRefusal> {
        if self.revoked_at.is_some() {
            Some(InviteRefusal::Revoked)
        } else if self.expires_at.is_some_and(|t| t <= now) {
            Some(InviteRefusal::Expired)
        } else if self.max_uses.is_some_and(|m| self.uses >= m) {
            Some(InviteRefusal::UsedUp)
        } else {
            None
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum AcceptOutcome {
    /// Now a member at the invite's role, or at its maker's role when that is lower (a use
    /// was counted).
    Joined(Role),
    /// Already a member at this role or higher: nothing changed.
    AlreadyMember(Role),
    Refused(InviteRefusal),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Notification {
    pub id: NotificationId,
    pub user_id: UserId,
    /// `invite_accepted`, `comment`, `role_changed`, `proactive_book`, …
    pub kind: String,
    pub data: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// A mail for the outbox; sending it is outside the product.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutboxMail {
    pub id: uuid::Uuid,
    pub to_email: String,
    pub subject: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

#[async_trait]
pub trait InviteStore: Send + Sync {
    /// Records an invite by its token's hash, and its mail in the same transaction.
    async fn create_invite(
        &self,
        invite: &Invite,
        token_hash: &[u8],
        mail: Option<&OutboxMail>,
    ) -> StoreResult<()>;
    /// A project's invites, newest first.
    async fn invites(&self, project: ProjectId) -> StoreResult<Vec<Invite>>;
    async fn invite_by_token(&self, token_hash: &[u8]) -> StoreResult<Invite>;
    /// Revokes one invite of a project (again is fine); `NotFound` for another project's.
    async fn revoke_invite(
        &self,
        project: ProjectId,
        id: InviteId,
        now: DateTime<Utc>,
    ) -> StoreResult<Invite>;
    /// Accepts a link for `user`; `notify` (for the inviter) is written only on `Joined`. The
    /// role granted is the invite's, capped at its maker's current role; a link whose maker
    /// is no longer a member is revoked and refused.
    async fn accept_invite(
        &self,
        token_hash: &[u8],
        user: UserId,
        now: DateTime<Utc>,
        notify: &Notification,
    ) -> StoreResult<(Invite, AcceptOutcome)>;

    async fn insert_notification(&self, n: &Notification) -> StoreResult<()>;
    /// A user's notifications, newest first.
    async fn notifications(&self, user: UserId, limit: i64) -> StoreResult<Vec<Notification>>;
    /// Marks the user's notifications among `ids` read; returns how many were unread.
    async fn mark_read(
        &self,
        user: UserId,
        ids: &[NotificationId],
        now: DateTime<Utc>,
    ) -> StoreResult<u64>;
    /// Puts one mail in the outbox.
    async fn queue_mail(&self, mail: &OutboxMail) -> StoreResult<()>;
    /// Mail not yet sent, oldest first.
    async fn outbox(&self, limit: i64) -> StoreResult<Vec<OutboxMail>>;
    /// The user's friends: everyone who shares a project with them, by name.
    async fn friends(&self, user: UserId) -> StoreResult<Vec<super::User>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sql_rank_follows_the_role_order() {
        let sql = role_rank_sql("role");
        for (i, r) in Role::ALL.iter().enumerate() {
            assert_eq!(role_rank(*r), i as i32);
            let found = sql.contains(&format!("'{}' THEN {i}", r.as_str()))
                || (i == 4 && sql.ends_with("ELSE 4 END)"));
            assert!(found, "{r} is not ranked {i} in {sql}");
        }
    }
}
