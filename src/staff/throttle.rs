//! Login throttling: failed attempts are counted per account and per client address in the
//! database (so the limit holds across instances); past a threshold, each further failure locks
//! the key for twice as long as the one before, from one minute up to an hour. A success resets
//! the account's count; a count left alone for a day starts again.

use std::net::IpAddr;

/// Failures per account before it is locked.
pub const ACCOUNT_THRESHOLD: i64 = 5;
/// Failures per client address before it is locked: higher, since colleagues may share an
/// office's address, but bounded so one client cannot try many accounts.
pub const CLIENT_THRESHOLD: i64 = 20;
/// The first lockout, in seconds.
pub const FIRST_LOCK_SECS: i64 = 60;
/// The longest lockout, in seconds.
pub const MAX_LOCK_SECS: i64 = 3600;
/// Seconds after the last failure when a key's count starts again.
pub const FORGET_AFTER_SECS: i64 = 24 * 3600;

/// A throttled key and its threshold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThrottleKey {
    pub key: String,
    pub threshold: i64,
}

impl ThrottleKey {
    /// The key of an account (by its lower-cased email, whether or not the account exists, so
    /// that throttling says nothing about which accounts exist).
    pub fn account(email_lower: &str) -> ThrottleKey {
        ThrottleKey {
            key: format!("account:{email_lower}"),
            threshold: ACCOUNT_THRESHOLD,
        }
    }

    /// The key of a client address.
    pub fn client(addr: IpAddr) -> ThrottleKey {
        ThrottleKey {
            key: format!("client:{addr}"),
            threshold: CLIENT_THRESHOLD,
        }
    }
}

/// Seconds a key is locked after its `failures`th consecutive failure: none below the threshold,
/// then 1 min, 2, 4, ... up to 1 h.
pub fn lockout_secs(failures: i64, threshold: i64) -> i64 {
    if failures < threshold {
        return 0;
    }
    let doublings = (failures - threshold).min(12) as u32;
    (FIRST_LOCK_SECS << doublings).min(MAX_LOCK_SECS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lockouts_double_from_a_minute_to_an_hour() {
        let t = ACCOUNT_THRESHOLD;
        assert_eq!(lockout_secs(0, t), 0);
        assert_eq!(lockout_secs(t - 1, t), 0);
        assert_eq!(lockout_secs(t, t), 60);
        assert_eq!(lockout_secs(t + 1, t), 120);
        assert_eq!(lockout_secs(t + 2, t), 240);
        assert_eq!(lockout_secs(t + 5, t), 1920);
        assert_eq!(lockout_secs(t + 6, t), 3600);
        assert_eq!(lockout_secs(t + 1000, t), 3600);
        assert_eq!(lockout_secs(i64::MAX, t), 3600);
    }
}
