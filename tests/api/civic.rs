//! The civic-data lookup (`Locator`), driven directly against wiremock stand-ins that speak the
//! documented wire formats of the Census geocoder, Open States `people.geo` and Geocodio
//! (bodies in tests/fixtures/civic). The lookup cache and the directory live in the suite's
//! database (SQLite or PostgreSQL); the directory holds the few legislators the tests need and
//! openstates-geo's real jurisdiction configs for six states, read from `../shared/data` (or
//! `ADVOCATE_SHARED_DATA`), never copied into the repository.

use advocate::civic::{Accuracy, Locator, Lookup, LookupError};
use advocate::config::Settings;
use advocate::directory::{
    parse_jurisdiction, Chamber, Directory, JurisdictionFile, Legislator, StateRules, ZipDistrict,
};
use advocate::domain::{Address, AddressInput, StateCode, Zip};
use advocate::store::lookup_cache::{CachedChoice, CachedLookup};
use advocate::store::Store;
use advocate_test_support::{fixture, shared_data, test_settings};
use std::time::{Duration, Instant};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

// ------------------------------------------------------------------------------------------
// The world the tests run in

const MO_ADDRESS: &str = "201 W Capitol Ave, Jefferson City, MO 65101";
const MA_ADDRESS: &str = "36 Court St, Springfield, MA 01103";
const API_KEY: &str = "test-key-123";

struct Civic {
    locator: Locator,
    store: Store,
    census: MockServer,
    openstates: MockServer,
    geocodio: MockServer,
    _dir: Option<tempfile::TempDir>,
}

/// A locator over `providers` (comma-separated), with fresh stand-ins and database.
async fn civic(providers: &str) -> Civic {
    civic_with(providers, &[]).await
}

async fn civic_with(providers: &str, extra: &[(&str, &str)]) -> Civic {
    let census = MockServer::start().await;
    let openstates = MockServer::start().await;
    let geocodio = MockServer::start().await;
    let mut env: Vec<(String, String)> = vec![
        ("ADVOCATE__CIVIC__PROVIDERS".into(), providers.into()),
        ("ADVOCATE__CIVIC__CENSUS_URL".into(), census.uri()),
        ("ADVOCATE__CIVIC__OPENSTATES_URL".into(), openstates.uri()),
        ("ADVOCATE__CIVIC__OPENSTATES_API_KEY".into(), API_KEY.into()),
        ("ADVOCATE__CIVIC__GEOCODIO_URL".into(), geocodio.uri()),
        ("ADVOCATE__CIVIC__GEOCODIO_API_KEY".into(), API_KEY.into()),
    ];
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (settings, dir) = test_settings(&env).await;
    let store = Store::connect(&settings.database).await.expect("connect");
    store.migrate().await.expect("migrate");
    store
        .replace_directory(&directory())
        .await
        .expect("directory stored");
    let locator = Locator::new(&settings.civic, store.clone()).expect("locator builds");
    Civic {
        locator,
        store,
        census,
        openstates,
        geocodio,
        _dir: dir,
    }
}

impl Civic {
    /// Another locator (a second server instance) on the same database.
    async fn second_instance(&self, providers: &str) -> Locator {
        let env = [
            ("ADVOCATE__CIVIC__PROVIDERS", providers.to_string()),
            ("ADVOCATE__CIVIC__CENSUS_URL", self.census.uri()),
        ];
        let env = env.iter().map(|(k, v)| (k.to_string(), v.clone()));
        let settings = Settings::load_with_env(None, env).expect("settings");
        Locator::new(&settings.civic, self.store.clone()).expect("locator builds")
    }
}

fn body(name: &str) -> String {
    std::fs::read_to_string(fixture(&format!("civic/{name}"))).expect("fixture")
}

fn json(status: u16, name: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body(name), "application/json")
}

/// The Census answers `address` (one line) with `fixture`, `times` times exactly.
async fn census_answers(server: &MockServer, address: &str, fixture: &str, times: u64) {
    Mock::given(method("GET"))
        .and(path("/geographies/onelineaddress"))
        .and(query_param("address", address))
        .and(query_param("benchmark", "Public_AR_Current"))
        .and(query_param("vintage", "Current_Current"))
        .and(query_param("layers", "all"))
        .and(query_param("format", "json"))
        .respond_with(json(200, &format!("census/{fixture}")))
        .expect(times)
        .mount(server)
        .await;
}

/// Open States `people.geo`, with the API key in its header.
fn people_geo() -> wiremock::MockBuilder {
    Mock::given(method("GET"))
        .and(path("/people.geo"))
        .and(header("X-API-KEY", API_KEY))
        .and(query_param("include", "offices"))
}

fn line(s: &str) -> Address {
    Address::parse(&AddressInput {
        address: Some(s.into()),
        ..Default::default()
    })
    .expect("address parses")
}

fn zip_only(z: &str) -> Address {
    Address::ZipOnly(Zip::parse(z).expect("zip"))
}

fn st(code: &str) -> StateCode {
    StateCode::parse(code).expect("state")
}

fn ids(lookup: &Lookup) -> Vec<&str> {
    lookup.targets.iter().map(|l| l.id.as_str()).collect()
}

fn chambers(lookup: &Lookup) -> Vec<Chamber> {
    lookup.targets.iter().map(|l| l.chamber).collect()
}

