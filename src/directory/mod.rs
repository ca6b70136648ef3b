//! The legislator directory: members of Congress (unitedstates/congress-legislators), state
//! legislators (openstates/people), district-id mappings (openstates-geo) and the ZIP crosswalk,
//! imported from local copies or synced from their public URLs.
//!
//! The interface types (`Legislator`, `Chamber`) were defined by the lead; the rest is
//! parsing (`congress`, `openstates`, `divisions`, `zips`: pure functions over file contents),
//! gathering files from local folders or downloaded archives (`sources`, `sync`), and
//! assembling one [`Directory`] that the store replaces in a single transaction.
//!
//! Division ids (one rule, shared by the directory and the GEOID mapper, see `divisions`):
//! - U.S. senators: the state, `ocd-division/country:us/state:ma`.
//! - U.S. representatives: `.../state:ma/cd:7`; at-large seats (AK, DE, ND, SD, VT, WY, and
//!   the Census codes `00`/`98`) are `.../state:wy/cd:at-large`, DC's delegate is
//!   `ocd-division/country:us/district:dc/cd:at-large` (openstates-geo's `dc.yml` prefix).
//! - State legislators: `.../state:mo/sldl:29`, `.../state:ma/sldu:hampden`; Nebraska's
//!   unicameral legislature is `sldu`; DC's council is `.../district:dc/ward:N`, and its
//!   at-large members and chairman sit for the whole district `ocd-division/country:us/district:dc`.

mod congress;
mod divisions;
mod openstates;
mod sources;
mod sync;
mod zips;

pub use congress::parse_congress;
pub use divisions::{
    congressional_division_id, parse_jurisdiction, state_division_id, CustomId, DivisionMap,
    DivisionMapError, JurisdictionFile, Layer, LayerRule, StateRules,
};
pub use openstates::{district_slug, parse_person, PersonFile};
pub use sources::{
    build_directory, jurisdictions_from_archive, people_from_archive, read_local, LocalPaths,
    SourceFiles,
};
pub use sync::{download_sources, sync, MAX_DOWNLOAD_BYTES, MAX_UNPACKED_BYTES};
pub use zips::{parse_zccd, ZipDistrict};

use crate::domain::StateCode;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

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

/// The four public datasets the directory is built from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dataset {
    /// unitedstates/congress-legislators `legislators-current.json`.
    Congress,
    /// openstates/people `data/<st>/legislature/*.yml`.
    OpenStatesPeople,
    /// openstates-geo `configs/jurisdictions/<st>.yml`.
    OpenStatesGeo,
    /// us-zipcodes-congress `zccd.csv`.
    Zips,
}

impl Dataset {
    /// The dataset's public name, used in messages and in each legislator's `source`.
    pub fn name(&self) -> &'static str {
        match self {
            Dataset::Congress => "unitedstates/congress-legislators",
            Dataset::OpenStatesPeople => "openstates/people",
            Dataset::OpenStatesGeo => "openstates-geo",
            Dataset::Zips => "us-zipcodes-congress",
        }
    }

    /// The setting holding the dataset's download URL.
    pub fn setting(&self) -> &'static str {
        match self {
            Dataset::Congress => "directory.congress_url",
            Dataset::OpenStatesPeople => "directory.openstates_people_url",
            Dataset::OpenStatesGeo => "directory.openstates_geo_url",
            Dataset::Zips => "directory.zips_url",
        }
    }
}

impl fmt::Display for Dataset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a directory could not be built. Every message names the dataset and, for bad data, the
/// file and record, so an operator can find the problem.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    /// A file or record is malformed.
    #[error("{dataset}: {record}: {message}")]
    Parse {
        dataset: Dataset,
        /// File and record, e.g. `data/ma/legislature/x.yml` or `zccd.csv line 12`.
        record: String,
        message: String,
    },
    /// A download failed (HTTP status, timeout, size cap, connection).
    #[error("{dataset}: download from {url} failed: {problem}")]
    Download {
        dataset: Dataset,
        url: String,
        problem: String,
    },
    /// A folder, file or archive could not be read, or holds nothing usable.
    #[error("{dataset}: {problem}")]
    Source { dataset: Dataset, problem: String },
}

impl DirectoryError {
    /// The dataset the error is about.
    pub fn dataset(&self) -> Dataset {
        match self {
            DirectoryError::Parse { dataset, .. }
            | DirectoryError::Download { dataset, .. }
            | DirectoryError::Source { dataset, .. } => *dataset,
        }
    }

    pub(crate) fn parse(
        dataset: Dataset,
        record: impl Into<String>,
        message: impl fmt::Display,
    ) -> Self {
        DirectoryError::Parse {
            dataset,
            record: record.into(),
            message: one_line(&message.to_string()),
        }
    }

    pub(crate) fn source(dataset: Dataset, problem: impl fmt::Display) -> Self {
        DirectoryError::Source {
            dataset,
            problem: one_line(&problem.to_string()),
        }
    }
}

