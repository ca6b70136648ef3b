//! Open States API v3 `people.geo` (free key): the state legislators and members of Congress for
//! a point. The point comes from the Census geocoder, whose districts are kept too: they let the
//! chain fill in from the directory when Open States cuts its answer short (ten people at most).

use super::census::{Census, Found, Gap, NAME as CENSUS};
use super::divisions::{is_federal_division, state_of_division, Layer};
use super::http::{HttpClient, ProviderError};
use super::provider::{Located, Provider};
use crate::directory::{Chamber, Legislator};
use crate::domain::{Address, StateCode};
use chrono::{DateTime, Utc};
use reqwest::header::{HeaderMap, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use std::sync::Arc;

pub const NAME: &str = "openstates";
const SOURCE: &str = "Open States API v3 (people.geo)";

/// A parsed `people.geo` answer.
#[derive(Debug, Clone, PartialEq)]
pub struct People {
    pub people: Vec<Legislator>,
    /// `pagination.total_items`, when given.
    pub total_items: Option<u64>,
    /// How many results came back (some may have been unusable and skipped).
    pub returned: usize,
}

impl People {
    /// Open States returns ten people at most; more may exist.
    pub fn truncated(&self) -> bool {
        self.total_items.is_some_and(|t| t > self.returned as u64)
    }
}

/// Reads a `people.geo` body. People without a usable role or division are skipped.
pub fn parse_people(body: &[u8], now: DateTime<Utc>) -> Result<People, String> {
    let value: Value = serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
    let results = value
        .get("results")
        .and_then(Value::as_array)
        .ok_or("no results list")?;
    let total_items = value
        .get("pagination")
        .and_then(|p| p.get("total_items"))
        .and_then(Value::as_u64);
    Ok(People {
        people: results.iter().filter_map(|p| person(p, now)).collect(),
        total_items,
        returned: results.len(),
    })
}

fn string(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn looks_like_url(s: &str) -> bool {
    s.starts_with("http://") || s.starts_with("https://")
}

fn person(p: &Value, now: DateTime<Utc>) -> Option<Legislator> {
    let id = string(p, "id")?;
    let role = p.get("current_role")?;
    let division_id = string(role, "division_id")?;
    let federal = p
        .get("jurisdiction")
        .and_then(|j| string(j, "classification"))
        .is_some_and(|c| c == "country");
    let org = string(role, "org_classification").unwrap_or_default();
    let chamber = match (federal, org.as_str()) {
        (true, "upper") => Chamber::UsSenate,
        (true, "lower") => Chamber::UsHouse,
        (false, "upper" | "legislature") => Chamber::StateUpper,
        (false, "lower") => Chamber::StateLower,
        _ => return None,
    };
    let state = state_of_division(&division_id).or_else(|| {
        let jid = p.get("jurisdiction").and_then(|j| string(j, "id"))?;
        state_of_division(&jid.replace("ocd-jurisdiction/", "ocd-division/"))
    })?;
    let given_name = string(p, "given_name").unwrap_or_default();
    let family_name = string(p, "family_name").unwrap_or_default();
    let name = string(p, "name").or_else(|| {
        let joined = format!("{given_name} {family_name}").trim().to_string();
        (!joined.is_empty()).then_some(joined)
    })?;
    // A JSON number for numbered districts, a string otherwise.
    let district = match role.get("district") {
        Some(Value::String(s)) => s.trim().to_string(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    let role_title = string(role, "title").unwrap_or_default();
    let title = match chamber {
        Chamber::UsSenate => "U.S. Senator".to_string(),
        Chamber::UsHouse if role_title.contains("Delegate") => "Delegate".to_string(),
        Chamber::UsHouse if role_title.contains("Commissioner") => role_title.clone(),
        Chamber::UsHouse => "U.S. Representative".to_string(),
        Chamber::StateUpper if matches!(role_title.as_str(), "" | "Senator") => {
            "State Senator".to_string()
        }
        Chamber::StateLower if matches!(role_title.as_str(), "" | "Representative") => {
            "State Representative".to_string()
        }
        _ => role_title.clone(),
    };
    // Members of Congress publish web forms, and Open States puts the form's URL in `email`.
    let (email, contact_form) = match string(p, "email") {
        Some(e) if looks_like_url(&e) => (None, Some(e)),
        Some(e) if e.contains('@') && !federal => (Some(e), None),
        _ => (None, None),
    };
    let offices: Vec<&Value> = p
        .get("offices")
        .and_then(Value::as_array)
        .map(|o| o.iter().collect())
        .unwrap_or_default();
    let phone = offices
        .iter()
        .filter(|o| string(o, "classification").as_deref() == Some("capitol"))
        .chain(offices.iter())
        .find_map(|o| string(o, "voice"));
    Some(Legislator {
        id,
        name,
        given_name,
        family_name,
        title,
        chamber,
        state,
        district,
        division_id,
        party: string(p, "party"),
        email,
        contact_form,
        phone,
        photo_url: string(p, "image").filter(|u| looks_like_url(u)),
        source: SOURCE.to_string(),
        synced_at: now,
    })
}

/// Open States as a provider (Census for the point, then `people.geo`).
pub struct OpenStates {
    http: HttpClient,
    base: String,
    key: SecretString,
    census: Arc<Census>,
}

impl OpenStates {
    pub fn new(http: HttpClient, base_url: &str, key: SecretString, census: Arc<Census>) -> Self {
        OpenStates {
            http,
            base: base_url.trim_end_matches('/').to_string(),
            key,
            census,
        }
    }

    async fn people_at(&self, lng: f64, lat: f64) -> Result<People, ProviderError> {
        let url = url::Url::parse_with_params(
            &format!("{}/people.geo", self.base),
            [
                ("lat", lat.to_string()),
                ("lng", lng.to_string()),
                ("include", "offices".to_string()),
                ("include", "links".to_string()),
            ],
        )
        .map_err(|e| ProviderError::Rejected {
            provider: NAME,
            status: 0,
            message: format!("civic.openstates_url is not a URL ({e})"),
        })?;
        let mut key = HeaderValue::from_str(self.key.expose_secret()).map_err(|_| {
            ProviderError::Rejected {
                provider: NAME,
                status: 0,
                message: "the API key holds characters a header cannot carry".into(),
            }
        })?;
        key.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert("X-API-KEY", key);
        let body = self.http.get(NAME, url, headers).await?;
        parse_people(&body, Utc::now()).map_err(|e| ProviderError::malformed(NAME, e))
    }
}

fn layer_chamber(layer: Layer) -> Chamber {
    match layer {
        Layer::Cd => Chamber::UsHouse,
        Layer::Sldu => Chamber::StateUpper,
        Layer::Sldl => Chamber::StateLower,
    }
}

/// Combines the Census districts of a point with Open States' people there: divisions, people,
/// divisions whose people may be cut short, warnings.
fn combine(
    state: StateCode,
    census_divisions: Vec<String>,
    gaps: &[Gap],
    found: People,
) -> (Vec<String>, Vec<Legislator>, Vec<String>, Vec<String>) {
    let truncated = found.truncated();
    let people: Vec<Legislator> = found
        .people
        .into_iter()
        .filter(|p| p.state == state)
        .collect();
    let mut divisions = census_divisions;
    for p in &people {
        if !divisions.contains(&p.division_id) {
            divisions.push(p.division_id.clone());
        }
    }
    // Only state legislative seats can hold more people than one answer carries; members of
    // Congress are all there, and their ids (ocd-person) differ from the directory's (bioguide).
    let incomplete = if truncated {
        divisions
            .iter()
            .filter(|d| !is_federal_division(d, state))
            .cloned()
            .collect()
    } else {
        Vec::new()
    };
    let warnings = gaps
        .iter()
        .filter(|g| !people.iter().any(|p| p.chamber == layer_chamber(g.layer)))
        .map(Gap::warning)
        .collect();
    (divisions, people, incomplete, warnings)
}

#[async_trait::async_trait]
impl Provider for OpenStates {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn locate(&self, address: &Address) -> Result<Located, ProviderError> {
        let place = match self.census.locate_resolved(address).await? {
            Found::None => return Ok(Located::NoMatch),
            Found::Several(all) => {
                return Ok(Located::Ambiguous(
                    all.iter().map(|r| r.candidate()).collect(),
                ))
            }
            Found::One(place) => place,
        };
        let Some((lng, lat)) = place.coordinates else {
            return Err(ProviderError::malformed(
                CENSUS,
                "the match carries no coordinates",
            ));
        };
        let found = self.people_at(lng, lat).await?;
        let (divisions, people, incomplete, warnings) =
            combine(place.state, place.divisions, &place.gaps, found);
        Ok(Located::Divisions {
            state: place.state,
            zip: place.zip,
            divisions,
            people,
            incomplete,
            warnings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_750_000_000, 0).expect("time")
    }

    fn sample() -> Value {
        json!({
            "results": [
                {"id": "ocd-person/aaaa", "name": "Pat Rep", "given_name": "Pat", "family_name": "Rep",
                 "party": "Democratic", "email": "pat.rep@mahouse.gov", "image": "https://x/p.jpg",
                 "current_role": {"title": "Representative", "org_classification": "lower",
                    "district": "7th Hampden", "division_id": "ocd-division/country:us/state:ma/sldl:7th_hampden"},
                 "jurisdiction": {"id": "ocd-jurisdiction/country:us/state:ma/government", "name": "Massachusetts", "classification": "state"},
                 "offices": [{"classification": "district", "voice": "413-555-0100"},
                             {"classification": "capitol", "voice": "617-722-2000"}]},
                {"id": "ocd-person/bbbb", "name": "Sam Senate",
                 "current_role": {"title": "Senator", "org_classification": "upper", "district": 12,
                    "division_id": "ocd-division/country:us/state:mo/sldu:12"},
                 "jurisdiction": {"classification": "state"}},
                {"id": "ocd-person/cccc", "name": "Fed Member",
                 "email": "https://www.house.gov/contact",
                 "current_role": {"title": "Representative", "org_classification": "lower", "district": 1,
                    "division_id": "ocd-division/country:us/state:ma/cd:1"},
                 "jurisdiction": {"classification": "country"}},
                {"id": "ocd-person/dddd", "name": "No Role"}
            ],
            "pagination": {"per_page": 10, "page": 1, "max_page": 1, "total_items": 4}
        })
    }

    #[test]
    fn string_and_number_districts_and_federal_contact_forms() {
        let p = parse_people(&serde_json::to_vec(&sample()).expect("json"), now()).expect("ok");
        assert_eq!(p.people.len(), 3);
        assert!(!p.truncated());
        let rep = &p.people[0];
        assert_eq!(rep.district, "7th Hampden");
        assert_eq!(rep.title, "State Representative");
        assert_eq!(rep.chamber, Chamber::StateLower);
        assert_eq!(rep.email.as_deref(), Some("pat.rep@mahouse.gov"));
        assert_eq!(rep.phone.as_deref(), Some("617-722-2000"));
        let sen = &p.people[1];
        assert_eq!(sen.district, "12");
        assert_eq!(sen.state.as_str(), "MO");
        assert_eq!(sen.title, "State Senator");
        let fed = &p.people[2];
        assert_eq!(fed.chamber, Chamber::UsHouse);
        assert_eq!(fed.email, None);
        assert_eq!(
            fed.contact_form.as_deref(),
            Some("https://www.house.gov/contact")
        );
    }

    #[test]
    fn more_people_than_returned_is_truncated() {
        let mut v = sample();
        v["pagination"]["total_items"] = json!(14);
        let p = parse_people(&serde_json::to_vec(&v).expect("json"), now()).expect("ok");
        assert!(p.truncated());
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse_people(&bytes, now());
        }

        #[test]
        fn mangled_people_never_panic(
            district in prop_oneof![Just(json!(null)), any::<i64>().prop_map(|n| json!(n)),
                                    ".{0,10}".prop_map(|s| json!(s)), Just(json!([1, 2]))],
            division in prop_oneof![Just(json!(null)), ".{0,40}".prop_map(|s| json!(s)),
                                    Just(json!("ocd-division/country:us/state:ma/sldl:1"))],
            classification in prop_oneof![Just(json!("country")), Just(json!("state")), Just(json!(7))],
            org in prop_oneof![Just(json!("upper")), Just(json!("lower")), Just(json!("legislature")), Just(json!({}))],
            email in prop_oneof![Just(json!(null)), ".{0,20}".prop_map(|s| json!(s))],
            total in prop_oneof![Just(json!(null)), any::<i64>().prop_map(|n| json!(n)), Just(json!("x"))],
        ) {
            let v = json!({"results": [{"id": "ocd-person/x", "name": "X", "email": email,
                "current_role": {"org_classification": org, "district": district, "division_id": division},
                "jurisdiction": {"classification": classification}, "offices": "none"}],
                "pagination": {"total_items": total}});
            let _ = parse_people(&serde_json::to_vec(&v).expect("json"), now());
        }
    }
}