fn person(id: &str, name: &str, chamber: Chamber, district: &str, division: &str) -> Legislator {
    let state = division
        .trim_start_matches("ocd-division/country:us/")
        .split(['/', ':'])
        .nth(1)
        .expect("a state in the division");
    let (given, family) = name.rsplit_once(' ').unwrap_or(("", name));
    let federal = chamber.is_federal();
    Legislator {
        id: id.into(),
        name: name.into(),
        given_name: given.into(),
        family_name: family.into(),
        title: match chamber {
            Chamber::StateUpper => "State Senator",
            Chamber::StateLower => "State Representative",
            Chamber::UsSenate => "U.S. Senator",
            Chamber::UsHouse => "U.S. Representative",
        }
        .into(),
        chamber,
        state: st(state),
        district: district.into(),
        division_id: division.into(),
        party: Some("Independent".into()),
        email: (!federal).then(|| format!("{}@directory.example", family.to_lowercase())),
        contact_form: federal.then(|| format!("https://{}.example/contact", family.to_lowercase())),
        phone: None,
        photo_url: None,
        source: "test directory".into(),
        synced_at: chrono::Utc::now(),
    }
}

fn division_rules() -> Vec<StateRules> {
    ["ma", "mo", "ne", "dc", "wy", "nh"]
        .iter()
        .map(|s| {
            let file = format!("{s}.yml");
            let path = shared_data()
                .join("openstates-geo/configs/jurisdictions")
                .join(&file);
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            match parse_jurisdiction(&file, &text).expect("config parses") {
                JurisdictionFile::State(rules) => rules,
                other => panic!("{file}: {other:?}"),
            }
        })
        .collect()
}

/// The legislators the tests need, with the division ids the real directory gives them:
/// (id, name, chamber, district, division after `ocd-division/country:us/`).
#[rustfmt::skip]
const PEOPLE: &[(&str, &str, Chamber, &str, &str)] = {
    use Chamber::*;
    &[
        // Missouri
        ("ocd-person/1c3b7d2f-0001-4000-8000-000000000001", "Mike Bernskoetter", StateUpper, "6", "state:mo/sldu:6"),
        ("ocd-person/1c3b7d2f-0002-4000-8000-000000000002", "Dave Griffith", StateLower, "60", "state:mo/sldl:60"),
        ("ocd-person/mo-sldu-10", "Travis Fitzwater", StateUpper, "10", "state:mo/sldu:10"),
        ("ocd-person/mo-sldl-59", "Rudy Veit", StateLower, "59", "state:mo/sldl:59"),
        ("ocd-person/mo-sldu-30", "Lincoln Hough", StateUpper, "30", "state:mo/sldu:30"),
        ("ocd-person/mo-sldl-134", "Alex Riley", StateLower, "134", "state:mo/sldl:134"),
        ("bioguide:H001089", "Josh Hawley", UsSenate, "", "state:mo"),
        ("bioguide:S001227", "Eric Schmitt", UsSenate, "", "state:mo"),
        ("bioguide:O000175", "Bob Onder", UsHouse, "3", "state:mo/cd:3"),
        ("bioguide:A000379", "Mark Alford", UsHouse, "4", "state:mo/cd:4"),
        ("bioguide:B001316", "Eric Burlison", UsHouse, "7", "state:mo/cd:7"),
        // Massachusetts (named districts)
        ("ocd-person/0b2a6c1e-0001-4000-8000-000000000001", "Jake Oliveira", StateUpper, "Hampden", "state:ma/sldu:hampden"),
        ("ocd-person/0b2a6c1e-0002-4000-8000-000000000002", "Aaron Saunders", StateLower, "7th Hampden", "state:ma/sldl:7th_hampden"),
        ("bioguide:W000817", "Elizabeth Warren", UsSenate, "", "state:ma"),
        ("bioguide:M000133", "Edward Markey", UsSenate, "", "state:ma"),
        ("bioguide:N000015", "Richard Neal", UsHouse, "1", "state:ma/cd:1"),
        ("bioguide:C001101", "Katherine Clark", UsHouse, "5", "state:ma/cd:5"),
        ("bioguide:P000617", "Ayanna Pressley", UsHouse, "7", "state:ma/cd:7"),
        // District of Columbia: a delegate, no senators, no state legislature
        ("bioguide:N000147", "Eleanor Holmes Norton", UsHouse, "At-large", "district:dc/cd:at-large"),
        // Nebraska: one chamber
        ("ocd-person/ne-46", "Danielle Conrad", StateUpper, "46", "state:ne/sldu:46"),
        ("bioguide:F000463", "Deb Fischer", UsSenate, "", "state:ne"),
        ("bioguide:R000618", "Pete Ricketts", UsSenate, "", "state:ne"),
        ("bioguide:F000474", "Mike Flood", UsHouse, "1", "state:ne/cd:1"),
        // Wyoming: an at-large House seat
        ("ocd-person/wy-sldu-6", "Darin Smith", StateUpper, "6", "state:wy/sldu:6"),
        ("ocd-person/wy-sldl-8", "Ken Chestek", StateLower, "8", "state:wy/sldl:8"),
        ("bioguide:B001261", "John Barrasso", UsSenate, "", "state:wy"),
        ("bioguide:L000571", "Cynthia Lummis", UsSenate, "", "state:wy"),
        ("bioguide:H001096", "Harriet Hageman", UsHouse, "At-large", "state:wy/cd:at-large"),
        // New Hampshire: a House district with eight members
        ("ocd-person/2d4c8e3a-0001-4000-8000-000000000001", "Tara Reardon", StateUpper, "15", "state:nh/sldu:15"),
        ("bioguide:S001181", "Jeanne Shaheen", UsSenate, "", "state:nh"),
        ("bioguide:H001076", "Maggie Hassan", UsSenate, "", "state:nh"),
        ("bioguide:G000606", "Maggie Goodlander", UsHouse, "2", "state:nh/cd:2"),
    ]
};