/// Error texts from parsers can span lines; messages here stay on one.
fn one_line(s: &str) -> String {
    let joined = s.split_whitespace().collect::<Vec<_>>().join(" ");
    // A malformed file can make a parser quote a lot of it back; keep messages readable.
    if joined.chars().count() > 400 {
        let cut: String = joined.chars().take(400).collect();
        format!("{cut}...")
    } else {
        joined
    }
}

/// A record that was read but deliberately left out (a territory, a former legislator).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    pub dataset: Dataset,
    /// File and record, as in [`DirectoryError::Parse`].
    pub record: String,
    pub reason: String,
}

/// Everything `Store::replace_directory` stores, built by [`build_directory`].
#[derive(Debug, Clone)]
pub struct Directory {
    pub legislators: Vec<Legislator>,
    /// openstates-geo's GEOID -> division rules, one entry per state (and DC).
    pub rules: Vec<StateRules>,
    pub zips: Vec<ZipDistrict>,
    /// Where the data came from: the URLs of a sync, or the paths of an import.
    pub source: String,
    pub synced_at: chrono::DateTime<chrono::Utc>,
    pub skipped: Vec<Skipped>,
    /// State legislators whose division id was aligned with a named district in openstates-geo
    /// (e.g. VT "Chittenden Central" -> `sldu:chittenden-central`).
    pub aligned: usize,
    /// State legislators in a named-district layer whose division no openstates-geo rule
    /// produces (their district cannot be found from an address), e.g. `vt/sldl:x`.
    pub unmapped: Vec<String>,
}

impl Directory {
    /// The counts an import prints.
    pub fn report(&self) -> DirectoryReport {
        let mut by_chamber = BTreeMap::new();
        let mut states = std::collections::BTreeSet::new();
        for l in &self.legislators {
            *by_chamber.entry(l.chamber).or_insert(0) += 1;
            states.insert(l.state);
        }
        let mut skipped: BTreeMap<Dataset, usize> = BTreeMap::new();
        for s in &self.skipped {
            *skipped.entry(s.dataset).or_insert(0) += 1;
        }
        let zip_codes = self
            .zips
            .iter()
            .map(|z| z.zip.as_str())
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        DirectoryReport {
            source: self.source.clone(),
            synced_at: self.synced_at,
            legislators: self.legislators.len(),
            by_chamber,
            states: states.len(),
            rule_states: self.rules.len(),
            zip_rows: self.zips.len(),
            zip_codes,
            skipped,
            aligned: self.aligned,
            unmapped: self.unmapped.len(),
        }
    }
}

/// What an import or sync stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DirectoryReport {
    pub source: String,
    pub synced_at: chrono::DateTime<chrono::Utc>,
    pub legislators: usize,
    pub by_chamber: BTreeMap<Chamber, usize>,
    /// States (and DC) with at least one legislator.
    pub states: usize,
    /// States (and DC) with GEOID -> division rules.
    pub rule_states: usize,
    pub zip_rows: usize,
    /// Distinct ZIP codes (ZCTAs) in the crosswalk.
    pub zip_codes: usize,
    /// Records left out, by dataset.
    pub skipped: BTreeMap<Dataset, usize>,
    pub aligned: usize,
    pub unmapped: usize,
}

impl DirectoryReport {
    pub fn count(&self, chamber: Chamber) -> usize {
        self.by_chamber.get(&chamber).copied().unwrap_or(0)
    }
}

impl fmt::Display for DirectoryReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "source: {}", self.source)?;
        writeln!(
            f,
            "legislators: {} in {} states (U.S. Senate {}, U.S. House {}, state upper {}, state lower {})",
            self.legislators,
            self.states,
            self.count(Chamber::UsSenate),
            self.count(Chamber::UsHouse),
            self.count(Chamber::StateUpper),
            self.count(Chamber::StateLower),
        )?;
        writeln!(f, "district rules: {} states", self.rule_states)?;
        writeln!(
            f,
            "zip rows: {} ({} ZIP codes)",
            self.zip_rows, self.zip_codes
        )?;
        let skipped: Vec<String> = [
            Dataset::Congress,
            Dataset::OpenStatesPeople,
            Dataset::OpenStatesGeo,
            Dataset::Zips,
        ]
        .iter()
        .map(|d| format!("{} {}", d, self.skipped.get(d).copied().unwrap_or(0)))
        .collect();
        writeln!(f, "skipped records: {}", skipped.join(", "))?;
        write!(
            f,
            "named districts aligned with openstates-geo: {}; without a geo rule: {}",
            self.aligned, self.unmapped
        )
    }
}

/// The last successful import or sync.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DirectoryStatus {
    pub synced_at: chrono::DateTime<chrono::Utc>,
    pub source: String,
    pub legislators: u64,
    pub zips: u64,
}

impl DirectoryStatus {
    /// Whether the directory is older than `max_age_days` (`directory.max_age_days`) at `now`.
    pub fn is_stale(&self, max_age_days: u64, now: chrono::DateTime<chrono::Utc>) -> bool {
        match i64::try_from(max_age_days)
            .ok()
            .and_then(chrono::Duration::try_days)
        {
            Some(max_age) => now.signed_duration_since(self.synced_at) > max_age,
            // An age beyond chrono's range: nothing is that old.
            None => false,
        }
    }
}
