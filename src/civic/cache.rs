//! The lookup cache, seen from the chain: keys are a keyed hash (HMAC-SHA256) of the normalised
//! address, so the table holds nothing that reads back as an address, and a leaked table cannot
//! be checked against a list of guessed addresses without the key. The cache is a convenience:
//! when the database fails, lookups go on without it (and say so in the log).

use crate::domain::Address;
use crate::store::lookup_cache::{CachedChoice, CachedLookup};
use crate::store::{Store, StoreError};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use std::time::Duration;
use tokio::sync::OnceCell;

use super::memo::{Memo, MEMO_TTL};

/// Name of the generated key in `server_secrets`.
const SECRET_NAME: &str = "lookup_cache_key";
/// Choices must outlive a short (or disabled) cache: the supporter still has to pick one.
const MIN_CHOICE_TTL: Duration = Duration::from_secs(3600);

pub struct LookupCache {
    store: Store,
    configured: SecretString,
    key: OnceCell<Vec<u8>>,
    ttl: Duration,
    /// Recent answers by address hash, so a warm lookup skips the database.
    memo: Memo<String, CachedLookup>,
}

fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

impl LookupCache {
    pub fn new(store: Store, configured: SecretString, ttl: Duration) -> LookupCache {
        LookupCache {
            store,
            configured,
            key: OnceCell::new(),
            memo: Memo::new(10_000, ttl.min(MEMO_TTL)),
            ttl,
        }
    }

    /// The HMAC key: the configured secret, or one generated once and kept in the database.
    async fn key(&self) -> Result<&[u8], StoreError> {
        self.key
            .get_or_try_init(|| hmac_key(&self.store, &self.configured))
            .await
            .map(Vec::as_slice)
    }

    /// Hex HMAC-SHA256 of the normalised address; `None` (logged) when the key is unavailable.
    pub async fn address_hash(&self, address: &Address) -> Option<String> {
        match self.key().await {
            Ok(key) => Some(keyed_hash(key, &address.normalised())),
            Err(err) => {
                tracing::warn!(error = %err, "lookup cache key unavailable; not caching");
                None
            }
        }
    }

    pub async fn get(&self, address_hash: &str) -> Option<CachedLookup> {
        if self.ttl.is_zero() {
            return None;
        }
        if let Some(hit) = self.memo.get(&address_hash.to_string()) {
            return Some(hit);
        }
        match self.store.cached_lookup(address_hash, now_secs()).await {
            Ok(hit) => {
                if let Some(hit) = &hit {
                    self.memo.put(address_hash.to_string(), hit.clone());
                }
                hit
            }
            Err(err) => {
                tracing::warn!(error = %err, "lookup cache unreadable; asking the providers");
                None
            }
        }
    }

    /// Stores an answer (`address_hash` given) or only its choices (`None`).
    pub async fn put(&self, address_hash: Option<&str>, entry: &CachedLookup) {
        let hash = address_hash.filter(|_| !self.ttl.is_zero());
        if hash.is_none() && entry.choices.is_empty() {
            return;
        }
        let ttl = if entry.choices.is_empty() {
            self.ttl
        } else {
            self.ttl.max(MIN_CHOICE_TTL)
        };
        let now = now_secs();
        let expires = now.saturating_add(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX / 2));
        match self.store.cache_lookup(hash, entry, now, expires).await {
            Ok(()) => {
                if let Some(hash) = hash {
                    self.memo.put(hash.to_string(), entry.clone());
                }
            }
            Err(err) => tracing::warn!(error = %err, "lookup not cached"),
        }
    }

    pub async fn choice(&self, token: &str) -> Result<Option<CachedChoice>, StoreError> {
        self.store.cached_choice(token, now_secs()).await
    }
}

/// The server's key for keyed hashes of personal data (the lookup cache's addresses, the rate
/// limits' client and email addresses): `configured` (`civic.cache_secret`) when set, else one
/// generated once and kept in the database, the same for every instance.
pub async fn hmac_key(store: &Store, configured: &SecretString) -> Result<Vec<u8>, StoreError> {
    let configured = configured.expose_secret();
    if !configured.is_empty() {
        return Ok(configured.as_bytes().to_vec());
    }
    let candidate = hex::encode(rand::random::<[u8; 32]>());
    let stored = store
        .server_secret(SECRET_NAME, &candidate, now_secs())
        .await?;
    Ok(hex::decode(&stored).unwrap_or_else(|_| stored.into_bytes()))
}

/// Hex HMAC-SHA256 of `text` under `key`.
pub fn keyed_hash(key: &[u8], text: &str) -> String {
    // HMAC takes keys of any length, so this never fails; the fallback only satisfies the type.
    match <Hmac<Sha256> as Mac>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(text.as_bytes());
            hex::encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

/// A new opaque choice token: 128 random bits, hex.
pub fn new_token() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

/// Whether `raw` could be a token (checked before touching the database).
pub fn is_token(raw: &str) -> bool {
    raw.len() == 32 && raw.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_hashes_depend_on_key_and_text_only() {
        let a = keyed_hash(b"k1", "24 BEACON ST BOSTON MA");
        assert_eq!(a.len(), 64);
        assert_eq!(a, keyed_hash(b"k1", "24 BEACON ST BOSTON MA"));
        assert_ne!(a, keyed_hash(b"k2", "24 BEACON ST BOSTON MA"));
        assert_ne!(a, keyed_hash(b"k1", "26 BEACON ST BOSTON MA"));
        assert!(!a.contains("BEACON"));
    }

    #[test]
    fn tokens_are_random_hex() {
        let t = new_token();
        assert!(is_token(&t));
        assert_ne!(t, new_token());
        assert!(!is_token("../etc"));
        assert!(!is_token(&"g".repeat(32)));
    }
}
