//! What a supporter asks a lookup for, in one type for every way it arrives: the API's query
//! string, the `/act` form, and the hidden `lookup_*` fields the writing pages carry from step
//! to step (each step repeats the lookup, a cache hit, instead of trusting a list of recipients
//! from the browser).
//!
//! [`LookupForm`] keeps the raw values (to show them again in a form, or to carry them on);
//! [`LookupForm::parse`] turns them into a [`LookupRequest`] once; [`LookupFailure`] is every
//! reason a lookup gives no answer, classified once by [`LookupFailure::kind`].

use super::{Locator, Lookup, LookupError};
use crate::domain::{Address, AddressError, AddressInput, StateCode};

/// The most legislator ids one manual choice may carry (the locator allows 12).
const MAX_MANUAL_IDS: usize = 20;
/// The longest legislator id or choice token accepted.
const MAX_TOKEN_CHARS: usize = 200;

/// The raw fields of a lookup, as typed or carried. The address is personal data: it travels
/// in the form and the query string, never into the database or a log (`Debug` hides it).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct LookupForm {
    /// The address, one line or in parts (street, city, state, ZIP).
    pub address: AddressInput,
    /// A token from an ambiguous answer's choices.
    pub choice: Option<String>,
    /// Legislator ids picked by hand from the directory (with `address.state`).
    pub manual: Vec<String>,
    /// Some lookup field was sent, even empty: an empty submit is an error to show, not the
    /// blank form.
    pub submitted: bool,
}

impl std::fmt::Debug for LookupForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LookupForm")
            .field("address", &"<redacted>")
            .field("choice", &self.choice.is_some())
            .field("manual", &self.manual.len())
            .field("submitted", &self.submitted)
            .finish()
    }
}

/// A parsed lookup: what [`Locator`] is asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookupRequest {
    /// Who represents this address.
    Address(Address),
    /// The answer behind one of an ambiguous lookup's choices.
    Choice(String),
    /// Legislators the supporter picked by hand from a state's directory (unverified).
    Manual { state: StateCode, ids: Vec<String> },
}

/// The field names, in the order hidden fields are written.
const FIELDS: [&str; 7] = [
    "address", "street", "city", "state", "zip", "choice", "manual",
];

impl LookupForm {
    /// Reads the fields named `{prefix}address`, `{prefix}street`, ... from query or form
    /// pairs (`prefix` is `""` for the lookup form itself and `"lookup_"` for the fields the
    /// writing pages carry). `manual` may repeat (checkboxes) or hold commas; other fields keep
    /// their last value.
    pub fn from_pairs<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)], prefix: &str) -> LookupForm {
        let mut form = LookupForm::default();
        for (key, value) in pairs {
            let Some(name) = key.as_ref().strip_prefix(prefix) else {
                continue;
            };
            form.submitted |= FIELDS.contains(&name);
            let value = value.as_ref().to_string();
            let slot = match name {
                "address" => &mut form.address.address,
                "street" => &mut form.address.street,
                "city" => &mut form.address.city,
                "state" => &mut form.address.state,
                "zip" => &mut form.address.zip,
                "choice" => &mut form.choice,
                "manual" => {
                    for id in value.split(',').map(str::trim) {
                        if !id.is_empty() && !form.manual.iter().any(|m| m == id) {
                            form.manual.push(id.to_string());
                        }
                    }
                    continue;
                }
                _ => continue,
            };
            *slot = Some(value);
        }
        form
    }

    /// A lookup of one address line (the API's `POST .../messages` carries one).
    pub fn one_line(address: &str) -> LookupForm {
        LookupForm {
            address: AddressInput {
                address: Some(address.to_string()),
                ..AddressInput::default()
            },
            submitted: true,
            ..LookupForm::default()
        }
    }

    /// The non-empty fields as `(name, value)` pairs, `manual` joined with commas: to carry
    /// the lookup on in hidden fields or a query string.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let manual = self.manual.join(",");
        let values = [
            self.address.address.as_deref(),
            self.address.street.as_deref(),
            self.address.city.as_deref(),
            self.address.state.as_deref(),
            self.address.zip.as_deref(),
            self.choice.as_deref(),
            Some(manual.as_str()),
        ];
        FIELDS
            .iter()
            .zip(values)
            .filter_map(|(name, value)| {
                value
                    .filter(|v| !v.trim().is_empty())
                    .map(|v| (*name, v.to_string()))
            })
            .collect()
    }

    /// Whether no field holds a value.
    pub fn is_empty(&self) -> bool {
        self.pairs().is_empty()
    }

    /// The request these fields make: a choice wins, then a manual pick, then the address.
    pub fn parse(&self) -> Result<LookupRequest, AddressError> {
        if let Some(token) = self
            .choice
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            if token.chars().count() > MAX_TOKEN_CHARS {
                return Err(AddressError::BadChoice);
            }
            return Ok(LookupRequest::Choice(token.to_string()));
        }
        if !self.manual.is_empty() {
            let state = StateCode::parse(self.address.state.as_deref().unwrap_or(""))
                .map_err(|e| AddressError::BadState(e.to_string()))?;
            if self.manual.len() > MAX_MANUAL_IDS
                || self
                    .manual
                    .iter()
                    .any(|id| id.chars().count() > MAX_TOKEN_CHARS)
            {
                return Err(AddressError::BadChoice);
            }
            return Ok(LookupRequest::Manual {
                state,
                ids: self.manual.clone(),
            });
        }
        Ok(LookupRequest::Address(Address::parse(&self.address)?))
    }
}

