//! Staff people and their email addresses.

use super::role::Role;
use crate::domain::{EmailAddress, InvalidField};
use chrono::{DateTime, Utc};
use std::fmt;

/// A staff email address: a valid plain address, lower-cased whole, so that it is unique
/// whatever case it is typed in.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct StaffEmail(String);

impl StaffEmail {
    pub fn parse(raw: &str) -> Result<StaffEmail, InvalidField> {
        EmailAddress::parse(raw).map(|e| StaffEmail(e.as_str().to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for StaffEmail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StaffEmail(<{} chars>)", self.0.chars().count())
    }
}

impl fmt::Display for StaffEmail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A staff member, as the web layer sees them (no credential in it).
#[derive(Clone, PartialEq, Eq)]
pub struct Person {
    pub id: i64,
    pub email: String,
    pub role: Role,
    pub disabled: bool,
    /// True once a password has been set through a password link.
    pub password_set: bool,
    /// True when a second factor is confirmed.
    pub totp_enabled: bool,
    pub created_at: DateTime<Utc>,
}

crate::store::opaque_debug!(Person, id, role, disabled, totp_enabled);

/// A person with their credentials, for the service's checks only.
#[derive(Clone)]
pub struct StoredPerson {
    pub person: Person,
    pub password_hash: Option<String>,
    pub totp_secret: Option<String>,
    pub totp_pending_secret: Option<String>,
    pub totp_last_step: Option<i64>,
}

crate::store::opaque_debug!(StoredPerson, person);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn emails_are_lower_cased_and_validated() {
        let e = StaffEmail::parse(" Jane.Doe@Example.ORG ").expect("valid");
        assert_eq!(e.as_str(), "jane.doe@example.org");
        assert!(StaffEmail::parse("jane").is_err());
        assert!(StaffEmail::parse("jane@localhost").is_err());
        assert!(StaffEmail::parse("a\r\nb@example.org").is_err());
        assert!(!format!("{e:?}").contains("jane"));
    }

    proptest! {
        #[test]
        fn the_email_parser_never_panics(raw in "\\PC{0,300}") {
            if let Ok(e) = StaffEmail::parse(&raw) {
                prop_assert_eq!(e.as_str().to_lowercase(), e.as_str());
                prop_assert!(e.as_str().contains('@'));
            }
        }
    }
}
