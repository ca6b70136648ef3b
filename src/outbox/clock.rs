//! The time the delivery worker reads, in Unix seconds: the system clock, or one a test moves
//! (an hour passes in a moment, so the delivery caps can be tested without waiting for them).

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// A source of the current time (Unix seconds).
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> i64 + Send + Sync>);

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock(Arc::new(|| chrono::Utc::now().timestamp()))
    }

    /// The system clock moved on by `offset` seconds, which the holder of `offset` may change
    /// at any time.
    pub fn offset(offset: Arc<AtomicI64>) -> Clock {
        Clock(Arc::new(move || {
            chrono::Utc::now().timestamp() + offset.load(Ordering::SeqCst)
        }))
    }

    /// Any time source.
    pub fn from_fn(now: impl Fn() -> i64 + Send + Sync + 'static) -> Clock {
        Clock(Arc::new(now))
    }

    pub fn now(&self) -> i64 {
        (self.0)()
    }
}

impl Default for Clock {
    fn default() -> Clock {
        Clock::system()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Clock")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_offset_clock_moves_when_told() {
        let offset = Arc::new(AtomicI64::new(0));
        let clock = Clock::offset(offset.clone());
        let before = clock.now();
        offset.store(3600, Ordering::SeqCst);
        let after = clock.now();
        assert!((3600..3610).contains(&(after - before)), "{before} {after}");
        assert_eq!(Clock::from_fn(|| 42).now(), 42);
    }
}
