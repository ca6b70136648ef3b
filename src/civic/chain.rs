//! The lookup chain: the cache, then each configured provider in order, then the ZIP crosswalk;
//! districts become people through the directory.

use super::cache::{is_token, new_token, LookupCache};
use super::census::Census;
use super::divisions::{and_list, congressional_division_id, state_division_id};
use super::geocodio::Geocodio;
use super::http::HttpClient;
use super::openstates::OpenStates;
use super::provider::{Candidate, Located, Provider};
use super::source::{DirectorySource, StoreDirectory};
use super::{Accuracy, Choice, Lookup};
use crate::config::{CivicProvider, CivicSettings};
use crate::directory::{Chamber, Legislator};
use crate::domain::{Address, StateCode, Zip};
use crate::meters::{self, LookupOutcome};
use crate::store::lookup_cache::{CachedChoice, CachedLookup};
use crate::store::{Store, StoreError};
use anyhow::Context;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

/// The `provider` label of lookups answered by the ZIP crosswalk.
const ZIP_CROSSWALK: &str = "zip";
/// The most legislators a supporter may pick by hand.
const MAX_MANUAL: usize = 12;

const AMBIGUOUS: &str = "That address matches more than one place. Choose yours below to see \
                         all of your legislators.";
const NO_STATE_LEGISLATORS: &str = "We cannot tell your state senator and state representative \
     from a ZIP code alone. Enter your full street address, or choose them yourself.";
const PROVIDERS_DOWN: &str = "We could not look up your street address just now, so this answer \
                              comes from your ZIP code alone.";
const UNVERIFIED: &str = "You chose these legislators yourself, so they are unverified: please \
                          make sure they represent your home address.";

/// Why a lookup gave no answer.
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    /// No provider could find the address (or the ZIP is unknown). Shown to the supporter (422).
    #[error("{0}")]
    NoMatch(String),
    /// Every provider failed and there was no ZIP to fall back on (503).
    #[error("{0}")]
    Unavailable(String),
    /// Bad input: an unknown or expired choice, legislators not in the directory (422).
    #[error("{0}")]
    Invalid(String),
    /// The directory (or the cache's database) failed.
    #[error("the legislator directory is unavailable")]
    Directory(#[from] StoreError),
}

/// Finds who represents an address.
pub struct Locator {
    providers: Vec<Arc<dyn Provider>>,
    directory: Arc<dyn DirectorySource>,
    cache: LookupCache,
}

impl Locator {
    /// The chain of `settings.providers`, in order, over the database's directory and cache.
    pub fn new(settings: &CivicSettings, store: Store) -> anyhow::Result<Locator> {
        let directory = Arc::new(StoreDirectory::new(store.clone()));
        Locator::with_directory(settings, store, directory)
    }

    /// As [`Locator::new`], with the directory given (an in-memory one in tests).
    pub fn with_directory(
        settings: &CivicSettings,
        store: Store,
        directory: Arc<dyn DirectorySource>,
    ) -> anyhow::Result<Locator> {
        let http = HttpClient::new(settings).context("cannot build the civic-data HTTP client")?;
        let census = Arc::new(Census::new(
            http.clone(),
            settings.census_url.as_str(),
            directory.clone(),
        ));
        let mut providers: Vec<Arc<dyn Provider>> = Vec::new();
        for name in &settings.providers {
            let provider: Arc<dyn Provider> = match name {
                CivicProvider::Census => census.clone(),
                CivicProvider::OpenStates => Arc::new(OpenStates::new(
                    http.clone(),
                    settings.openstates_url.as_str(),
                    settings.openstates_api_key.clone(),
                    census.clone(),
                )),
                CivicProvider::Geocodio => Arc::new(Geocodio::new(
                    http.clone(),
                    settings.geocodio_url.as_str(),
                    settings.geocodio_api_key.clone(),
                )),
            };
            providers.push(provider);
        }
        let cache = LookupCache::new(
            store,
            settings.cache_secret.clone(),
            Duration::from_secs(settings.cache_ttl_secs),
        );
        Ok(Locator {
            providers,
            directory,
            cache,
        })
    }