fn directory() -> Directory {
    let mut people: Vec<Legislator> = PEOPLE
        .iter()
        .map(|(id, name, chamber, district, division)| {
            person(
                id,
                name,
                *chamber,
                district,
                &format!("ocd-division/country:us/{division}"),
            )
        })
        .collect();
    for i in 1..=8 {
        people.push(person(
            &format!("ocd-person/2d4c8e3a-01{i:02}-4000-8000-000000000000"),
            &format!("Member{i} Hill"),
            Chamber::StateLower,
            "Hillsborough 12",
            "ocd-division/country:us/state:nh/sldl:hillsborough_12",
        ));
    }
    let zip = |zip: &str, state: &str, cd: u32| ZipDistrict {
        zip: zip.into(),
        state: st(state),
        cd,
    };
    Directory {
        legislators: people,
        rules: division_rules(),
        zips: vec![
            zip("02139", "MA", 5),
            zip("02139", "MA", 7),
            zip("82001", "WY", 0),
            zip("65101", "MO", 3),
        ],
        source: "tests/api/civic.rs".into(),
        synced_at: chrono::Utc::now(),
        skipped: Vec::new(),
        aligned: 0,
        unmapped: Vec::new(),
    }
}

const MO_TARGETS: [&str; 5] = [
    "ocd-person/1c3b7d2f-0001-4000-8000-000000000001",
    "ocd-person/1c3b7d2f-0002-4000-8000-000000000002",
    "bioguide:H001089",
    "bioguide:S001227",
    "bioguide:O000175",
];

// ------------------------------------------------------------------------------------------
// Census

#[tokio::test]
async fn a_census_match_names_all_four_kinds_of_legislator_in_order() {
    let c = civic("census").await;
    census_answers(&c.census, MO_ADDRESS, "mo_match.json", 1).await;
    let found = c.locator.lookup(&line(MO_ADDRESS)).await.expect("found");
    assert_eq!(found.state, st("MO"));
    assert_eq!(found.zip.as_ref().map(Zip::as_str), Some("65101"));
    assert_eq!(found.accuracy, Accuracy::Address);
    assert_eq!(ids(&found), MO_TARGETS);
    assert_eq!(
        chambers(&found),
        [
            Chamber::StateUpper,
            Chamber::StateLower,
            Chamber::UsSenate,
            Chamber::UsSenate,
            Chamber::UsHouse
        ]
    );
    assert!(found.warnings.is_empty(), "{:?}", found.warnings);
    assert!(found.choices.is_empty());
}

#[tokio::test]
async fn street_city_state_and_zip_parts_use_the_census_address_form() {
    let c = civic("census").await;
    Mock::given(method("GET"))
        .and(path("/geographies/address"))
        .and(query_param("street", "201 W Capitol Ave"))
        .and(query_param("city", "Jefferson City"))
        .and(query_param("state", "MO"))
        .and(query_param("zip", "65101"))
        .and(query_param("layers", "all"))
        .respond_with(json(200, "census/mo_match.json"))
        .expect(1)
        .mount(&c.census)
        .await;
    let address = Address::parse(&AddressInput {
        street: Some("201 W Capitol Ave".into()),
        city: Some("Jefferson City".into()),
        state: Some("mo".into()),
        zip: Some("65101".into()),
        ..Default::default()
    })
    .expect("parts");
    let found = c.locator.lookup(&address).await.expect("found");
    assert_eq!(ids(&found), MO_TARGETS);
}

#[tokio::test]
async fn an_address_the_census_cannot_match_is_a_clear_no_match() {
    let c = civic("census").await;
    census_answers(&c.census, "1 Nowhere Rd, Nowhere", "no_match.json", 1).await;
    match c.locator.lookup(&line("1 Nowhere Rd, Nowhere")).await {
        Err(LookupError::NoMatch(msg)) => assert!(msg.contains("could not find"), "{msg}"),
        other => panic!("expected no match, got {other:?}"),
    }
}

