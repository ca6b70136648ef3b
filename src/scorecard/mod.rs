//! Campaigns, their rubric and per-state scorecards.
//!
//! What is stored is what the campaign published: bills and per-criterion evaluations.
//! Scores and gaps are always computed here, never stored by hand.

mod cache;
pub mod edit;
pub mod editor;
pub mod file;
mod score;

pub use cache::CampaignCache;
pub use score::{Gap, Score, Scorecard, ScoredCriterion};

use crate::domain::{BillStatus, CriterionKind, CriterionStatus, StateCode};
use serde::{Deserialize, Serialize};

/// A campaign as listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Campaign {
    pub slug: String,
    pub title: String,
    pub organisation: String,
    pub summary: String,
    pub url: String,
}

/// One standard of a campaign's rubric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    pub id: String,
    pub kind: CriterionKind,
    /// As the campaign's state pages label it.
    pub label: String,
    /// What a legislator is asked to do when the state's legislation falls short of it; a verb
    /// phrase such as "end qualified immunity for every police officer".
    pub ask: String,
}

/// A bill or law evaluated against the rubric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bill {
    /// Bill number such as "SB 945"; absent when the campaign's page does not name it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    pub status: BillStatus,
    pub source_url: String,
    /// The bill a state's scorecard is built from. Exactly one per state.
    #[serde(default)]
    pub featured: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default)]
    pub evaluations: Vec<Evaluation>,
}

/// How one bill meets one criterion, with the campaign's reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evaluation {
    pub criterion: String,
    pub status: CriterionStatus,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// The bills evaluated for one state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateBills {
    pub code: StateCode,
    pub bills: Vec<Bill>,
}

impl StateBills {
    pub fn featured(&self) -> Option<&Bill> {
        self.bills.iter().find(|b| b.featured)
    }
}

/// A whole campaign: what `scorecard import` reads and `scorecard export` writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignDoc {
    pub campaign: Campaign,
    pub criteria: Vec<Criterion>,
    #[serde(default)]
    pub states: Vec<StateBills>,
}

impl CampaignDoc {
    /// The scorecard of every state and DC, in name order; states without bills ask for legislation.
    pub fn scorecards(&self) -> Vec<Scorecard> {
        StateCode::all().map(|code| self.scorecard(code)).collect()
    }

    pub fn scorecard(&self, code: StateCode) -> Scorecard {
        let bills = self
            .states
            .iter()
            .find(|s| s.code == code)
            .map(|s| s.bills.as_slice())
            .unwrap_or(&[]);
        Scorecard::build(&self.criteria, code, bills)
    }
}

impl CampaignDoc {
    /// The same campaign in the order it is stored: states by code, evaluations in rubric order.
    pub fn normalised(&self) -> CampaignDoc {
        let mut doc = self.clone();
        doc.states.sort_by_key(|s| s.code);
        let criteria = &doc.criteria;
        for state in &mut doc.states {
            for bill in &mut state.bills {
                bill.evaluations
                    .sort_by_key(|e| criteria.iter().position(|c| c.id == e.criterion));
            }
        }
        doc
    }
}

/// The campaign file shipped with the service and imported into an empty database.
pub const BUILTIN_SEED: &str = include_str!("../../config/seed/end-qualified-immunity.toml");

/// The seed campaign: the file at `path`, or the built-in one when `path` is empty.
pub fn seed(path: &str) -> anyhow::Result<CampaignDoc> {
    let (name, text) = if path.is_empty() {
        ("built-in seed".to_string(), BUILTIN_SEED.to_string())
    } else {
        (path.to_string(), std::fs::read_to_string(path)?)
    };
    file::parse(&text).map_err(|e| anyhow::anyhow!("{name}: {e}"))
}
