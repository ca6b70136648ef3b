//! The legislator directory: members of Congress (unitedstates/congress-legislators), state
//! legislators (openstates/people), district-id mappings (openstates-geo) and the ZIP crosswalk,
//! imported from local copies or synced from their public URLs.
//!
//! INTERFACE defined by the lead; the directory helper implements the rest of this module.

use crate::domain::StateCode;
use serde::Serialize;

/// Which seat a legislator holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Chamber {
    StateUpper,
    StateLower,
    UsSenate,
    UsHouse,
}

impl Chamber {
    pub fn as_str(&self) -> &'static str {
        match self {
            Chamber::StateUpper => "state_upper",
            Chamber::StateLower => "state_lower",
            Chamber::UsSenate => "us_senate",
            Chamber::UsHouse => "us_house",
        }
    }

    pub fn parse(raw: &str) -> Option<Chamber> {
        match raw {
            "state_upper" => Some(Chamber::StateUpper),
            "state_lower" => Some(Chamber::StateLower),
            "us_senate" => Some(Chamber::UsSenate),
            "us_house" => Some(Chamber::UsHouse),
            _ => None,
        }
    }

    pub fn is_federal(&self) -> bool {
        matches!(self, Chamber::UsSenate | Chamber::UsHouse)
    }
}

/// One legislator as the directory holds them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Legislator {
    /// Stable id: `ocd-person/...` for state legislators, `bioguide:X000000` for Congress.
    pub id: String,
    pub name: String,
    pub given_name: String,
    pub family_name: String,
    /// "State Senator", "State Representative", "U.S. Senator", "U.S. Representative" (or the
    /// state's own title, e.g. "Delegate", "Assembly Member", when the data gives one).
    pub title: String,
    pub chamber: Chamber,
    pub state: StateCode,
    /// As people write it: "29", "7th Hampden", "At-large".
    pub district: String,
    /// Open Civic Data division id of the seat, e.g. `ocd-division/country:us/state:ma/cd:7`;
    /// the state division for U.S. senators.
    pub division_id: String,
    pub party: Option<String>,
    pub email: Option<String>,
    pub contact_form: Option<String>,
    pub phone: Option<String>,
    pub photo_url: Option<String>,
    /// Where the record came from (dataset name and URL/path).
    pub source: String,
    pub synced_at: chrono::DateTime<chrono::Utc>,
}
