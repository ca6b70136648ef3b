//! The legislator directory: storage conformance (both databases), `advocate directory sync`
//! against a local stand-in serving the real public datasets, `advocate directory import` from
//! local folders, and the GEOID mapper checked against the whole directory.
//!
//! The full datasets are read from `../shared/data` (or `ADVOCATE_SHARED_DATA`), never copied
//! into the repository; the archives `sync` downloads are built from them on the fly.

use advocate::config::Settings;
use advocate::directory::{
    build_directory, congressional_division_id, read_local, state_division_id, sync, Chamber,
    Dataset, Directory, DirectoryError, Layer, LocalPaths, ZipDistrict,
};
use advocate::domain::{StateCode, Zip};
use advocate::store::Store;
use advocate_test_support::{
    advocate_command, fresh_database_url, output_text as text, shared_data, spawn_app_with, TestApp,
};
use chrono::{NaiveDate, Utc};
use flate2::write::GzEncoder;
use std::path::Path;
use std::process::Output;
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

// ---------------------------------------------------------------------------------------------
// Helpers

fn full_paths() -> LocalPaths {
    let data = shared_data();
    LocalPaths {
        congress: data.join("congress-legislators/legislators-current.json"),
        openstates: data.join("openstates-people"),
        districts: data.join("openstates-geo"),
        zips: data.join("us-zipcodes-congress/zccd.csv"),
    }
}

// The small directory: a handful of real records picked from `../shared/data` and copied, at
// run time, into a temp folder laid out like the datasets (never into the repository).

/// congress-legislators: MA's two senators and three representatives, DC's delegate, and one
/// member each from NE, VT, AK (at-large), MO, and PR (a territory: skipped).
const SMALL_CONGRESS: &[&str] = &[
    "M000133", "N000015", "N000147", "W000817", "B001298", "P000617", "B001318", "B001323",
    "O000177", "H001103",
];

/// openstates/people: a MA senator and representative (named districts), a MA senator with
/// ended roles, NE (unicameral), DC (a ward and the chairman), VT (a senate district
/// openstates-geo spells differently), PR (a territory: skipped) and MN (no current role:
/// skipped).
const SMALL_PEOPLE: &[&str] = &[
    "ma/legislature/Adam-Gomez-d2a82a0d-fbd1-4448-be2d-b786a7e11168.yml",
    "ma/legislature/Aaron-L-Saunders-c3d23eba-caa6-4d2a-bbd2-5b8b2ca184ae.yml",
    "ma/legislature/Jacob-R-Oliveira-b857e2f7-b65a-4d34-a680-50dfff745a16.yml",
    "ne/legislature/Merv-Riepe-3c015cf9-e3de-42cf-a364-64607ecc70ce.yml",
    "dc/legislature/Phil-Mendelson-e3b9567d-67ff-4cc1-89eb-1ed1af646393.yml",
    "dc/legislature/Brooke-Pinto-bf329860-076e-4d14-bed2-969d0d13dfec.yml",
    "vt/legislature/Martine-Gulick-a1812863-f6a9-4ce2-8131-d701923dd507.yml",
    "pr/legislature/Ada-lvarez-Conde-d50dfedb-f016-4447-a258-a284a09cf36a.yml",
    "mn/legislature/Joe-Schomacker-f08531c2-0974-4606-ab08-f5453ff76edd.yml",
];

/// openstates-geo `configs/jurisdictions/<st>.yml`: six states, plus PR and `usa.yml` (skipped).
const SMALL_JURISDICTIONS: &[&str] = &["ak", "dc", "ma", "mo", "ne", "vt", "pr", "usa"];

/// us-zipcodes-congress: every row of these ZIPs, including a split ZIP (01002, two rows) and a
/// territory (00601, PR).
const SMALL_ZIPS: &[&str] = &[
    "99501", "20001", "01001", "01002", "01105", "02119", "63101", "68102", "05401", "00601",
];

/// Builds the small directory's files in a fresh temp folder; the folder lives as long as the
/// returned guard.
fn small_dataset() -> (tempfile::TempDir, LocalPaths) {
    let data = shared_data();
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path();

    let congress: Vec<serde_json::Value> = serde_json::from_slice(
        &std::fs::read(data.join("congress-legislators/legislators-current.json"))
            .expect("congress-legislators"),
    )
    .expect("congress-legislators parses");
    let picked: Vec<&serde_json::Value> = congress
        .iter()
        .filter(|r| {
            r["id"]["bioguide"]
                .as_str()
                .is_some_and(|id| SMALL_CONGRESS.contains(&id))
        })
        .collect();
    assert_eq!(
        picked.len(),
        SMALL_CONGRESS.len(),
        "every member is current"
    );
    let paths = LocalPaths {
        congress: root.join("legislators-current.json"),
        openstates: root.join("openstates"),
        districts: root.join("openstates-geo"),
        zips: root.join("zccd.csv"),
    };
    std::fs::write(
        &paths.congress,
        serde_json::to_vec_pretty(&picked).expect("json"),
    )
    .expect("write congress");

    for file in SMALL_PEOPLE {
        let to = paths.openstates.join("data").join(file);
        std::fs::create_dir_all(to.parent().expect("parent")).expect("people folder");
        std::fs::copy(data.join("openstates-people/data").join(file), &to)
            .unwrap_or_else(|e| panic!("copy {file}: {e}"));
    }

    let configs = paths.districts.join("configs/jurisdictions");
    std::fs::create_dir_all(&configs).expect("configs folder");
    for st in SMALL_JURISDICTIONS {
        let file = format!("{st}.yml");
        std::fs::copy(
            data.join("openstates-geo/configs/jurisdictions")
                .join(&file),
            configs.join(&file),
        )
        .unwrap_or_else(|e| panic!("copy {file}: {e}"));
    }

    let zccd = std::fs::read_to_string(data.join("us-zipcodes-congress/zccd.csv"))
        .expect("us-zipcodes-congress");
    let mut lines = zccd.lines();
    let mut small = format!("{}\n", lines.next().expect("header"));
    for row in lines.filter(|row| {
        row.split(',')
            .nth(2)
            .is_some_and(|zcta| SMALL_ZIPS.contains(&zcta))
    }) {
        small.push_str(row);
        small.push('\n');
    }
    std::fs::write(&paths.zips, small).expect("write zips");
    (tmp, paths)
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn st(code: &str) -> StateCode {
    StateCode::parse(code).expect("state code")
}

fn small_directory() -> Directory {
    let (_tmp, paths) = small_dataset();
    let files = read_local(&paths).expect("small dataset read");
    build_directory(&files, Utc::now(), today()).expect("small dataset builds")
}

/// The whole public dataset, parsed once per test binary.
fn full_directory() -> &'static Directory {
    static FULL: OnceLock<Directory> = OnceLock::new();
    FULL.get_or_init(|| {
        let started = Instant::now();
        let files = read_local(&full_paths()).expect("shared data read");
        let dir = build_directory(&files, Utc::now(), today()).expect("shared data builds");
        eprintln!(
            "parsed the full directory ({} legislators) in {:.2}s",
            dir.legislators.len(),
            started.elapsed().as_secs_f64()
        );
        dir
    })
}