    /// Provider names in the order they are tried.
    pub fn provider_names(&self) -> Vec<&'static str> {
        self.providers.iter().map(|p| p.name()).collect()
    }

    /// Who represents `address`. A ZIP alone (or a street address when every provider fails)
    /// gives a ZIP-accuracy answer; an ambiguous address gives `choices` to pick from.
    pub async fn lookup(&self, address: &Address) -> Result<Lookup, LookupError> {
        if let Address::ZipOnly(zip) = address {
            return self.lookup_zip(zip, Vec::new()).await;
        }
        let hash = self.cache.address_hash(address).await;
        if let Some(hash) = &hash {
            if let Some(hit) = self.cache.get(hash).await {
                if let Some(found) = self.answer_from_cache(hit, address).await? {
                    tracing::debug!("lookup answered from the cache");
                    meters::lookup_cache_hit();
                    return Ok(found);
                }
            }
        }
        let mut no_match = false;
        for provider in &self.providers {
            let located = provider.locate(address).await;
            meters::lookup(provider.name(), outcome_of(&located));
            match located {
                Ok(Located::Divisions {
                    state,
                    zip,
                    divisions,
                    people,
                    incomplete,
                    warnings,
                }) => {
                    let zip = zip.or_else(|| address.zip());
                    let targets = self.targets(&divisions, people, &incomplete).await?;
                    // A partial answer (a Census layer failed) is not kept: it may be whole
                    // next time.
                    if warnings.is_empty() && !targets.is_empty() {
                        let entry = CachedLookup {
                            state,
                            zip: zip.clone(),
                            accuracy: Accuracy::Address,
                            divisions,
                            choices: Vec::new(),
                        };
                        self.cache.put(hash.as_deref(), &entry).await;
                    }
                    return Ok(Lookup {
                        state,
                        zip,
                        accuracy: Accuracy::Address,
                        warnings,
                        targets,
                        choices: Vec::new(),
                    });
                }
                Ok(Located::Ambiguous(candidates)) if !candidates.is_empty() => {
                    if let Some(entry) = ambiguous_entry(address, candidates) {
                        self.cache.put(hash.as_deref(), &entry).await;
                        return self.ambiguous(entry).await;
                    }
                }
                Ok(Located::Ambiguous(_)) | Ok(Located::NoMatch) => {
                    tracing::info!(provider = provider.name(), "address not matched");
                    no_match = true;
                }
                Err(err) => {
                    tracing::warn!(
                        provider = provider.name(),
                        error = %err,
                        "civic provider failed; trying the next"
                    );
                }
            }
        }
        if no_match {
            return Err(LookupError::NoMatch(
                "We could not find that address. Please check the street, city and ZIP code, \
                 or enter just your ZIP code for an approximate answer."
                    .into(),
            ));
        }
        if let Some(zip) = address.zip() {
            return self
                .lookup_zip(&zip, vec![PROVIDERS_DOWN.to_string()])
                .await;
        }
        Err(LookupError::Unavailable(
            "We cannot look up addresses right now. Please try again in a few minutes, or enter \
             just your ZIP code."
                .into(),
        ))
    }

    /// The legislators a supporter picked by hand from `state`'s directory: unverified.
    pub async fn lookup_manual(
        &self,
        state: StateCode,
        ids: &[String],
    ) -> Result<Lookup, LookupError> {
        let wanted: BTreeSet<&str> = ids.iter().map(|s| s.trim()).collect();
        if wanted.is_empty() {
            return Err(LookupError::Invalid(
                "Please choose at least one legislator.".into(),
            ));
        }
        if wanted.len() > MAX_MANUAL {
            return Err(LookupError::Invalid(format!(
                "Please choose at most {MAX_MANUAL} legislators."
            )));
        }
        let all = self.directory.legislators_of_state(state, None).await?;
        let mut targets: Vec<Legislator> = all
            .into_iter()
            .filter(|l| wanted.contains(l.id.as_str()))
            .collect();
        dedupe_by_id(&mut targets);
        if targets.len() != wanted.len() {
            return Err(LookupError::Invalid(format!(
                "Some of the chosen legislators do not represent {}; please choose again.",
                state.name()
            )));
        }
        sort_targets(&mut targets);
        Ok(Lookup {
            state,
            zip: None,
            accuracy: Accuracy::Manual,
            warnings: vec![UNVERIFIED.to_string()],
            targets,
            choices: Vec::new(),
        })
    }

    /// The answer for one of the choices an ambiguous lookup offered.
    pub async fn resolve_choice(&self, token: &str) -> Result<Lookup, LookupError> {
        let expired = || {
            LookupError::Invalid(
                "That choice has expired. Please enter your address again.".to_string(),
            )
        };
        if !is_token(token) {
            return Err(expired());
        }
        let choice = self.cache.choice(token).await?.ok_or_else(expired)?;
        match choice.accuracy {
            Accuracy::Zip => {
                let targets = self.federal_targets(&choice.divisions).await?;
                Ok(Lookup {
                    state: choice.state,
                    zip: choice.zip,
                    accuracy: Accuracy::Zip,
                    warnings: vec![NO_STATE_LEGISLATORS.to_string()],
                    targets,
                    choices: Vec::new(),
                })
            }
            accuracy => {
                let targets = self.targets(&choice.divisions, Vec::new(), &[]).await?;
                Ok(Lookup {
                    state: choice.state,
                    zip: choice.zip,
                    accuracy,
                    warnings: Vec::new(),
                    targets,
                    choices: Vec::new(),
                })
            }
        }
    }

    /// Provider people plus the directory's for `divisions` (see [`merge_targets`]). When the
    /// directory fails, a provider's own people still make an answer.
    async fn targets(
        &self,
        divisions: &[String],
        provider_people: Vec<Legislator>,
        incomplete: &[String],
    ) -> Result<Vec<Legislator>, LookupError> {
        let from_directory = match self.directory.legislators_in_divisions(divisions).await {
            Ok(people) => people,
            Err(err) if !provider_people.is_empty() => {
                tracing::warn!(error = %err, "directory unavailable; using the provider's people");
                Vec::new()
            }
            Err(err) => return Err(err.into()),
        };
        Ok(merge_targets(provider_people, from_directory, incomplete))
    }

    async fn answer_from_cache(
        &self,
        hit: CachedLookup,
        address: &Address,
    ) -> Result<Option<Lookup>, LookupError> {
        if !hit.choices.is_empty() {
            return self.ambiguous(hit).await.map(Some);
        }
        let targets = self.targets(&hit.divisions, Vec::new(), &[]).await?;
        // Nobody in the directory for these divisions (not synced yet?): ask the providers,
        // which may name people themselves.
        if targets.is_empty() {
            return Ok(None);
        }
        Ok(Some(Lookup {
            state: hit.state,
            zip: hit.zip.or_else(|| address.zip()),
            accuracy: hit.accuracy,
            warnings: Vec::new(),
            targets,
            choices: Vec::new(),
        }))
    }

    /// An ambiguous answer: the choices, and the people every choice shares (the U.S. senators
    /// when all lie in one state).
    async fn ambiguous(&self, entry: CachedLookup) -> Result<Lookup, LookupError> {
        let targets = if entry.divisions.is_empty() {
            Vec::new()
        } else {
            self.targets(&entry.divisions, Vec::new(), &[]).await?
        };
        Ok(Lookup {
            state: entry.state,
            zip: entry.zip,
            accuracy: entry.accuracy,
            warnings: vec![AMBIGUOUS.to_string()],
            targets,
            choices: entry
                .choices
                .into_iter()
                .map(|c| Choice {
                    label: c.label,
                    token: c.token,
                })
                .collect(),
        })
    }

    /// The ZIP crosswalk: U.S. senators and every House member whose district the ZIP touches.
    /// State legislators are not guessed. A ZIP spanning several districts also offers one
    /// choice per district.
    async fn lookup_zip(
        &self,
        zip: &Zip,
        mut warnings: Vec<String>,
    ) -> Result<Lookup, LookupError> {
        let districts = match self.directory.zip_districts(zip).await {
            Ok(districts) => districts,
            Err(err) => {
                meters::lookup(ZIP_CROSSWALK, LookupOutcome::Error);
                return Err(err.into());
            }
        };
        let Some(&(first_state, _)) = districts.first() else {
            meters::lookup(ZIP_CROSSWALK, LookupOutcome::NoMatch);
            return Err(LookupError::NoMatch(format!(
                "We do not know the ZIP code {zip}. Please check it, or enter your full street \
                 address."
            )));
        };
        let mut states: Vec<StateCode> = Vec::new();
        for (state, _) in &districts {
            if !states.contains(state) {
                states.push(*state);
            }
        }
        let mut divisions = Vec::new();
        let mut choices = Vec::new();
        for state in &states {
            let numbers: BTreeSet<u32> = districts
                .iter()
                .filter(|(s, _)| s == state)
                .map(|(_, n)| *n)
                .collect();
            divisions.push(state_division_id(*state));
            for number in numbers {
                let seat = congressional_division_id(*state, number);
                divisions.push(seat.clone());
                choices.push(CachedChoice {
                    token: new_token(),
                    label: cd_label(*state, number, states.len() > 1),
                    state: *state,
                    zip: Some(zip.clone()),
                    accuracy: Accuracy::Zip,
                    divisions: vec![state_division_id(*state), seat],
                });
            }
        }
        let targets = self.federal_targets(&divisions).await?;
        meters::lookup(
            ZIP_CROSSWALK,
            if choices.len() > 1 {
                LookupOutcome::Ambiguous
            } else {
                LookupOutcome::Matched
            },
        );
        if states.len() > 1 {
            let names: Vec<String> = states.iter().map(|s| s.name().to_string()).collect();
            warnings.push(format!(
                "ZIP {zip} spans {}; enter your full street address to be sure.",
                and_list(&names)
            ));
        } else if choices.len() > 1 {
            let numbers: Vec<String> = districts
                .iter()
                .map(|(_, n)| *n)
                .collect::<BTreeSet<u32>>()
                .into_iter()
                .map(cd_name)
                .collect();
            warnings.push(format!(
                "ZIP {zip} spans congressional districts {}; enter your full street address to \
                 be sure.",
                and_list(&numbers)
            ));
        }
        warnings.push(NO_STATE_LEGISLATORS.to_string());
        if choices.len() < 2 {
            // One district: nothing to choose between.
            choices.clear();
        } else {
            let entry = CachedLookup {
                state: first_state,
                zip: Some(zip.clone()),
                accuracy: Accuracy::Zip,
                divisions: Vec::new(),
                choices: choices.clone(),
            };
            self.cache.put(None, &entry).await;
        }
        Ok(Lookup {
            state: first_state,
            zip: Some(zip.clone()),
            accuracy: Accuracy::Zip,
            warnings,
            targets,
            choices: choices
                .into_iter()
                .map(|c| Choice {
                    label: c.label,
                    token: c.token,
                })
                .collect(),
        })
    }

    /// Members of Congress for `divisions` (DC's whole-district division also holds council
    /// members, who are state-level and not guessed from a ZIP).
    async fn federal_targets(&self, divisions: &[String]) -> Result<Vec<Legislator>, LookupError> {
        let mut targets = self.directory.legislators_in_divisions(divisions).await?;
        targets.retain(|l| l.chamber.is_federal());
        dedupe_by_id(&mut targets);
        sort_targets(&mut targets);
        Ok(targets)
    }
}

