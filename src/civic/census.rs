//! The U.S. Census Bureau geocoder (free, no key): an address to congressional and state
//! legislative districts, as Census GEOIDs that the directory's division map turns into Open
//! Civic Data division ids. It names no people; the chain asks the directory for them.

use super::divisions::{cd_number, state_division_id, Layer};
use super::http::{HttpClient, ProviderError};
use super::provider::{Candidate, Located, Provider};
use super::source::DirectorySource;
use crate::domain::{fips_for_state, state_for_fips};
use crate::domain::{Address, StateCode, Zip};
use reqwest::header::HeaderMap;
use serde_json::Value;
use std::sync::Arc;

pub const NAME: &str = "census";

/// One district of a match, as the Census names it.
#[derive(Debug, Clone, PartialEq)]
pub struct CensusDistrict {
    pub layer: Layer,
    pub geoid: String,
    /// The layer's `NAME`, e.g. "Congressional District 3", "State Senate District 6".
    pub name: String,
}

/// Why a district is missing from an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GapKind {
    /// The layer came back as `[{"status": "Layer query encountered an error: ..."}]`.
    LayerError,
    /// The layer is absent or empty where the state has such districts.
    Absent,
    /// The directory's division map does not know the GEOID.
    Unmapped,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gap {
    pub layer: Layer,
    pub kind: GapKind,
}

impl Gap {
    /// The warning a supporter sees.
    pub fn warning(&self) -> String {
        let (district, who) = match self.layer {
            Layer::Cd => ("congressional district", "U.S. representative"),
            Layer::Sldu => ("state senate district", "state senator"),
            Layer::Sldl => ("state house district", "state representative"),
        };
        match self.kind {
            GapKind::LayerError => format!(
                "The Census geocoder could not look up your {district} just now, so your {who} \
                 is not listed. Please try again later."
            ),
            GapKind::Absent => {
                format!("We could not find your {district}, so your {who} is not listed.")
            }
            GapKind::Unmapped => format!(
                "We could not match your {district} to our directory, so your {who} is not listed."
            ),
        }
    }
}

/// One entry of `result.addressMatches`.
#[derive(Debug, Clone, PartialEq)]
pub struct CensusMatch {
    pub state: StateCode,
    pub zip: Option<Zip>,
    /// `(x, y)` = (longitude, latitude).
    pub coordinates: Option<(f64, f64)>,
    pub districts: Vec<CensusDistrict>,
    pub gaps: Vec<Gap>,
}

/// A match with its districts turned into OCD division ids.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub state: StateCode,
    pub zip: Option<Zip>,
    pub coordinates: Option<(f64, f64)>,
    /// The state division first, then congressional, upper and lower districts.
    pub divisions: Vec<String>,
    /// District names only (no street), for choosing between matches.
    pub label: String,
    pub gaps: Vec<Gap>,
}

impl Resolved {
    pub fn candidate(&self) -> Candidate {
        Candidate {
            label: self.label.clone(),
            state: self.state,
            zip: self.zip.clone(),
            divisions: self.divisions.clone(),
        }
    }
}

/// Reads a `geographies/*` answer. Errors only when the body is not the documented shape at
/// all; odd layers and matches outside the 50 states and DC are skipped.
pub fn parse_geographies(body: &[u8]) -> Result<Vec<CensusMatch>, String> {
    let value: Value = serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
    let matches = value
        .get("result")
        .and_then(|r| r.get("addressMatches"))
        .and_then(Value::as_array)
        .ok_or("no result.addressMatches list")?;
    Ok(matches.iter().filter_map(parse_match).collect())
}

