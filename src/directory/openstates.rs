//! openstates/people: one YAML file per state legislator, `data/<st>/legislature/*.yml`.

use super::{Chamber, Dataset, DirectoryError, Legislator};
use crate::domain::StateCode;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

/// What one person file gives the directory.
#[derive(Debug, Clone, PartialEq)]
pub enum PersonFile {
    Legislator(Box<Legislator>),
    /// No current seat in a state legislature (a former member, a territory); the reason.
    Skipped(String),
}

/// A YAML scalar read as text: districts are usually quoted (`'29'`) but need not be.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum Scalar {
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

impl Scalar {
    fn text(&self) -> String {
        match self {
            Scalar::Text(s) => s.clone(),
            Scalar::Int(i) => i.to_string(),
            Scalar::Float(f) => f.to_string(),
            Scalar::Bool(b) => b.to_string(),
        }
    }
}

#[derive(Debug, Deserialize)]
struct RawPerson {
    id: String,
    name: String,
    #[serde(default)]
    given_name: Option<String>,
    #[serde(default)]
    family_name: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    image: Option<String>,
    #[serde(default)]
    party: Option<Vec<RawParty>>,
    #[serde(default)]
    roles: Option<Vec<RawRole>>,
    #[serde(default)]
    offices: Option<Vec<RawOffice>>,
}

#[derive(Debug, Deserialize)]
struct RawParty {
    name: String,
    #[serde(default)]
    end_date: Option<Scalar>,
}

#[derive(Debug, Deserialize)]
struct RawRole {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    district: Option<Scalar>,
    #[serde(default)]
    end_date: Option<Scalar>,
}

#[derive(Debug, Deserialize)]
struct RawOffice {
    #[serde(default)]
    classification: Option<String>,
    #[serde(default)]
    voice: Option<String>,
}

/// Lower houses whose members are not called representatives.
const LOWER_TITLES: [(&str, &str); 8] = [
    ("CA", "Assembly Member"),
    ("NV", "Assembly Member"),
    ("NY", "Assembly Member"),
    ("WI", "Assembly Member"),
    ("NJ", "Assembly Member"),
    ("MD", "Delegate"),
    ("VA", "Delegate"),
    ("WV", "Delegate"),
];

/// Ordinal words Open States writes as numerals in division ids ("Fifth Middlesex" ->
/// `5th_middlesex`).
const ORDINALS: [(&str, &str); 20] = [
    ("first", "1st"),
    ("second", "2nd"),
    ("third", "3rd"),
    ("fourth", "4th"),
    ("fifth", "5th"),
    ("sixth", "6th"),
    ("seventh", "7th"),
    ("eighth", "8th"),
    ("ninth", "9th"),
    ("tenth", "10th"),
    ("eleventh", "11th"),
    ("twelfth", "12th"),
    ("thirteenth", "13th"),
    ("fourteenth", "14th"),
    ("fifteenth", "15th"),
    ("sixteenth", "16th"),
    ("seventeenth", "17th"),
    ("eighteenth", "18th"),
    ("nineteenth", "19th"),
    ("twentieth", "20th"),
];

