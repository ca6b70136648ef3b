//! Rate limits held in this process: per client address, on the actions that cost something
//! upstream (address lookups call the civic-data providers, whose quotas are small).

use governor::{DefaultKeyedRateLimiter, Quota};
use std::net::IpAddr;
use std::num::NonZeroU32;

/// The limits one server applies.
pub struct Limits {
    lookups: DefaultKeyedRateLimiter<IpAddr>,
}

/// A client went over a limit.
#[derive(Debug, thiserror::Error)]
#[error("Too many lookups from your connection. Please wait a minute and try again.")]
pub struct TooMany;

impl Limits {
    /// `lookups_per_minute` lookups per client address, with a burst of the same size.
    pub fn new(lookups_per_minute: u32) -> Limits {
        let per_minute = NonZeroU32::new(lookups_per_minute).unwrap_or(NonZeroU32::MIN);
        Limits {
            lookups: DefaultKeyedRateLimiter::keyed(Quota::per_minute(per_minute)),
        }
    }

    /// Counts one lookup for `client`; `Err` once it is over its limit.
    pub fn check_lookup(&self, client: Option<IpAddr>) -> Result<(), TooMany> {
        // Without a peer address (not on TCP) there is nobody to hold to a limit.
        let Some(ip) = client else { return Ok(()) };
        let outcome = self.lookups.check_key(&ip).map_err(|_| TooMany);
        // Keep the key table from growing without bound under many clients.
        if self.lookups.len() > 100_000 {
            self.lookups.retain_recent();
        }
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_client_has_its_own_allowance() {
        let limits = Limits::new(2);
        let a = Some(IpAddr::from([127, 0, 0, 1]));
        let b = Some(IpAddr::from([127, 0, 0, 2]));
        assert!(limits.check_lookup(a).is_ok());
        assert!(limits.check_lookup(a).is_ok());
        assert!(limits.check_lookup(a).is_err());
        assert!(limits.check_lookup(b).is_ok());
        assert!(limits.check_lookup(None).is_ok());
    }
}