fn parse_match(m: &Value) -> Option<CensusMatch> {
    let geographies = m.get("geographies").and_then(Value::as_object);
    let components = m.get("addressComponents");
    let mut districts = Vec::new();
    let mut gaps = Vec::new();
    let mut state = components
        .and_then(|c| c.get("state"))
        .and_then(Value::as_str)
        .and_then(|s| StateCode::parse(s).ok());
    if let Some(layers) = geographies {
        if state.is_none() {
            state = layers
                .iter()
                .filter(|(name, _)| is_states_layer(name))
                .filter_map(|(_, v)| v.as_array())
                .flatten()
                .find_map(|area| {
                    text(area, "STUSAB")
                        .and_then(|s| StateCode::parse(&s).ok())
                        .or_else(|| text(area, "GEOID").and_then(|g| state_for_fips(&g)))
                });
        }
        for layer in [Layer::Cd, Layer::Sldu, Layer::Sldl] {
            match newest_layer(layers, layer) {
                Some(areas) => match areas.as_array() {
                    Some(list) if list.iter().any(is_layer_error) => gaps.push(Gap {
                        layer,
                        kind: GapKind::LayerError,
                    }),
                    Some(list) => {
                        let found: Vec<CensusDistrict> = list
                            .iter()
                            .filter_map(|area| {
                                let geoid = text(area, "GEOID")?;
                                if geoid.contains("ZZ") {
                                    return None; // "not defined": water, or no such district
                                }
                                let name = text(area, "NAME")
                                    .or_else(|| text(area, "BASENAME"))
                                    .unwrap_or_else(|| geoid.clone());
                                Some(CensusDistrict { layer, geoid, name })
                            })
                            .collect();
                        if found.is_empty() {
                            gaps.push(Gap {
                                layer,
                                kind: GapKind::Absent,
                            });
                        }
                        districts.extend(found);
                    }
                    None => gaps.push(Gap {
                        layer,
                        kind: GapKind::LayerError,
                    }),
                },
                None => gaps.push(Gap {
                    layer,
                    kind: GapKind::Absent,
                }),
            }
        }
    } else {
        for layer in [Layer::Cd, Layer::Sldu, Layer::Sldl] {
            gaps.push(Gap {
                layer,
                kind: GapKind::Absent,
            });
        }
    }
    if state.is_none() {
        state = districts
            .iter()
            .find(|d| d.layer == Layer::Cd)
            .and_then(|d| d.geoid.get(..2))
            .and_then(state_for_fips);
    }
    let state = state?;
    // Areas from a neighbouring state (never expected) would map to the wrong people.
    let fips = fips_for_state(state);
    districts.retain(|d| d.geoid.starts_with(fips));
    // Nebraska's legislature and DC's council have one chamber: no lower layer is expected,
    // and DC has no state senate either.
    gaps.retain(|g| {
        !(g.kind == GapKind::Absent
            && (matches!((state.as_str(), g.layer), ("NE" | "DC", Layer::Sldl))
                || (state.as_str() == "DC" && g.layer == Layer::Sldu)))
    });
    let zip = components
        .and_then(|c| c.get("zip"))
        .and_then(Value::as_str)
        .and_then(|z| Zip::parse(z).ok());
    let coordinates = m.get("coordinates").and_then(|c| {
        Some((
            c.get("x")?.as_f64().filter(|x| x.is_finite())?,
            c.get("y")?.as_f64().filter(|y| y.is_finite())?,
        ))
    });
    Some(CensusMatch {
        state,
        zip,
        coordinates,
        districts,
        gaps,
    })
}

