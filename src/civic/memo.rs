//! A small in-process memo: bounded, short-lived, in front of the shared database. Warm lookups
//! were dominated by database round trips for answers that do not change within a minute.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a memoised value is reused. Short, so a directory sync or a second instance's
/// answer is seen soon; the database stays the shared source of truth.
pub const MEMO_TTL: Duration = Duration::from_secs(60);

pub struct Memo<K, V> {
    entries: Mutex<HashMap<K, (Instant, V)>>,
    capacity: usize,
    ttl: Duration,
}

impl<K: Eq + Hash, V: Clone> Memo<K, V> {
    pub fn new(capacity: usize, ttl: Duration) -> Memo<K, V> {
        Memo {
            entries: Mutex::new(HashMap::new()),
            capacity,
            ttl,
        }
    }

    pub fn get(&self, key: &K) -> Option<V> {
        let entries = self.entries.lock().ok()?;
        let (at, value) = entries.get(key)?;
        (at.elapsed() < self.ttl).then(|| value.clone())
    }

    pub fn put(&self, key: K, value: V) {
        if self.ttl.is_zero() || self.capacity == 0 {
            return;
        }
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= self.capacity {
                // Expired entries first; if none, start over (cheap, and bounded).
                let ttl = self.ttl;
                entries.retain(|_, (at, _)| at.elapsed() < ttl);
                if entries.len() >= self.capacity {
                    entries.clear();
                }
            }
            entries.insert(key, (Instant::now(), value));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_expire_and_the_size_is_bounded() {
        let memo: Memo<u32, u32> = Memo::new(2, Duration::from_secs(60));
        memo.put(1, 10);
        memo.put(2, 20);
        memo.put(3, 30);
        assert!(memo.entries.lock().map(|e| e.len()).unwrap_or(0) <= 2);
        assert_eq!(memo.get(&3), Some(30));
        let expired: Memo<u32, u32> = Memo::new(2, Duration::ZERO);
        expired.put(1, 10);
        assert_eq!(expired.get(&1), None);
    }
}
