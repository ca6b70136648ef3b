//! The public counter: a campaign's total, the last 24 hours, and the goal staff set
//! (`GET /api/v1/campaigns/{slug}/counter`, the badge `/campaigns/{slug}/counter.svg`).

use crate::store::{Store, StoreError};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

/// The largest goal staff may set: far above any campaign's reach, and small enough that a
/// slip of the keyboard (an extra six zeros) is refused rather than shown as 0%.
pub const MAX_GOAL: i64 = 1_000_000_000;

/// What the public counter shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Counter {
    /// Every counted message since launch, every channel.
    pub total: i64,
    /// Messages counted in the last 24 hours (by the hour: the current hour and the 23 before).
    pub last_24h: i64,
    /// The campaign's goal; left out when staff have set none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub goal: Option<i64>,
}

impl Counter {
    /// How far the total is towards the goal, in whole percent (not capped: 125 when passed).
    pub fn percent(&self) -> Option<i64> {
        self.goal
            .filter(|g| *g > 0)
            .map(|g| (i128::from(self.total.max(0)) * 100 / i128::from(g)) as i64)
    }

    /// The share of the goal reached, between 0 and 1 (capped: a bar never overflows).
    pub fn progress(&self) -> Option<f64> {
        self.goal
            .filter(|g| *g > 0)
            .map(|g| (self.total.max(0) as f64 / g as f64).clamp(0.0, 1.0))
    }

    /// The figure in words: "12,345 messages sent to legislators", and with a goal
    /// "12,345 messages sent to legislators, of 20,000 goal".
    pub fn in_words(&self) -> String {
        let noun = if self.total == 1 {
            "message"
        } else {
            "messages"
        };
        let mut words = format!("{} {noun} sent to legislators", thousands(self.total));
        if let Some(goal) = self.goal {
            words.push_str(&format!(", of {} goal", thousands(goal)));
        }
        words
    }
}

/// A campaign's counter at `now`, or `None` for an unknown campaign.
pub async fn counter(
    store: &Store,
    slug: &str,
    now: DateTime<Utc>,
) -> Result<Option<Counter>, StoreError> {
    let Some((total, goal)) = store.counter_figures(slug).await? else {
        return Ok(None);
    };
    // The current hour and the 23 before it: counts are kept per hour.
    let last_24h = store
        .messages_since(slug, now - Duration::hours(23))
        .await?
        .unwrap_or(0);
    Ok(Some(Counter {
        total,
        last_24h,
        goal,
    }))
}

/// `n` with a comma between each group of three digits: 12345 -> "12,345", -1000 -> "-1,000".
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// Why a goal was refused (the message staff see; nothing is changed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct GoalError(pub String);

/// Reads a goal as staff type it: a whole number from 1 to [`MAX_GOAL`], commas between digit
/// groups allowed ("20,000"); empty (or only spaces) clears the goal (`Ok(None)`).
pub fn parse_goal(raw: &str) -> Result<Option<i64>, GoalError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let limit = thousands(MAX_GOAL);
    let refuse = || {
        GoalError(format!(
            "The goal must be a whole number of messages from 1 to {limit}, like 20,000 \
             (leave it empty for no goal)."
        ))
    };
    let digits: String = raw.chars().filter(|c| *c != ',').collect();
    let well_placed_commas = !raw.starts_with(',') && !raw.ends_with(',') && !raw.contains(",,");
    if digits.is_empty()
        || digits.len() > 12
        || !well_placed_commas
        || !digits.chars().all(|c| c.is_ascii_digit())
    {
        return Err(refuse());
    }
    let n: i64 = digits.parse().map_err(|_| refuse())?;
    if n == 0 {
        return Err(GoalError(
            "The goal must be at least 1 message (leave it empty for no goal).".into(),
        ));
    }
    if n > MAX_GOAL {
        return Err(GoalError(format!(
            "The goal can be at most {limit} messages."
        )));
    }
    Ok(Some(n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn thousands_separates_groups_of_three() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(12345), "12,345");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(thousands(-1000), "-1,000");
        assert_eq!(thousands(i64::MIN), "-9,223,372,036,854,775,808");
    }

    #[test]
    fn goals_are_whole_positive_numbers_and_empty_clears() {
        assert_eq!(parse_goal(""), Ok(None));
        assert_eq!(parse_goal("   "), Ok(None));
        assert_eq!(parse_goal("20000"), Ok(Some(20_000)));
        assert_eq!(parse_goal(" 20,000 "), Ok(Some(20_000)));
        assert_eq!(parse_goal("1"), Ok(Some(1)));
        assert_eq!(parse_goal("1,000,000,000"), Ok(Some(MAX_GOAL)));
        for bad in [
            "0",
            "-5",
            "+5",
            "1.5",
            "1e6",
            "twenty",
            "20 000",
            ",5",
            "5,",
            "1,,000",
            "1000000001",
            "99999999999999999999999",
            "٣",
            "0x10",
        ] {
            assert!(parse_goal(bad).is_err(), "{bad}");
        }
        assert!(parse_goal("0")
            .unwrap_err()
            .to_string()
            .contains("at least 1"));
        assert!(parse_goal("5000000000")
            .unwrap_err()
            .to_string()
            .contains("at most 1,000,000,000"));
    }

    #[test]
    fn the_counter_in_words_and_its_progress() {
        let c = Counter {
            total: 12_345,
            last_24h: 10,
            goal: None,
        };
        assert_eq!(c.in_words(), "12,345 messages sent to legislators");
        assert_eq!(c.progress(), None);
        let c = Counter {
            goal: Some(20_000),
            ..c
        };
        assert_eq!(
            c.in_words(),
            "12,345 messages sent to legislators, of 20,000 goal"
        );
        assert_eq!(c.percent(), Some(61));
        let over = Counter { total: 30_000, ..c };
        assert_eq!(over.progress(), Some(1.0));
        assert_eq!(over.percent(), Some(150));
        let one = Counter {
            total: 1,
            last_24h: 1,
            goal: None,
        };
        assert_eq!(one.in_words(), "1 message sent to legislators");
        let json = serde_json::to_value(one).expect("json");
        assert_eq!(json, serde_json::json!({"total": 1, "last_24h": 1}));
    }

    proptest! {
        #[test]
        fn every_goal_in_range_round_trips_with_or_without_commas(n in 1..=MAX_GOAL) {
            prop_assert_eq!(parse_goal(&n.to_string()), Ok(Some(n)));
            prop_assert_eq!(parse_goal(&thousands(n)), Ok(Some(n)));
        }

        #[test]
        fn any_input_is_a_goal_in_range_none_or_refused(raw in ".{0,30}") {
            match parse_goal(&raw) {
                Ok(Some(n)) => prop_assert!((1..=MAX_GOAL).contains(&n)),
                Ok(None) => prop_assert!(raw.trim().is_empty()),
                Err(e) => prop_assert!(!e.0.is_empty()),
            }
        }

        #[test]
        fn thousands_keeps_the_digits(n in any::<i64>()) {
            let s = thousands(n);
            prop_assert_eq!(s.replace(',', ""), n.to_string());
        }
    }
}