#[tokio::test]
async fn several_matches_in_one_state_offer_choices_and_name_the_us_senators_already() {
    let c = civic("census").await;
    let address = "123 Main St, Jefferson City";
    census_answers(&c.census, address, "several_same_state.json", 1).await;
    let found = c.locator.lookup(&line(address)).await.expect("found");
    assert_eq!(found.choices.len(), 2);
    assert_eq!(found.state, st("MO"));
    assert_eq!(ids(&found), ["bioguide:H001089", "bioguide:S001227"]);
    for choice in &found.choices {
        assert!(choice.label.starts_with("Missouri: "), "{}", choice.label);
        assert!(
            !choice.label.to_uppercase().contains("MAIN"),
            "{}",
            choice.label
        );
        assert!(!choice.label.contains("123"), "{}", choice.label);
        assert!(!choice.token.to_uppercase().contains("MAIN"));
    }
    assert!(found.choices[1].label.contains("Congressional District 4"));

    let picked = c
        .locator
        .resolve_choice(&found.choices[1].token)
        .await
        .expect("choice resolves");
    assert_eq!(picked.accuracy, Accuracy::Address);
    assert!(picked.choices.is_empty());
    assert_eq!(
        ids(&picked),
        [
            "ocd-person/mo-sldu-10",
            "ocd-person/mo-sldl-59",
            "bioguide:H001089",
            "bioguide:S001227",
            "bioguide:A000379"
        ]
    );
}

#[tokio::test]
async fn several_matches_in_different_states_name_nobody_yet() {
    let c = civic("census").await;
    let address = "36 Court St, Springfield";
    census_answers(&c.census, address, "several_states.json", 1).await;
    let found = c.locator.lookup(&line(address)).await.expect("found");
    assert!(found.targets.is_empty(), "{:?}", ids(&found));
    let labels: Vec<&str> = found.choices.iter().map(|c| c.label.as_str()).collect();
    assert_eq!(labels.len(), 2);
    assert!(labels[0].starts_with("Massachusetts: "), "{labels:?}");
    assert!(labels[1].starts_with("Missouri: "), "{labels:?}");
    let ma = c
        .locator
        .resolve_choice(&found.choices[0].token)
        .await
        .expect("resolves");
    assert_eq!(ma.state, st("MA"));
    assert_eq!(ma.targets.len(), 5);
}

#[tokio::test]
async fn a_failed_census_layer_leaves_that_seat_out_with_a_warning_and_is_not_cached() {
    let c = civic("census").await;
    census_answers(&c.census, MO_ADDRESS, "layer_error.json", 2).await;
    for _ in 0..2 {
        let found = c.locator.lookup(&line(MO_ADDRESS)).await.expect("found");
        assert_eq!(
            chambers(&found),
            [
                Chamber::StateUpper,
                Chamber::UsSenate,
                Chamber::UsSenate,
                Chamber::UsHouse
            ]
        );
        assert_eq!(found.warnings.len(), 1, "{:?}", found.warnings);
        assert!(
            found.warnings[0].contains("state house district"),
            "{}",
            found.warnings[0]
        );
    }
}

#[tokio::test]
async fn dc_has_a_delegate_and_no_senators_or_state_legislature() {
    let c = civic("census").await;
    let address = "1600 Pennsylvania Ave NW, Washington, DC 20500";
    census_answers(&c.census, address, "dc.json", 1).await;
    let found = c.locator.lookup(&line(address)).await.expect("found");
    assert_eq!(found.state, st("DC"));
    assert_eq!(ids(&found), ["bioguide:N000147"]);
    assert!(found.warnings.is_empty(), "{:?}", found.warnings);
}

#[tokio::test]
async fn nebraska_has_one_chamber_and_no_missing_house_warning() {
    let c = civic("census").await;
    let address = "1445 K St, Lincoln, NE 68508";
    census_answers(&c.census, address, "ne.json", 1).await;
    let found = c.locator.lookup(&line(address)).await.expect("found");
    assert_eq!(
        ids(&found),
        [
            "ocd-person/ne-46",
            "bioguide:F000463",
            "bioguide:R000618",
            "bioguide:F000474"
        ]
    );
    assert!(found.warnings.is_empty(), "{:?}", found.warnings);
}

#[tokio::test]
async fn an_at_large_census_district_finds_the_at_large_representative() {
    let c = civic("census").await;
    let address = "200 W 24th St, Cheyenne, WY 82001";
    census_answers(&c.census, address, "wy_at_large.json", 1).await;
    let found = c.locator.lookup(&line(address)).await.expect("found");
    assert_eq!(found.targets.len(), 5, "{:?}", ids(&found));
    assert_eq!(found.targets[4].id, "bioguide:H001096");
    assert!(found.warnings.is_empty(), "{:?}", found.warnings);
}

#[tokio::test]
async fn massachusetts_named_districts_map_through_openstates_geo() {
    let c = civic("census").await;
    census_answers(&c.census, MA_ADDRESS, "ma_named.json", 1).await;
    let found = c.locator.lookup(&line(MA_ADDRESS)).await.expect("found");
    let seats: Vec<(&str, &str)> = found
        .targets
        .iter()
        .map(|l| (l.division_id.as_str(), l.district.as_str()))
        .collect();
    assert_eq!(
        seats[..2],
        [
            ("ocd-division/country:us/state:ma/sldu:hampden", "Hampden"),
            (
                "ocd-division/country:us/state:ma/sldl:7th_hampden",
                "7th Hampden"
            )
        ]
    );
    assert_eq!(found.targets.len(), 5);
    assert!(found.warnings.is_empty(), "{:?}", found.warnings);
}

// ------------------------------------------------------------------------------------------
// Open States (after the Census, which gives it the point)

