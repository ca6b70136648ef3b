//! Geocodio (`fields=cd,stateleg`, key required): districts and their current legislators in
//! one call.

use super::divisions::{state_division_id, state_of_division};
use super::http::{HttpClient, ProviderError};
use super::provider::{Located, Provider};
use crate::directory::{Chamber, Legislator};
use crate::domain::{Address, StateCode, Zip};
use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

pub const NAME: &str = "geocodio";
const SOURCE: &str = "Geocodio (fields=cd,stateleg)";

/// A parsed Geocodio answer: its first (best) result.
#[derive(Debug, Clone, PartialEq)]
pub enum Geocoded {
    NoResult,
    Place {
        state: StateCode,
        zip: Option<Zip>,
        divisions: Vec<String>,
        people: Vec<Legislator>,
    },
}

fn string(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn list(v: Option<&Value>) -> impl Iterator<Item = &Value> {
    v.and_then(Value::as_array).into_iter().flatten()
}

/// Reads a `geocode` body.
pub fn parse_geocode(body: &[u8], now: DateTime<Utc>) -> Result<Geocoded, String> {
    let value: Value = serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
    let results = value
        .get("results")
        .and_then(Value::as_array)
        .ok_or("no results list")?;
    let Some(best) = results.first() else {
        return Ok(Geocoded::NoResult);
    };
    let components = best.get("address_components");
    let fields = best.get("fields");
    let state = components
        .and_then(|c| string(c, "state"))
        .and_then(|s| StateCode::parse(&s).ok());
    let Some(state) = state else {
        // Outside the 50 states and DC (or no state at all): nothing we can serve.
        return Ok(Geocoded::NoResult);
    };
    let zip = components
        .and_then(|c| string(c, "zip"))
        .and_then(|z| Zip::parse(&z).ok());
    let mut divisions = vec![state_division_id(state)];
    let mut people = Vec::new();
    let add_division = |d: &str, divisions: &mut Vec<String>| {
        if !divisions.iter().any(|x| x == d) {
            divisions.push(d.to_string());
        }
    };
    for cd in list(fields.and_then(|f| f.get("congressional_districts"))) {
        let ocd = string(cd, "ocd_id").filter(|d| state_of_division(d) == Some(state));
        if let Some(ocd) = &ocd {
            add_division(ocd, &mut divisions);
        }
        let number = cd
            .get("district_number")
            .and_then(Value::as_i64)
            .map(|n| {
                if n == 0 || n == 98 {
                    "At-large".to_string()
                } else {
                    n.to_string()
                }
            })
            .unwrap_or_default();
        for p in list(cd.get("current_legislators")) {
            let senator = string(p, "type").as_deref() == Some("senator");
            let (chamber, division, district) = if senator {
                (Chamber::UsSenate, state_division_id(state), String::new())
            } else {
                let Some(ocd) = &ocd else { continue };
                (Chamber::UsHouse, ocd.clone(), number.clone())
            };
            if let Some(l) = legislator(p, chamber, state, division, district, now) {
                people.push(l);
            }
        }
    }
    let stateleg = fields.and_then(|f| f.get("state_legislative_districts"));
    for (key, chamber) in [
        ("senate", Chamber::StateUpper),
        ("house", Chamber::StateLower),
    ] {
        for d in list(stateleg.and_then(|s| s.get(key))) {
            let Some(ocd) = string(d, "ocd_id").filter(|d| state_of_division(d) == Some(state))
            else {
                continue;
            };
            add_division(&ocd, &mut divisions);
            let district = string(d, "district_number")
                .or_else(|| string(d, "name"))
                .unwrap_or_default();
            for p in list(d.get("current_legislators")) {
                if let Some(l) = legislator(p, chamber, state, ocd.clone(), district.clone(), now) {
                    people.push(l);
                }
            }
        }
    }
    Ok(Geocoded::Place {
        state,
        zip,
        divisions,
        people,
    })
}

fn legislator(
    p: &Value,
    chamber: Chamber,
    state: StateCode,
    division_id: String,
    district: String,
    now: DateTime<Utc>,
) -> Option<Legislator> {
    let bio = p.get("bio")?;
    let given_name = string(bio, "first_name").unwrap_or_default();
    let family_name = string(bio, "last_name")?;
    let name = format!("{given_name} {family_name}").trim().to_string();
    let contact = p.get("contact");
    let refs = p.get("references");
    let id = match chamber {
        Chamber::UsSenate | Chamber::UsHouse => refs
            .and_then(|r| string(r, "bioguide_id"))
            .map(|b| format!("bioguide:{b}")),
        _ => refs.and_then(|r| string(r, "openstates_id")),
    }
    .unwrap_or_else(|| format!("geocodio:{division_id}:{name}"));
    let title = match chamber {
        Chamber::UsSenate => "U.S. Senator",
        Chamber::UsHouse => "U.S. Representative",
        Chamber::StateUpper => "State Senator",
        Chamber::StateLower => "State Representative",
    };
    let email = if chamber.is_federal() {
        None
    } else {
        contact
            .and_then(|c| string(c, "email"))
            .filter(|e| e.contains('@'))
    };
    let contact_form = contact
        .and_then(|c| string(c, "contact_form"))
        .filter(|u| u.starts_with("http://") || u.starts_with("https://"));
    Some(Legislator {
        id,
        name,
        given_name,
        family_name,
        title: title.to_string(),
        chamber,
        state,
        district,
        division_id,
        party: string(bio, "party"),
        email,
        contact_form,
        phone: contact.and_then(|c| string(c, "phone")),
        photo_url: string(bio, "photo_url"),
        source: SOURCE.to_string(),
        synced_at: now,
    })
}

/// Geocodio as a provider.
pub struct Geocodio {
    http: HttpClient,
    base: String,
    key: SecretString,
}

impl Geocodio {
    pub fn new(http: HttpClient, base_url: &str, key: SecretString) -> Self {
        Geocodio {
            http,
            base: base_url.trim_end_matches('/').to_string(),
            key,
        }
    }
}

#[async_trait::async_trait]
impl Provider for Geocodio {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn locate(&self, address: &Address) -> Result<Located, ProviderError> {
        let line = address.one_line();
        let url = url::Url::parse_with_params(
            &format!("{}/geocode", self.base),
            [
                ("q", line.as_str()),
                ("fields", "cd,stateleg"),
                ("api_key", self.key.expose_secret()),
            ],
        )
        .map_err(|e| ProviderError::Rejected {
            provider: NAME,
            status: 0,
            message: format!("civic.geocodio_url is not a URL ({e})"),
        })?;
        let body = match self.http.get(NAME, url, HeaderMap::new()).await {
            Ok(body) => body,
            // Geocodio answers 422 when it cannot geocode the *address* ("Could not geocode
            // address. Postal code or city required."); the other parameters are ours and fixed,
            // so this is a no-match, not a broken request.
            Err(ProviderError::Rejected { status: 422, .. }) => return Ok(Located::NoMatch),
            Err(other) => return Err(other),
        };
        match parse_geocode(&body, Utc::now()).map_err(|e| ProviderError::malformed(NAME, e))? {
            Geocoded::NoResult => Ok(Located::NoMatch),
            Geocoded::Place {
                state,
                zip,
                divisions,
                people,
            } => Ok(Located::Divisions {
                state,
                zip,
                divisions,
                people,
                incomplete: Vec::new(),
                warnings: Vec::new(),
            }),
        }
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

    #[test]
    fn districts_and_people_come_from_the_first_result() {
        let v = json!({"results": [{
            "address_components": {"state": "MA", "zip": "02139"},
            "fields": {
                "congressional_districts": [{"district_number": 7, "ocd_id": "ocd-division/country:us/state:ma/cd:7",
                    "current_legislators": [
                        {"type": "representative", "bio": {"first_name": "Ayanna", "last_name": "Pressley", "party": "Democrat"},
                         "contact": {"url": "https://pressley.house.gov", "phone": "202-225-5111", "contact_form": null},
                         "references": {"bioguide_id": "P000617"}},
                        {"type": "senator", "bio": {"first_name": "Ed", "last_name": "Markey", "party": "Democrat"},
                         "contact": {"contact_form": "https://www.markey.senate.gov/contact"},
                         "references": {"bioguide_id": "M000133"}}]}],
                "state_legislative_districts": {
                    "house": [{"district_number": "26", "ocd_id": "ocd-division/country:us/state:ma/sldl:26th_middlesex",
                        "current_legislators": [{"type": "representative", "bio": {"first_name": "Mike", "last_name": "Connolly"},
                            "contact": {"email": "mike.connolly@mahouse.gov"}, "references": {"openstates_id": "ocd-person/x"}}]}],
                    "senate": [{"district_number": "2", "ocd_id": "ocd-division/country:us/state:ma/sldu:middlesex_and_suffolk",
                        "current_legislators": []}]
                }
            }
        }]});
        let Geocoded::Place {
            state,
            divisions,
            people,
            ..
        } = parse_geocode(&serde_json::to_vec(&v).expect("json"), now()).expect("ok")
        else {
            panic!("a place");
        };
        assert_eq!(state.as_str(), "MA");
        assert_eq!(divisions.len(), 4);
        assert_eq!(people.len(), 3);
        assert_eq!(people[0].id, "bioguide:P000617");
        assert_eq!(people[1].chamber, Chamber::UsSenate);
        assert_eq!(people[1].division_id, "ocd-division/country:us/state:ma");
        assert_eq!(
            people[1].contact_form.as_deref(),
            Some("https://www.markey.senate.gov/contact")
        );
        assert_eq!(
            people[2].email.as_deref(),
            Some("mike.connolly@mahouse.gov")
        );
        assert_eq!(people[2].id, "ocd-person/x");
    }

    #[test]
    fn no_results_is_no_match() {
        assert_eq!(
            parse_geocode(br#"{"input":{},"results":[]}"#, now()),
            Ok(Geocoded::NoResult)
        );
        assert!(parse_geocode(br#"{"error":"x"}"#, now()).is_err());
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse_geocode(&bytes, now());
        }

        #[test]
        fn mangled_results_never_panic(
            state in prop_oneof![Just(json!("MA")), Just(json!(null)), ".{0,4}".prop_map(|s| json!(s))],
            number in prop_oneof![Just(json!(null)), any::<i64>().prop_map(|n| json!(n)), ".{0,4}".prop_map(|s| json!(s))],
            ocd in prop_oneof![Just(json!("ocd-division/country:us/state:ma/cd:7")), ".{0,30}".prop_map(|s| json!(s)), Just(json!(1))],
            people in prop_oneof![Just(json!(null)), Just(json!([{}])), Just(json!([{"bio": {"last_name": "X"}, "type": "senator"}])), Just(json!("x"))],
        ) {
            let v = json!({"results": [{"address_components": {"state": state},
                "fields": {"congressional_districts": [{"district_number": number, "ocd_id": ocd, "current_legislators": people}],
                           "state_legislative_districts": {"house": [{"ocd_id": ocd, "current_legislators": people}], "senate": 3}}}]});
            let _ = parse_geocode(&serde_json::to_vec(&v).expect("json"), now());
        }
    }
}
