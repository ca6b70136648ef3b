//! The generic cell rate algorithm (GCRA): a rule "`count` per `period`" kept as one number per
//! key, the theoretical arrival time `tat` (microseconds since the Unix epoch). Each allowed
//! action pushes `tat` one emission interval (`period / count`) past `max(tat, now)`; an action
//! is allowed while that leaves `tat` at most one period (the capacity) ahead of now. So a fresh
//! key takes `count` actions at once, then one more each interval; in any window of length `w`
//! no more than `count + w / interval` are allowed (`count` in a window shorter than an interval).
//!
//! This module is the arithmetic, written once in Rust for the tests and for reading a refusal;
//! `src/store/limits.rs` runs the same arithmetic as one atomic upsert in the database, on the
//! database's clock, so the rule holds across every instance.

use std::num::NonZeroU32;
use std::time::Duration;

/// Microseconds in a second.
pub const MICROS_PER_SEC: i64 = 1_000_000;

/// A rule: at most `count` actions per `period`, all of them at once at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gcra {
    /// What one action costs, in microseconds: the period over the count, rounded up (never
    /// below 1), so the rule never allows more than it says.
    emission: i64,
    /// How far ahead of now `tat` may run after an action: `emission * count`.
    capacity: i64,
}

/// What a take decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Allowed; the key's new `tat`.
    Allowed { tat: i64 },
    /// Refused; the key may act again after this long (always positive).
    Refused { retry_after: Duration },
}

impl Gcra {
    /// `count` actions per `period` (a period under a microsecond counts as one).
    pub fn new(count: NonZeroU32, period: Duration) -> Gcra {
        let period = i64::try_from(period.as_micros())
            .unwrap_or(i64::MAX / 4)
            .clamp(1, i64::MAX / 4);
        let count = i64::from(count.get());
        let emission = (period + count - 1) / count;
        Gcra {
            emission,
            capacity: emission.saturating_mul(count),
        }
    }

    /// `count` per minute.
    pub fn per_minute(count: NonZeroU32) -> Gcra {
        Gcra::new(count, Duration::from_secs(60))
    }

    /// `count` per day.
    pub fn per_day(count: NonZeroU32) -> Gcra {
        Gcra::new(count, Duration::from_secs(86_400))
    }

    /// Microseconds one action costs.
    pub fn emission_us(&self) -> i64 {
        self.emission
    }

    /// Microseconds `tat` may run ahead of now after an action.
    pub fn capacity_us(&self) -> i64 {
        self.capacity
    }

    /// One action at `now` against a key whose stored `tat` is `tat` (`None`: no row, a fresh
    /// key). The database's upsert decides the same way.
    pub fn take(&self, tat: Option<i64>, now: i64) -> Decision {
        let start = tat.map_or(now, |tat| tat.max(now));
        let next = start.saturating_add(self.emission);
        let ahead = next.saturating_sub(now);
        if ahead <= self.capacity {
            Decision::Allowed { tat: next }
        } else {
            let wait = ahead.saturating_sub(self.capacity).max(1);
            Decision::Refused {
                retry_after: Duration::from_micros(u64::try_from(wait).unwrap_or(u64::MAX)),
            }
        }
    }

    /// The `tat` after one action is given back at `now`: one emission interval earlier, never
    /// before now (a key cannot bank more than its full allowance).
    pub fn refund(&self, tat: i64, now: i64) -> i64 {
        tat.saturating_sub(self.emission).max(now)
    }
}