/// A field as text: the Census sends strings, but tolerate numbers.
fn text(area: &Value, key: &str) -> Option<String> {
    match area.get(key)? {
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn is_states_layer(name: &str) -> bool {
    name == "States" || (name.ends_with(" States") && !name.contains("District"))
}

fn is_layer_error(area: &Value) -> bool {
    area.get("GEOID").is_none() && area.get("status").is_some()
}

/// The layer for `kind`, matched by name (the vintage in the name changes with redistricting:
/// "119th Congressional Districts", "2024 State Legislative Districts - Upper"). When several
/// vintages come back, the newest (largest leading number) wins.
fn newest_layer(layers: &serde_json::Map<String, Value>, kind: Layer) -> Option<&Value> {
    let needle = match kind {
        Layer::Cd => "Congressional Districts",
        Layer::Sldu => "State Legislative Districts - Upper",
        Layer::Sldl => "State Legislative Districts - Lower",
    };
    layers
        .iter()
        .filter(|(name, _)| name.contains(needle))
        .max_by_key(|(name, _)| {
            let digits: String = name.chars().take_while(char::is_ascii_digit).collect();
            (digits.parse::<u64>().unwrap_or(0), name.len())
        })
        .map(|(_, v)| v)
}

/// The Census geocoder as a provider.
pub struct Census {
    http: HttpClient,
    base: String,
    directory: Arc<dyn DirectorySource>,
}

impl Census {
    pub fn new(http: HttpClient, base_url: &str, directory: Arc<dyn DirectorySource>) -> Census {
        Census {
            http,
            base: base_url.trim_end_matches('/').to_string(),
            directory,
        }
    }

    fn url(&self, address: &Address) -> Result<url::Url, ProviderError> {
        let common = [
            ("benchmark", "Public_AR_Current"),
            ("vintage", "Current_Current"),
            ("layers", "all"),
            ("format", "json"),
        ];
        let bad = |e: url::ParseError| ProviderError::Rejected {
            provider: NAME,
            status: 0,
            message: format!("civic.census_url is not a URL ({e})"),
        };
        match address {
            Address::Parts {
                street,
                city,
                state,
                zip,
            } => {
                let state = state.map(|s| s.as_str()).unwrap_or("");
                let zip = zip.as_ref().map(|z| z.as_str()).unwrap_or("");
                let params = [
                    ("street", street.as_str()),
                    ("city", city.as_str()),
                    ("state", state),
                    ("zip", zip),
                ];
                url::Url::parse_with_params(
                    &format!("{}/geographies/address", self.base),
                    params.iter().chain(common.iter()),
                )
                .map_err(bad)
            }
            other => {
                let line = other.one_line();
                url::Url::parse_with_params(
                    &format!("{}/geographies/onelineaddress", self.base),
                    [("address", line.as_str())].iter().chain(common.iter()),
                )
                .map_err(bad)
            }
        }
    }

    /// Every match for the address, parsed.
    pub async fn geocode(&self, address: &Address) -> Result<Vec<CensusMatch>, ProviderError> {
        let body = self
            .http
            .get(NAME, self.url(address)?, HeaderMap::new())
            .await?;
        parse_geographies(&body).map_err(|e| ProviderError::malformed(NAME, e))
    }

    /// A match's districts as OCD division ids, through the directory's division map.
    pub async fn resolve(&self, m: &CensusMatch) -> Result<Resolved, ProviderError> {
        let keys: Vec<(Layer, String)> = m
            .districts
            .iter()
            .map(|d| (d.layer, d.geoid.clone()))
            .collect();
        let ids = self.directory.division_ids(&keys).await.map_err(|err| {
            tracing::error!(error = %err, "the division map is unavailable");
            ProviderError::Unavailable {
                provider: NAME,
                reason: "the directory's division map is unavailable".into(),
            }
        })?;
        let mut divisions = vec![state_division_id(m.state)];
        let mut gaps = m.gaps.clone();
        let mut names = Vec::new();
        for (district, ids) in m.districts.iter().zip(ids) {
            // A split district (Idaho's House: one area, seats A and B) has two divisions.
            for id in &ids {
                if !divisions.contains(id) {
                    divisions.push(id.clone());
                }
            }
            if ids.is_empty() {
                tracing::warn!(
                    layer = district.layer.as_str(),
                    geoid = %district.geoid,
                    "no OCD division for a Census district"
                );
                gaps.push(Gap {
                    layer: district.layer,
                    kind: GapKind::Unmapped,
                });
            }
            names.push(district_label(district));
        }
        let label = if names.is_empty() {
            m.state.name().to_string()
        } else {
            format!("{}: {}", m.state.name(), names.join(", "))
        };
        Ok(Resolved {
            state: m.state,
            zip: m.zip.clone(),
            coordinates: m.coordinates,
            divisions,
            label,
            gaps,
        })
    }

    /// Geocodes and resolves: one place, several, or none.
    pub async fn locate_resolved(&self, address: &Address) -> Result<Found, ProviderError> {
        let matches = self.geocode(address).await?;
        let mut resolved: Vec<Resolved> = Vec::new();
        for m in &matches {
            let r = self.resolve(m).await?;
            // Two spellings of one place (same districts) are one answer.
            if !resolved
                .iter()
                .any(|o| o.state == r.state && same_set(&o.divisions, &r.divisions))
            {
                resolved.push(r);
            }
        }
        Ok(match resolved.len() {
            0 => Found::None,
            1 => Found::One(resolved.remove(0)),
            _ => Found::Several(resolved),
        })
    }
}

/// What [`Census::locate_resolved`] found.
#[derive(Debug, Clone, PartialEq)]
pub enum Found {
    None,
    One(Resolved),
    Several(Vec<Resolved>),
}

fn same_set(a: &[String], b: &[String]) -> bool {
    a.len() == b.len() && a.iter().all(|x| b.contains(x))
}

fn district_label(d: &CensusDistrict) -> String {
    if d.layer == Layer::Cd && cd_number(&d.geoid) == Some(0) {
        return "at-large congressional district".to_string();
    }
    d.name.clone()
}

#[async_trait::async_trait]
impl Provider for Census {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn locate(&self, address: &Address) -> Result<Located, ProviderError> {
        Ok(match self.locate_resolved(address).await? {
            Found::None => Located::NoMatch,
            Found::One(r) => Located::Divisions {
                state: r.state,
                zip: r.zip,
                divisions: r.divisions,
                people: Vec::new(),
                incomplete: Vec::new(),
                warnings: r.gaps.iter().map(Gap::warning).collect(),
            },
            Found::Several(all) => {
                Located::Ambiguous(all.iter().map(Resolved::candidate).collect())
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn body(v: Value) -> Vec<u8> {
        serde_json::to_vec(&v).expect("json")
    }

    fn mo_match() -> Value {
        json!({
            "matchedAddress": "201 W CAPITOL AVE, JEFFERSON CITY, MO, 65101",
            "coordinates": {"x": -92.17, "y": 38.57},
            "addressComponents": {"state": "MO", "zip": "65101"},
            "geographies": {
                "States": [{"GEOID": "29", "STUSAB": "MO", "NAME": "Missouri"}],
                "119th Congressional Districts": [{"GEOID": "2903", "CD119": "03", "NAME": "Congressional District 3"}],
                "2024 State Legislative Districts - Upper": [{"GEOID": "29006", "NAME": "State Senate District 6"}],
                "2024 State Legislative Districts - Lower": [{"GEOID": "29060", "NAME": "State House District 60"}],
                "Counties": [{"GEOID": "29051"}]
            }
        })
    }

    #[test]
    fn a_match_yields_its_state_zip_and_districts_by_layer_name() {
        let parsed = parse_geographies(&body(json!({"result": {"addressMatches": [mo_match()]}})))
            .expect("parses");
        assert_eq!(parsed.len(), 1);
        let m = &parsed[0];
        assert_eq!(m.state.as_str(), "MO");
        assert_eq!(m.zip.as_ref().map(Zip::as_str), Some("65101"));
        assert_eq!(m.coordinates, Some((-92.17, 38.57)));
        let geoids: Vec<_> = m
            .districts
            .iter()
            .map(|d| (d.layer, d.geoid.as_str()))
            .collect();
        assert_eq!(
            geoids,
            [
                (Layer::Cd, "2903"),
                (Layer::Sldu, "29006"),
                (Layer::Sldl, "29060")
            ]
        );
        assert!(m.gaps.is_empty());
    }

    #[test]
    fn the_newest_vintage_wins_and_no_vintage_field_is_needed() {
        let mut m = mo_match();
        m["geographies"]["120th Congressional Districts"] =
            json!([{"GEOID": "2904", "CD120": "04", "NAME": "Congressional District 4"}]);
        let parsed =
            parse_geographies(&body(json!({"result": {"addressMatches": [m]}}))).expect("parses");
        assert_eq!(parsed[0].districts[0].geoid, "2904");
    }

    #[test]
    fn a_failed_layer_is_a_gap_not_an_error() {
        let mut m = mo_match();
        m["geographies"]["2024 State Legislative Districts - Lower"] =
            json!([{"status": "Layer query encountered an error: timeout"}]);
        let parsed =
            parse_geographies(&body(json!({"result": {"addressMatches": [m]}}))).expect("parses");
        assert_eq!(
            parsed[0].gaps,
            [Gap {
                layer: Layer::Sldl,
                kind: GapKind::LayerError
            }]
        );
        assert_eq!(parsed[0].districts.len(), 2);
    }

    #[test]
    fn nebraska_and_dc_expect_no_lower_house() {
        let ne = json!({
            "addressComponents": {"state": "NE", "zip": "68509"},
            "geographies": {
                "119th Congressional Districts": [{"GEOID": "3101", "NAME": "Congressional District 1"}],
                "2024 State Legislative Districts - Upper": [{"GEOID": "31046", "NAME": "Legislative District 46"}]
            }
        });
        let dc = json!({
            "addressComponents": {"state": "DC", "zip": "20004"},
            "geographies": {
                "119th Congressional Districts": [{"GEOID": "1198", "NAME": "Delegate District (at Large)"}],
                "2024 State Legislative Districts - Lower": []
            }
        });
        let parsed = parse_geographies(&body(json!({"result": {"addressMatches": [ne, dc]}})))
            .expect("parses");
        assert!(parsed[0].gaps.is_empty(), "{:?}", parsed[0].gaps);
        assert!(parsed[1].gaps.is_empty(), "{:?}", parsed[1].gaps);
    }

    #[test]
    fn no_match_is_an_empty_list_and_junk_is_an_error() {
        assert_eq!(
            parse_geographies(br#"{"result":{"input":{},"addressMatches":[]}}"#),
            Ok(vec![])
        );
        assert!(parse_geographies(b"<html>busy</html>").is_err());
        assert!(parse_geographies(br#"{"errors":["Address cannot be empty"]}"#).is_err());
    }

    fn arb_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<f64>().prop_map(|f| json!(f)),
            any::<i64>().prop_map(|i| json!(i)),
            "[A-Za-z0-9 _-]{0,12}".prop_map(Value::String),
            prop_oneof![
                Just("GEOID"),
                Just("status"),
                Just("STUSAB"),
                Just("MA"),
                Just("25D03")
            ]
            .prop_map(|s| Value::String(s.into())),
        ];
        leaf.prop_recursive(5, 64, 6, |inner| {
            let keys = prop_oneof![
                Just("result".to_string()),
                Just("addressMatches".to_string()),
                Just("geographies".to_string()),
                Just("addressComponents".to_string()),
                Just("state".to_string()),
                Just("zip".to_string()),
                Just("GEOID".to_string()),
                Just("119th Congressional Districts".to_string()),
                Just("2024 State Legislative Districts - Upper".to_string()),
                Just("States".to_string()),
                Just("coordinates".to_string()),
                "[a-z]{1,6}",
            ];
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map(keys, inner, 0..5)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse_geographies(&bytes);
        }

        #[test]
        fn arbitrary_json_never_panics(v in arb_json()) {
            let _ = parse_geographies(&body(json!({"result": {"addressMatches": [v.clone()]}})));
            let _ = parse_geographies(&body(v));
        }
    }
}