/// How a provider's answer counts in [`meters::lookup`].
fn outcome_of<E>(located: &Result<Located, E>) -> LookupOutcome {
    match located {
        Ok(Located::Divisions { .. }) => LookupOutcome::Matched,
        Ok(Located::Ambiguous(candidates)) if !candidates.is_empty() => LookupOutcome::Ambiguous,
        Ok(Located::Ambiguous(_)) | Ok(Located::NoMatch) => LookupOutcome::NoMatch,
        Err(_) => LookupOutcome::Error,
    }
}

/// A provider's people, then the directory's: a seat (chamber + division) the provider named
/// people for keeps the provider's only, since sources differ in ids for members of Congress
/// (`ocd-person/..` vs `bioguide:..`); a division in `incomplete` (the provider's list may be cut
/// short) takes every directory member not already there. Sorted for display.
fn merge_targets(
    provider: Vec<Legislator>,
    directory: Vec<Legislator>,
    incomplete: &[String],
) -> Vec<Legislator> {
    let mut out = provider;
    dedupe_by_id(&mut out);
    let covered: BTreeSet<(Chamber, String)> = out
        .iter()
        .map(|p| (p.chamber, p.division_id.clone()))
        .collect();
    for person in directory {
        if out.iter().any(|p| p.id == person.id) {
            continue;
        }
        let seat = (person.chamber, person.division_id.clone());
        if covered.contains(&seat) && !incomplete.contains(&person.division_id) {
            continue;
        }
        out.push(person);
    }
    sort_targets(&mut out);
    out
}