/// The district part of a division id, as Open States and openstates-geo write it:
/// lower case, ordinal words as numerals, commas and other punctuation dropped, runs of
/// spaces as one `_`, hyphens kept, leading zeros of a number stripped.
/// "7th Hampden" -> `7th_hampden`, "Belknap 1" -> `belknap_1`, "Fifth Middlesex" ->
/// `5th_middlesex`, "Barnstable, Dukes and Nantucket" -> `barnstable_dukes_and_nantucket`,
/// "Addison-Rutland" -> `addison-rutland`, "029" -> `29`, "11A" -> `11a`.
/// (Vermont's senate is the exception upstream, "Chittenden Central" ->
/// `chittenden-central`; `build_directory` aligns such names with openstates-geo's list.)
pub fn district_slug(district: &str) -> String {
    let words: Vec<String> = district
        .split_whitespace()
        .map(|word| {
            let lower = word.to_lowercase();
            let cleaned: String = lower
                .chars()
                .filter(|c| c.is_alphanumeric() || *c == '-' || *c == '_')
                .collect();
            ORDINALS
                .iter()
                .find(|(w, _)| *w == cleaned)
                .map(|(_, n)| n.to_string())
                .unwrap_or(cleaned)
        })
        .filter(|w| !w.is_empty())
        .collect();
    let slug = words.join("_");
    if !slug.is_empty() && slug.bytes().all(|b| b.is_ascii_digit()) {
        let trimmed = slug.trim_start_matches('0');
        if trimmed.is_empty() {
            "0".to_string()
        } else {
            trimmed.to_string()
        }
    } else {
        slug
    }
}

