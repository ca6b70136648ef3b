//! unitedstates/congress-legislators `legislators-current.json`: every member of Congress.

use super::divisions::{congressional_division_id, state_division_id};
use super::{Chamber, Dataset, DirectoryError, Legislator, Skipped};
use crate::domain::StateCode;
use chrono::{DateTime, Utc};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct RawMember {
    id: RawIds,
    name: RawName,
    terms: Vec<RawTerm>,
}

#[derive(Debug, Deserialize)]
struct RawIds {
    bioguide: String,
}

#[derive(Debug, Deserialize)]
struct RawName {
    #[serde(default)]
    first: Option<String>,
    #[serde(default)]
    last: Option<String>,
    #[serde(default)]
    official_full: Option<String>,
}

#[derive(Debug, Deserialize)]
struct RawTerm {
    #[serde(rename = "type")]
    kind: String,
    state: String,
    #[serde(default)]
    district: Option<i64>,
    #[serde(default)]
    party: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    contact_form: Option<String>,
}

fn non_empty(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

/// Parses the whole file. `file` names it in messages and in each record's `source`.
/// Members from territories (PR, GU, VI, AS, MP) are returned as skipped: they never match a
/// state. DC's delegate is kept.
pub fn parse_congress(
    file: &str,
    text: &str,
    synced_at: DateTime<Utc>,
) -> Result<(Vec<Legislator>, Vec<Skipped>), DirectoryError> {
    let records: Vec<serde_json::Value> = serde_json::from_str(text)
        .map_err(|e| DirectoryError::parse(Dataset::Congress, file, e))?;
    let mut legislators = Vec::with_capacity(records.len());
    let mut skipped = Vec::new();
    for (i, record) in records.into_iter().enumerate() {
        let bioguide = record
            .pointer("/id/bioguide")
            .and_then(|b| b.as_str())
            .map(str::to_string);
        let label = match &bioguide {
            Some(b) => format!("{file} record {i} ({})", truncate(b)),
            None => format!("{file} record {i}"),
        };
        let bad =
            |message: String| DirectoryError::parse(Dataset::Congress, label.clone(), message);
        let member: RawMember = serde_json::from_value(record).map_err(|e| bad(e.to_string()))?;
        let bioguide = member.id.bioguide.trim();
        if bioguide.is_empty()
            || bioguide.len() > 16
            || !bioguide.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(bad(format!(
                "`{}` is not a bioguide id",
                truncate(bioguide)
            )));
        }
        let Some(term) = member.terms.last() else {
            return Err(bad("has no terms".into()));
        };
        let state = match term.state.trim() {
            s if s.len() == 2 => StateCode::parse(s).ok(),
            _ => None,
        };
        let Some(state) = state else {
            skipped.push(Skipped {
                dataset: Dataset::Congress,
                record: label.clone(),
                reason: format!("`{}` is not a state or DC", truncate(&term.state)),
            });
            continue;
        };
        let is_dc = state.as_str() == "DC";
        let (chamber, title, district, division_id) = match term.kind.as_str() {
            "sen" if is_dc => {
                skipped.push(Skipped {
                    dataset: Dataset::Congress,
                    record: label.clone(),
                    reason: "a senator for DC".into(),
                });
                continue;
            }
            "sen" => (
                Chamber::UsSenate,
                "U.S. Senator",
                state.name().to_string(),
                state_division_id(state),
            ),
            "rep" => {
                let number = term
                    .district
                    .ok_or_else(|| bad("the last term has no district".into()))?;
                let number = u32::try_from(number)
                    .ok()
                    .filter(|n| *n < 100)
                    .ok_or_else(|| bad(format!("district {number} is not a House district")))?;
                let district = if number == 0 {
                    "At-large".to_string()
                } else {
                    number.to_string()
                };
                // DC (like the territories) sends a non-voting delegate.
                let title = if is_dc {
                    "Delegate"
                } else {
                    "U.S. Representative"
                };
                (
                    Chamber::UsHouse,
                    title,
                    district,
                    congressional_division_id(state, number),
                )
            }
            other => {
                return Err(bad(format!(
                    "term type `{}` is neither sen nor rep",
                    truncate(other)
                )))
            }
        };
        let first = non_empty(&member.name.first).unwrap_or_default();
        let last = non_empty(&member.name.last).unwrap_or_default();
        let name = non_empty(&member.name.official_full)
            .unwrap_or_else(|| format!("{first} {last}").trim().to_string());
        if name.is_empty() {
            return Err(bad("has no name".into()));
        }
        legislators.push(Legislator {
            id: format!("bioguide:{bioguide}"),
            name,
            given_name: first,
            family_name: last,
            title: title.to_string(),
            chamber,
            state,
            district,
            division_id,
            party: non_empty(&term.party),
            // Members of Congress publish no email address: mail goes through their web form,
            // or, for offices without one, their website.
            email: None,
            contact_form: non_empty(&term.contact_form).or_else(|| non_empty(&term.url)),
            phone: non_empty(&term.phone),
            // The dataset has no photos, and the service reaches no other source offline.
            photo_url: None,
            source: format!("{} {file}", Dataset::Congress.name()),
            synced_at,
        });
    }
    Ok((legislators, skipped))
}