async fn fresh_store() -> (Store, String, Option<tempfile::TempDir>) {
    let (url, dir) = fresh_database_url().await;
    let store = connect(&url).await;
    store.migrate().await.expect("migrate");
    (store, url, dir)
}

async fn connect(url: &str) -> Store {
    let settings = Settings::load_with_env(
        None,
        vec![("ADVOCATE__DATABASE__URL".to_string(), url.to_string())],
    )
    .expect("settings");
    Store::connect(&settings.database).await.expect("connect")
}

/// A GitHub-style archive: every file under `dir` as `{top}/{under}/...`.
fn tar_gz(dir: &Path, top_and_under: &str) -> Vec<u8> {
    let mut builder = tar::Builder::new(GzEncoder::new(Vec::new(), flate2::Compression::fast()));
    builder.follow_symlinks(false);
    builder
        .append_dir_all(top_and_under, dir)
        .expect("archive the folder");
    builder.into_inner().expect("tar").finish().expect("gzip")
}

fn full_people_archive() -> &'static [u8] {
    static ARCHIVE: OnceLock<Vec<u8>> = OnceLock::new();
    ARCHIVE.get_or_init(|| {
        tar_gz(
            &shared_data().join("openstates-people/data"),
            "people-main/data",
        )
    })
}

fn full_geo_archive() -> &'static [u8] {
    static ARCHIVE: OnceLock<Vec<u8>> = OnceLock::new();
    ARCHIVE.get_or_init(|| {
        tar_gz(
            &shared_data().join("openstates-geo/configs"),
            "openstates-geo-main/configs",
        )
    })
}

/// What the stand-in serves, by URL path.
struct Served {
    congress: Vec<u8>,
    people: Vec<u8>,
    geo: Vec<u8>,
    zips: Vec<u8>,
}

impl Served {
    fn full() -> Served {
        let data = shared_data();
        Served {
            congress: std::fs::read(data.join("congress-legislators/legislators-current.json"))
                .expect("congress"),
            people: full_people_archive().to_vec(),
            geo: full_geo_archive().to_vec(),
            zips: std::fs::read(data.join("us-zipcodes-congress/zccd.csv")).expect("zips"),
        }
    }

    fn small() -> Served {
        let (_tmp, paths) = small_dataset();
        Served {
            congress: std::fs::read(&paths.congress).expect("congress"),
            people: tar_gz(&paths.openstates.join("data"), "people-main/data"),
            geo: tar_gz(
                &paths.districts.join("configs"),
                "openstates-geo-main/configs",
            ),
            zips: std::fs::read(&paths.zips).expect("zips"),
        }
    }
}

const CONGRESS_PATH: &str = "/unitedstates/legislators-current.json";
const PEOPLE_PATH: &str = "/openstates/people/archive/refs/heads/main.tar.gz";
const GEO_PATH: &str = "/openstates/openstates-geo/archive/refs/heads/main.tar.gz";
const ZIPS_PATH: &str = "/us-zipcodes-congress/zccd.csv";

async fn stand_in(served: Served) -> MockServer {
    let server = MockServer::start().await;
    mount(&server, served).await;
    server
}

/// The `directory.*` settings pointing at a stand-in.
fn url_env(server: &MockServer) -> Vec<(String, String)> {
    url_env_at(&server.uri())
}

/// The directory's four URLs under `base`.
fn url_env_at(base: &str) -> Vec<(String, String)> {
    vec![
        (
            "ADVOCATE__DIRECTORY__CONGRESS_URL".into(),
            format!("{base}{CONGRESS_PATH}"),
        ),
        (
            "ADVOCATE__DIRECTORY__OPENSTATES_PEOPLE_URL".into(),
            format!("{base}{PEOPLE_PATH}"),
        ),
        (
            "ADVOCATE__DIRECTORY__OPENSTATES_GEO_URL".into(),
            format!("{base}{GEO_PATH}"),
        ),
        (
            "ADVOCATE__DIRECTORY__ZIPS_URL".into(),
            format!("{base}{ZIPS_PATH}"),
        ),
    ]
}

fn advocate(db_url: &str, env: &[(String, String)], args: &[&str]) -> Output {
    advocate_command(db_url)
        .args(args)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .expect("binary runs")
}

/// Runs the binary off the async runtime (it can take seconds).
async fn advocate_async(db_url: &str, env: Vec<(String, String)>, args: &[&str]) -> Output {
    let db_url = db_url.to_string();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        advocate(&db_url, &env, &args)
    })
    .await
    .expect("joined")
}