fn non_empty(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// The state a person file belongs to, from its path `.../<st>/legislature/<file>.yml`.
fn state_folder(file: &str) -> Option<&str> {
    let mut parts = file.rsplit('/');
    let _name = parts.next()?;
    if parts.next()? != "legislature" {
        return None;
    }
    parts.next()
}

fn parse_date(file: &str, field: &str, value: &Scalar) -> Result<NaiveDate, DirectoryError> {
    let text = value.text();
    // Dates are `YYYY-MM-DD`; a few upstream records give only `YYYY-MM` or `YYYY`.
    let full = match text.len() {
        4 => format!("{text}-12-31"),
        7 => format!("{text}-28"),
        _ => text.clone(),
    };
    NaiveDate::parse_from_str(&full, "%Y-%m-%d").map_err(|_| {
        DirectoryError::parse(
            Dataset::OpenStatesPeople,
            file,
            format!("{field}: `{text}` is not a date (YYYY-MM-DD)"),
        )
    })
}

/// Parses one person file. `file` is its path ending `<st>/legislature/<name>.yml` (the state
/// comes from the folder); `today` decides which roles are current (no end date, or one in
/// the future); `synced_at` is stamped on the record.
pub fn parse_person(
    file: &str,
    text: &str,
    today: NaiveDate,
    synced_at: DateTime<Utc>,
) -> Result<PersonFile, DirectoryError> {
    let bad = |message: String| DirectoryError::parse(Dataset::OpenStatesPeople, file, message);
    let Some(folder) = state_folder(file) else {
        return Err(bad(
            "not under <state>/legislature/ (expected data/<st>/legislature/<name>.yml)".into(),
        ));
    };
    let state = match folder {
        f if f.len() == 2 => StateCode::parse(f).ok(),
        _ => None,
    };
    let Some(state) = state else {
        return Ok(PersonFile::Skipped(format!(
            "`{folder}` is not a state or DC"
        )));
    };
    let raw: RawPerson = serde_yaml_ng::from_str(text).map_err(|e| bad(e.to_string()))?;
    if !raw.id.starts_with("ocd-person/") {
        return Err(bad(format!("id `{}` is not an ocd-person id", raw.id)));
    }
    let name = raw.name.trim().to_string();
    if name.is_empty() {
        return Err(bad("name is empty".into()));
    }

    let mut current = None;
    for (i, role) in raw.roles.iter().flatten().enumerate() {
        if !matches!(role.kind.as_str(), "upper" | "lower" | "legislature") {
            continue;
        }
        let is_current = match &role.end_date {
            None => true,
            Some(end) => parse_date(file, &format!("roles[{i}].end_date"), end)? >= today,
        };
        if is_current && current.is_none() {
            current = Some((i, role));
        }
    }
    let Some((index, role)) = current else {
        return Ok(PersonFile::Skipped(
            "no current seat in the legislature".into(),
        ));
    };
    let district = role
        .district
        .as_ref()
        .map(|d| d.text().trim().to_string())
        .filter(|d| !d.is_empty());
    let Some(district) = district else {
        return Ok(PersonFile::Skipped(format!(
            "roles[{index}] has no district"
        )));
    };

    if district_slug(&district).is_empty() {
        return Ok(PersonFile::Skipped(format!(
            "roles[{index}] district `{district}` has no letters or digits"
        )));
    }

    let is_dc = state.as_str() == "DC";
    let (chamber, title, division_id) = match (role.kind.as_str(), is_dc) {
        (_, true) => {
            let division = if let Some(ward) = district.strip_prefix("Ward ") {
                let ward = ward.trim();
                if ward.is_empty() || !ward.bytes().all(|b| b.is_ascii_digit()) {
                    return Ok(PersonFile::Skipped(format!(
                        "unknown DC council seat `{district}`"
                    )));
                }
                format!(
                    "ocd-division/country:us/district:dc/ward:{}",
                    district_slug(ward)
                )
            } else if matches!(
                district.to_lowercase().as_str(),
                "at-large" | "at large" | "chairman" | "chair"
            ) {
                // Open States gives the council's at-large members and chairman the whole
                // district as their division.
                "ocd-division/country:us/district:dc".to_string()
            } else {
                return Ok(PersonFile::Skipped(format!(
                    "unknown DC council seat `{district}`"
                )));
            };
            (Chamber::StateUpper, "Councilmember".to_string(), division)
        }
        ("lower", false) => {
            let title = LOWER_TITLES
                .iter()
                .find(|(code, _)| *code == state.as_str())
                .map(|(_, t)| *t)
                .unwrap_or("State Representative");
            (
                Chamber::StateLower,
                title.to_string(),
                format!(
                    "ocd-division/country:us/state:{}/sldl:{}",
                    state.as_str().to_ascii_lowercase(),
                    district_slug(&district)
                ),
            )
        }
        // `upper`, and Nebraska's unicameral `legislature`, whose members are senators and
        // whose districts openstates-geo maps as `sldu`.
        _ => (
            Chamber::StateUpper,
            "State Senator".to_string(),
            format!(
                "ocd-division/country:us/state:{}/sldu:{}",
                state.as_str().to_ascii_lowercase(),
                district_slug(&district)
            ),
        ),
    };

    let party = {
        let parties = raw.party.unwrap_or_default();
        let pick = parties
            .iter()
            .find(|p| p.end_date.is_none())
            .or(parties.first());
        pick.map(|p| p.name.trim().to_string())
            .filter(|p| !p.is_empty())
    };
    let offices = raw.offices.unwrap_or_default();
    let voice = |capitol_only: bool| {
        offices
            .iter()
            .filter(|o| !capitol_only || o.classification.as_deref() == Some("capitol"))
            .find_map(|o| non_empty(o.voice.clone()))
    };
    let phone = voice(true).or_else(|| voice(false));
    let (given, family) = split_name(&name);

    Ok(PersonFile::Legislator(Box::new(Legislator {
        id: raw.id,
        given_name: non_empty(raw.given_name).unwrap_or(given),
        family_name: non_empty(raw.family_name).unwrap_or(family),
        name,
        title,
        chamber,
        state,
        district,
        division_id,
        party,
        email: non_empty(raw.email),
        contact_form: None,
        phone,
        photo_url: non_empty(raw.image),
        source: format!(
            "{} data/{folder}/legislature/{}",
            Dataset::OpenStatesPeople.name(),
            file.rsplit('/').next().unwrap_or(file)
        ),
        synced_at,
    })))
}

/// First and last word of a full name, when the file gives no given/family name.
fn split_name(name: &str) -> (String, String) {
    let mut words = name.split_whitespace();
    let first = words.next().unwrap_or_default().to_string();
    let last = words.last().map(str::to_string).unwrap_or_default();
    (first, last)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).expect("date")
    }

    fn parse(file: &str, text: &str) -> Result<PersonFile, DirectoryError> {
        parse_person(file, text, today(), Utc::now())
    }

    fn legislator(file: &str, text: &str) -> Legislator {
        match parse(file, text).expect("parses") {
            PersonFile::Legislator(l) => *l,
            PersonFile::Skipped(why) => panic!("skipped: {why}"),
        }
    }

    const GOMEZ: &str = r#"id: ocd-person/d2a82a0d-fbd1-4448-be2d-b786a7e11168