#[tokio::test]
async fn open_states_people_are_used_with_string_and_number_districts() {
    let c = civic("openstates,census").await;
    census_answers(&c.census, MA_ADDRESS, "ma_named.json", 1).await;
    census_answers(&c.census, MO_ADDRESS, "mo_match.json", 1).await;
    people_geo()
        .and(query_param("lat", "42.1015"))
        .and(query_param("lng", "-72.5901"))
        .respond_with(json(200, "openstates/ma_people.json"))
        .expect(1)
        .mount(&c.openstates)
        .await;
    people_geo()
        .and(query_param("lat", "38.57935"))
        .respond_with(json(200, "openstates/mo_people.json"))
        .expect(1)
        .mount(&c.openstates)
        .await;

    let ma = c.locator.lookup(&line(MA_ADDRESS)).await.expect("found");
    // Open States' own records (its ids for members of Congress), no directory duplicates.
    assert_eq!(
        ids(&ma),
        [
            "ocd-person/0b2a6c1e-0001-4000-8000-000000000001",
            "ocd-person/0b2a6c1e-0002-4000-8000-000000000002",
            "ocd-person/0b2a6c1e-0004-4000-8000-000000000004",
            "ocd-person/0b2a6c1e-0003-4000-8000-000000000003",
            "ocd-person/0b2a6c1e-0005-4000-8000-000000000005",
        ]
    );
    let rep = &ma.targets[1];
    assert_eq!(rep.district, "7th Hampden");
    assert_eq!(rep.email.as_deref(), Some("aaron.saunders@mahouse.gov"));
    assert_eq!(rep.phone.as_deref(), Some("617-722-2000"));
    let warren = &ma.targets[3];
    assert_eq!(warren.title, "U.S. Senator");
    assert_eq!(warren.email, None, "a federal 'email' is a web form");
    assert_eq!(
        warren.contact_form.as_deref(),
        Some("https://www.warren.senate.gov/contact/shareyouropinion")
    );
    assert_eq!(ma.targets[4].district, "1");

    // Missouri: numeric districts from Open States; members of Congress (not in its answer)
    // come from the directory.
    let mo = c.locator.lookup(&line(MO_ADDRESS)).await.expect("found");
    assert_eq!(ids(&mo), MO_TARGETS);
    assert_eq!(mo.targets[0].district, "6");
    assert_eq!(mo.targets[1].district, "60");
    assert_eq!(
        mo.targets[1].email.as_deref(),
        Some("dave.griffith@house.mo.gov")
    );
}

/// Open States answers `status` (with `fixture`'s body) every time; the chain must end up with
/// the Census answer for Missouri, after `calls` requests to Open States.
async fn open_states_fails_then_census_answers(status: u16, fixture: &str, calls: u64) {
    let c = civic("openstates,census").await;
    census_answers(&c.census, MO_ADDRESS, "mo_match.json", 2).await;
    people_geo()
        .respond_with(json(status, fixture))
        .expect(calls)
        .mount(&c.openstates)
        .await;
    let found = c.locator.lookup(&line(MO_ADDRESS)).await.expect("found");
    assert_eq!(ids(&found), MO_TARGETS);
    assert_eq!(
        found.targets[1].email.as_deref(),
        Some("griffith@directory.example")
    );
}

#[tokio::test]
async fn a_bad_open_states_key_401_moves_on_without_retrying() {
    open_states_fails_then_census_answers(401, "openstates/error_401.json", 1).await;
}

#[tokio::test]
async fn a_missing_open_states_key_403_moves_on_without_retrying() {
    open_states_fails_then_census_answers(403, "openstates/error_403.json", 1).await;
}

#[tokio::test]
async fn bad_parameters_422_move_on_without_retrying() {
    open_states_fails_then_census_answers(422, "openstates/error_422.json", 1).await;
}

#[tokio::test]
async fn an_open_states_500_is_retried_once_then_the_next_provider_answers() {
    open_states_fails_then_census_answers(500, "openstates/error_500.json", 2).await;
}

#[tokio::test]
async fn malformed_json_from_open_states_moves_on() {
    open_states_fails_then_census_answers(200, "openstates/malformed.json", 1).await;
}

#[tokio::test]
async fn a_429_with_retry_after_is_retried_once_and_then_succeeds() {
    let c = civic("openstates,census").await;
    census_answers(&c.census, MO_ADDRESS, "mo_match.json", 1).await;
    people_geo()
        .respond_with(json(429, "openstates/error_429.json").insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&c.openstates)
        .await;
    people_geo()
        .respond_with(json(200, "openstates/mo_people.json"))
        .expect(1)
        .mount(&c.openstates)
        .await;
    let started = Instant::now();
    let found = c.locator.lookup(&line(MO_ADDRESS)).await.expect("found");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After honoured"
    );
    assert_eq!(ids(&found), MO_TARGETS);
    assert_eq!(
        found.targets[1].email.as_deref(),
        Some("dave.griffith@house.mo.gov"),
        "Open States' answer was used"
    );
}

#[tokio::test]
async fn a_429_that_persists_moves_on_to_the_next_provider() {
    let c = civic("openstates,census").await;
    census_answers(&c.census, MO_ADDRESS, "mo_match.json", 2).await;
    people_geo()
        .respond_with(json(429, "openstates/error_429.json").insert_header("Retry-After", "1"))
        .expect(2)
        .mount(&c.openstates)
        .await;
    let found = c.locator.lookup(&line(MO_ADDRESS)).await.expect("found");
    assert_eq!(ids(&found), MO_TARGETS);
    assert_eq!(
        found.targets[1].email.as_deref(),
        Some("griffith@directory.example")
    );
}