fn ids(list: &[advocate::directory::Legislator]) -> Vec<&str> {
    list.iter().map(|l| l.id.as_str()).collect()
}

fn count(store_list: &[advocate::directory::Legislator], chamber: Chamber) -> usize {
    store_list.iter().filter(|l| l.chamber == chamber).count()
}

// ---------------------------------------------------------------------------------------------
// Storage conformance (runs on SQLite and PostgreSQL)

#[tokio::test]
async fn an_empty_directory_answers_every_query_with_nothing() {
    let (store, _url, _dir) = fresh_store().await;
    assert_eq!(store.directory_status().await.expect("status"), None);
    assert!(store.division_map().await.expect("map").is_empty());
    let zip = Zip::parse("01002").expect("zip");
    assert!(store.zip_districts(&zip).await.expect("zips").is_empty());
    assert!(store
        .legislators_in_divisions(&[state_division_id(st("MA"))])
        .await
        .expect("divisions")
        .is_empty());
    assert!(store
        .legislators_of_state(st("MA"), None)
        .await
        .expect("state")
        .is_empty());
    assert!(store
        .legislators_by_ids(&["bioguide:W000817".into()])
        .await
        .expect("ids")
        .is_empty());
    assert!(store
        .legislators_in_divisions(&[])
        .await
        .expect("no divisions")
        .is_empty());
}

#[tokio::test]
async fn a_stored_directory_reads_back_through_every_query() {
    let (store, _url, _dir) = fresh_store().await;
    let directory = small_directory();
    let report = store.replace_directory(&directory).await.expect("replace");
    assert_eq!(report.count(Chamber::UsSenate), 2);
    assert_eq!(
        report.count(Chamber::UsHouse),
        7,
        "PR's commissioner is skipped"
    );
    assert_eq!(report.count(Chamber::StateUpper), 6);
    assert_eq!(report.count(Chamber::StateLower), 1);
    assert_eq!(report.skipped.get(&Dataset::Congress), Some(&1));
    assert_eq!(
        report.skipped.get(&Dataset::OpenStatesPeople),
        Some(&2),
        "PR and a former MN member"
    );
    assert_eq!(report.skipped.get(&Dataset::Zips), Some(&1));
    assert_eq!(report.zip_rows, 10);
    assert_eq!(report.aligned, 1, "VT's Chittenden Central");

    // Every record reads back exactly as stored.
    let all: Vec<String> = directory.legislators.iter().map(|l| l.id.clone()).collect();
    let back = store.legislators_by_ids(&all).await.expect("by ids");
    assert_eq!(back, directory.legislators);

    // An address in Springfield, MA: the districts a lookup finds, plus the state.
    let divisions = vec![
        "ocd-division/country:us/state:ma/sldu:hampden".to_string(),
        "ocd-division/country:us/state:ma/sldl:7th_hampden".to_string(),
        state_division_id(st("MA")),
        congressional_division_id(st("MA"), 1),
    ];
    let found = store
        .legislators_in_divisions(&divisions)
        .await
        .expect("divisions");
    let names: Vec<&str> = found.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "Adam Gómez",
            "Aaron Saunders",
            "Edward J. Markey",
            "Elizabeth Warren",
            "Richard E. Neal"
        ],
        "state upper, state lower, U.S. Senate, U.S. House"
    );

    let upper = store
        .legislators_of_state(st("MA"), Some(Chamber::StateUpper))
        .await
        .expect("upper");
    assert_eq!(upper.len(), 2);
    assert!(upper.iter().all(|l| l.chamber == Chamber::StateUpper));
    let all_ma = store
        .legislators_of_state(st("MA"), None)
        .await
        .expect("ma");
    assert_eq!(all_ma.len(), 7);
    assert!(all_ma.windows(2).all(|w| w[0].chamber <= w[1].chamber));

    let picked = store
        .legislators_by_ids(&[
            "bioguide:P000617".into(),
            "ocd-person/unknown".into(),
            "ocd-person/d2a82a0d-fbd1-4448-be2d-b786a7e11168".into(),
            "bioguide:P000617".into(),
        ])
        .await
        .expect("by ids");
    assert_eq!(
        ids(&picked),
        vec![
            "bioguide:P000617",
            "ocd-person/d2a82a0d-fbd1-4448-be2d-b786a7e11168"
        ],
        "in the order asked, unknown left out, repeats once"
    );

    let zip = |z: &str| Zip::parse(z).expect("zip");
    assert_eq!(
        store.zip_districts(&zip("01002")).await.expect("split"),
        vec![(st("MA"), 1), (st("MA"), 2)]
    );
    assert_eq!(
        store.zip_districts(&zip("99501")).await.expect("at-large"),
        vec![(st("AK"), 0)]
    );
    assert!(store
        .zip_districts(&zip("00601"))
        .await
        .expect("PR")
        .is_empty());

    // The stored rules map GEOIDs to the very divisions the stored legislators sit for.
    let map = store.division_map().await.expect("map");
    assert_eq!(map.len(), 6, "AK DC MA MO NE VT; PR and usa.yml skipped");
    for (layer, geoid, expected) in [
        (Layer::Sldu, "25D03", "Adam Gómez"),
        (Layer::Sldl, "25050", "Aaron Saunders"),
        (Layer::Sldu, "50CHC", "Martine Gulick"),
        (Layer::Sldu, "11002", "Brooke Pinto"),
        (Layer::Sldu, "31012", "Merv Riepe"),
        (Layer::Cd, "2507", "Ayanna Pressley"),
        (Layer::Cd, "0200", "Nicholas J. Begich III"),
        (Layer::Cd, "1198", "Eleanor Holmes Norton"),
        (Layer::Cd, "5000", "Becca Balint"),
    ] {
        let division = map
            .ocd_id(layer, geoid)
            .unwrap_or_else(|| panic!("{layer}-{geoid} maps"));
        let found = store
            .legislators_in_divisions(std::slice::from_ref(&division))
            .await
            .expect("lookup");
        assert_eq!(
            found.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(),
            vec![expected],
            "{layer}-{geoid} -> {division}"
        );
    }

    let status = store
        .directory_status()
        .await
        .expect("status")
        .expect("synced");
    assert_eq!(status.legislators, directory.legislators.len() as u64);
    assert_eq!(status.zips, 10);
    assert_eq!(status.synced_at, directory.synced_at);
    assert!(status.source.contains("legislators-current.json"));
    assert!(!status.is_stale(30, Utc::now()));
    assert!(status.is_stale(30, Utc::now() + chrono::Duration::days(31)));
}

