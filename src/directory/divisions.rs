//! From Census GEOIDs to Open Civic Data division ids, by openstates-geo's jurisdiction configs
//! (`configs/jurisdictions/<st>.yml`), and the division-id rules the directory shares with them.
//!
//! The mapping follows openstates-geo's own (`utils/geojson.py`, `_merge_ids`), so that an id
//! built here is the id Open States gives the same district:
//! 1. The layer's `sld-prefix` (DC's wards) replaces the layer name: `sldu` -> `ward`.
//! 2. The id `{prefix}-{GEOID}` (`sldu-25D03`, `sldl-29029`, `cd-2903`, `ward-11003`) is looked
//!    up in the state's `custom` pairs first, then matched with the `sld-match` regex of that
//!    prefix; capture group 1, leading zeros stripped, names the district:
//!    `{os-id-prefix}/{prefix}:{id}`, all lower case (`sldl-29([\d]+)` on `sldl-29029` ->
//!    `.../state:mo/sldl:29`; `sldu-0200([A-Z])` on `sldu-0200A` -> `.../state:ak/sldu:a`).
//! 3. Congressional districts are then named from the GEOID's last two digits: `00` and `98`
//!    (at-large seats and DC's delegate) are `cd:at-large`, others the number without leading
//!    zeros (`cd-2903` -> `.../state:mo/cd:3`, `cd-0200` -> `.../state:ak/cd:at-large`,
//!    `cd-1198` -> `ocd-division/country:us/district:dc/cd:at-large`).
//! 4. `ignored_chambers` (Nebraska's and DC's `sldl`) and GEOIDs ending in `ZZ` (water, no
//!    district) map to nothing; `split_districts` (Idaho's House: one area, seats A and B) maps
//!    to two divisions, `sldl:1a` and `sldl:1b`.

use super::{Dataset, DirectoryError};
use crate::domain::{fips_for_state, state_for_fips, StateCode};
use regex::Regex;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::fmt;

/// The Census layers a geocoder returns districts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    /// Congressional districts (`cd`).
    Cd,
    /// State legislative districts, upper chamber (`sldu`).
    Sldu,
    /// State legislative districts, lower chamber (`sldl`).
    Sldl,
}

impl Layer {
    pub fn as_str(&self) -> &'static str {
        match self {
            Layer::Cd => "cd",
            Layer::Sldu => "sldu",
            Layer::Sldl => "sldl",
        }
    }

    pub fn parse(raw: &str) -> Option<Layer> {
        match raw {
            "cd" => Some(Layer::Cd),
            "sldu" => Some(Layer::Sldu),
            "sldl" => Some(Layer::Sldl),
            _ => None,
        }
    }

    /// The layer of a Census geocoder layer name. The names carry a vintage that changes with
    /// redistricting ("119th Congressional Districts", "2024 State Legislative Districts -
    /// Upper"), so they are matched by substring.
    pub fn from_census_layer_name(name: &str) -> Option<Layer> {
        if name.contains("Congressional Districts") {
            Some(Layer::Cd)
        } else if name.contains("State Legislative Districts - Upper") {
            Some(Layer::Sldu)
        } else if name.contains("State Legislative Districts - Lower") {
            Some(Layer::Sldl)
        } else {
            None
        }
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The division id of a whole state, which is also U.S. senators' division:
/// `ocd-division/country:us/state:ma`; DC is a district: `ocd-division/country:us/district:dc`
/// (the prefix openstates-geo's `dc.yml` and Open States use).
pub fn state_division_id(state: StateCode) -> String {
    let code = state.as_str().to_ascii_lowercase();
    if code == "dc" {
        "ocd-division/country:us/district:dc".to_string()
    } else {
        format!("ocd-division/country:us/state:{code}")
    }
}

/// The division id of a House seat: `.../state:mo/cd:3`; district 0 (an at-large seat, and
/// DC's delegate) is `.../cd:at-large`, as openstates-geo names the Census codes `00` and `98`.
pub fn congressional_division_id(state: StateCode, district: u32) -> String {
    if district == 0 {
        format!("{}/cd:at-large", state_division_id(state))
    } else {
        format!("{}/cd:{district}", state_division_id(state))
    }
}

/// How one layer's GEOIDs become district ids.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerRule {
    /// Regex over `{prefix}-{GEOID}`; capture group 1 is the district id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sld_match: Option<String>,
    /// A division type used instead of the layer's name (DC: `ward`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sld_prefix: Option<String>,
    /// One Census area holds two seats, ids suffixed `a` and `b` (Idaho's House).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub split_districts: bool,
}

