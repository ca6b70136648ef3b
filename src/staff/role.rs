//! Roles and what each may do.
//!
//! | permission                         | organiser | editor | admin |
//! |------------------------------------|:---------:|:------:|:-----:|
//! | read templates and scorecards      |     ✓     |   ✓    |   ✓   |
//! | read reach, exports, delivery      |     ✓     |   ✓    |   ✓   |
//! | edit templates and scorecards      |           |   ✓    |   ✓   |
//! | set delivery caps (per office)     |           |   ✓    |   ✓   |
//! | manage people, tokens, require TOTP|           |        |   ✓   |
//! | read the audit log                 |           |        |   ✓   |
//! | import/export the campaign file    |           |        |   ✓   |
//!
//! Roles are ordered, `organiser < editor < admin`, and each permission names the least role that
//! holds it, so a higher role always holds everything a lower one does.

use std::fmt;

/// A staff member's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Reach and exports; reads templates and scorecards.
    Organiser,
    /// Edits templates and scorecards.
    Editor,
    /// Everything, including managing people.
    Admin,
}

/// Something a handler or service needs permission for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Permission {
    ReadTemplates,
    ReadScorecards,
    ReadReach,
    EditTemplates,
    EditScorecards,
    /// Set or remove a campaign's delivery cap overrides (its default, one office's).
    SetDeliveryCaps,
    ManagePeople,
    ReadAudit,
    ImportCampaign,
}

impl Permission {
    /// Every permission, for tests and documentation.
    pub const ALL: [Permission; 9] = [
        Permission::ReadTemplates,
        Permission::ReadScorecards,
        Permission::ReadReach,
        Permission::EditTemplates,
        Permission::EditScorecards,
        Permission::SetDeliveryCaps,
        Permission::ManagePeople,
        Permission::ReadAudit,
        Permission::ImportCampaign,
    ];

    /// The least role that holds this permission.
    pub fn least_role(self) -> Role {
        match self {
            Permission::ReadTemplates | Permission::ReadScorecards | Permission::ReadReach => {
                Role::Organiser
            }
            Permission::EditTemplates
            | Permission::EditScorecards
            | Permission::SetDeliveryCaps => Role::Editor,
            Permission::ManagePeople | Permission::ReadAudit | Permission::ImportCampaign => {
                Role::Admin
            }
        }
    }
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Organiser, Role::Editor, Role::Admin];

    /// `admin`, `editor` or `organiser`; anything else (any case, surrounding spaces allowed)
    /// is `None`.
    pub fn parse(raw: &str) -> Option<Role> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "admin" => Some(Role::Admin),
            "editor" => Some(Role::Editor),
            "organiser" | "organizer" => Some(Role::Organiser),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Editor => "editor",
            Role::Organiser => "organiser",
        }
    }

    /// True when this role includes everything `needed` may do.
    pub fn allows(self, needed: Role) -> bool {
        self >= needed
    }

    /// True when this role holds `permission`.
    pub fn can(self, permission: Permission) -> bool {
        self.allows(permission.least_role())
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_matrix_is_as_documented() {
        use Permission::*;
        let expect = |role: Role, allowed: &[Permission]| {
            for p in Permission::ALL {
                assert_eq!(role.can(p), allowed.contains(&p), "{role} / {p:?}");
            }
        };
        expect(Role::Organiser, &[ReadTemplates, ReadScorecards, ReadReach]);
        expect(
            Role::Editor,
            &[
                ReadTemplates,
                ReadScorecards,
                ReadReach,
                EditTemplates,
                EditScorecards,
                SetDeliveryCaps,
            ],
        );
        expect(Role::Admin, &Permission::ALL);
    }

    #[test]
    fn a_higher_role_holds_everything_a_lower_one_does() {
        for low in Role::ALL {
            for high in Role::ALL.into_iter().filter(|r| *r >= low) {
                assert!(high.allows(low));
                for p in Permission::ALL {
                    assert!(!low.can(p) || high.can(p), "{high} lacks {p:?} of {low}");
                }
            }
        }
        assert!(!Role::Organiser.allows(Role::Editor));
        assert!(!Role::Editor.allows(Role::Admin));
    }

    #[test]
    fn roles_round_trip_through_their_names() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse(" Admin "), Some(Role::Admin));
        assert_eq!(Role::parse("root"), None);
        assert_eq!(Role::parse(""), None);
    }
}
