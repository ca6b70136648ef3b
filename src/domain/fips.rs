//! Census FIPS state codes: the two digits that open every Census GEOID (`2903` is Missouri's
//! 3rd congressional district, `25D03` a Massachusetts senate district).

use super::StateCode;

/// FIPS code and USPS code of every state, DC and the inhabited territories.
/// Territories are listed so a GEOID from one is recognised (and then refused by
/// [`state_for_fips`], since they are not a [`StateCode`]).
pub const FIPS_CODES: [(&str, &str); 56] = [
    ("01", "AL"),
    ("02", "AK"),
    ("04", "AZ"),
    ("05", "AR"),
    ("06", "CA"),
    ("08", "CO"),
    ("09", "CT"),
    ("10", "DE"),
    ("11", "DC"),
    ("12", "FL"),
    ("13", "GA"),
    ("15", "HI"),
    ("16", "ID"),
    ("17", "IL"),
    ("18", "IN"),
    ("19", "IA"),
    ("20", "KS"),
    ("21", "KY"),
    ("22", "LA"),
    ("23", "ME"),
    ("24", "MD"),
    ("25", "MA"),
    ("26", "MI"),
    ("27", "MN"),
    ("28", "MS"),
    ("29", "MO"),
    ("30", "MT"),
    ("31", "NE"),
    ("32", "NV"),
    ("33", "NH"),
    ("34", "NJ"),
    ("35", "NM"),
    ("36", "NY"),
    ("37", "NC"),
    ("38", "ND"),
    ("39", "OH"),
    ("40", "OK"),
    ("41", "OR"),
    ("42", "PA"),
    ("44", "RI"),
    ("45", "SC"),
    ("46", "SD"),
    ("47", "TN"),
    ("48", "TX"),
    ("49", "UT"),
    ("50", "VT"),
    ("51", "VA"),
    ("53", "WA"),
    ("54", "WV"),
    ("55", "WI"),
    ("56", "WY"),
    ("60", "AS"),
    ("66", "GU"),
    ("69", "MP"),
    ("72", "PR"),
    ("78", "VI"),
];

/// The USPS code for a two-digit FIPS code, territories included (`"72"` -> `"PR"`).
pub fn usps_for_fips(fips: &str) -> Option<&'static str> {
    FIPS_CODES
        .iter()
        .find(|(f, _)| *f == fips)
        .map(|(_, usps)| *usps)
}

/// The state (or DC) for a two-digit FIPS code; `None` for territories and unknown codes.
pub fn state_for_fips(fips: &str) -> Option<StateCode> {
    usps_for_fips(fips).and_then(|usps| StateCode::parse(usps).ok())
}

/// The two-digit FIPS code of a state (or DC).
pub fn fips_for_state(state: StateCode) -> &'static str {
    FIPS_CODES
        .iter()
        .find(|(_, usps)| *usps == state.as_str())
        .map(|(fips, _)| *fips)
        // Every StateCode is in the table (a test checks it); "" never matches a GEOID.
        .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_has_a_fips_code_and_round_trips() {
        for state in StateCode::all() {
            let fips = fips_for_state(state);
            assert_eq!(fips.len(), 2, "{state}");
            assert_eq!(state_for_fips(fips), Some(state));
        }
    }

    #[test]
    fn territories_are_known_but_are_not_states() {
        assert_eq!(usps_for_fips("72"), Some("PR"));
        assert_eq!(state_for_fips("72"), None);
        assert_eq!(state_for_fips("03"), None);
        assert_eq!(state_for_fips(""), None);
        assert_eq!(state_for_fips("11").map(|s| s.as_str()), Some("DC"));
    }
}