#[tokio::test]
async fn a_second_replace_leaves_nothing_of_the_first() {
    let (store, _url, _dir) = fresh_store().await;
    let first = small_directory();
    store.replace_directory(&first).await.expect("first");

    let mut second = small_directory();
    second.legislators.retain(|l| l.state.as_str() == "VT");
    second.zips = vec![ZipDistrict {
        zip: "05401".into(),
        state: st("VT"),
        cd: 0,
    }];
    second.rules.retain(|r| r.state.as_str() == "VT");
    second.source = "second".into();
    second.synced_at = first.synced_at + chrono::Duration::seconds(5);
    store.replace_directory(&second).await.expect("second");

    assert!(store
        .legislators_of_state(st("MA"), None)
        .await
        .expect("ma")
        .is_empty());
    assert_eq!(
        store
            .legislators_of_state(st("VT"), None)
            .await
            .expect("vt")
            .len(),
        second.legislators.len()
    );
    let zip = Zip::parse("01002").expect("zip");
    assert!(store.zip_districts(&zip).await.expect("zip").is_empty());
    let map = store.division_map().await.expect("map");
    assert_eq!(map.states().collect::<Vec<_>>(), vec![st("VT")]);
    let status = store
        .directory_status()
        .await
        .expect("status")
        .expect("some");
    assert_eq!(status.source, "second");
    assert_eq!(status.synced_at, second.synced_at);
}

#[tokio::test]
async fn a_replace_that_fails_half_way_keeps_the_previous_directory() {
    let (store, _url, _dir) = fresh_store().await;
    let first = small_directory();
    store.replace_directory(&first).await.expect("first");
    let before = store.directory_status().await.expect("status");

    // Legislators and rules go in first; the bad ZIP row (four digits) fails the insert after.
    let mut broken = small_directory();
    broken.legislators.retain(|l| l.state.as_str() == "VT");
    broken.zips.push(ZipDistrict {
        zip: "1234".into(),
        state: st("MA"),
        cd: 1,
    });
    broken.source = "broken".into();
    assert!(store.replace_directory(&broken).await.is_err());

    assert_eq!(store.directory_status().await.expect("status"), before);
    assert_eq!(
        store
            .legislators_of_state(st("MA"), None)
            .await
            .expect("ma")
            .len(),
        7
    );
    assert_eq!(store.division_map().await.expect("map").len(), 6);
}

// ---------------------------------------------------------------------------------------------
// `advocate directory sync` against a stand-in serving the real datasets

#[tokio::test]
async fn sync_imports_every_state_from_the_public_datasets() {
    let server = stand_in(
        tokio::task::spawn_blocking(Served::full)
            .await
            .expect("served"),
    )
    .await;
    let (db, _dir) = fresh_database_url().await;
    let started = Instant::now();
    let out = advocate_async(&db, url_env(&server), &["directory", "sync"]).await;
    let took = started.elapsed();
    let printed = text(&out);
    eprintln!("directory sync took {:.1}s:\n{printed}", took.as_secs_f64());
    assert!(out.status.success(), "{printed}");
    assert!(printed.contains("U.S. Senate 100"), "{printed}");
    assert!(printed.contains("district rules: 51 states"), "{printed}");

    let store = connect(&db).await;
    let mut everyone = Vec::new();
    for state in StateCode::all() {
        everyone.extend(
            store
                .legislators_of_state(state, None)
                .await
                .expect("state"),
        );
    }
    assert_eq!(count(&everyone, Chamber::UsSenate), 100);
    // 431 voting members (the House has vacancies) and DC's delegate; the five territories'
    // members are skipped.
    assert_eq!(count(&everyone, Chamber::UsHouse), 432);
    let state_legislators =
        count(&everyone, Chamber::StateUpper) + count(&everyone, Chamber::StateLower);
    assert!(state_legislators > 7_000, "{state_legislators}");
    let ma = store
        .legislators_of_state(st("MA"), None)
        .await
        .expect("ma");
    assert_eq!(count(&ma, Chamber::StateUpper), 40);
    // 160 seats; the dataset has two vacancies.
    assert_eq!(count(&ma, Chamber::StateLower), 158);
    let ne = store
        .legislators_of_state(st("NE"), None)
        .await
        .expect("ne");
    assert_eq!(count(&ne, Chamber::StateUpper), 49);
    assert_eq!(count(&ne, Chamber::StateLower), 0, "unicameral");
    let dc = store
        .legislators_of_state(st("DC"), None)
        .await
        .expect("dc");
    assert_eq!(
        count(&dc, Chamber::StateUpper),
        13 - 1,
        "the council, one seat vacant"
    );
    assert_eq!(count(&dc, Chamber::UsSenate), 0);

    let status = store
        .directory_status()
        .await
        .expect("status")
        .expect("synced");
    assert_eq!(status.zips, 41_901, "42,033 rows less PR's 132");
    assert!(status.source.starts_with("sync: "), "{}", status.source);
    let zip = Zip::parse("01002").expect("zip");
    assert_eq!(
        store.zip_districts(&zip).await.expect("zip"),
        vec![(st("MA"), 1), (st("MA"), 2)]
    );

    let map = store.division_map().await.expect("map");
    assert_eq!(map.len(), 51);
    for (layer, geoid, division, at_least) in [
        (
            Layer::Sldu,
            "25D03",
            "ocd-division/country:us/state:ma/sldu:hampden",
            1,
        ),
        (
            Layer::Sldl,
            "29029",
            "ocd-division/country:us/state:mo/sldl:29",
            1,
        ),
        (
            Layer::Sldu,
            "31012",
            "ocd-division/country:us/state:ne/sldu:12",
            1,
        ),
        (
            Layer::Sldu,
            "11002",
            "ocd-division/country:us/district:dc/ward:2",
            1,
        ),
        (
            Layer::Sldu,
            "50CHC",
            "ocd-division/country:us/state:vt/sldu:chittenden-central",
            3,
        ),
        (
            Layer::Sldl,
            "50A-R",
            "ocd-division/country:us/state:vt/sldl:addison-rutland",
            1,
        ),
        (
            Layer::Cd,
            "0200",
            "ocd-division/country:us/state:ak/cd:at-large",
            1,
        ),
        (
            Layer::Cd,
            "5600",
            "ocd-division/country:us/state:wy/cd:at-large",
            1,
        ),
        (
            Layer::Cd,
            "1198",
            "ocd-division/country:us/district:dc/cd:at-large",
            1,
        ),
    ] {
        assert_eq!(
            map.ocd_id(layer, geoid).as_deref(),
            Some(division),
            "{layer}-{geoid}"
        );
        let found = store
            .legislators_in_divisions(&[division.to_string()])
            .await
            .expect("lookup");
        assert!(found.len() >= at_least, "{division}: {found:?}");
    }
    assert_eq!(
        map.ocd_id(Layer::Sldl, "31012"),
        None,
        "Nebraska has no lower house"
    );
    assert_eq!(
        map.ocd_id(Layer::Sldl, "72001"),
        None,
        "Puerto Rico is not a state"
    );
    // Idaho's House: one Census area, two seats.
    let idaho = map.ocd_ids(Layer::Sldl, "16001");
    assert_eq!(idaho.len(), 2);
    let found = store.legislators_in_divisions(&idaho).await.expect("id");
    assert_eq!(found.len(), 2, "{found:?}");
    store.close().await;
}