/// An explicit `sld-id` -> `os-id` pair for a named district (`sldu-25D03` -> `.../sldu:hampden`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomId {
    pub sld_id: String,
    pub os_id: String,
}

/// One state's openstates-geo config, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateRules {
    pub state: StateCode,
    /// `ocd-division/country:us/state:ma` (DC: `.../district:dc`).
    pub os_id_prefix: String,
    /// By division type: `cd`, `sldu`, `sldl`, and prefixes such as `ward`.
    pub layers: BTreeMap<String, LayerRule>,
    pub custom: Vec<CustomId>,
    /// Layers this state has no districts in (`sldl` for Nebraska and DC).
    #[serde(default)]
    pub ignored_chambers: Vec<String>,
}

/// What a jurisdiction config file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JurisdictionFile {
    State(StateRules),
    /// A territory or the national file (`usa.yml`): read, not used.
    Skipped(String),
}

/// Regexes come from downloaded files: bound their compiled size.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

fn compile(pattern: &str) -> Result<Regex, String> {
    let regex = regex::RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| format!("invalid sld-match `{pattern}`: {e}"))?;
    if regex.captures_len() < 2 {
        return Err(format!(
            "sld-match `{pattern}` has no capture group for the district id"
        ));
    }
    Ok(regex)
}

