//! The keys rate limits are stored under: `<rule>:<hex HMAC-SHA256>` of what the rule counts,
//! under the server's lookup-cache key (`civic.cache_secret`, or the one generated once and kept
//! in the database), so the `rate_limits` table holds no client address or email address, and a
//! leaked table cannot be checked against guessed ones without the key. The rule's name stays
//! readable, for an operator looking at the table.

use crate::domain::EmailAddress;
use crate::store::{Store, StoreError};
use secrecy::SecretString;
use std::net::IpAddr;
use tokio::sync::OnceCell;

/// What one rule counts, for one key.
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    /// Address lookups by one client address.
    Lookups(IpAddr),
    /// Unconfirmed submissions by one email address (upper or lower case alike).
    Unconfirmed(&'a EmailAddress),
    /// Messages by one email address to one office (a legislator id) of one campaign.
    SenderOffice {
        email: &'a EmailAddress,
        campaign: &'a str,
        office: &'a str,
    },
}

impl Subject<'_> {
    /// The rule's name: the key's readable prefix.
    pub fn rule(&self) -> &'static str {
        match self {
            Subject::Lookups(_) => "lookups",
            Subject::Unconfirmed(_) => "unconfirmed",
            Subject::SenderOffice { .. } => "sender_office",
        }
    }

    /// What is hashed: the rule's name and the subject, separated by NULs (which none of the
    /// parts can hold), so two subjects never write the same text.
    fn text(&self) -> String {
        let rule = self.rule();
        match self {
            Subject::Lookups(ip) => format!("rate-limit\0{rule}\0{ip}"),
            Subject::Unconfirmed(email) => {
                format!("rate-limit\0{rule}\0{}", email.as_str().to_lowercase())
            }
            Subject::SenderOffice {
                email,
                campaign,
                office,
            } => format!(
                "rate-limit\0{rule}\0{}\0{campaign}\0{office}",
                email.as_str().to_lowercase()
            ),
        }
    }
}

/// The key of `subject` under `secret`.
pub fn key_with(secret: &[u8], subject: &Subject<'_>) -> String {
    format!(
        "{}:{}",
        subject.rule(),
        crate::civic::cache::keyed_hash(secret, &subject.text())
    )
}

/// Makes keys under the server's key, read once.
pub struct Keys {
    store: Store,
    configured: SecretString,
    secret: OnceCell<Vec<u8>>,
}

impl Keys {
    /// Keys under `configured` (`civic.cache_secret`), or, when it is empty, the key the lookup
    /// cache generated and keeps in the database (the same for every instance).
    pub fn new(store: Store, configured: SecretString) -> Keys {
        Keys {
            store,
            configured,
            secret: OnceCell::new(),
        }
    }

    /// The key `subject` is stored under.
    pub async fn key(&self, subject: &Subject<'_>) -> Result<String, StoreError> {
        let secret = self
            .secret
            .get_or_try_init(|| crate::civic::cache::hmac_key(&self.store, &self.configured))
            .await?;
        Ok(key_with(secret, subject))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email(raw: &str) -> EmailAddress {
        EmailAddress::parse(raw).expect("email")
    }

    #[test]
    fn keys_name_their_rule_and_hold_no_address() {
        let jane = email("Jane.Doe@example.org");
        let ip: IpAddr = "203.0.113.9".parse().expect("ip");
        for subject in [
            Subject::Lookups(ip),
            Subject::Unconfirmed(&jane),
            Subject::SenderOffice {
                email: &jane,
                campaign: "c",
                office: "ocd-person/1",
            },
        ] {
            let key = key_with(b"secret", &subject);
            let (rule, hash) = key.split_once(':').expect("rule:hash");
            assert_eq!(rule, subject.rule());
            assert_eq!(hash.len(), 64);
            assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()));
            for raw in ["203.0.113.9", "jane", "example", "ocd-person"] {
                assert!(!key.to_lowercase().contains(raw), "{key} holds {raw}");
            }
        }
    }

    #[test]
    fn one_subject_one_key_however_the_email_is_written_and_each_rule_its_own() {
        let lower = email("jane@example.org");
        let upper = email("JANE@Example.org");
        assert_eq!(
            key_with(b"k", &Subject::Unconfirmed(&lower)),
            key_with(b"k", &Subject::Unconfirmed(&upper))
        );
        let office = |email, office| Subject::SenderOffice {
            email,
            campaign: "c",
            office,
        };
        assert_ne!(
            key_with(b"k", &office(&lower, "a")),
            key_with(b"k", &office(&lower, "b"))
        );
        assert_ne!(
            key_with(b"k", &Subject::Unconfirmed(&lower)),
            key_with(b"other", &Subject::Unconfirmed(&lower)),
            "another server key, other keys"
        );
        let a: IpAddr = "2001:db8::1".parse().expect("ip");
        let b: IpAddr = "2001:db8::2".parse().expect("ip");
        assert_ne!(
            key_with(b"k", &Subject::Lookups(a)),
            key_with(b"k", &Subject::Lookups(b))
        );
    }
}