/// First sync the small directory, so that the failing sync has something to keep.
async fn synced_small_directory() -> (String, Option<tempfile::TempDir>, Store) {
    let (db, dir) = fresh_database_url().await;
    let server = stand_in(Served::small()).await;
    let out = advocate_async(&db, url_env(&server), &["directory", "sync"]).await;
    assert!(out.status.success(), "{}", text(&out));
    let store = connect(&db).await;
    (db, dir, store)
}

async fn assert_small_directory_intact(
    store: &Store,
    before: &Option<advocate::store::DirectoryStatus>,
) {
    assert_eq!(&store.directory_status().await.expect("status"), before);
    assert_eq!(
        store
            .legislators_of_state(st("MA"), None)
            .await
            .expect("ma")
            .len(),
        7
    );
    assert_eq!(store.division_map().await.expect("map").len(), 6);
    let zip = Zip::parse("01002").expect("zip");
    assert_eq!(store.zip_districts(&zip).await.expect("zip").len(), 2);
}

#[tokio::test]
async fn a_download_that_fails_midway_names_the_source_and_keeps_the_previous_directory() {
    let (db, _dir, store) = synced_small_directory().await;
    let before = store.directory_status().await.expect("status");

    let mut served = Served::small();
    served.zips = Vec::new();
    let server = MockServer::start().await;
    // The three other datasets download fine; the crosswalk is gone.
    for (at, body) in [
        (CONGRESS_PATH, served.congress),
        (PEOPLE_PATH, served.people),
        (GEO_PATH, served.geo),
    ] {
        Mock::given(method("GET"))
            .and(path(at))
            .respond_with(ResponseTemplate::new(200).set_body_bytes(body))
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path(ZIPS_PATH))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    let out = advocate_async(&db, url_env(&server), &["directory", "sync"]).await;
    let printed = text(&out);
    assert!(!out.status.success(), "{printed}");
    assert!(printed.contains("us-zipcodes-congress"), "{printed}");
    assert!(printed.contains("404"), "{printed}");
    assert!(
        printed.contains("previous directory is unchanged"),
        "{printed}"
    );
    assert_small_directory_intact(&store, &before).await;
}

#[tokio::test]
async fn a_truncated_archive_is_refused_and_the_previous_directory_stays() {
    let (db, _dir, store) = synced_small_directory().await;
    let before = store.directory_status().await.expect("status");

    let mut served = tokio::task::spawn_blocking(Served::full)
        .await
        .expect("served");
    served.people.truncate(served.people.len() / 2);
    let server = stand_in(served).await;
    let out = advocate_async(&db, url_env(&server), &["directory", "sync"]).await;
    let printed = text(&out);
    assert!(!out.status.success(), "{printed}");
    assert!(printed.contains("openstates/people"), "{printed}");
    assert!(printed.contains("truncated"), "{printed}");
    assert_small_directory_intact(&store, &before).await;
}

#[tokio::test]
async fn malformed_json_is_refused_and_the_previous_directory_stays() {
    let (db, _dir, store) = synced_small_directory().await;
    let before = store.directory_status().await.expect("status");

    let mut served = Served::small();
    let cut = served.congress.len() - 40;
    served.congress.truncate(cut);
    let server = stand_in(served).await;
    let out = advocate_async(&db, url_env(&server), &["directory", "sync"]).await;
    let printed = text(&out);
    assert!(!out.status.success(), "{printed}");
    assert!(
        printed.contains("unitedstates/congress-legislators"),
        "{printed}"
    );
    assert!(printed.contains("legislators-current.json"), "{printed}");
    assert!(printed.contains("line "), "names the place: {printed}");
    assert_small_directory_intact(&store, &before).await;
}