#[tokio::test]
async fn a_retry_after_longer_than_the_time_left_is_not_waited_for() {
    let c = civic("openstates,census").await;
    census_answers(&c.census, MO_ADDRESS, "mo_match.json", 2).await;
    people_geo()
        .respond_with(json(429, "openstates/error_429.json").insert_header("Retry-After", "60"))
        .expect(1)
        .mount(&c.openstates)
        .await;
    let started = Instant::now();
    let found = c.locator.lookup(&line(MO_ADDRESS)).await.expect("found");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(ids(&found), MO_TARGETS);
}

#[tokio::test]
async fn an_open_states_hang_is_cut_off_by_the_timeout() {
    let c = civic_with(
        "openstates,census",
        &[("ADVOCATE__CIVIC__TIMEOUT_MS", "800")],
    )
    .await;
    census_answers(&c.census, MO_ADDRESS, "mo_match.json", 2).await;
    people_geo()
        .respond_with(json(200, "openstates/mo_people.json").set_delay(Duration::from_secs(20)))
        .expect(1)
        .mount(&c.openstates)
        .await;
    let started = Instant::now();
    let found = c.locator.lookup(&line(MO_ADDRESS)).await.expect("found");
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(800), "{took:?}");
    assert!(
        took < Duration::from_secs(4),
        "bounded by timeout_ms: {took:?}"
    );
    assert_eq!(ids(&found), MO_TARGETS);
}

#[tokio::test]
async fn a_truncated_new_hampshire_answer_is_filled_in_from_the_directory() {
    let c = civic("openstates").await;
    let address = "25 Capitol St, Concord, NH 03301";
    census_answers(&c.census, address, "nh.json", 1).await;
    people_geo()
        .respond_with(json(200, "openstates/nh_truncated.json"))
        .expect(1)
        .mount(&c.openstates)
        .await;
    let found = c.locator.lookup(&line(address)).await.expect("found");
    let count = |ch: Chamber| found.targets.iter().filter(|l| l.chamber == ch).count();
    assert_eq!(count(Chamber::StateUpper), 1);
    assert_eq!(
        count(Chamber::StateLower),
        8,
        "every member of the district"
    );
    assert_eq!(
        count(Chamber::UsSenate),
        2,
        "no duplicates from the directory"
    );
    assert_eq!(count(Chamber::UsHouse), 1);
}

// ------------------------------------------------------------------------------------------
// Geocodio

fn geocode() -> wiremock::MockBuilder {
    Mock::given(method("GET"))
        .and(path("/geocode"))
        .and(query_param("q", MA_ADDRESS))
        .and(query_param("fields", "cd,stateleg"))
        .and(query_param("api_key", API_KEY))
}

#[tokio::test]
async fn geocodio_names_districts_and_people_in_one_call() {
    let c = civic("geocodio").await;
    geocode()
        .respond_with(json(200, "geocodio/ma.json"))
        .expect(1)
        .mount(&c.geocodio)
        .await;
    let found = c.locator.lookup(&line(MA_ADDRESS)).await.expect("found");
    assert_eq!(
        ids(&found),
        [
            "ocd-person/0b2a6c1e-0001-4000-8000-000000000001",
            "ocd-person/0b2a6c1e-0002-4000-8000-000000000002",
            "bioguide:M000133",
            "bioguide:W000817",
            "bioguide:N000015",
        ]
    );
    assert_eq!(
        found.targets[0].email.as_deref(),
        Some("jacob.oliveira@masenate.gov")
    );
    assert_eq!(
        found.targets[3].contact_form.as_deref(),
        Some("https://www.warren.senate.gov/contact/shareyouropinion")
    );
    assert_eq!(found.targets[3].email, None);
}

#[tokio::test]
async fn a_geocodio_422_means_the_address_cannot_be_found() {
    let c = civic("geocodio").await;
    geocode()
        .respond_with(json(422, "geocodio/error_422.json"))
        .expect(1)
        .mount(&c.geocodio)
        .await;
    assert!(matches!(
        c.locator.lookup(&line(MA_ADDRESS)).await,
        Err(LookupError::NoMatch(_))
    ));
}

#[tokio::test]
async fn a_geocodio_403_falls_back_to_the_census() {
    let c = civic("geocodio,census").await;
    geocode()
        .respond_with(json(403, "geocodio/error_403.json"))
        .expect(1)
        .mount(&c.geocodio)
        .await;
    census_answers(&c.census, MA_ADDRESS, "ma_named.json", 1).await;
    let found = c.locator.lookup(&line(MA_ADDRESS)).await.expect("found");
    assert_eq!(found.targets.len(), 5);
    assert_eq!(found.targets[2].id, "bioguide:M000133");
}

// ------------------------------------------------------------------------------------------
// ZIP codes, failures, manual choice

const SPLIT_ZIP_WARNING: &str =
    "ZIP 02139 spans congressional districts 5 and 7; enter your full street address to be sure.";

