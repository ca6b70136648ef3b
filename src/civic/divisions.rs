//! Small facts about Open Civic Data division ids and Census GEOIDs the lookup needs. The
//! division-id rules themselves belong to the directory (`crate::directory`), so that an id
//! built here is the id a directory legislator carries.

pub use crate::directory::{congressional_division_id, state_division_id, Layer};
use crate::domain::StateCode;

/// The state (or DC) an OCD division id lies in.
pub fn state_of_division(division: &str) -> Option<StateCode> {
    let rest = division.strip_prefix("ocd-division/country:us/")?;
    let first = rest.split('/').next()?;
    let code = first
        .strip_prefix("state:")
        .or_else(|| first.strip_prefix("district:"))?;
    if code.len() != 2 {
        return None;
    }
    StateCode::parse(code).ok()
}

/// Whether a division is a seat in Congress (or the state itself, a U.S. senator's division).
pub fn is_federal_division(division: &str, state: StateCode) -> bool {
    division == state_division_id(state) || division.contains("/cd:")
}

/// The congressional district number in a GEOID, 0 for at-large (`00`, DC's `98`).
pub fn cd_number(geoid: &str) -> Option<u32> {
    let digits = geoid.get(2..)?;
    match digits.parse::<u32>().ok()? {
        98 => Some(0),
        n => Some(n),
    }
}

/// "5", "5 and 7", "1, 2 and 3".
pub fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {}", init.join(", "), last),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(code: &str) -> StateCode {
        StateCode::parse(code).expect("state")
    }

    #[test]
    fn the_state_of_a_division() {
        for state in StateCode::all() {
            assert_eq!(state_of_division(&state_division_id(state)), Some(state));
        }
        assert_eq!(
            state_of_division("ocd-division/country:us/state:ma/sldu:hampden"),
            Some(st("MA"))
        );
        assert_eq!(
            state_of_division("ocd-division/country:us/district:dc/cd:at-large"),
            Some(st("DC"))
        );
        assert_eq!(
            state_of_division("ocd-division/country:ca/province:on"),
            None
        );
        assert_eq!(state_of_division("ocd-division/country:us/state:zz"), None);
    }

    #[test]
    fn federal_divisions() {
        let ma = st("MA");
        assert!(is_federal_division("ocd-division/country:us/state:ma", ma));
        assert!(is_federal_division(&congressional_division_id(ma, 7), ma));
        assert!(!is_federal_division(
            "ocd-division/country:us/state:ma/sldu:hampden",
            ma
        ));
    }

    #[test]
    fn congressional_numbers() {
        assert_eq!(cd_number("2903"), Some(3));
        assert_eq!(cd_number("5600"), Some(0));
        assert_eq!(cd_number("1198"), Some(0));
        assert_eq!(cd_number("56ZZ"), None);
    }

    #[test]
    fn lists_read_like_english() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(and_list(&s(&["5"])), "5");
        assert_eq!(and_list(&s(&["5", "7"])), "5 and 7");
        assert_eq!(and_list(&s(&["1", "2", "3"])), "1, 2 and 3");
    }
}