#[tokio::test]
async fn a_download_that_outlasts_the_timeout_fails_and_names_the_setting() {
    let served = Served::small();
    let server = MockServer::start().await;
    for (at, body, delay) in [
        (CONGRESS_PATH, served.congress, 0),
        (PEOPLE_PATH, served.people, 0),
        (GEO_PATH, served.geo, 5),
        (ZIPS_PATH, served.zips, 0),
    ] {
        Mock::given(method("GET"))
            .and(path(at))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_bytes(body)
                    .set_delay(Duration::from_secs(delay)),
            )
            .mount(&server)
            .await;
    }
    let mut env = url_env(&server);
    env.push((
        "ADVOCATE__DIRECTORY__DOWNLOAD_TIMEOUT_SECS".into(),
        "1".into(),
    ));
    let settings = Settings::load_with_env(None, env).expect("settings");
    let started = Instant::now();
    let err = sync(&settings.directory, Utc::now(), today())
        .await
        .expect_err("times out");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "bounded by the setting"
    );
    assert_eq!(err.dataset(), Dataset::OpenStatesGeo);
    assert!(matches!(err, DirectoryError::Download { .. }), "{err}");
    assert!(err.to_string().contains("timed out"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// `advocate directory import` from local folders

#[tokio::test]
async fn import_reads_the_local_folders_and_a_bad_path_changes_nothing() {
    let (db, _dir) = fresh_database_url().await;
    let paths = full_paths();
    let arg = |p: &Path| p.to_str().expect("utf-8 path").to_string();
    let (congress, openstates, districts, zips) = (
        arg(&paths.congress),
        // The `data` folder itself and the `jurisdictions` folder itself are accepted too.
        arg(&paths.openstates.join("data")),
        arg(&paths.districts.join("configs/jurisdictions")),
        arg(&paths.zips),
    );
    let started = Instant::now();
    let out = advocate_async(
        &db,
        vec![],
        &[
            "directory",
            "import",
            "--congress",
            &congress,
            "--openstates",
            &openstates,
            "--districts",
            &districts,
            "--zips",
            &zips,
        ],
    )
    .await;
    let printed = text(&out);
    eprintln!(
        "directory import took {:.1}s:\n{printed}",
        started.elapsed().as_secs_f64()
    );
    assert!(out.status.success(), "{printed}");
    assert!(
        printed.contains("U.S. Senate 100, U.S. House 432"),
        "{printed}"
    );
    assert!(printed.contains("zip rows: 41901"), "{printed}");
    assert!(printed.contains("in 51 states"), "{printed}");

    let store = connect(&db).await;
    let before = store.directory_status().await.expect("status");
    assert!(before.is_some());

    let out = advocate_async(
        &db,
        vec![],
        &[
            "directory",
            "import",
            "--congress",
            &congress,
            "--openstates",
            &openstates,
            "--districts",
            &districts,
            "--zips",
            "/nonexistent/zccd.csv",
        ],
    )
    .await;
    let printed = text(&out);
    assert!(!out.status.success(), "{printed}");
    assert!(printed.contains("us-zipcodes-congress"), "{printed}");
    assert!(printed.contains("/nonexistent/zccd.csv"), "{printed}");
    assert_eq!(store.directory_status().await.expect("status"), before);

    let out = advocate_async(&db, vec![], &["directory", "status"]).await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("legislators: "), "{}", text(&out));
    store.close().await;
}

// ---------------------------------------------------------------------------------------------
// The GEOID mapper and the directory agree, across the whole public dataset

#[test]
fn every_jurisdiction_config_uses_the_directorys_division_prefix() {
    let dir = full_directory();
    assert_eq!(dir.rules.len(), 51);
    for rules in &dir.rules {
        assert_eq!(rules.os_id_prefix, state_division_id(rules.state));
    }
    assert!(dir.unmapped.is_empty(), "{:?}", dir.unmapped);
}

/// The Census GEOIDs a district could have: state FIPS + the district code padded to three
/// characters (also tried without a trailing seat letter, for Idaho's split districts).
fn candidate_geoids(fips: &str, slug: &str) -> Vec<String> {
    let upper = slug.to_uppercase();
    let mut codes = vec![upper.clone()];
    if let Some(stripped) = upper.strip_suffix(['A', 'B']) {
        codes.push(stripped.to_string());
    }
    codes
        .into_iter()
        .flat_map(|c| {
            (c.len()..=3.max(c.len()))
                .map(move |width| format!("{fips}{c:0>width$}"))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn every_numbered_state_district_is_reachable_from_a_census_geoid() {
    let dir = full_directory();
    let map = advocate::directory::DivisionMap::new(dir.rules.clone()).expect("map");
    let mut unreachable = Vec::new();
    let mut checked = 0;
    for l in &dir.legislators {
        let layer = match l.chamber {
            Chamber::StateUpper => Layer::Sldu,
            Chamber::StateLower => Layer::Sldl,
            _ => continue,
        };
        let Some((_, slug)) = l.division_id.rsplit_once(':') else {
            continue;
        };
        // Named districts are covered by the custom lists (see the test above); DC's
        // at-large seats have the whole district.
        if !slug.bytes().next().is_some_and(|b| b.is_ascii_digit())
            || l.division_id == "ocd-division/country:us/district:dc"
            || slug.contains(['_', '-'])
        {
            continue;
        }
        checked += 1;
        let fips = advocate::domain::fips_for_state(l.state);
        let reachable = candidate_geoids(fips, slug)
            .iter()
            .any(|g| map.ocd_ids(layer, g).contains(&l.division_id));
        if !reachable {
            unreachable.push(format!("{} {} ({})", l.division_id, l.name, l.district));
        }
    }
    assert!(checked > 6_000, "{checked}");
    assert!(
        unreachable.is_empty(),
        "{} of {checked} unreachable: {:?}",
        unreachable.len(),
        &unreachable[..unreachable.len().min(40)]
    );
}

#[test]
fn every_house_seat_and_senate_pair_is_complete() {
    let dir = full_directory();
    let mut senators = std::collections::BTreeMap::new();
    for l in dir
        .legislators
        .iter()
        .filter(|l| l.chamber == Chamber::UsSenate)
    {
        *senators.entry(l.state).or_insert(0) += 1;
        assert_eq!(l.division_id, state_division_id(l.state));
    }
    assert_eq!(senators.len(), 50, "every state but DC");
    assert!(senators.values().all(|n| *n == 2));
    let map = advocate::directory::DivisionMap::new(dir.rules.clone()).expect("map");
    for l in dir
        .legislators
        .iter()
        .filter(|l| l.chamber == Chamber::UsHouse)
    {
        let fips = advocate::domain::fips_for_state(l.state);
        let geoid = match l.district.as_str() {
            "At-large" if l.state.as_str() == "DC" => format!("{fips}98"),
            "At-large" => format!("{fips}00"),
            n => format!("{fips}{:0>2}", n),
        };
        assert_eq!(
            map.ocd_id(Layer::Cd, &geoid).as_deref(),
            Some(l.division_id.as_str()),
            "{} ({})",
            l.name,
            l.state
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The directory keeping itself fresh: `serve` on an empty directory syncs it in the background
// (one instance at a time), retries a failed sync with backoff, and records what a re-sync
// changed.

/// Settings for `serve` with the start-up sync on, the datasets at `server`, and short waits.
fn self_sync_env(server: &MockServer, census: &MockServer) -> Vec<(String, String)> {
    self_sync_env_at(&server.uri(), census)
}

/// [`self_sync_env`] with the directory's downloads under `base`.
fn self_sync_env_at(base: &str, census: &MockServer) -> Vec<(String, String)> {
    let mut env = url_env_at(base);
    for (k, v) in [
        ("ADVOCATE__DIRECTORY__SYNC_ON_START", "true"),
        ("ADVOCATE__DIRECTORY__RETRY_MIN_SECS", "1"),
        ("ADVOCATE__DIRECTORY__RETRY_MAX_SECS", "2"),
        ("ADVOCATE__JOBS__RETRY_SECS", "1"),
        ("ADVOCATE__JOBS__HEALTH_CHECK_SECS", "1"),
        ("ADVOCATE__CIVIC__TIMEOUT_MS", "3000"),
    ] {
        env.push((k.to_string(), v.to_string()));
    }
    env.push(("ADVOCATE__CIVIC__CENSUS_URL".into(), census.uri()));
    env
}

async fn spawn_self_syncing(env: &[(String, String)]) -> TestApp {
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    spawn_app_with(&pairs).await
}

/// Polls `/readyz` until the directory's state is `want` (panics after `secs`).
async fn wait_for_directory(app: &TestApp, want: &str, secs: u64) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let (_, ready) = app.readyz().await;
        let dir = ready["checks"]["directory"].clone();
        if dir["state"] == want {
            return dir;
        }
        assert!(
            Instant::now() < deadline,
            "the directory is not {want} after {secs}s: {dir}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Serves `served` at the four download paths.
async fn mount(server: &MockServer, served: Served) {
    for (at, body) in [
        (CONGRESS_PATH, served.congress),
        (PEOPLE_PATH, served.people),
        (GEO_PATH, served.geo),
        (ZIPS_PATH, served.zips),
    ] {
        Mock::given(method("GET"))
            .and(path(at))
            .respond_with(ResponseTemplate::new(200).set_body_bytes(body))
            .mount(server)
            .await;
    }
}

/// A door in front of `server`: connections are accepted at once, but nothing passes through
/// until the sender is set to `true`. Answers the base URL to use in its place.
async fn door(server: &MockServer) -> (String, tokio::sync::watch::Sender<bool>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the door");
    let at = listener.local_addr().expect("door address");
    let behind = *server.address();
    let (open, opened) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            let mut opened = opened.clone();
            tokio::spawn(async move {
                if opened.wait_for(|open| *open).await.is_err() {
                    return;
                }
                if let Ok(mut outbound) = tokio::net::TcpStream::connect(behind).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    (format!("http://{at}"), open)
}

#[tokio::test]
async fn serve_on_an_empty_directory_loads_it_and_lookups_answer_loading_until_it_is_there() {
    let served = tokio::task::spawn_blocking(Served::full)
        .await
        .expect("served");
    // The downloads are held at a door until the questions below are asked: the directory is
    // loading for as long as the test needs, however slow the machine.
    let server = stand_in(served).await;
    let (base, open) = door(&server).await;
    let census = advocate_test_support::boston_census().await;
    let app = spawn_self_syncing(&self_sync_env_at(&base, &census)).await;

    let res = app
        .get(&format!(
            "{}/targets?address={}",
            advocate_test_support::CAMPAIGN,
            advocate_test_support::encode("24 Beacon St, Boston, MA 02133")
        ))
        .await;
    assert_eq!(res.status().as_u16(), 503, "a lookup while loading");
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!(retry > 0);
    let body: serde_json::Value = res.json().await.expect("json");
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("the legislator directory is loading")),
        "{body}"
    );
    let (_, ready) = app.readyz().await;
    assert_eq!(ready["status"], "ready", "the rest of the service is up");
    assert_eq!(ready["checks"]["directory"]["state"], "loading", "{ready}");
    let (status, page) = app
        .get_page("/act?address=24+Beacon+St%2C+Boston%2C+MA+02133")
        .await;
    assert_eq!(status, 503, "the page while loading");
    assert!(
        page.contains("The legislator directory is loading"),
        "{page}"
    );

    open.send(true).expect("open the door");
    let dir = wait_for_directory(&app, "ready", 240).await;
    assert!(dir["legislators"].as_u64().unwrap_or(0) > 7000, "{dir}");
    let (status, body) = app.lookup_address("24 Beacon St, Boston, MA 02133").await;
    assert_eq!(status, 200, "{body}");
    let names: Vec<&str> = body["targets"]
        .as_array()
        .expect("targets")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert!(names.contains(&"Elizabeth Warren"), "{names:?}");
    // One sync ran, recorded with this instance and how it ended.
    let runs = app
        .store
        .job_runs("directory_sync", 10)
        .await
        .expect("runs");
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert!(
        runs[0]
            .outcome
            .as_deref()
            .is_some_and(|o| o.starts_with("ok")),
        "{runs:?}"
    );
}

#[tokio::test]
async fn a_failing_source_shows_on_readyz_with_its_reason_and_a_retry_succeeds_once_fixed() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let census = advocate_test_support::boston_census().await;
    let app = spawn_self_syncing(&self_sync_env(&server, &census)).await;

    let dir = wait_for_directory(&app, "failed", 60).await;
    let reason = dir["error"].as_str().unwrap_or("");
    assert!(reason.contains("download from"), "{dir}");
    assert!(reason.contains("HTTP 500"), "{dir}");
    assert!(
        !reason.contains('?'),
        "no query string (it could hold a key): {dir}"
    );
    // Still answering "loading" to lookups, and retrying.
    let (status, _) = app.lookup("zip=01001").await;
    assert_eq!(status, 503);

    server.reset().await;
    mount(&server, Served::small()).await;
    wait_for_directory(&app, "ready", 60).await;
    let (status, body) = app.lookup("zip=01001").await;
    assert_eq!(status, 200, "{body}");
    let runs = app
        .store
        .job_runs("directory_sync", 50)
        .await
        .expect("runs");
    assert!(runs.len() >= 2, "{runs:?}");
    assert!(runs[0]
        .outcome
        .as_deref()
        .is_some_and(|o| o.starts_with("ok")));
    assert!(runs[1].failed(), "{runs:?}");
}

/// The small dataset with its congress file changed by `change` (the list of members).
fn small_with_congress(change: impl FnOnce(&mut Vec<serde_json::Value>)) -> Served {
    let mut served = Served::small();
    let mut members: Vec<serde_json::Value> =
        serde_json::from_slice(&served.congress).expect("congress parses");
    change(&mut members);
    served.congress = serde_json::to_vec(&members).expect("json");
    served
}

fn without(members: &mut Vec<serde_json::Value>, bioguide: &str) {
    members.retain(|m| m["id"]["bioguide"] != bioguide);
}

#[tokio::test]
async fn a_resync_records_who_was_added_who_left_and_who_moved() {
    // First: the small directory without O000177.
    let server = stand_in(small_with_congress(|m| without(m, "O000177"))).await;
    let census = advocate_test_support::boston_census().await;
    let app = spawn_self_syncing(&self_sync_env(&server, &census)).await;
    wait_for_directory(&app, "ready", 60).await;
    assert!(
        app.store
            .directory_changes(100)
            .await
            .expect("changes")
            .is_empty(),
        "a first load records no change"
    );

    // Then: O000177 is back, B001298 is gone and N000015 sits for another district.
    server.reset().await;
    let next = small_with_congress(|members| {
        without(members, "B001298");
        for m in members.iter_mut() {
            if m["id"]["bioguide"] == "N000015" {
                let terms = m["terms"].as_array_mut().expect("terms");
                let last = terms.last_mut().expect("a term");
                last["district"] = serde_json::json!(9);
            }
        }
    });
    mount(&server, next).await;
    let audit = advocate::staff::audit::NewAudit::new(
        Utc::now(),
        advocate::staff::audit::Origin::cli(),
        advocate::staff::audit::action::DIRECTORY_SYNC_REQUESTED,
        "directory",
        "directory sync requested",
    );
    app.store
        .request_job("directory_sync", &audit)
        .await
        .expect("requested");
    let deadline = Instant::now() + Duration::from_secs(60);
    let changes = loop {
        let changes = app.store.directory_changes(100).await.expect("changes");
        if !changes.is_empty() {
            break changes;
        }
        assert!(Instant::now() < deadline, "the re-sync changed nothing");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let mut seen: Vec<(String, String, Option<String>, Option<String>)> = changes
        .iter()
        .map(|c| {
            (
                c.kind.clone(),
                c.legislator_id.clone(),
                c.old_district.clone(),
                c.new_district.clone(),
            )
        })
        .collect();
    seen.sort();
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert_eq!(
        (seen[0].0.as_str(), seen[0].1.as_str()),
        ("added", "bioguide:O000177")
    );
    assert_eq!(
        (seen[1].0.as_str(), seen[1].1.as_str()),
        ("left", "bioguide:B001298")
    );
    assert_eq!(
        (seen[2].0.as_str(), seen[2].1.as_str()),
        ("moved", "bioguide:N000015")
    );
    assert_eq!(seen[2].3.as_deref(), Some("9"), "{seen:?}");
    assert_ne!(seen[2].2, seen[2].3, "{seen:?}");
    assert_eq!(
        app.store
            .job_requested("directory_sync")
            .await
            .expect("read"),
        None,
        "the request was served"
    );

    // Staff see them on /staff/directory.
    let (_, organiser) = advocate_test_support::staff::signed_in(
        &app,
        "org@example.org",
        advocate::staff::Role::Organiser,
    )
    .await;
    let res = app.staff_get("/staff/directory", Some(&organiser)).await;
    assert_eq!(res.status().as_u16(), 200);
    let page = res.text().await.expect("page");
    assert!(page.contains("1 added, 1 left, 1 moved"), "{page}");
    let neal = changes
        .iter()
        .find(|c| c.legislator_id == "bioguide:N000015")
        .expect("moved");
    assert!(page.contains(&neal.name), "{page}");
    assert!(!page.contains("Sync now"), "organisers cannot start a sync");
}