/// The cache entry for an ambiguous address: each candidate becomes a choice with a fresh
/// token; the divisions are those every candidate shares.
fn ambiguous_entry(address: &Address, candidates: Vec<Candidate>) -> Option<CachedLookup> {
    let first = candidates.first()?;
    let shared: Vec<String> = first
        .divisions
        .iter()
        .filter(|d| candidates.iter().all(|c| c.divisions.contains(d)))
        .cloned()
        .collect();
    let zip = address.zip().or_else(|| {
        first
            .zip
            .clone()
            .filter(|z| candidates.iter().all(|c| c.zip.as_ref() == Some(z)))
    });
    Some(CachedLookup {
        state: first.state,
        zip,
        accuracy: Accuracy::Address,
        divisions: shared,
        choices: candidates
            .into_iter()
            .map(|c| CachedChoice {
                token: new_token(),
                label: c.label,
                state: c.state,
                zip: c.zip,
                accuracy: Accuracy::Address,
                divisions: c.divisions,
            })
            .collect(),
    })
}

fn cd_name(number: u32) -> String {
    if number == 0 {
        "at-large".to_string()
    } else {
        number.to_string()
    }
}

fn cd_label(state: StateCode, number: u32, with_state: bool) -> String {
    let district = if number == 0 {
        "At-large congressional district".to_string()
    } else {
        format!("Congressional district {number}")
    };
    if with_state {
        format!("{}: {district}", state.name())
    } else {
        district
    }
}