name: "Adam G\xF3mez"
given_name: Adam
family_name: "G\xF3mez"
email: adam.gomez@masenate.gov
image: https://malegislature.gov/Legislators/Profile/170/A_G0.jpg
party:
- name: Democratic
roles:
- start_date: 2021-01-06
  type: upper
  jurisdiction: ocd-jurisdiction/country:us/state:ma/government
  district: Hampden
offices:
- classification: district
  voice: 413-000-0000
- classification: capitol
  address: Room 312-E, State House 24 Beacon St., Boston, MA 02133
  voice: 617-722-1660
"#;

    #[test]
    fn a_state_senator_reads_with_escapes_decoded() {
        let l = legislator("data/ma/legislature/Adam-Gomez.yml", GOMEZ);
        assert_eq!(l.name, "Adam Gómez");
        assert_eq!(l.family_name, "Gómez");
        assert_eq!(l.chamber, Chamber::StateUpper);
        assert_eq!(l.title, "State Senator");
        assert_eq!(l.district, "Hampden");
        assert_eq!(
            l.division_id,
            "ocd-division/country:us/state:ma/sldu:hampden"
        );
        assert_eq!(
            l.phone.as_deref(),
            Some("617-722-1660"),
            "capitol preferred"
        );
        assert_eq!(l.party.as_deref(), Some("Democratic"));
        assert_eq!(l.email.as_deref(), Some("adam.gomez@masenate.gov"));
        assert!(l.photo_url.is_some());
        assert_eq!(l.contact_form, None);
        assert_eq!(
            l.source,
            "openstates/people data/ma/legislature/Adam-Gomez.yml"
        );
    }

    #[test]
    fn slugs_follow_open_states() {
        assert_eq!(district_slug("7th Hampden"), "7th_hampden");
        assert_eq!(district_slug("Belknap 1"), "belknap_1");
        assert_eq!(district_slug("Fifth Middlesex"), "5th_middlesex");
        assert_eq!(
            district_slug("Barnstable, Dukes and Nantucket"),
            "barnstable_dukes_and_nantucket"
        );
        assert_eq!(district_slug("Addison-Rutland"), "addison-rutland");
        assert_eq!(district_slug("029"), "29");
        assert_eq!(district_slug("11A"), "11a");
        assert_eq!(district_slug("  Grand   Isle "), "grand_isle");
    }

    #[test]
    fn ended_roles_are_not_current_but_future_end_dates_are() {
        let ended = "id: ocd-person/1\nname: A B\nroles:\n- type: lower\n  district: '3'\n  end_date: 2023-01-03\n";
        assert!(matches!(
            parse("data/mo/legislature/a.yml", ended),
            Ok(PersonFile::Skipped(_))
        ));
        let future = "id: ocd-person/1\nname: A B\nroles:\n- type: lower\n  district: 3\n  end_date: 2027-01-03\n";
        let l = legislator("data/mo/legislature/a.yml", future);
        assert_eq!(l.division_id, "ocd-division/country:us/state:mo/sldl:3");
        assert_eq!(l.title, "State Representative");
        assert_eq!((l.given_name.as_str(), l.family_name.as_str()), ("A", "B"));
        let mayor = "id: ocd-person/1\nname: A B\nroles:\n- type: mayor\n";
        assert!(matches!(
            parse("data/ca/legislature/a.yml", mayor),
            Ok(PersonFile::Skipped(_))
        ));
    }

    #[test]
    fn nebraska_is_unicameral_with_senators() {
        let text = "id: ocd-person/1\nname: A B\nroles:\n- type: legislature\n  district: '12'\n";
        let l = legislator("data/ne/legislature/a.yml", text);
        assert_eq!(l.chamber, Chamber::StateUpper);
        assert_eq!(l.title, "State Senator");
        assert_eq!(l.division_id, "ocd-division/country:us/state:ne/sldu:12");
    }

    #[test]
    fn dc_councilmembers_sit_for_wards_or_the_whole_district() {
        let ward = "id: ocd-person/1\nname: A B\nroles:\n- type: legislature\n  district: Ward 2\n";
        let l = legislator("data/dc/legislature/a.yml", ward);
        assert_eq!(l.title, "Councilmember");
        assert_eq!(l.division_id, "ocd-division/country:us/district:dc/ward:2");
        let at_large =
            "id: ocd-person/1\nname: A B\nroles:\n- type: legislature\n  district: At-Large\n";
        let l = legislator("data/dc/legislature/a.yml", at_large);
        assert_eq!(l.division_id, "ocd-division/country:us/district:dc");
        let chair =
            "id: ocd-person/1\nname: A B\nroles:\n- type: legislature\n  district: Chairman\n";
        let l = legislator("data/dc/legislature/a.yml", chair);
        assert_eq!(l.division_id, "ocd-division/country:us/district:dc");
    }

    #[test]
    fn lower_house_titles_follow_the_state() {
        let text = "id: ocd-person/1\nname: A B\nroles:\n- type: lower\n  district: '12A'\n";
        let l = legislator("data/md/legislature/a.yml", text);
        assert_eq!(l.title, "Delegate");
        assert_eq!(l.division_id, "ocd-division/country:us/state:md/sldl:12a");
        let l = legislator("data/ny/legislature/a.yml", text);
        assert_eq!(l.title, "Assembly Member");
    }

    #[test]
    fn territories_are_skipped_and_bad_files_name_the_file() {
        let text = "id: ocd-person/1\nname: A B\nroles:\n- type: lower\n  district: '1'\n";
        assert!(matches!(
            parse("data/pr/legislature/a.yml", text),
            Ok(PersonFile::Skipped(_))
        ));
        let err = parse("data/ma/legislature/x.yml", "name: [").expect_err("bad");
        assert!(
            err.to_string().contains("data/ma/legislature/x.yml"),
            "{err}"
        );
        let err = parse("data/ma/legislature/x.yml", "name: A\n").expect_err("no id");
        assert!(err.to_string().contains("id"), "{err}");
        let err = parse(
            "data/ma/legislature/x.yml",
            "id: ocd-person/1\nname: A\nroles:\n- type: upper\n  district: '1'\n  end_date: soon\n",
        )
        .expect_err("bad date");
        assert!(err.to_string().contains("roles[0].end_date"), "{err}");
        let err = parse("x.yml", text).expect_err("no folder");
        assert!(err.to_string().contains("x.yml"), "{err}");
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
            let _ = parse("data/ma/legislature/x.yml", &text);
        }

        #[test]
        fn arbitrary_fields_never_panic(
            name in "\\PC{0,30}",
            kind in "(upper|lower|legislature|mayor|\\PC{0,6})",
            district in "\\PC{0,20}",
            end in "\\PC{0,12}",
            state in "[a-z]{2}",
        ) {
            let text = format!(
                "id: ocd-person/x\nname: {name:?}\nroles:\n- type: {kind:?}\n  district: {district:?}\n  end_date: {end:?}\n"
            );
            let _ = parse(&format!("data/{state}/legislature/x.yml"), &text);
        }

        #[test]
        fn slugs_are_lower_case_without_spaces(district in "\\PC{0,40}") {
            let slug = district_slug(&district);
            prop_assert!(!slug.contains(' '));
            prop_assert_eq!(slug.to_lowercase(), slug.clone());
        }
    }
}
