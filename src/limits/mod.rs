//! Rate limits, kept in the database so they hold across every instance sharing it
//! (`rate_limits`, one GCRA row per key: [`gcra`] is the arithmetic, `store::limits` the one
//! atomic upsert that applies it on the database's clock; [`keys`] the keyed hashes rows are
//! stored under). The rules:
//! - address lookups per client address (`limits.lookups_per_minute`), with an in-process
//!   `governor` in front as a cheap first layer (a client over the limit on this instance is
//!   refused without asking the database);
//! - unconfirmed submissions per email address (`limits.unconfirmed_per_day`): confirming gives
//!   the submission's action back, so only unconfirmed ones count;
//! - messages per email address per office of a campaign (`limits.sender_office_per_day`).
//!
//! The submission rules are taken inside the submission's own transaction (all or none: a
//! refusal writes nothing); see `Outbox::submit`. Every refusal says how long to wait
//! ([`TooMany::retry_after`]), which the web layer sends as `Retry-After`.

pub mod gcra;
pub mod keys;

use crate::config::Settings;
use crate::domain::EmailAddress;
use crate::store::{LimitRefusal, LimitTake, Store, StoreError, SubmissionLimits};
use gcra::{Decision, Gcra};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use keys::{Keys, Subject};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

/// Which rule refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Over {
    /// Address lookups from one client address.
    Lookups,
    /// Unconfirmed submissions from one email address.
    Unconfirmed,
    /// Messages from one email address to these offices (their names).
    SenderOffice { offices: Vec<String> },
}

/// A client went over a limit; it may try again after `retry_after`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooMany {
    pub over: Over,
    pub retry_after: Duration,
}

impl std::fmt::Display for TooMany {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.over {
            Over::Lookups => f.write_str(
                "Too many lookups from your connection. Please wait a minute and try again.",
            ),
            Over::Unconfirmed => f.write_str(
                "This email address already has messages waiting for confirmation: please open the link in the email we sent, or try again tomorrow.",
            ),
            Over::SenderOffice { offices } => write!(
                f,
                "You have already written to {} from this email address today, so nothing was sent. Please leave them out, or try again tomorrow.",
                list(offices)
            ),
        }
    }
}

impl std::error::Error for TooMany {}

