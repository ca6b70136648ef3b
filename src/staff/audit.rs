//! The audit log: who did what, when, from where. Rows are written in the same transaction as the
//! change they record, and the tables refuse updates and deletes. A row never holds a password,
//! token, session id or message body: summaries are built here from known fields only.

use chrono::{DateTime, Utc};
use std::net::IpAddr;

/// Who acted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actor {
    /// A signed-in staff member or an API token's owner.
    Staff(i64),
    /// Someone at the server's command line.
    Cli,
    /// Nobody identified yet (a login attempt, a password link).
    Anonymous,
}

impl Actor {
    /// `staff:<id>`, `cli` or `anonymous`.
    pub fn label(self) -> String {
        match self {
            Actor::Staff(id) => format!("staff:{id}"),
            Actor::Cli => "cli".into(),
            Actor::Anonymous => "anonymous".into(),
        }
    }

    /// The inverse of [`Actor::label`].
    pub fn parse(raw: &str) -> Option<Actor> {
        match raw {
            "cli" => Some(Actor::Cli),
            "anonymous" => Some(Actor::Anonymous),
            _ => raw
                .strip_prefix("staff:")
                .and_then(|id| id.parse().ok())
                .map(Actor::Staff),
        }
    }

    pub fn staff_id(self) -> Option<i64> {
        match self {
            Actor::Staff(id) => Some(id),
            _ => None,
        }
    }
}

/// Where a change comes from: the actor and the client address (none at the command line).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Origin {
    pub actor: Actor,
    pub client_addr: Option<IpAddr>,
}

impl Origin {
    /// The command line.
    pub fn cli() -> Origin {
        Origin {
            actor: Actor::Cli,
            client_addr: None,
        }
    }

    /// A request from `addr` by `actor`.
    pub fn web(actor: Actor, addr: IpAddr) -> Origin {
        Origin {
            actor,
            client_addr: Some(addr),
        }
    }
}

/// Action names, one per kind of change.
pub mod action {
    pub const LOGIN_SUCCEEDED: &str = "login.succeeded";
    pub const LOGIN_FAILED: &str = "login.failed";
    pub const LOGIN_THROTTLED: &str = "login.throttled";
    pub const SIGN_OUT: &str = "session.sign_out";
    pub const SIGN_OUT_EVERYWHERE: &str = "session.sign_out_everywhere";
    pub const PERSON_INVITED: &str = "person.invited";
    /// A state's scorecard saved in the editor (or through the API).
    pub const SCORECARD_SAVED: &str = "scorecard.saved";
    /// A state's scorecard restored to an earlier revision.
    pub const SCORECARD_RESTORED: &str = "scorecard.restored";
    /// A state's scorecard changed by importing a campaign file.
    pub const SCORECARD_IMPORTED: &str = "scorecard.imported";
    /// A campaign file changed the campaign's own fields or its rubric.
    pub const CAMPAIGN_IMPORTED: &str = "campaign.imported";
    /// A campaign's public goal set, changed or cleared in the workspace (old and new value).
    pub const CAMPAIGN_GOAL_SET: &str = "campaign.goal_set";
    /// A campaign's delivery cap set, changed or removed, for one office or the campaign's
    /// default (old and new value).
    pub const DELIVERY_CAP_SET: &str = "campaign.delivery_cap_set";
    pub const PASSWORD_LINK: &str = "person.password_link";
    pub const PASSWORD_SET: &str = "person.password_set";
    pub const PERSON_DISABLED: &str = "person.disabled";
    pub const PERSON_ENABLED: &str = "person.enabled";
    pub const ROLE_CHANGED: &str = "person.role_changed";
    pub const TOTP_ENABLED: &str = "person.totp_enabled";
    pub const TOTP_RESET: &str = "person.totp_reset";
    pub const TOKEN_CREATED: &str = "token.created";
    pub const TOKEN_REVOKED: &str = "token.revoked";
    pub const REQUIRE_TOTP: &str = "settings.require_totp";
    pub const TEMPLATE_SAVED: &str = "template.saved";
    pub const TEMPLATE_RESTORED: &str = "template.restored";
    /// An admin asked for a directory sync now (`/staff/directory`).
    pub const DIRECTORY_SYNC_REQUESTED: &str = "directory.sync_requested";
}

/// A row to append.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAudit {
    pub at: DateTime<Utc>,
    pub origin: Origin,
    pub action: &'static str,
    /// What was acted on, e.g. `staff:3` or `token:7`.
    pub object: String,
    /// A one-line description built from non-secret fields.
    pub summary: String,
}

impl NewAudit {
    pub fn new(
        at: DateTime<Utc>,
        origin: Origin,
        action: &'static str,
        object: impl Into<String>,
        summary: impl Into<String>,
    ) -> NewAudit {
        NewAudit {
            at,
            origin,
            action,
            object: object.into(),
            summary: summary.into(),
        }
    }
}

/// A stored row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// `staff:<id>`, `cli` or `anonymous`.
    pub actor: String,
    pub client_addr: Option<String>,
    pub action: String,
    pub object: String,
    pub summary: String,
}

/// Which rows to list: every filter is optional; rows come newest first, `limit` at a time, and
/// the next page starts below the last id seen (`before_id`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub actor: Option<Actor>,
    pub action: Option<String>,
    /// Inclusive.
    pub from: Option<DateTime<Utc>>,
    /// Exclusive.
    pub until: Option<DateTime<Utc>>,
    pub before_id: Option<i64>,
    /// At most [`MAX_PAGE`]; 0 means [`DEFAULT_PAGE`].
    pub limit: u32,
}

pub const DEFAULT_PAGE: u32 = 50;
pub const MAX_PAGE: u32 = 500;

impl AuditFilter {
    /// The page size to use.
    pub fn page_size(&self) -> u32 {
        match self.limit {
            0 => DEFAULT_PAGE,
            n => n.min(MAX_PAGE),
        }
    }
}

/// `staff:<id>`: the object label of a person.
pub fn person_object(id: i64) -> String {
    format!("staff:{id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actors_round_trip_through_their_labels() {
        for a in [Actor::Staff(42), Actor::Cli, Actor::Anonymous] {
            assert_eq!(Actor::parse(&a.label()), Some(a));
        }
        assert_eq!(Actor::parse("staff:x"), None);
        assert_eq!(Actor::parse("root"), None);
    }
}