#[derive(Deserialize)]
struct RawJurisdiction {
    #[serde(rename = "os-id-prefix", default)]
    os_id_prefix: Option<String>,
    #[serde(rename = "id-mappings", default)]
    id_mappings: Option<BTreeMap<String, serde_yaml_ng::Value>>,
    #[serde(default)]
    ignored_chambers: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct RawLayer {
    #[serde(rename = "sld-match", default)]
    sld_match: Option<String>,
    #[serde(rename = "sld-prefix", default)]
    sld_prefix: Option<String>,
    #[serde(default)]
    split_districts: Option<bool>,
}

#[derive(Deserialize)]
struct RawCustom {
    #[serde(rename = "os-id", default)]
    os_id: Option<String>,
    #[serde(rename = "sld-id", default)]
    sld_id: Option<String>,
}

/// Division types are short lower-case words (`cd`, `sldu`, `ward`).
fn valid_division_type(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 32
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Parses `configs/jurisdictions/<st>.yml`. `file` is the path as found (only its name is used:
/// `ma.yml` is Massachusetts). Files of territories and `usa.yml` are skipped.
pub fn parse_jurisdiction(file: &str, text: &str) -> Result<JurisdictionFile, DirectoryError> {
    let bad = |message: String| DirectoryError::parse(Dataset::OpenStatesGeo, file, message);
    let name = file.rsplit('/').next().unwrap_or(file);
    let stem = name.strip_suffix(".yml").unwrap_or(name);
    let state = match stem {
        s if s.len() == 2 && s.bytes().all(|b| b.is_ascii_alphabetic()) => StateCode::parse(s).ok(),
        _ => None,
    };
    let Some(state) = state else {
        return Ok(JurisdictionFile::Skipped(format!(
            "`{stem}` is not a state or DC"
        )));
    };
    let raw: RawJurisdiction = serde_yaml_ng::from_str(text).map_err(|e| bad(e.to_string()))?;
    let prefix = raw
        .os_id_prefix
        .ok_or_else(|| bad("`os-id-prefix` is missing".into()))?;
    // The directory builds ids with the same prefix; a different one would make addresses
    // find no legislators, so refuse it loudly rather than import a directory that disagrees.
    let expected = state_division_id(state);
    if prefix != expected {
        return Err(bad(format!(
            "`os-id-prefix` is `{prefix}`, expected `{expected}`"
        )));
    }
    let mut layers = BTreeMap::new();
    let mut custom = Vec::new();
    for (key, value) in raw.id_mappings.unwrap_or_default() {
        if key == "custom" {
            let entries: Option<Vec<RawCustom>> = serde_yaml_ng::from_value(value)
                .map_err(|e| bad(format!("id-mappings.custom: {e}")))?;
            for (i, entry) in entries.unwrap_or_default().into_iter().enumerate() {
                // Entries without an sld-id name a division but no Census area: nothing maps
                // to them, exactly as in openstates-geo.
                let (Some(os_id), Some(sld_id)) = (entry.os_id, entry.sld_id) else {
                    continue;
                };
                if !os_id.starts_with("ocd-division/") {
                    return Err(bad(format!(
                        "id-mappings.custom[{i}]: os-id `{os_id}` is not an ocd-division id"
                    )));
                }
                custom.push(CustomId { sld_id, os_id });
            }
            continue;
        }
        if !valid_division_type(&key) {
            return Err(bad(format!("id-mappings: `{key}` is not a division type")));
        }
        let raw_layer: Option<RawLayer> =
            serde_yaml_ng::from_value(value).map_err(|e| bad(format!("id-mappings.{key}: {e}")))?;
        let rule = match raw_layer {
            Some(l) => LayerRule {
                sld_match: l.sld_match,
                sld_prefix: l.sld_prefix,
                split_districts: l.split_districts.unwrap_or(false),
            },
            None => LayerRule::default(),
        };
        if let Some(pattern) = &rule.sld_match {
            compile(pattern).map_err(|e| bad(format!("id-mappings.{key}: {e}")))?;
        }
        if let Some(p) = &rule.sld_prefix {
            if !valid_division_type(p) {
                return Err(bad(format!(
                    "id-mappings.{key}: sld-prefix `{p}` is not a division type"
                )));
            }
        }
        layers.insert(key, rule);
    }
    Ok(JurisdictionFile::State(StateRules {
        state,
        os_id_prefix: prefix,
        layers,
        custom,
        ignored_chambers: raw.ignored_chambers.unwrap_or_default(),
    }))
}

/// Stored rules that no longer compile.
#[derive(Debug, thiserror::Error)]
#[error("district rules for {state}: {message}")]
pub struct DivisionMapError {
    pub state: StateCode,
    pub message: String,
}

#[derive(Debug, Clone)]
struct CompiledRules {
    rules: StateRules,
    regexes: HashMap<String, Regex>,
    custom: HashMap<String, String>,
}

/// Every state's GEOID -> division rules, ready to map geocoder answers.
/// Build it once ([`crate::store::Store::division_map`]) and keep it: it compiles regexes.
#[derive(Debug, Clone, Default)]
pub struct DivisionMap {
    states: BTreeMap<StateCode, CompiledRules>,
}

impl DivisionMap {
    /// Compiles the rules; a later entry for the same state replaces an earlier one.
    pub fn new(rules: impl IntoIterator<Item = StateRules>) -> Result<Self, DivisionMapError> {
        let mut states = BTreeMap::new();
        for rules in rules {
            let mut regexes = HashMap::new();
            for (key, layer) in &rules.layers {
                if let Some(pattern) = &layer.sld_match {
                    let regex = compile(pattern).map_err(|message| DivisionMapError {
                        state: rules.state,
                        message,
                    })?;
                    regexes.insert(key.clone(), regex);
                }
            }
            let custom = rules
                .custom
                .iter()
                .map(|c| (c.sld_id.clone(), c.os_id.clone()))
                .collect();
            states.insert(
                rules.state,
                CompiledRules {
                    rules,
                    regexes,
                    custom,
                },
            );
        }
        Ok(DivisionMap { states })
    }

    /// The states (and DC) that have rules.
    pub fn states(&self) -> impl Iterator<Item = StateCode> + '_ {
        self.states.keys().copied()
    }

    pub fn len(&self) -> usize {
        self.states.len()
    }

    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }

    /// The rules as parsed, by state.
    pub fn rules(&self) -> impl Iterator<Item = &StateRules> + '_ {
        self.states.values().map(|c| &c.rules)
    }