/// Whole seconds to announce in `Retry-After` for `wait`: rounded up, at least 1.
pub fn retry_after_secs(wait: Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn n(count: u32) -> NonZeroU32 {
        NonZeroU32::new(count).unwrap_or(NonZeroU32::MIN)
    }

    /// Runs takes at `times` (sorted) from a fresh key; the times of the allowed ones.
    fn allowed_at(rule: Gcra, times: &[i64]) -> Vec<i64> {
        let mut tat = None;
        let mut allowed = Vec::new();
        for &now in times {
            if let Decision::Allowed { tat: next } = rule.take(tat, now) {
                tat = Some(next);
                allowed.push(now);
            }
        }
        allowed
    }

    #[test]
    fn thirty_a_minute_allows_thirty_at_once_then_one_every_two_seconds() {
        let rule = Gcra::per_minute(n(30));
        assert_eq!(rule.emission_us(), 2 * MICROS_PER_SEC);
        let now = 1_700_000_000 * MICROS_PER_SEC;
        assert_eq!(allowed_at(rule, &[now; 40]).len(), 30);
        // After the 30th, the next is refused for exactly one interval.
        let mut tat = None;
        for _ in 0..30 {
            match rule.take(tat, now) {
                Decision::Allowed { tat: t } => tat = Some(t),
                refused => panic!("{refused:?}"),
            }
        }
        assert_eq!(
            rule.take(tat, now),
            Decision::Refused {
                retry_after: Duration::from_secs(2)
            }
        );
        assert!(matches!(
            rule.take(tat, now + 2 * MICROS_PER_SEC),
            Decision::Allowed { .. }
        ));
    }

    #[test]
    fn three_a_day_refuses_the_fourth_for_eight_hours() {
        let rule = Gcra::per_day(n(3));
        let now = 0;
        let mut tat = None;
        for _ in 0..3 {
            let Decision::Allowed { tat: t } = rule.take(tat, now) else {
                panic!("refused early")
            };
            tat = Some(t);
        }
        assert_eq!(
            rule.take(tat, now + MICROS_PER_SEC),
            Decision::Refused {
                retry_after: Duration::from_secs(8 * 3600 - 1)
            }
        );
    }

    #[test]
    fn a_refund_gives_one_action_back_and_never_more_than_the_full_allowance() {
        let rule = Gcra::per_day(n(3));
        let now = 5 * MICROS_PER_SEC;
        let full = now + rule.capacity_us();
        assert!(matches!(
            rule.take(Some(full), now),
            Decision::Refused { .. }
        ));
        let back = rule.refund(full, now);
        assert!(matches!(
            rule.take(Some(back), now),
            Decision::Allowed { .. }
        ));
        // A key with its full allowance is not raised above it.
        assert_eq!(rule.refund(now - 1, now), now);
        assert_eq!(rule.refund(now + 10, now), now);
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds_and_is_never_zero() {
        assert_eq!(retry_after_secs(Duration::from_micros(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_secs(2)), 2);
        assert_eq!(retry_after_secs(Duration::from_millis(2001)), 3);
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
    }

    #[test]
    fn odd_periods_round_the_interval_up_never_allowing_more() {
        let rule = Gcra::new(n(3), Duration::from_micros(10));
        assert_eq!(rule.emission_us(), 4);
        assert_eq!(rule.capacity_us(), 12);
        let tiny = Gcra::new(n(5), Duration::ZERO);
        assert_eq!(tiny.emission_us(), 1);
    }

    proptest! {
        /// In any window of length `w`, no more than `count + floor(w / interval)` actions are
        /// allowed: `count` (the burst) in a window shorter than one interval.
        #[test]
        fn never_more_than_the_burst_plus_the_refill_in_any_window(
            count in 1u32..20,
            period_ms in 1i64..10_000,
            gaps in proptest::collection::vec(0i64..2_000_000, 1..200),
        ) {
            let rule = Gcra::new(n(count), Duration::from_millis(period_ms as u64));
            let mut times = Vec::with_capacity(gaps.len());
            let mut now = 1_000_000_000;
            for gap in gaps {
                now += gap;
                times.push(now);
            }
            let allowed = allowed_at(rule, &times);
            for (i, &start) in allowed.iter().enumerate() {
                for (j, &end) in allowed.iter().enumerate().skip(i) {
                    let in_window = (j - i + 1) as i64;
                    let bound = i64::from(count) + (end - start) / rule.emission_us();
                    prop_assert!(
                        in_window <= bound,
                        "{in_window} allowed in {}µs (bound {bound})", end - start
                    );
                }
            }
            // A window shorter than one interval never holds more than the burst.
            for (i, &start) in allowed.iter().enumerate() {
                let within = allowed[i..]
                    .iter()
                    .take_while(|&&t| t - start < rule.emission_us())
                    .count();
                prop_assert!(within <= count as usize);
            }
        }

        /// Refill: after emptying a key, waiting `k` intervals allows exactly `min(k, count)`
        /// more at that instant, and a refused take tells how long to wait, to the microsecond.
        #[test]
        fn an_emptied_key_refills_one_action_per_interval(
            count in 1u32..50,
            period_s in 1u64..100_000,
            k in 0i64..80,
            start in 0i64..4_000_000_000_000_000,
        ) {
            let rule = Gcra::new(n(count), Duration::from_secs(period_s));
            let mut tat = None;
            for _ in 0..count {
                match rule.take(tat, start) {
                    Decision::Allowed { tat: t } => tat = Some(t),
                    Decision::Refused { .. } => prop_assert!(false, "a fresh key refused"),
                }
            }
            match rule.take(tat, start) {
                Decision::Refused { retry_after } => {
                    prop_assert_eq!(retry_after, Duration::from_micros(rule.emission_us() as u64));
                }
                Decision::Allowed { .. } => prop_assert!(false, "over the burst"),
            }
            let later = start + k * rule.emission_us();
            let mut more = 0;
            while let Decision::Allowed { tat: t } = rule.take(tat, later) {
                tat = Some(t);
                more += 1;
                prop_assert!(more <= count, "more than the burst");
            }
            prop_assert_eq!(i64::from(more), k.min(i64::from(count)));
        }

        /// Actions spaced at least one interval apart are always allowed, whatever came before.
        #[test]
        fn the_steady_rate_is_always_allowed(
            count in 1u32..20,
            period_ms in 1u64..10_000,
            extra in proptest::collection::vec(0i64..1_000, 1..100),
        ) {
            let rule = Gcra::new(n(count), Duration::from_millis(period_ms));
            let mut tat = None;
            let mut now = 0;
            for e in extra {
                let decision = rule.take(tat, now);
                let Decision::Allowed { tat: t } = decision else {
                    return Err(TestCaseError::fail(format!("{decision:?}")));
                };
                tat = Some(t);
                now += rule.emission_us() + e;
            }
        }
    }
}
