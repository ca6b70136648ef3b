//! The seam between the lookup chain and one civic-data provider.

pub use super::http::ProviderError;
use crate::directory::Legislator;
use crate::domain::{Address, StateCode, Zip};

/// A civic-data provider: turns an address into districts (and sometimes people).
#[async_trait::async_trait]
pub trait Provider: Send + Sync {
    /// Short lower-case name, as in `civic.providers` (`census`, `openstates`, `geocodio`).
    fn name(&self) -> &'static str;

    /// Finds the address's districts. Never logs the address.
    async fn locate(&self, address: &Address) -> Result<Located, ProviderError>;
}

/// What a provider found for an address.
#[derive(Debug, Clone, PartialEq)]
pub enum Located {
    /// One place.
    Divisions {
        state: StateCode,
        zip: Option<Zip>,
        /// Open Civic Data division ids, the state's own division included (for U.S. senators).
        divisions: Vec<String>,
        /// The people the provider names for those divisions; empty for providers that name none
        /// (the chain then asks the directory).
        people: Vec<Legislator>,
        /// Divisions whose `people` may be cut short (Open States answers at most ten people: a
        /// New Hampshire House district alone can have more); the chain fills them in from the
        /// directory.
        incomplete: Vec<String>,
        /// Plain-language warnings for the supporter (a district layer that failed, ...).
        warnings: Vec<String>,
    },
    /// Several places match the address; the supporter must choose.
    Ambiguous(Vec<Candidate>),
    /// Nothing matches.
    NoMatch,
}

/// One of several matches for an ambiguous address.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// Names the districts only ("Missouri: Congressional District 3, ..."), never the street,
    /// because candidates are kept in the lookup cache.
    pub label: String,
    pub state: StateCode,
    pub zip: Option<Zip>,
    pub divisions: Vec<String>,
}
