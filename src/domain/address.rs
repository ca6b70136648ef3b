//! A supporter's address as typed: one line, street/city/state/ZIP parts, or a ZIP alone.
//! It is used for one lookup and never stored; only its keyed hash, state, ZIP and districts are.

use super::StateCode;
use std::fmt;

/// The longest address accepted, in characters (all parts together).
pub const MAX_ADDRESS_CHARS: usize = 300;

/// A five-digit ZIP code (ZIP+4 is accepted and cut to five).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Zip(String);

impl Zip {
    pub fn parse(raw: &str) -> Result<Zip, AddressError> {
        let t = raw.trim();
        let five = match t.split_once('-') {
            Some((head, tail)) if tail.len() == 4 && tail.bytes().all(|b| b.is_ascii_digit()) => {
                head
            }
            Some(_) => return Err(AddressError::BadZip),
            None => t,
        };
        if five.len() == 5 && five.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Zip(five.to_string()))
        } else {
            Err(AddressError::BadZip)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Zip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the supporter gave us to find their districts.
#[derive(Clone, PartialEq, Eq)]
pub enum Address {
    /// "201 W Capitol Ave, Jefferson City, MO 65101".
    OneLine(String),
    /// Separate fields; `state` and `zip` are optional, one of city+state or zip is required.
    Parts {
        street: String,
        city: String,
        state: Option<StateCode>,
        zip: Option<Zip>,
    },
    /// Only a ZIP: a low-accuracy answer.
    ZipOnly(Zip),
}

// Addresses are personal data: never print one by accident.
impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::OneLine(_) => f.write_str("Address::OneLine(<redacted>)"),
            Address::Parts { state, .. } => {
                write!(f, "Address::Parts(<redacted>, state {state:?})")
            }
            Address::ZipOnly(zip) => write!(f, "Address::ZipOnly({zip})"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("Please enter your home address.")]
    Empty,
    #[error("That address is too long (the limit is 300 characters).")]
    TooLong,
    #[error("Addresses cannot contain control characters.")]
    ControlCharacters,
    #[error("Please enter a five-digit ZIP code.")]
    BadZip,
    #[error("Please enter the street, and either the city and state or the ZIP code.")]
    Incomplete,
    #[error("{0}")]
    BadState(String),
    /// A choice token or a hand-picked legislator list that cannot be one we gave out.
    #[error("That choice is not valid any more. Please enter your address again.")]
    BadChoice,
}

impl AddressError {
    /// The form field the error belongs next to.
    pub fn field(&self) -> &'static str {
        match self {
            AddressError::BadZip => "zip",
            AddressError::BadState(_) => "state",
            _ => "address",
        }
    }
}

/// Raw inputs as they arrive from a query string or a form.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct AddressInput {
    pub address: Option<String>,
    pub street: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub zip: Option<String>,
}

fn clean(raw: &Option<String>) -> Result<Option<String>, AddressError> {
    let Some(raw) = raw else { return Ok(None) };
    // Tabs and line breaks (a pasted multi-line address) fold into spaces; other control
    // characters have no business in an address.
    if raw.chars().any(|c| c.is_control() && !c.is_whitespace()) {
        return Err(AddressError::ControlCharacters);
    }
    let collapsed = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    Ok((!collapsed.is_empty()).then_some(collapsed))
}

impl Address {
    /// Parses what a supporter typed. One line wins when given; else parts; else a ZIP alone.
    pub fn parse(input: &AddressInput) -> Result<Address, AddressError> {
        let total: usize = [
            &input.address,
            &input.street,
            &input.city,
            &input.state,
            &input.zip,
        ]
        .iter()
        .filter_map(|f| f.as_ref())
        .map(|f| f.chars().count())
        .sum();
        if total > MAX_ADDRESS_CHARS {
            return Err(AddressError::TooLong);
        }
        let line = clean(&input.address)?;
        let street = clean(&input.street)?;
        let city = clean(&input.city)?;
        let state = clean(&input.state)?;
        let zip = clean(&input.zip)?;

        // A ZIP or state given beside a one-line address must be valid too, though the line wins.
        let zip = zip.map(|z| Zip::parse(&z)).transpose()?;
        let state = state
            .map(|s| StateCode::parse(&s).map_err(|e| AddressError::BadState(e.to_string())))
            .transpose()?;
        if let Some(line) = line {
            return Ok(Address::OneLine(line));
        }
        match (street, city, zip) {
            (Some(street), city, zip) => {
                let city = city.unwrap_or_default();
                if zip.is_none() && (city.is_empty() || state.is_none()) {
                    return Err(AddressError::Incomplete);
                }
                Ok(Address::Parts {
                    street,
                    city,
                    state,
                    zip,
                })
            }
            (None, None, Some(zip)) if state.is_none() => Ok(Address::ZipOnly(zip)),
            (None, None, None) if state.is_none() => Err(AddressError::Empty),
            _ => Err(AddressError::Incomplete),
        }
    }

    /// One line for geocoders and for the cache key.
    pub fn one_line(&self) -> String {
        match self {
            Address::OneLine(line) => line.clone(),
            Address::Parts {
                street,
                city,
                state,
                zip,
            } => {
                let mut out = street.clone();
                if !city.is_empty() {
                    out.push_str(", ");
                    out.push_str(city);
                }
                if let Some(state) = state {
                    out.push_str(", ");
                    out.push_str(state.as_str());
                }
                if let Some(zip) = zip {
                    out.push(' ');
                    out.push_str(zip.as_str());
                }
                out
            }
            Address::ZipOnly(zip) => zip.to_string(),
        }
    }

