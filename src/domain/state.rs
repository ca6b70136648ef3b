use std::fmt;

/// Two-letter USPS code and name of every state, plus the District of Columbia, in name order.
pub const STATES: [(&str, &str); 51] = [
    ("AL", "Alabama"),
    ("AK", "Alaska"),
    ("AZ", "Arizona"),
    ("AR", "Arkansas"),
    ("CA", "California"),
    ("CO", "Colorado"),
    ("CT", "Connecticut"),
    ("DE", "Delaware"),
    ("DC", "District of Columbia"),
    ("FL", "Florida"),
    ("GA", "Georgia"),
    ("HI", "Hawaii"),
    ("ID", "Idaho"),
    ("IL", "Illinois"),
    ("IN", "Indiana"),
    ("IA", "Iowa"),
    ("KS", "Kansas"),
    ("KY", "Kentucky"),
    ("LA", "Louisiana"),
    ("ME", "Maine"),
    ("MD", "Maryland"),
    ("MA", "Massachusetts"),
    ("MI", "Michigan"),
    ("MN", "Minnesota"),
    ("MS", "Mississippi"),
    ("MO", "Missouri"),
    ("MT", "Montana"),
    ("NE", "Nebraska"),
    ("NV", "Nevada"),
    ("NH", "New Hampshire"),
    ("NJ", "New Jersey"),
    ("NM", "New Mexico"),
    ("NY", "New York"),
    ("NC", "North Carolina"),
    ("ND", "North Dakota"),
    ("OH", "Ohio"),
    ("OK", "Oklahoma"),
    ("OR", "Oregon"),
    ("PA", "Pennsylvania"),
    ("RI", "Rhode Island"),
    ("SC", "South Carolina"),
    ("SD", "South Dakota"),
    ("TN", "Tennessee"),
    ("TX", "Texas"),
    ("UT", "Utah"),
    ("VT", "Vermont"),
    ("VA", "Virginia"),
    ("WA", "Washington"),
    ("WV", "West Virginia"),
    ("WI", "Wisconsin"),
    ("WY", "Wyoming"),
];

/// A state (or DC) by its two-letter code, always upper case and always one of [`STATES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StateCode(&'static str);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("`{0}` is not a U.S. state code (expected two letters such as MA)")]
pub struct StateCodeError(pub String);

impl StateCode {
    /// The first of [`STATES`] (Alabama): a default that needs no parsing.
    pub const FIRST: StateCode = StateCode(STATES[0].0);

    /// Accepts a code in any case, with surrounding spaces, or a full state name.
    pub fn parse(raw: &str) -> Result<Self, StateCodeError> {
        let trimmed = raw.trim();
        STATES
            .iter()
            .find(|(code, name)| {
                code.eq_ignore_ascii_case(trimmed) || name.eq_ignore_ascii_case(trimmed)
            })
            .map(|(code, _)| StateCode(code))
            .ok_or_else(|| StateCodeError(truncate(raw)))
    }

    pub fn as_str(&self) -> &'static str {
        self.0
    }

    pub fn name(&self) -> &'static str {
        STATES
            .iter()
            .find(|(code, _)| *code == self.0)
            .map(|(_, name)| *name)
            .unwrap_or(self.0)
    }

    /// Every state and DC, in name order.
    pub fn all() -> impl Iterator<Item = StateCode> {
        STATES.iter().map(|(code, _)| StateCode(code))
    }
}

/// Keeps error messages short when someone sends a megabyte as a state code.
fn truncate(raw: &str) -> String {
    raw.chars().take(40).collect()
}

impl fmt::Display for StateCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl serde::Serialize for StateCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0)
    }
}

impl<'de> serde::Deserialize<'de> for StateCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        StateCode::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn codes_and_names_parse_in_any_case() {
        assert_eq!(StateCode::parse("ma").map(|s| s.as_str()), Ok("MA"));
        assert_eq!(StateCode::parse(" Missouri ").map(|s| s.as_str()), Ok("MO"));
        assert_eq!(
            StateCode::parse("dc").map(|s| s.name()),
            Ok("District of Columbia")
        );
    }

    #[test]
    fn unknown_codes_are_rejected() {
        assert!(StateCode::parse("XX").is_err());
        assert!(StateCode::parse("").is_err());
        assert!(StateCode::parse("M A").is_err());
    }

    proptest! {
        #[test]
        fn parse_never_panics_and_accepts_only_known_codes(raw in ".{0,60}") {
            if let Ok(code) = StateCode::parse(&raw) {
                prop_assert!(STATES.iter().any(|(c, _)| *c == code.as_str()));
            }
        }

        #[test]
        fn every_code_round_trips(idx in 0usize..51) {
            let (code, name) = STATES[idx];
            prop_assert_eq!(StateCode::parse(&code.to_lowercase()).map(|s| s.as_str()), Ok(code));
            prop_assert_eq!(StateCode::parse(name).map(|s| s.as_str()), Ok(code));
        }
    }
}