    /// The division of a Census GEOID in `layer`, e.g. `(Sldu, "25D03")` ->
    /// `ocd-division/country:us/state:ma/sldu:hampden`. `None` for an unknown state, a layer
    /// the state does not have, or a GEOID no rule matches.
    ///
    /// A split district (Idaho's House: one area, two seats) has two divisions; this returns
    /// the first only, so lookups should prefer [`DivisionMap::ocd_ids`].
    pub fn ocd_id(&self, layer: Layer, geoid: &str) -> Option<String> {
        self.ocd_ids(layer, geoid).into_iter().next()
    }

    /// Every division of a Census GEOID in `layer`: one, or two for a split district, or none.
    pub fn ocd_ids(&self, layer: Layer, geoid: &str) -> Vec<String> {
        self.map(layer, geoid).unwrap_or_default()
    }

    fn map(&self, layer: Layer, geoid: &str) -> Option<Vec<String>> {
        let geoid = geoid.trim();
        if geoid.len() < 3
            || geoid.len() > 16
            || !geoid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            // Census "ZZ" areas are water and undefined land, not districts.
            || geoid.ends_with("ZZ")
        {
            return None;
        }
        let fips = geoid.get(..2)?;
        let state = state_for_fips(fips)?;
        let compiled = self.states.get(&state)?;
        let rules = &compiled.rules;
        if rules.ignored_chambers.iter().any(|c| c == layer.as_str()) {
            return None;
        }
        let layer_rule = rules.layers.get(layer.as_str())?;
        let division_type = layer_rule
            .sld_prefix
            .clone()
            .unwrap_or_else(|| layer.as_str().to_string());
        let census_id = format!("{division_type}-{geoid}");
        let mut ocd_id = match compiled.custom.get(&census_id) {
            Some(os_id) => os_id.clone(),
            None => {
                let regex = compiled.regexes.get(&division_type)?;
                let id = regex.captures(&census_id)?.get(1)?.as_str();
                let id = id.trim_start_matches('0');
                // `cd-020(\d)` on `cd-0200` leaves nothing; the House rule below names it.
                if id.is_empty() && division_type != "cd" {
                    return None;
                }
                format!("{}/{division_type}:{id}", rules.os_id_prefix).to_lowercase()
            }
        };
        if division_type == "cd" {
            let number = geoid.strip_prefix(fips_for_state(state))?;
            ocd_id = match number {
                "00" | "98" => format!("{}/cd:at-large", rules.os_id_prefix),
                n => format!("{}/cd:{}", rules.os_id_prefix, n.parse::<u32>().ok()?),
            };
        }
        let split = rules
            .layers
            .get(&division_type)
            .is_some_and(|r| r.split_districts);
        if split {
            Some(vec![format!("{ocd_id}a"), format!("{ocd_id}b")])
        } else {
            Some(vec![ocd_id])
        }
    }

