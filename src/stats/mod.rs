//! Campaign reach: how many messages were sent or drafted, by state, legislator, day and channel.
//!
//! Counts hold no personal data and outlive the messages they count. The store increments them
//! (one upsert per office and channel) when a draft link is first followed (see
//! `messages::drafts`) and when the SMTP server accepts a message (the outbox).
//!
//! [`counter`]: the public counter (total, last 24 hours, goal); [`public`]: how a
//! per-legislator figure is shown in public ("fewer than 5").

pub mod counter;
pub mod export;
pub mod public;
pub mod reach;

pub use counter::{parse_goal, thousands, Counter, GoalError, MAX_GOAL};
pub use public::{office_figure, MIN_PUBLIC_OFFICE_COUNT};

use crate::directory::Chamber;
use crate::domain::{ParseEnumError, StateCode};
use crate::store::{Store, StoreError};
use serde::Serialize;
use std::collections::BTreeMap;

/// How a message reached (or was handed over for) an office.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Sent through the service and accepted by the SMTP server.
    Sent,
    /// A draft opened in the supporter's own mail app or web mail.
    DraftEmail,
    /// An office's web contact form opened with the text ready to paste.
    ContactForm,
}

impl Channel {
    pub const ALL: [Channel; 3] = [Channel::Sent, Channel::DraftEmail, Channel::ContactForm];

    pub fn as_str(&self) -> &'static str {
        match self {
            Channel::Sent => "sent",
            Channel::DraftEmail => "draft_email",
            Channel::ContactForm => "contact_form",
        }
    }

    pub fn parse(raw: &str) -> Result<Channel, ParseEnumError> {
        Channel::ALL
            .into_iter()
            .find(|c| c.as_str() == raw)
            .ok_or_else(|| ParseEnumError {
                what: "channel",
                value: raw.chars().take(40).collect(),
                expected: "sent draft_email contact_form",
            })
    }
}

/// One stored count: messages to one legislator on one (UTC) day through one channel, written
/// from one version of the audience's template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CountRow {
    pub state: StateCode,
    pub legislator_id: String,
    /// `None` for rows counted before the chamber was recorded, of offices no longer known.
    pub chamber: Option<Chamber>,
    pub day: chrono::NaiveDate,
    pub channel: Channel,
    /// 0: counted before versions were recorded.
    pub template_version: i64,
    pub count: i64,
}

/// Counts per channel; every channel is present, zero when nothing happened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ChannelCounts {
    pub sent: i64,
    pub draft_email: i64,
    pub contact_form: i64,
}

impl ChannelCounts {
    fn add(&mut self, channel: Channel, n: i64) {
        match channel {
            Channel::Sent => self.sent += n,
            Channel::DraftEmail => self.draft_email += n,
            Channel::ContactForm => self.contact_form += n,
        }
    }

    pub fn total(&self) -> i64 {
        self.sent + self.draft_email + self.contact_form
    }
}

/// The public totals of a campaign: `GET /api/v1/campaigns/{slug}/counts`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub total: i64,
    /// Only states with at least one message, by postal code.
    pub by_state: BTreeMap<StateCode, ChannelCounts>,
    pub by_channel: ChannelCounts,
}

impl Totals {
    /// Sums `(state, channel, count)` rows.
    pub fn from_rows(rows: impl IntoIterator<Item = (StateCode, Channel, i64)>) -> Totals {
        let mut totals = Totals::default();
        for (state, channel, n) in rows {
            totals.by_state.entry(state).or_default().add(channel, n);
            totals.by_channel.add(channel, n);
        }
        totals.total = totals.by_channel.total();
        totals
    }
}

/// A campaign's totals, or `None` for an unknown campaign.
pub async fn totals(store: &Store, slug: &str) -> Result<Option<Totals>, StoreError> {
    Ok(store.count_totals(slug).await?.map(Totals::from_rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> StateCode {
        StateCode::parse(s).expect("state")
    }

    #[test]
    fn totals_sum_by_state_and_channel_with_every_channel_present() {
        let t = Totals::from_rows([
            (code("MA"), Channel::DraftEmail, 3),
            (code("MA"), Channel::ContactForm, 1),
            (code("MO"), Channel::Sent, 2),
            (code("MA"), Channel::DraftEmail, 1),
        ]);
        assert_eq!(t.total, 7);
        let json = serde_json::to_value(&t).expect("serialises");
        assert_eq!(
            json["by_state"]["MA"],
            serde_json::json!({"sent": 0, "draft_email": 4, "contact_form": 1})
        );
        assert_eq!(json["by_channel"]["sent"], 2);
        assert!(json["by_state"].get("WY").is_none());
    }

    #[test]
    fn channels_round_trip() {
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()), Ok(c));
        }
        assert!(Channel::parse("fax").is_err());
    }
}