#[tokio::test]
async fn a_zip_spanning_two_districts_names_both_representatives_and_says_so() {
    let c = civic("census").await;
    let found = c.locator.lookup(&zip_only("02139")).await.expect("found");
    assert_eq!(found.accuracy, Accuracy::Zip);
    assert_eq!(found.zip.as_ref().map(Zip::as_str), Some("02139"));
    assert_eq!(
        ids(&found),
        [
            "bioguide:M000133",
            "bioguide:W000817",
            "bioguide:C001101",
            "bioguide:P000617"
        ]
    );
    assert_eq!(found.warnings[0], SPLIT_ZIP_WARNING);
    assert!(
        found.warnings[1].contains("state senator and state representative"),
        "{:?}",
        found.warnings
    );
    let labels: Vec<&str> = found.choices.iter().map(|c| c.label.as_str()).collect();
    assert_eq!(
        labels,
        ["Congressional district 5", "Congressional district 7"]
    );
    let seventh = c
        .locator
        .resolve_choice(&found.choices[1].token)
        .await
        .expect("resolves");
    assert_eq!(seventh.accuracy, Accuracy::Zip);
    assert_eq!(
        ids(&seventh),
        ["bioguide:M000133", "bioguide:W000817", "bioguide:P000617"]
    );
}

#[tokio::test]
async fn a_zip_in_one_district_offers_no_choices() {
    let c = civic("census").await;
    let found = c.locator.lookup(&zip_only("82001")).await.expect("found");
    assert_eq!(
        ids(&found),
        ["bioguide:B001261", "bioguide:L000571", "bioguide:H001096"]
    );
    assert!(found.choices.is_empty());
    assert_eq!(found.warnings.len(), 1, "{:?}", found.warnings);
}

#[tokio::test]
async fn an_unknown_zip_is_a_no_match() {
    let c = civic("census").await;
    match c.locator.lookup(&zip_only("00000")).await {
        Err(LookupError::NoMatch(msg)) => assert!(msg.contains("00000"), "{msg}"),
        other => panic!("expected no match, got {other:?}"),
    }
}

#[tokio::test]
async fn when_every_provider_fails_an_address_with_a_zip_gets_the_zip_answer() {
    let c = civic("census").await;
    let address = "1 Main St, Cambridge, MA 02139";
    Mock::given(method("GET"))
        .and(path("/geographies/onelineaddress"))
        .respond_with(ResponseTemplate::new(503))
        .expect(2)
        .mount(&c.census)
        .await;
    let found = c.locator.lookup(&line(address)).await.expect("found");
    assert_eq!(found.accuracy, Accuracy::Zip);
    assert!(
        found.warnings[0].contains("ZIP code alone"),
        "{:?}",
        found.warnings
    );
    assert_eq!(found.warnings[1], SPLIT_ZIP_WARNING);
    assert_eq!(found.targets.len(), 4);
}

#[tokio::test]
async fn when_every_provider_fails_and_there_is_no_zip_the_lookup_is_unavailable() {
    let c = civic("census").await;
    Mock::given(method("GET"))
        .and(path("/geographies/onelineaddress"))
        .respond_with(ResponseTemplate::new(502))
        .expect(2)
        .mount(&c.census)
        .await;
    assert!(matches!(
        c.locator.lookup(&line("1 Main St, Cambridge, MA")).await,
        Err(LookupError::Unavailable(_))
    ));
}

#[tokio::test]
async fn manual_choices_are_unverified_and_must_come_from_the_directory() {
    let c = civic("census").await;
    let picked = c
        .locator
        .lookup_manual(
            st("MA"),
            &[
                "bioguide:W000817".to_string(),
                "ocd-person/0b2a6c1e-0002-4000-8000-000000000002".to_string(),
            ],
        )
        .await
        .expect("picked");
    assert_eq!(picked.accuracy, Accuracy::Manual);
    assert_eq!(
        ids(&picked),
        [
            "ocd-person/0b2a6c1e-0002-4000-8000-000000000002",
            "bioguide:W000817"
        ]
    );
    assert!(picked.warnings[0].contains("unverified"));

    for bad in [
        vec!["bioguide:H001089".to_string()], // Missouri's senator
        vec!["nobody".to_string()],
        vec![],
    ] {
        assert!(matches!(
            c.locator.lookup_manual(st("MA"), &bad).await,
            Err(LookupError::Invalid(_))
        ));
    }
}

#[tokio::test]
async fn an_unknown_or_malformed_choice_token_is_invalid() {
    let c = civic("census").await;
    for token in ["0123456789abcdef0123456789abcdef", "../../etc/passwd", ""] {
        assert!(matches!(
            c.locator.resolve_choice(token).await,
            Err(LookupError::Invalid(_))
        ));
    }
}

// ------------------------------------------------------------------------------------------
// The cache

#[tokio::test]
async fn repeated_lookups_of_one_address_make_one_upstream_call() {
    let c = civic("census").await;
    census_answers(&c.census, MO_ADDRESS, "mo_match.json", 1).await;
    let first = c.locator.lookup(&line(MO_ADDRESS)).await.expect("found");
    // Another spelling of the same address shares the entry.
    let again = c
        .locator
        .lookup(&line("201 w. capitol ave,  JEFFERSON CITY mo 65101"))
        .await
        .expect("found");
    assert_eq!(first, again);
    // So does a second server instance on the same database (the generated key is shared).
    let other = c.second_instance("census").await;
    assert_eq!(other.lookup(&line(MO_ADDRESS)).await.expect("found"), first);
}

