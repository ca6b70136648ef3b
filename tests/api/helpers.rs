//! Spawns the real application on a random port with a fresh database of the backend chosen by
//! `ADVOCATE_TEST_DATABASE` (`sqlite`, the default, or `postgres`).

use advocate::config::Settings;
use advocate::startup::Application;
use advocate::store::Store;
use sqlx::Connection;
use std::path::PathBuf;

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub store: Store,
    /// The test's own database, for running the binary against it.
    pub db_url: String,
    /// Keeps a SQLite database's folder alive for the test's lifetime.
    _dir: Option<tempfile::TempDir>,
}

/// The PostgreSQL server tests create their databases on.
pub fn postgres_admin_url() -> String {
    std::env::var("ADVOCATE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

pub fn backend() -> String {
    std::env::var("ADVOCATE_TEST_DATABASE").unwrap_or_else(|_| "sqlite".to_string())
}

/// A database URL nobody else uses, plus the temp folder holding it (SQLite).
pub async fn fresh_database_url() -> (String, Option<tempfile::TempDir>) {
    match backend().as_str() {
        "postgres" => {
            let admin = postgres_admin_url();
            let name = format!("adv_test_{}", uuid::Uuid::new_v4().simple());
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .expect("PostgreSQL must be reachable at ADVOCATE_TEST_POSTGRES_URL");
            sqlx::query(&format!(r#"CREATE DATABASE "{name}""#))
                .execute(&mut conn)
                .await
                .expect("create test database");
            let mut url = url::Url::parse(&admin).expect("admin URL");
            url.set_path(&name);
            (url.to_string(), None)
        }
        "sqlite" => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}", dir.path().join("advocate.db").display());
            (url, Some(dir))
        }
        other => panic!("ADVOCATE_TEST_DATABASE must be sqlite or postgres, not {other}"),
    }
}

/// Test settings: defaults with a fresh database and port 0, plus `extra` overrides.
pub async fn test_settings(extra: &[(&str, &str)]) -> (Settings, Option<tempfile::TempDir>) {
    let (db_url, dir) = fresh_database_url().await;
    let mut env: Vec<(String, String)> = vec![
        ("ADVOCATE__SERVER__BIND".into(), "127.0.0.1:0".into()),
        ("ADVOCATE__DATABASE__URL".into(), db_url),
        ("ADVOCATE__DATABASE__MAX_CONNECTIONS".into(), "4".into()),
    ];
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let settings = Settings::load_with_env(None, env).expect("test settings are valid");
    (settings, dir)
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

pub async fn spawn_app_with(extra: &[(&str, &str)]) -> TestApp {
    let (settings, dir) = test_settings(extra).await;
    spawn_app_from(settings, dir).await
}

/// Runs the application with `settings` (from [`test_settings`]; `dir` keeps a SQLite folder).
pub async fn spawn_app_from(settings: Settings, dir: Option<tempfile::TempDir>) -> TestApp {
    let db_url = secrecy::ExposeSecret::expose_secret(&settings.database.url).to_string();
    let app = Application::build(settings.clone())
        .await
        .expect("application builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let store = app.store().clone();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .expect("client"),
        store,
        db_url,
        _dir: dir,
    }
}

impl TestApp {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{}", self.address, path))
            .send()
            .await
            .expect("request sent")
    }

    pub async fn get_json(&self, path: &str) -> (u16, serde_json::Value) {
        let res = self.get(path).await;
        let status = res.status().as_u16();
        let body = res.json().await.expect("JSON body");
        (status, body)
    }
}

/// Path of a fixture under tests/fixtures.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The public datasets beside the repository (never copied into it).
pub fn shared_data() -> PathBuf {
    std::env::var("ADVOCATE_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data")))
}

/// Imports the full legislator directory from `../shared/data` into the app's database.
pub fn import_full_directory(db_url: &str) {
    let data = shared_data();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_advocate"))
        .args(["directory", "import", "--congress"])
        .arg(data.join("congress-legislators/legislators-current.json"))
        .arg("--openstates")
        .arg(data.join("openstates-people/data"))
        .arg("--districts")
        .arg(data.join("openstates-geo/configs/jurisdictions"))
        .arg("--zips")
        .arg(data.join("us-zipcodes-congress/zccd.csv"))
        .env("ADVOCATE__DATABASE__URL", db_url)
        .env("ADVOCATE__LOG__LEVEL", "warn")
        .output()
        .expect("binary runs");
    assert!(
        out.status.success(),
        "directory import failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A Census `geographies/onelineaddress` answer (the geocoder's real response shape) for one Boston
/// address on Beacon Hill: MA congressional district 7, Suffolk and Middlesex senate district, 8th
/// Suffolk house district. Shared by every test and benchmark that needs a Census stand-in.
pub fn census_boston() -> serde_json::Value {
    serde_json::json!({"result": {
        "input": {"address": {"address": "24 Beacon St, Boston, MA 02133"},
                  "benchmark": {"benchmarkName": "Public_AR_Current"}},
        "addressMatches": [{
            "matchedAddress": "24 BEACON ST, BOSTON, MA, 02133",
            "coordinates": {"x": -71.0621, "y": 42.3579},
            "tigerLine": {"tigerLineId": "1", "side": "L"},
            "addressComponents": {"zip": "02133", "state": "MA", "city": "BOSTON"},
            "geographies": {
                "States": [{"GEOID": "25", "STUSAB": "MA", "NAME": "Massachusetts", "STATE": "25"}],
                "119th Congressional Districts": [{"GEOID": "2507", "CD119": "07", "STATE": "25",
                    "NAME": "Congressional District 7", "BASENAME": "7"}],
                "2024 State Legislative Districts - Upper": [{"GEOID": "25D28", "SLDU": "D28", "STATE": "25",
                    "NAME": "Suffolk and Middlesex District"}],
                "2024 State Legislative Districts - Lower": [{"GEOID": "25130", "SLDL": "130", "STATE": "25",
                    "NAME": "8th Suffolk District"}]
            }
        }]
    }})
}

/// The 64-hex-digit token after `prefix` in a text (a confirmation or receipt link in an email
/// or a URL).
pub fn token_after(text: &str, prefix: &str) -> String {
    let start = text
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix} in {text}"))
        + prefix.len();
    let token: String = text[start..]
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect();
    assert_eq!(token.len(), 64, "token after {prefix} in {text}");
    token
}
