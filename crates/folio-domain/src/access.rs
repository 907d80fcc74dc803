//! Pure permission logic: role × action → allowed, or denied with a reason. No IO.

use serde::{Deserialize, Serialize};

/// Project roles, lowest first, so that `Ord` reads as "has at least the rights of".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Viewer,
    Commenter,
    Contributor,
    Editor,
    Manager,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Viewer,
        Role::Commenter,
        Role::Contributor,
        Role::Editor,
        Role::Manager,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Commenter => "commenter",
            Role::Contributor => "contributor",
            Role::Editor => "editor",
            Role::Manager => "manager",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// May this role send document content over the sync socket at all?
    pub fn can_write_doc(self) -> bool {
        self >= Role::Contributor
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Things a member may try to do to a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Open the book, see pages, presence and cursors.
    Read,
    /// Read and post on the wall.
    Comment,
    /// Add pages, items and photos; change what one created.
    Contribute,
    /// Change anything in the book, automix, render, restore versions, rename the project.
    Edit,
    /// Manage members, invites and the wall; delete the project.
    Manage,
}

impl Action {
    /// The lowest role that may take this action (SPEC §3).
    pub fn min_role(self) -> Role {
        match self {
            Action::Read => Role::Viewer,
            Action::Comment => Role::Commenter,
            Action::Contribute => Role::Contributor,
            Action::Edit => Role::Editor,
            Action::Manage => Role::Manager,
        }
    }
}

/// Why an action was refused; the message is shown to the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Denied(pub String);

pub fn check(role: Role, action: Action) -> Result<(), Denied> {
    let need = action.min_role();
    if role >= need {
        Ok(())
    } else {
        Err(Denied(format!(
            "this needs the {need} role or higher; you are {} {role}",
            article(role)
        )))
    }
}

fn article(role: Role) -> &'static str {
    match role {
        Role::Editor => "an",
        _ => "a",
    }
}

/// A change of someone's membership, checked against the owner rule.
#[derive(Debug, Clone, Copy)]
pub struct MemberChange {
    pub actor_role: Role,
    pub target_is_owner: bool,
    /// `None` removes the member.
    pub new_role: Option<Role>,
}

/// The owner is a manager who cannot be removed or demoted; only managers manage members.
pub fn check_member_change(change: MemberChange) -> Result<(), Denied> {
    check(change.actor_role, Action::Manage)?;
    if change.target_is_owner {
        match change.new_role {
            Some(Role::Manager) => Ok(()),
            Some(_) => Err(Denied("the owner of a project cannot be demoted".into())),
            None => Err(Denied("the owner of a project cannot be removed".into())),
        }
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn higher_roles_have_every_lower_right() {
        let actions = [
            Action::Read,
            Action::Comment,
            Action::Contribute,
            Action::Edit,
            Action::Manage,
        ];
        for (i, role) in Role::ALL.iter().enumerate() {
            for (j, action) in actions.iter().enumerate() {
                assert_eq!(check(*role, *action).is_ok(), i >= j, "{role:?} {action:?}");
            }
        }
    }

    #[test]
    fn owner_cannot_be_demoted_or_removed() {
        let base = MemberChange {
            actor_role: Role::Manager,
            target_is_owner: true,
            new_role: None,
        };
        assert!(check_member_change(base).is_err());
        assert!(check_member_change(MemberChange {
            new_role: Some(Role::Editor),
            ..base
        })
        .is_err());
        assert!(check_member_change(MemberChange {
            new_role: Some(Role::Manager),
            ..base
        })
        .is_ok());
        let other = MemberChange {
            target_is_owner: false,
            ..base
        };
        assert!(check_member_change(other).is_ok());
        assert!(check_member_change(MemberChange {
            actor_role: Role::Editor,
            ..other
        })
        .is_err());
    }

    #[test]
    fn only_contributors_and_up_write_the_doc() {
        assert!(!Role::Viewer.can_write_doc());
        assert!(!Role::Commenter.can_write_doc());
        assert!(Role::Contributor.can_write_doc());
    }

    #[test]
    fn role_names_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("owner"), None);
    }
}
