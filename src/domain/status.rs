use std::fmt;
use std::str::FromStr;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("`{value}` is not a valid {what}; expected one of: {expected}")]
pub struct ParseEnumError {
    pub what: &'static str,
    pub value: String,
    pub expected: &'static str,
}

/// Declares a closed set of lower-case string values with parsing, display and serde.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal, { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(&self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl FromStr for $name {
            type Err = ParseEnumError;
            fn from_str(raw: &str) -> Result<Self, Self::Err> {
                match raw {
                    $($text => Ok($name::$variant),)+
                    other => Err(ParseEnumError {
                        what: $what,
                        value: other.chars().take(40).collect(),
                        expected: concat!($($text, " "),+),
                    }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(d)?;
                raw.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

string_enum!(
    /// Whether a criterion asks a practice to end or to start.
    CriterionKind, "criterion kind", { End => "end", Start => "start" }
);

string_enum!(
    /// How a bill or law meets one criterion. `Unknown` means nobody has evaluated it (never guessed).
    CriterionStatus, "criterion status", {
        Yes => "yes",
        Partial => "partial",
        No => "no",
        Unknown => "unknown",
    }
);

string_enum!(
    /// Where a bill stands in the legislature.
    BillStatus, "bill status", { Passed => "passed", Failed => "failed", Pending => "pending" }
);

impl CriterionStatus {
    /// Points towards the score; `None` for unknown, which is excluded from scores.
    pub fn points(&self) -> Option<f64> {
        match self {
            CriterionStatus::Yes => Some(1.0),
            CriterionStatus::Partial => Some(0.5),
            CriterionStatus::No => Some(0.0),
            CriterionStatus::Unknown => None,
        }
    }

    /// A gap is a standard the legislation does not fully meet.
    pub fn is_gap(&self) -> bool {
        matches!(self, CriterionStatus::No | CriterionStatus::Partial)
    }

    /// Words a reader sees.
    pub fn label(&self) -> &'static str {
        match self {
            CriterionStatus::Yes => "Meets the standard",
            CriterionStatus::Partial => "Partially meets the standard",
            CriterionStatus::No => "Does not meet the standard",
            CriterionStatus::Unknown => "Not yet evaluated",
        }
    }
}

impl BillStatus {
    pub fn label(&self) -> &'static str {
        match self {
            BillStatus::Passed => "Passed",
            BillStatus::Failed => "Failed",
            BillStatus::Pending => "Pending",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn statuses_round_trip_through_text() {
        for s in CriterionStatus::ALL {
            assert_eq!(s.as_str().parse::<CriterionStatus>().as_ref(), Ok(s));
        }
        for s in BillStatus::ALL {
            assert_eq!(s.as_str().parse::<BillStatus>().as_ref(), Ok(s));
        }
    }

    #[test]
    fn partial_scores_half_and_unknown_is_excluded() {
        assert_eq!(CriterionStatus::Partial.points(), Some(0.5));
        assert_eq!(CriterionStatus::Unknown.points(), None);
        assert!(CriterionStatus::Partial.is_gap());
        assert!(!CriterionStatus::Unknown.is_gap());
    }

    proptest! {
        #[test]
        fn parsing_accepts_only_the_listed_values(raw in ".{0,20}") {
            let parsed = raw.parse::<CriterionStatus>();
            prop_assert_eq!(parsed.is_ok(), ["yes", "partial", "no", "unknown"].contains(&raw.as_str()));
        }
    }
}