    /// Case, spacing and punctuation folded away, so that trivially different spellings of one
    /// address share a cache entry.
    pub fn normalised(&self) -> String {
        self.one_line()
            .chars()
            .map(|c| {
                if c.is_alphanumeric() {
                    c.to_ascii_uppercase()
                } else {
                    ' '
                }
            })
            .collect::<String>()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The ZIP, when the supporter gave one explicitly (or it ends the one line).
    pub fn zip(&self) -> Option<Zip> {
        match self {
            Address::ZipOnly(zip) => Some(zip.clone()),
            Address::Parts { zip, .. } => zip.clone(),
            Address::OneLine(line) => line
                .split(|c: char| !c.is_ascii_digit() && c != '-')
                .rev()
                .find(|w| !w.is_empty())
                .and_then(|w| Zip::parse(w).ok()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn line(s: &str) -> AddressInput {
        AddressInput {
            address: Some(s.into()),
            ..Default::default()
        }
    }

    #[test]
    fn one_line_addresses_are_collapsed_and_kept() {
        let a =
            Address::parse(&line("  201 W Capitol Ave,\tJefferson City, MO 65101 ")).expect("ok");
        assert_eq!(a.one_line(), "201 W Capitol Ave, Jefferson City, MO 65101");
        assert_eq!(a.zip().map(|z| z.to_string()), Some("65101".into()));
        assert_eq!(a.normalised(), "201 W CAPITOL AVE JEFFERSON CITY MO 65101");
    }

    #[test]
    fn parts_need_a_zip_or_city_and_state() {
        let ok = AddressInput {
            street: Some("24 Beacon St".into()),
            city: Some("Boston".into()),
            state: Some("ma".into()),
            ..Default::default()
        };
        assert!(matches!(Address::parse(&ok), Ok(Address::Parts { .. })));
        let missing = AddressInput {
            street: Some("24 Beacon St".into()),
            ..Default::default()
        };
        assert_eq!(Address::parse(&missing), Err(AddressError::Incomplete));
    }

    #[test]
    fn a_zip_alone_is_a_zip_lookup() {
        let z = AddressInput {
            zip: Some("02139-4307".into()),
            ..Default::default()
        };
        assert_eq!(
            Address::parse(&z),
            Ok(Address::ZipOnly(Zip("02139".into())))
        );
        let bad = AddressInput {
            zip: Some("2139".into()),
            ..Default::default()
        };
        assert_eq!(Address::parse(&bad), Err(AddressError::BadZip));
    }

    #[test]
    fn a_bad_zip_or_state_beside_a_one_line_address_is_refused() {
        let with = |zip: &str, state: &str| AddressInput {
            address: Some("24 Beacon St, Boston".into()),
            zip: Some(zip.into()),
            state: Some(state.into()),
            ..Default::default()
        };
        assert_eq!(Address::parse(&with("x", "")), Err(AddressError::BadZip));
        assert!(matches!(
            Address::parse(&with("", "ZZ")),
            Err(AddressError::BadState(_))
        ));
        assert!(matches!(
            Address::parse(&with(" 02133 ", "ma")),
            Ok(Address::OneLine(_))
        ));
    }

    #[test]
    fn empty_oversized_and_control_characters_are_refused() {
        assert_eq!(
            Address::parse(&AddressInput::default()),
            Err(AddressError::Empty)
        );
        assert_eq!(Address::parse(&line("   ")), Err(AddressError::Empty));
        assert_eq!(
            Address::parse(&line(&"a".repeat(301))),
            Err(AddressError::TooLong)
        );
        assert_eq!(
            Address::parse(&line("1 Main St\u{0}Boston")),
            Err(AddressError::ControlCharacters)
        );
        let folded = Address::parse(&line("1 Main St\r\nBoston MA")).expect("line breaks fold");
        assert_eq!(folded.one_line(), "1 Main St Boston MA");
    }

    #[test]
    fn debug_output_never_shows_the_street() {
        let a = Address::parse(&line("24 Beacon St, Boston, MA")).expect("ok");
        assert!(!format!("{a:?}").contains("Beacon"));
    }

    proptest! {
        #[test]
        fn parsing_never_panics_and_never_keeps_control_characters(
            address in proptest::option::of(".{0,320}"),
            street in proptest::option::of(".{0,80}"),
            city in proptest::option::of(".{0,40}"),
            state in proptest::option::of(".{0,4}"),
            zip in proptest::option::of("[0-9-]{0,11}"),
        ) {
            let input = AddressInput { address, street, city, state, zip };
            if let Ok(a) = Address::parse(&input) {
                let l = a.one_line();
                prop_assert!(!l.chars().any(|c| c.is_control()));
                prop_assert!(!l.is_empty());
                prop_assert!(l.chars().count() <= MAX_ADDRESS_CHARS + 20);
                prop_assert!(!a.normalised().contains("  "));
            }
        }

        #[test]
        fn normalising_is_idempotent(s in "[A-Za-z0-9 ,.#-]{1,100}") {
            if let Ok(a) = Address::parse(&line(&s)) {
                let n = a.normalised();
                if !n.is_empty() {
                    let again = Address::parse(&line(&n)).expect("normalised parses");
                    prop_assert_eq!(again.normalised(), n);
                }
            }
        }

        #[test]
        fn any_five_digits_are_a_zip(d in "[0-9]{5}") {
            prop_assert_eq!(Zip::parse(&d).map(|z| z.to_string()), Ok(d));
        }
    }
}