fn dedupe_by_id(people: &mut Vec<Legislator>) {
    let mut seen = BTreeSet::new();
    people.retain(|p| seen.insert(p.id.clone()));
}

/// State senator(s), state representative(s), U.S. senators, U.S. representative(s).
fn sort_targets(people: &mut [Legislator]) {
    people.sort_by(|a, b| {
        (a.chamber, &a.division_id, &a.family_name, &a.name).cmp(&(
            b.chamber,
            &b.division_id,
            &b.family_name,
            &b.name,
        ))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(id: &str, chamber: Chamber, division: &str) -> Legislator {
        Legislator {
            id: id.into(),
            name: id.into(),
            given_name: String::new(),
            family_name: id.into(),
            title: String::new(),
            chamber,
            state: StateCode::parse("NH").expect("state"),
            district: String::new(),
            division_id: division.into(),
            party: None,
            email: None,
            contact_form: None,
            phone: None,
            photo_url: None,
            source: String::new(),
            synced_at: chrono::Utc::now(),
        }
    }

    fn ids(people: &[Legislator]) -> Vec<&str> {
        people.iter().map(|p| p.id.as_str()).collect()
    }

    const NH: &str = "ocd-division/country:us/state:nh";
    const H12: &str = "ocd-division/country:us/state:nh/sldl:hillsborough_12";

    #[test]
    fn a_seat_the_provider_named_keeps_the_providers_people() {
        let provider = vec![
            person("ocd-person/sen-a", Chamber::UsSenate, NH),
            person("ocd-person/sen-b", Chamber::UsSenate, NH),
        ];
        let directory = vec![
            person("bioguide:A", Chamber::UsSenate, NH),
            person("bioguide:B", Chamber::UsSenate, NH),
            person("ocd-person/rep-1", Chamber::StateLower, H12),
        ];
        let merged = merge_targets(provider, directory, &[]);
        assert_eq!(
            ids(&merged),
            ["ocd-person/rep-1", "ocd-person/sen-a", "ocd-person/sen-b"]
        );
    }

    #[test]
    fn an_incomplete_division_takes_every_directory_member_once() {
        let provider = vec![
            person("ocd-person/rep-1", Chamber::StateLower, H12),
            person("ocd-person/rep-2", Chamber::StateLower, H12),
            person("ocd-person/rep-2", Chamber::StateLower, H12),
        ];
        let directory = (1..=4)
            .map(|i| person(&format!("ocd-person/rep-{i}"), Chamber::StateLower, H12))
            .collect();
        let merged = merge_targets(provider, directory, &[H12.to_string()]);
        assert_eq!(
            ids(&merged),
            [
                "ocd-person/rep-1",
                "ocd-person/rep-2",
                "ocd-person/rep-3",
                "ocd-person/rep-4"
            ]
        );
    }

    #[test]
    fn zip_choice_labels_name_districts_only() {
        let ma = StateCode::parse("MA").expect("state");
        assert_eq!(cd_label(ma, 5, false), "Congressional district 5");
        assert_eq!(
            cd_label(ma, 0, true),
            "Massachusetts: At-large congressional district"
        );
    }
}