/// "A", "A and B", "A, B and C".
fn list(names: &[String]) -> String {
    match names {
        [] => "these offices".to_string(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// The limits one server applies, over the shared database.
pub struct Limits {
    store: Store,
    keys: Keys,
    /// The first layer for lookups, in this process only.
    local: DefaultKeyedRateLimiter<IpAddr>,
    lookups: Gcra,
    unconfirmed: Gcra,
    sender_office: Gcra,
}

/// A count from the settings (validated at start-up to be at least 1).
fn at_least_one(count: u32) -> NonZeroU32 {
    NonZeroU32::new(count).unwrap_or(NonZeroU32::MIN)
}

impl Limits {
    /// The rules of `settings.limits`, keyed under `civic.cache_secret` (or the generated key).
    pub fn new(store: Store, settings: &Settings) -> Limits {
        let limits = &settings.limits;
        let per_minute = at_least_one(limits.lookups_per_minute);
        Limits {
            keys: Keys::new(store.clone(), settings.civic.cache_secret.clone()),
            store,
            local: DefaultKeyedRateLimiter::keyed(Quota::per_minute(per_minute)),
            lookups: Gcra::per_minute(per_minute),
            unconfirmed: Gcra::per_day(at_least_one(limits.unconfirmed_per_day)),
            sender_office: Gcra::per_day(at_least_one(limits.sender_office_per_day)),
        }
    }

    /// The unconfirmed-submissions rule (confirming gives back what it took).
    pub fn unconfirmed_rule(&self) -> Gcra {
        self.unconfirmed
    }

    /// Counts one lookup for `client`; `Err` once it is over its limit. Without a peer address
    /// (not on TCP) there is nobody to hold to a limit. Should the database fail, the lookup
    /// goes on under this instance's own limit (logged): a lookup needs no database of its own.
    pub async fn check_lookup(&self, client: Option<IpAddr>) -> Result<(), TooMany> {
        let Some(ip) = client else { return Ok(()) };
        let local = self.local.check_key(&ip);
        // Keep the key table from growing without bound under many clients.
        if self.local.len() > 100_000 {
            self.local.retain_recent();
        }
        if let Err(not_until) = local {
            return Err(TooMany {
                over: Over::Lookups,
                retry_after: not_until.wait_time_from(DefaultClock::default().now()),
            });
        }
        let decision = match self.keys.key(&Subject::Lookups(ip)).await {
            Ok(key) => self.store.take_limit(&key, self.lookups).await,
            Err(err) => Err(err),
        };
        match decision {
            Ok(Decision::Allowed { .. }) => Ok(()),
            Ok(Decision::Refused { retry_after }) => Err(TooMany {
                over: Over::Lookups,
                retry_after,
            }),
            Err(err) => {
                tracing::warn!(error = %err, "lookup limit unavailable; this instance's own applies");
                Ok(())
            }
        }
    }

    /// The limits a submission from `email` to `offices` (legislator id, name) of campaign
    /// `campaign` takes, for the store to take in the submission's transaction, and the names
    /// of their offices, in order (for [`Limits::refused`]). An office named twice is taken once.
    pub async fn submission(
        &self,
        email: &EmailAddress,
        campaign: &str,
        offices: &[(&str, &str)],
    ) -> Result<(SubmissionLimits, Vec<String>), StoreError> {
        let unconfirmed = LimitTake {
            key: self.keys.key(&Subject::Unconfirmed(email)).await?,
            rule: self.unconfirmed,
        };
        let mut takes: Vec<LimitTake> = Vec::with_capacity(offices.len());
        let mut names = Vec::with_capacity(offices.len());
        for &(office, name) in offices {
            let key = self
                .keys
                .key(&Subject::SenderOffice {
                    email,
                    campaign,
                    office,
                })
                .await?;
            if takes.iter().all(|t| t.key != key) {
                takes.push(LimitTake {
                    key,
                    rule: self.sender_office,
                });
                names.push(name.to_string());
            }
        }
        let limits = SubmissionLimits {
            unconfirmed,
            offices: takes,
        };
        Ok((limits, names))
    }

    /// A submission's refusal as the supporter sees it: `names` are the names of the offices
    /// given to [`Limits::submission`], in order.
    pub fn refused(refusal: LimitRefusal, names: &[String]) -> TooMany {
        match refusal {
            LimitRefusal::Unconfirmed { retry_after } => TooMany {
                over: Over::Unconfirmed,
                retry_after,
            },
            LimitRefusal::Offices {
                refused,
                retry_after,
            } => TooMany {
                over: Over::SenderOffice {
                    offices: refused
                        .iter()
                        .filter_map(|&i| names.get(i).cloned())
                        .collect(),
                },
                retry_after,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::memory_store;

    async fn limits(lookups_per_minute: &str) -> Limits {
        let settings = Settings::load_with_env(
            None,
            vec![(
                "ADVOCATE__LIMITS__LOOKUPS_PER_MINUTE".to_string(),
                lookups_per_minute.to_string(),
            )],
        )
        .expect("settings");
        Limits::new(memory_store().await, &settings)
    }

    #[tokio::test]
    async fn each_client_has_its_own_allowance_and_a_refusal_says_when_to_come_back() {
        let limits = limits("2").await;
        let a = Some(IpAddr::from([127, 0, 0, 1]));
        let b = Some(IpAddr::from([127, 0, 0, 2]));
        assert!(limits.check_lookup(a).await.is_ok());
        assert!(limits.check_lookup(a).await.is_ok());
        let refused = limits.check_lookup(a).await.expect_err("over");
        assert_eq!(refused.over, Over::Lookups);
        assert!(refused.retry_after > Duration::from_secs(25), "{refused:?}");
        assert!(
            refused.retry_after <= Duration::from_secs(30),
            "{refused:?}"
        );
        assert!(limits.check_lookup(b).await.is_ok());
        assert!(limits.check_lookup(None).await.is_ok());
    }

    #[tokio::test]
    async fn the_database_refuses_what_another_instance_used() {
        // Two instances' limits over one database: each its own governor, one allowance.
        let store = memory_store().await;
        let settings = Settings::load_with_env(
            None,
            vec![(
                "ADVOCATE__LIMITS__LOOKUPS_PER_MINUTE".to_string(),
                "3".to_string(),
            )],
        )
        .expect("settings");
        let one = Limits::new(store.clone(), &settings);
        let two = Limits::new(store, &settings);
        let client = Some(IpAddr::from([203, 0, 113, 5]));
        assert!(one.check_lookup(client).await.is_ok());
        assert!(two.check_lookup(client).await.is_ok());
        assert!(one.check_lookup(client).await.is_ok());
        assert!(two.check_lookup(client).await.is_err());
        assert!(one.check_lookup(client).await.is_err());
    }

    #[test]
    fn the_sender_office_refusal_names_every_office() {
        let names = ["Sen. A".to_string(), "Rep. B".into(), "Rep. C".into()];
        let too_many = Limits::refused(
            LimitRefusal::Offices {
                refused: vec![0, 2],
                retry_after: Duration::from_secs(60),
            },
            &names,
        );
        let text = too_many.to_string();
        assert!(text.contains("Sen. A and Rep. C"), "{text}");
        assert!(!text.contains("Rep. B"), "{text}");
        assert_eq!(list(&names), "Sen. A, Rep. B and Rep. C");
    }
}