fn truncate(s: &str) -> String {
    s.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const FILE: &str = "legislators-current.json";

    fn member(kind: &str, state: &str, district: Option<i64>, extra: &str) -> String {
        let district = district
            .map(|d| format!(r#","district":{d}"#))
            .unwrap_or_default();
        format!(
            r#"{{"id":{{"bioguide":"X000001"}},"name":{{"first":"Jane","last":"Doe"{extra}}},
            "terms":[{{"type":"rep","state":"MA","district":3}},
                     {{"type":"{kind}","state":"{state}"{district},"party":"Democrat",
                       "url":"https://doe.house.gov","phone":"202-225-0000"}}]}}"#
        )
    }

    fn one(text: &str) -> Legislator {
        let (mut l, skipped) = parse_congress(FILE, text, Utc::now()).expect("parses");
        assert!(skipped.is_empty(), "{skipped:?}");
        assert_eq!(l.len(), 1);
        l.remove(0)
    }

    #[test]
    fn a_senator_sits_for_the_state_and_falls_back_to_the_website() {
        let l = one(&format!(
            "[{}]",
            member("sen", "VT", None, r#","official_full":"Jane Q. Doe""#)
        ));
        assert_eq!(l.id, "bioguide:X000001");
        assert_eq!(l.name, "Jane Q. Doe");
        assert_eq!(
            (l.given_name.as_str(), l.family_name.as_str()),
            ("Jane", "Doe")
        );
        assert_eq!(l.chamber, Chamber::UsSenate);
        assert_eq!(l.title, "U.S. Senator");
        assert_eq!(l.division_id, "ocd-division/country:us/state:vt");
        assert_eq!(l.district, "Vermont");
        assert_eq!(l.contact_form.as_deref(), Some("https://doe.house.gov"));
        assert_eq!(l.email, None);
        assert_eq!(l.party.as_deref(), Some("Democrat"));
        assert_eq!(l.phone.as_deref(), Some("202-225-0000"));
    }

    #[test]
    fn at_large_seats_and_dc_are_cd_at_large() {
        for (state, division) in [
            ("AK", "ocd-division/country:us/state:ak/cd:at-large"),
            ("VT", "ocd-division/country:us/state:vt/cd:at-large"),
            ("WY", "ocd-division/country:us/state:wy/cd:at-large"),
            ("DE", "ocd-division/country:us/state:de/cd:at-large"),
            ("DC", "ocd-division/country:us/district:dc/cd:at-large"),
        ] {
            let l = one(&format!("[{}]", member("rep", state, Some(0), "")));
            assert_eq!(l.division_id, division);
            assert_eq!(l.district, "At-large");
            assert_eq!(l.name, "Jane Doe", "first + last without official_full");
            let title = if state == "DC" {
                "Delegate"
            } else {
                "U.S. Representative"
            };
            assert_eq!(l.title, title);
        }
        let l = one(&format!("[{}]", member("rep", "MO", Some(3), "")));
        assert_eq!(l.division_id, "ocd-division/country:us/state:mo/cd:3");
        assert_eq!(l.district, "3");
    }

    #[test]
    fn territories_are_skipped_and_counted() {
        let text = format!(
            "[{},{}]",
            member("rep", "PR", Some(0), ""),
            member("rep", "MA", Some(7), "")
        );
        let (l, skipped) = parse_congress(FILE, &text, Utc::now()).expect("parses");
        assert_eq!(l.len(), 1);
        assert_eq!(skipped.len(), 1);
        assert!(skipped[0].reason.contains("PR"));
    }

    #[test]
    fn a_contact_form_wins_over_the_website() {
        let text = r#"[{"id":{"bioguide":"A1"},"name":{"first":"A","last":"B"},
            "terms":[{"type":"sen","state":"MA","url":"https://a.senate.gov",
                      "contact_form":"https://a.senate.gov/contact"}]}]"#;
        assert_eq!(
            one(text).contact_form.as_deref(),
            Some("https://a.senate.gov/contact")
        );
    }

    #[test]
    fn malformed_input_names_the_file_and_record() {
        let err = parse_congress(FILE, "[{", Utc::now()).expect_err("truncated");
        assert!(err.to_string().contains(FILE), "{err}");
        assert!(err.to_string().contains("line 1"), "{err}");
        let err = parse_congress(
            FILE,
            r#"[{"id":{"bioguide":"B2"},"name":{},"terms":[]}]"#,
            Utc::now(),
        )
        .expect_err("no terms");
        assert!(err.to_string().contains("record 0 (B2)"), "{err}");
        let err = parse_congress(
            FILE,
            r#"[{"id":{"bioguide":"B2"},"name":{"first":"A"},"terms":[{"type":"rep","state":"MA"}]}]"#,
            Utc::now(),
        )
        .expect_err("no district");
        assert!(err.to_string().contains("no district"), "{err}");
        let err = parse_congress(FILE, r#"{"a":1}"#, Utc::now()).expect_err("not a list");
        assert!(err.to_string().contains(FILE), "{err}");
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
            let _ = parse_congress(FILE, &text, Utc::now());
        }

        #[test]
        fn arbitrary_fields_never_panic(
            bioguide in "\\PC{0,10}",
            kind in "(sen|rep|\\PC{0,4})",
            state in "\\PC{0,3}",
            district in proptest::option::of(-5i64..200),
        ) {
            let district = district.map(|d| format!(r#","district":{d}"#)).unwrap_or_default();
            let text = format!(
                r#"[{{"id":{{"bioguide":{bioguide:?}}},"name":{{"first":"A"}},"terms":[{{"type":{kind:?},"state":{state:?}{district}}}]}}]"#
            );
            let _ = parse_congress(FILE, &text, Utc::now());
        }
    }
}