#[tokio::test]
async fn ambiguous_answers_are_cached_with_their_tokens() {
    let c = civic("census").await;
    let address = "123 Main St, Jefferson City";
    census_answers(&c.census, address, "several_same_state.json", 1).await;
    let first = c.locator.lookup(&line(address)).await.expect("found");
    let again = c.locator.lookup(&line(address)).await.expect("found");
    assert_eq!(first.choices, again.choices);
    assert_eq!(ids(&first), ids(&again));
}

/// Every text the cache tables hold except the keyed hash.
async fn cached_text(store: &Store) -> (Vec<String>, Vec<String>) {
    let lookups =
        "SELECT address_hash, state || ' ' || COALESCE(zip, '') || ' ' || accuracy || ' ' \
                   || divisions FROM lookup_cache";
    let choices = "SELECT token, label || ' ' || state || ' ' || COALESCE(zip, '') || ' ' || \
                   accuracy || ' ' || divisions FROM lookup_choices";
    type Rows = Vec<(String, String)>;
    let (a, b): (Rows, Rows) = match store {
        Store::Sqlite(pool) => (
            sqlx::query_as(lookups).fetch_all(pool).await.expect("rows"),
            sqlx::query_as(choices).fetch_all(pool).await.expect("rows"),
        ),
        Store::Postgres(pool) => (
            sqlx::query_as(lookups).fetch_all(pool).await.expect("rows"),
            sqlx::query_as(choices).fetch_all(pool).await.expect("rows"),
        ),
    };
    for (hash, _) in &a {
        assert_eq!(hash.len(), 64);
        assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()), "{hash}");
    }
    (
        a.into_iter().map(|(_, text)| text).collect(),
        b.into_iter().map(|(_, text)| text).collect(),
    )
}

#[tokio::test]
async fn the_cache_keeps_no_street_text() {
    let c = civic("census").await;
    census_answers(&c.census, MO_ADDRESS, "mo_match.json", 1).await;
    let ambiguous = "123 Main St, Jefferson City";
    census_answers(&c.census, ambiguous, "several_same_state.json", 1).await;
    c.locator.lookup(&line(MO_ADDRESS)).await.expect("found");
    c.locator.lookup(&line(ambiguous)).await.expect("found");

    let (lookups, choices) = cached_text(&c.store).await;
    assert_eq!(lookups.len(), 2, "{lookups:?}");
    assert_eq!(choices.len(), 2, "{choices:?}");
    for text in lookups.iter().chain(&choices) {
        let upper = text.to_uppercase();
        for street in ["CAPITOL", "201 ", "MAIN", "123 ", "JEFFERSON CITY"] {
            assert!(!upper.contains(street), "{street:?} stored: {text}");
        }
    }
    assert!(lookups.iter().any(|t| t.starts_with("MO 65101 address [")));
}

#[tokio::test]
async fn expired_cache_rows_are_ignored_and_purged() {
    let c = civic("census").await;
    let divisions = vec!["ocd-division/country:us/state:mo".to_string()];
    let entry = CachedLookup {
        state: st("MO"),
        zip: Some(Zip::parse("65101").expect("zip")),
        accuracy: Accuracy::Address,
        divisions: divisions.clone(),
        choices: vec![CachedChoice {
            token: "aa".repeat(16),
            label: "Missouri: Congressional District 3".into(),
            state: st("MO"),
            zip: None,
            accuracy: Accuracy::Address,
            divisions,
        }],
    };
    let hash = "ab".repeat(32);
    c.store
        .cache_lookup(Some(&hash), &entry, 1_000, 2_000)
        .await
        .expect("cached");
    assert_eq!(
        c.store.cached_lookup(&hash, 1_500).await.expect("read"),
        Some(entry.clone())
    );
    assert!(c
        .store
        .cached_choice(&"aa".repeat(16), 1_500)
        .await
        .expect("read")
        .is_some());
    assert_eq!(
        c.store.cached_lookup(&hash, 2_000).await.expect("read"),
        None
    );
    assert_eq!(
        c.store
            .cached_choice(&"aa".repeat(16), 2_500)
            .await
            .expect("read"),
        None
    );
    // Writing again later purges what has expired.
    let fresh = "cd".repeat(32);
    let plain = CachedLookup {
        choices: Vec::new(),
        ..entry
    };
    c.store
        .cache_lookup(Some(&fresh), &plain, 3_000, 4_000)
        .await
        .expect("cached");
    let (lookups, choices) = cached_text(&c.store).await;
    assert_eq!((lookups.len(), choices.len()), (1, 0));
    assert_eq!(c.store.purge_lookup_cache(5_000).await.expect("purged"), 1);
}

#[tokio::test]
async fn the_generated_secret_is_made_once_even_when_instances_race() {
    let c = civic("census").await;
    let store = &c.store;
    let tries = (0..8).map(|i| {
        let store = store.clone();
        async move {
            store
                .server_secret("race", &format!("candidate-{i}"), 1)
                .await
                .expect("secret")
        }
    });
    let values = futures_util::future::join_all(tries).await;
    assert!(values.iter().all(|v| v == &values[0]), "{values:?}");
    assert_eq!(
        store
            .server_secret("race", "later", 2)
            .await
            .expect("secret"),
        values[0]
    );
}