    /// The explicitly listed divisions of a state's division type (`sldu`, `sldl`), if any.
    pub(crate) fn custom_os_ids(&self, state: StateCode, division_type: &str) -> Vec<&str> {
        let marker = format!("/{division_type}:");
        self.states
            .get(&state)
            .map(|c| {
                c.rules
                    .custom
                    .iter()
                    .filter(|x| x.os_id.contains(&marker))
                    .map(|x| x.os_id.as_str())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Whether a state's division type is mapped by a regex (numbered districts).
    pub(crate) fn has_regex(&self, state: StateCode, division_type: &str) -> bool {
        self.states
            .get(&state)
            .is_some_and(|c| c.regexes.contains_key(division_type))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn st(code: &str) -> StateCode {
        StateCode::parse(code).expect("state")
    }

    fn rules(file: &str, text: &str) -> StateRules {
        match parse_jurisdiction(file, text).expect("parses") {
            JurisdictionFile::State(r) => r,
            JurisdictionFile::Skipped(why) => panic!("skipped: {why}"),
        }
    }

    const MO: &str = r#"
name: Missouri
os-id-prefix: "ocd-division/country:us/state:mo"
id-mappings:
  sldl:
    key: DISTRICT
    sld-match: 'sldl-29([\d]+)'
  sldu:
    key: DISTRICT
    sld-match: 'sldu-290([\d]+)'
  cd:
    key: DISTRICT
    sld-match: 'cd-290(\d)'
"#;

    const DC: &str = r#"
name: "District of Columbia"
os-id-prefix: "ocd-division/country:us/district:dc"
id-mappings:
  sldu:
    sld-prefix: "ward"
    sld-match: 'sldu-1100(\d)'
  ward:
    sld-match: 'ward-1100(\d)'
  cd:
    sld-match: 'cd-11([\d]+)'
ignored_chambers:
  - sldl
"#;

    const AK: &str = r#"
name: Alaska
os-id-prefix: "ocd-division/country:us/state:ak"
id-mappings:
  sldl:
    key: DISTRICT
    sld-match: 'sldl-020([\d]+)'
  sldu:
    key: DISTRICT
    sld-match: 'sldu-0200([A-Z])'
    match_type: str
  cd:
    key: DISTRICT
    sld-match: 'cd-020(\d)'
"#;

    const ID: &str = r#"
name: Idaho
os-id-prefix: "ocd-division/country:us/state:id"
id-mappings:
  sldl:
    sld-match: 'sldl-160([\d]+)'
    split_districts: true
  sldu:
    sld-match: 'sldu-160([\d]+)'
"#;

    fn map() -> DivisionMap {
        DivisionMap::new([
            rules("mo.yml", MO),
            rules("dc.yml", DC),
            rules("ak.yml", AK),
            rules("id.yml", ID),
        ])
        .expect("compiles")
    }

    #[test]
    fn numbered_districts_follow_the_regex_with_zeros_stripped() {
        let m = map();
        assert_eq!(
            m.ocd_id(Layer::Sldl, "29029").as_deref(),
            Some("ocd-division/country:us/state:mo/sldl:29")
        );
        assert_eq!(
            m.ocd_id(Layer::Sldu, "29006").as_deref(),
            Some("ocd-division/country:us/state:mo/sldu:6")
        );
        assert_eq!(
            m.ocd_id(Layer::Cd, "2903").as_deref(),
            Some("ocd-division/country:us/state:mo/cd:3")
        );
        assert_eq!(
            m.ocd_id(Layer::Sldu, "02000A").as_deref(),
            None,
            "AK senate GEOIDs carry a letter: 0200A"
        );
        assert_eq!(
            m.ocd_id(Layer::Sldu, "0200A").as_deref(),
            Some("ocd-division/country:us/state:ak/sldu:a")
        );
    }

    #[test]
    fn at_large_seats_and_dc_are_cd_at_large() {
        let m = map();
        assert_eq!(
            m.ocd_id(Layer::Cd, "0200").as_deref(),
            Some("ocd-division/country:us/state:ak/cd:at-large")
        );
        assert_eq!(
            m.ocd_id(Layer::Cd, "1198").as_deref(),
            Some("ocd-division/country:us/district:dc/cd:at-large")
        );
        assert_eq!(
            m.ocd_id(Layer::Cd, "1198"),
            Some(congressional_division_id(st("DC"), 0))
        );
        assert_eq!(
            m.ocd_id(Layer::Cd, "0200"),
            Some(congressional_division_id(st("AK"), 0))
        );
    }

    #[test]
    fn dc_wards_use_the_ward_prefix_and_dc_has_no_lower_house() {
        let m = map();
        assert_eq!(
            m.ocd_id(Layer::Sldu, "11003").as_deref(),
            Some("ocd-division/country:us/district:dc/ward:3")
        );
        assert_eq!(m.ocd_id(Layer::Sldl, "11003"), None);
    }

    #[test]
    fn split_districts_give_two_seats() {
        let m = map();
        assert_eq!(
            m.ocd_ids(Layer::Sldl, "16001"),
            vec![
                "ocd-division/country:us/state:id/sldl:1a".to_string(),
                "ocd-division/country:us/state:id/sldl:1b".to_string()
            ]
        );
        assert_eq!(
            m.ocd_id(Layer::Sldl, "16001").as_deref(),
            Some("ocd-division/country:us/state:id/sldl:1a")
        );
        assert_eq!(m.ocd_ids(Layer::Sldu, "16001").len(), 1);
    }

    #[test]
    fn unknown_states_layers_and_water_map_to_nothing() {
        let m = map();
        assert_eq!(m.ocd_id(Layer::Sldl, "72001"), None, "Puerto Rico");
        assert_eq!(m.ocd_id(Layer::Sldl, "25001"), None, "no rules for MA here");
        assert_eq!(m.ocd_id(Layer::Sldl, "99001"), None, "no such FIPS");
        assert_eq!(m.ocd_id(Layer::Sldl, "29ZZZ"), None);
        assert_eq!(m.ocd_id(Layer::Cd, "16"), None);
        assert_eq!(m.ocd_id(Layer::Cd, "29é1"), None);
        assert_eq!(m.ocd_id(Layer::Cd, ""), None);
    }

    #[test]
    fn territory_and_national_files_are_skipped() {
        assert!(matches!(
            parse_jurisdiction("configs/jurisdictions/pr.yml", "name: x"),
            Ok(JurisdictionFile::Skipped(_))
        ));
        assert!(matches!(
            parse_jurisdiction("usa.yml", "name: x"),
            Ok(JurisdictionFile::Skipped(_))
        ));
    }

    #[test]
    fn bad_configs_name_the_file_and_the_problem() {
        let err = parse_jurisdiction("mo.yml", "os-id-prefix: [").expect_err("bad yaml");
        assert!(err.to_string().contains("mo.yml"), "{err}");
        let err = parse_jurisdiction(
            "mo.yml",
            "os-id-prefix: ocd-division/country:us/state:mo\nid-mappings:\n  sldl:\n    sld-match: '(['\n",
        )
        .expect_err("bad regex");
        assert!(err.to_string().contains("id-mappings.sldl"), "{err}");
        let err = parse_jurisdiction(
            "mo.yml",
            "os-id-prefix: ocd-division/country:us/state:mo\nid-mappings:\n  sldl:\n    sld-match: 'sldl-29'\n",
        )
        .expect_err("no group");
        assert!(err.to_string().contains("capture group"), "{err}");
        let err = parse_jurisdiction("mo.yml", "os-id-prefix: ocd-division/country:us/state:ks\n")
            .expect_err("wrong prefix");
        assert!(err.to_string().contains("expected"), "{err}");
        let err = parse_jurisdiction("mo.yml", "name: Missouri\n").expect_err("no prefix");
        assert!(err.to_string().contains("os-id-prefix"), "{err}");
    }

    #[test]
    fn census_layer_names_are_matched_whatever_their_vintage() {
        assert_eq!(
            Layer::from_census_layer_name("120th Congressional Districts"),
            Some(Layer::Cd)
        );
        assert_eq!(
            Layer::from_census_layer_name("2024 State Legislative Districts - Lower"),
            Some(Layer::Sldl)
        );
        assert_eq!(Layer::from_census_layer_name("States"), None);
    }

    #[test]
    fn rules_survive_a_json_round_trip() {
        let r = rules("dc.yml", DC);
        let json = serde_json::to_string(&r).expect("json");
        let back: StateRules = serde_json::from_str(&json).expect("back");
        assert_eq!(back, r);
    }

    proptest! {
        #[test]
        fn arbitrary_configs_never_panic(text in ".{0,400}") {
            let _ = parse_jurisdiction("mo.yml", &text);
        }

        #[test]
        fn arbitrary_yaml_shapes_never_panic(
            prefix in "[a-z:/]{0,40}",
            key in "[a-z_-]{0,8}",
            pattern in "[a-z\\-\\[\\]()\\\\d+*?]{0,20}",
        ) {
            let text = format!(
                "os-id-prefix: \"{prefix}\"\nid-mappings:\n  {key}:\n    sld-match: '{pattern}'\n  custom:\n    - os-id: x\n"
            );
            let _ = parse_jurisdiction("mo.yml", &text);
        }

        #[test]
        fn arbitrary_geoids_never_panic(geoid in "\\PC{0,20}", layer in 0usize..3) {
            let layer = [Layer::Cd, Layer::Sldu, Layer::Sldl][layer];
            let _ = map().ocd_ids(layer, &geoid);
        }
    }
}