/// Why a lookup gave no answer.
#[derive(Debug, thiserror::Error)]
pub enum LookupFailure {
    /// The fields do not make a lookup.
    #[error(transparent)]
    Input(#[from] AddressError),
    /// The locator found no answer, or could not ask.
    #[error(transparent)]
    Lookup(#[from] LookupError),
}

/// What kind of failure a [`LookupFailure`] is; the web layer maps each to a status once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The supporter can fix it (422): bad input, no match, an expired choice.
    Input,
    /// Every provider failed, or the database is unavailable (503): try again later.
    Unavailable,
    /// A fault of ours (500).
    Internal,
}

impl LookupFailure {
    /// The form field the failure belongs next to.
    pub fn field(&self) -> &'static str {
        match self {
            LookupFailure::Input(e) => e.field(),
            LookupFailure::Lookup(_) => "address",
        }
    }

    /// The one classification of lookup failures.
    pub fn kind(&self) -> FailureKind {
        match self {
            LookupFailure::Input(_)
            | LookupFailure::Lookup(LookupError::NoMatch(_) | LookupError::Invalid(_)) => {
                FailureKind::Input
            }
            LookupFailure::Lookup(LookupError::Unavailable(_)) => FailureKind::Unavailable,
            LookupFailure::Lookup(LookupError::Directory(e)) if e.is_unavailable() => {
                FailureKind::Unavailable
            }
            LookupFailure::Lookup(LookupError::Directory(_)) => FailureKind::Internal,
        }
    }
}

impl Locator {
    /// Answers a parsed request, whichever kind it is.
    pub async fn find(&self, request: &LookupRequest) -> Result<Lookup, LookupError> {
        match request {
            LookupRequest::Address(address) => self.lookup(address).await,
            LookupRequest::Choice(token) => self.resolve_choice(token).await,
            LookupRequest::Manual { state, ids } => self.lookup_manual(*state, ids).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_choice_wins_then_a_manual_pick_then_the_address() {
        let form = LookupForm::from_pairs(
            &pairs(&[("address", "1 Main St, Boston, MA"), ("choice", "tok")]),
            "",
        );
        assert_eq!(form.parse(), Ok(LookupRequest::Choice("tok".into())));
        let form = LookupForm::from_pairs(
            &pairs(&[
                ("state", "ma"),
                ("manual", "a"),
                ("manual", "b,c"),
                ("manual", "a"),
            ]),
            "",
        );
        assert_eq!(
            form.parse(),
            Ok(LookupRequest::Manual {
                state: StateCode::parse("MA").expect("MA"),
                ids: vec!["a".into(), "b".into(), "c".into()],
            })
        );
        let form = LookupForm::from_pairs(&pairs(&[("zip", "02133")]), "");
        assert!(matches!(
            form.parse(),
            Ok(LookupRequest::Address(Address::ZipOnly(_)))
        ));
    }

    #[test]
    fn carried_fields_are_read_back_with_their_prefix_only() {
        let form = LookupForm::from_pairs(
            &pairs(&[
                ("address", "not this"),
                ("lookup_street", "1 Main St"),
                ("lookup_city", "Boston"),
                ("lookup_state", "MA"),
                ("lookup_manual", "x,y"),
            ]),
            "lookup_",
        );
        assert_eq!(form.address.address, None);
        assert_eq!(
            form.pairs(),
            vec![
                ("street", "1 Main St".to_string()),
                ("city", "Boston".to_string()),
                ("state", "MA".to_string()),
                ("manual", "x,y".to_string()),
            ]
        );
        let again = LookupForm::from_pairs(&form.pairs(), "");
        assert_eq!(again, form);
    }

    #[test]
    fn a_manual_pick_needs_a_state() {
        let form = LookupForm::from_pairs(&pairs(&[("manual", "a")]), "");
        assert_eq!(form.parse().map_err(|e| e.field()), Err("state"));
    }

    #[test]
    fn oversized_choices_and_picks_are_refused() {
        let long = "x".repeat(201);
        let form = LookupForm::from_pairs(&pairs(&[("choice", long.as_str())]), "");
        assert_eq!(form.parse(), Err(AddressError::BadChoice));
        let many: Vec<(String, String)> = (0..21)
            .map(|i| ("manual".to_string(), format!("id{i}")))
            .chain([("state".to_string(), "MA".to_string())])
            .collect();
        assert_eq!(
            LookupForm::from_pairs(&many, "").parse(),
            Err(AddressError::BadChoice)
        );
    }

    #[test]
    fn the_debug_form_hides_the_address() {
        let form = LookupForm::one_line("24 Beacon St, Boston");
        assert!(!format!("{form:?}").contains("Beacon"));
    }

    proptest! {
        #[test]
        fn any_pairs_parse_or_fail_without_panicking(
            raw in proptest::collection::vec(
                (prop_oneof![
                    Just("address".to_string()), Just("street".to_string()),
                    Just("city".to_string()), Just("state".to_string()),
                    Just("zip".to_string()), Just("choice".to_string()),
                    Just("manual".to_string()), Just("lookup_zip".to_string()), ".{0,8}",
                ], ".{0,40}"),
                0..12,
            )
        ) {
            let form = LookupForm::from_pairs(&raw, "");
            let _ = form.parse();
            // What a form carries on reads back as the same form.
            let again = LookupForm::from_pairs(&form.pairs(), "");
            prop_assert_eq!(again.pairs(), form.pairs());
        }
    }
}
