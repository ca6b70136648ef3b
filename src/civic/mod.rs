//! Finding a supporter's districts and legislators from their address: one file per provider
//! (`census`, `openstates`, `geocodio`), the chain that tries them in order, and the cache.
//!
//! Entry point: [`Locator::find`] answers a [`LookupRequest`], parsed once from the one input
//! type [`LookupForm`]; [`LookupFailure::kind`] classifies every failure once. Providers sit behind
//! [`Provider`]; the legislator directory behind [`DirectorySource`]; every call to the outside
//! world goes through one bounded [`http::HttpClient`].

pub(crate) mod cache;
pub mod census;
mod chain;
pub mod divisions;
pub mod geocodio;
pub mod http;
mod memo;
pub mod openstates;
pub mod provider;
mod request;
pub mod source;

pub use chain::{Locator, LookupError};
pub use http::ProviderError;
pub use provider::{Candidate, Located, Provider};
pub use request::{FailureKind, LookupFailure, LookupForm, LookupRequest};
pub use source::{DirectorySource, StoreDirectory};

use crate::directory::Legislator;
use crate::domain::{StateCode, Zip};
use serde::Serialize;

/// How sure a lookup is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Accuracy {
    /// Geocoded from a street address.
    Address,
    /// From the ZIP crosswalk: several House districts may be possible.
    Zip,
    /// Chosen by the supporter from the directory; unverified.
    Manual,
}

impl Accuracy {
    pub fn as_str(&self) -> &'static str {
        match self {
            Accuracy::Address => "address",
            Accuracy::Zip => "zip",
            Accuracy::Manual => "manual",
        }
    }

    pub fn parse(raw: &str) -> Option<Accuracy> {
        match raw {
            "address" => Some(Accuracy::Address),
            "zip" => Some(Accuracy::Zip),
            "manual" => Some(Accuracy::Manual),
            _ => None,
        }
    }
}

/// One possible match when an address is ambiguous (several geocoder matches, a split ZIP).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Choice {
    /// Shown to the supporter, e.g. the geocoder's matched address or "Congressional district 5".
    pub label: String,
    /// Opaque token the supporter sends back to pick this choice (no address inside).
    pub token: String,
}

/// The answer to "who represents this address?".
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Lookup {
    pub state: StateCode,
    pub zip: Option<Zip>,
    pub accuracy: Accuracy,
    /// Plain-language warnings for the supporter ("Your ZIP code spans two districts ...").
    pub warnings: Vec<String>,
    /// State senator, state representative(s), U.S. senators, U.S. representative(s): in that order.
    pub targets: Vec<Legislator>,
    /// Non-empty when the supporter must choose before the targets are certain.
    pub choices: Vec<Choice>,
}
