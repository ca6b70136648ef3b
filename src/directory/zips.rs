//! The ZIP crosswalk `zccd.csv` (`state_fips,state_abbr,zcta,cd`): which congressional
//! districts each ZIP code (ZCTA) overlaps. A ZIP may span several; the answer is low accuracy.

use super::{Dataset, DirectoryError, Skipped};
use crate::domain::{fips_for_state, StateCode};
use serde::Serialize;
use std::collections::HashSet;

/// One row: a ZIP code overlaps a state's congressional district (0 = at-large, or DC).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ZipDistrict {
    /// Five digits.
    pub zip: String,
    pub state: StateCode,
    pub cd: u32,
}

/// Parses the whole file. Rows of territories are returned as skipped, as are repeated rows.
pub fn parse_zccd(
    file: &str,
    text: &str,
) -> Result<(Vec<ZipDistrict>, Vec<Skipped>), DirectoryError> {
    let bad =
        |record: String, message: String| DirectoryError::parse(Dataset::Zips, record, message);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| bad(format!("{file} line 1"), e.to_string()))?
        .clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim_start_matches('\u{feff}') == name)
            .ok_or_else(|| {
                bad(
                    format!("{file} line 1"),
                    format!("no `{name}` column (expected state_fips,state_abbr,zcta,cd)"),
                )
            })
    };
    let (fips_at, abbr_at, zcta_at, cd_at) = (
        column("state_fips")?,
        column("state_abbr")?,
        column("zcta")?,
        column("cd")?,
    );
    let mut rows = Vec::new();
    let mut skipped = Vec::new();
    let mut seen = HashSet::new();
    for (i, record) in reader.records().enumerate() {
        // Line numbers count the header as line 1.
        let line = format!("{file} line {}", i + 2);
        let record = record.map_err(|e| bad(line.clone(), e.to_string()))?;
        let field = |at: usize| record.get(at).unwrap_or_default();
        let abbr = field(abbr_at);
        let state = match abbr {
            a if a.len() == 2 => StateCode::parse(a).ok(),
            _ => None,
        };
        let Some(state) = state else {
            skipped.push(Skipped {
                dataset: Dataset::Zips,
                record: line,
                reason: format!(
                    "`{}` is not a state or DC",
                    abbr.chars().take(10).collect::<String>()
                ),
            });
            continue;
        };
        let fips = field(fips_at);
        if fips != fips_for_state(state) {
            return Err(bad(
                line,
                format!(
                    "state_fips `{}` is not {state}'s ({})",
                    fips.chars().take(10).collect::<String>(),
                    fips_for_state(state)
                ),
            ));
        }
        let zip = field(zcta_at);
        if zip.len() != 5 || !zip.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad(
                line,
                format!(
                    "zcta `{}` is not a five-digit ZIP code",
                    zip.chars().take(10).collect::<String>()
                ),
            ));
        }
        let cd = field(cd_at);
        let cd = cd.parse::<u32>().ok().filter(|n| *n < 100).ok_or_else(|| {
            bad(
                line.clone(),
                format!(
                    "cd `{}` is not a district number",
                    cd.chars().take(10).collect::<String>()
                ),
            )
        })?;
        let row = ZipDistrict {
            zip: zip.to_string(),
            state,
            cd,
        };
        if !seen.insert(row.clone()) {
            skipped.push(Skipped {
                dataset: Dataset::Zips,
                record: line,
                reason: "repeats an earlier row".into(),
            });
            continue;
        }
        rows.push(row);
    }
    Ok((rows, skipped))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rows_parse_and_territories_are_skipped() {
        let text = "state_fips,state_abbr,zcta,cd\n01,AL,35005,6\n01,AL,35005,7\n72,PR,00601,0\n50,VT,05001,0\n01,AL,35005,7\n";
        let (rows, skipped) = parse_zccd("zccd.csv", text).expect("parses");
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].zip, "35005");
        assert_eq!(rows[1].cd, 7);
        assert_eq!((rows[2].state.as_str(), rows[2].cd), ("VT", 0));
        assert_eq!(skipped.len(), 2);
        assert!(skipped[0].record.contains("line 4"), "{skipped:?}");
    }

    #[test]
    fn bad_rows_name_the_line() {
        let err = parse_zccd("zccd.csv", "state_fips,state_abbr,zcta,cd\n01,AL,3500,1\n")
            .expect_err("short zip");
        assert!(err.to_string().contains("zccd.csv line 2"), "{err}");
        let err = parse_zccd("zccd.csv", "state_fips,state_abbr,zcta,cd\n01,AL,35005,x\n")
            .expect_err("bad cd");
        assert!(err.to_string().contains("cd `x`"), "{err}");
        let err = parse_zccd("zccd.csv", "state_fips,state_abbr,zcta,cd\n02,AL,35005,1\n")
            .expect_err("bad fips");
        assert!(err.to_string().contains("state_fips"), "{err}");
        let err = parse_zccd("zccd.csv", "zip,district\n35005,1\n").expect_err("bad header");
        assert!(err.to_string().contains("line 1"), "{err}");
        let err = parse_zccd("zccd.csv", "state_fips,state_abbr,zcta,cd\n01,AL,35005\n")
            .expect_err("short row");
        assert!(err.to_string().contains("line 2"), "{err}");
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
            let _ = parse_zccd("zccd.csv", &text);
        }

        #[test]
        fn arbitrary_rows_never_panic(rows in proptest::collection::vec("[0-9A-Za-z,]{0,20}", 0..10)) {
            let text = format!("state_fips,state_abbr,zcta,cd\n{}", rows.join("\n"));
            let _ = parse_zccd("zccd.csv", &text);
        }
    }
}
