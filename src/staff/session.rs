//! Server-side sessions: the cookie holds a random token, the database its hash, the person, a
//! CSRF synchronizer token and two times. A session ends after `idle` without a request or
//! `absolute` after sign-in, whichever comes first.

use super::person::Person;
use super::token::Token;
use chrono::{DateTime, Duration, Utc};

/// How long sessions last (from `staff.session_idle_minutes` and `staff.session_absolute_hours`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionPolicy {
    pub idle: Duration,
    pub absolute: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        SessionPolicy {
            idle: Duration::minutes(30),
            absolute: Duration::hours(12),
        }
    }
}

/// Seconds between two writes of `last_seen_at`: requests closer together than this do not write
/// (the idle timeout is then at most this much longer than configured).
pub const TOUCH_EVERY_SECS: i64 = 60;

impl SessionPolicy {
    /// True while a session created at `created_at` and last seen at `last_seen_at` is alive.
    pub fn is_live(
        &self,
        created_at: DateTime<Utc>,
        last_seen_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> bool {
        now < last_seen_at + self.idle && now < created_at + self.absolute
    }
}

/// A live session, as stored (without its token).
#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    /// The SHA-256 of the cookie's token: identifies the session to sign it out.
    pub token_hash: String,
    pub person_id: i64,
    /// The synchronizer token forms and scripts must send back with unsafe requests.
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    /// True when TOTP is required for everyone and this person has none yet: the web layer
    /// should send them to enrol before anything else.
    pub must_enrol_totp: bool,
}

crate::store::opaque_debug!(
    Session,
    person_id,
    created_at,
    last_seen_at,
    must_enrol_totp
);

impl Session {
    /// Compares a presented CSRF token with this session's, in constant time.
    pub fn csrf_matches(&self, presented: &str) -> bool {
        use subtle::ConstantTimeEq;
        self.csrf_token.len() == presented.len()
            && bool::from(self.csrf_token.as_bytes().ct_eq(presented.as_bytes()))
    }
}

/// A session just made at sign-in: the token for the cookie (shown once, never stored).
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token: Token,
    pub session: Session,
    pub person: Person,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_end_when_idle_or_too_old() {
        let p = SessionPolicy::default();
        let t0 = DateTime::from_timestamp(1_700_000_000, 0).expect("time");
        assert!(p.is_live(t0, t0, t0 + Duration::minutes(29)));
        assert!(!p.is_live(t0, t0, t0 + Duration::minutes(30)));
        // Kept active, it still ends 12 hours after sign-in.
        let seen = t0 + Duration::hours(12) - Duration::minutes(1);
        assert!(p.is_live(t0, seen, seen));
        assert!(!p.is_live(t0, seen, t0 + Duration::hours(12)));
    }

    #[test]
    fn csrf_tokens_compare_exactly() {
        let s = Session {
            token_hash: String::new(),
            person_id: 1,
            csrf_token: "abc123".into(),
            created_at: Utc::now(),
            last_seen_at: Utc::now(),
            must_enrol_totp: false,
        };
        assert!(s.csrf_matches("abc123"));
        assert!(!s.csrf_matches("abc124"));
        assert!(!s.csrf_matches("abc12"));
        assert!(!s.csrf_matches(""));
    }
}
