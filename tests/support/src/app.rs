//! Spawns the real application on a random port with a fresh database of the backend chosen by
//! `ADVOCATE_TEST_DATABASE` (`sqlite`, the default, or `postgres`), and speaks to it: one
//! [`TestApp`] method per endpoint and per step of the supporter's flow.

use crate::{data, CAMPAIGN};
use advocate::config::Settings;
use advocate::startup::Application;
use advocate::store::Store;
use reqwest::Response;
use serde_json::Value;
use sqlx::Connection;

/// The running application, a client that does not follow redirects, and its store.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`, no trailing slash.
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

/// The backend new test databases are made on: `sqlite` (the default) or `postgres`.
pub fn backend() -> String {
    std::env::var("ADVOCATE_TEST_DATABASE").unwrap_or_else(|_| "sqlite".to_string())
}

/// Drops the PostgreSQL databases a benchmark made (their apps still hold connections).
pub async fn drop_databases(urls: &[&str]) {
    use sqlx::Connection;
    let Ok(mut admin) = sqlx::PgConnection::connect(&postgres_admin_url()).await else {
        return;
    };
    for raw in urls.iter().filter(|u| u.starts_with("postgres")) {
        let Ok(url) = url::Url::parse(raw) else {
            continue;
        };
        let name = url.path().trim_start_matches('/');
        if name.starts_with("adv_test_") {
            let sql = format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#);
            if let Err(err) = sqlx::raw_sql(&sql).execute(&mut admin).await {
                eprintln!("could not drop {name}: {err}");
            }
        }
    }
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
        // Tests load the directory they need themselves; a test of the start-up sync turns
        // this on (and points the directory URLs at a local stand-in).
        ("ADVOCATE__DIRECTORY__SYNC_ON_START".into(), "false".into()),
    ];
    // Nor does a sync asked for in a test reach the internet: the datasets' URLs point at a
    // closed local port unless a test points them at its stand-in.
    for key in ["CONGRESS", "OPENSTATES_PEOPLE", "OPENSTATES_GEO", "ZIPS"] {
        env.push((
            format!("ADVOCATE__DIRECTORY__{key}_URL"),
            "http://127.0.0.1:9/not-in-tests".into(),
        ));
    }
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let settings = Settings::load_with_env(None, env).expect("test settings are valid");
    (settings, dir)
}

/// The application with the default test settings.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// The application with the test settings plus `extra` (`ADVOCATE__...` variables).
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

/// The status and JSON body of an answer (`Null` when the body is not JSON).
pub async fn status_and_json(res: Response) -> (u16, Value) {
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// The status and text of an answer.
pub async fn status_and_text(res: Response) -> (u16, String) {
    let status = res.status().as_u16();
    (status, res.text().await.expect("a text body"))
}

/// The `Location` header of an answer.
pub fn location(res: &Response) -> String {
    res.headers()["location"]
        .to_str()
        .expect("ASCII location")
        .to_string()
}

impl TestApp {
    /// The absolute URL of `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Imports the full legislator directory from the shared datasets into this app's database.
    /// The import takes seconds: it runs off the test's runtime, so the client meanwhile sees
    /// the server close idle keep-alive connections (a blocked runtime would hand the next
    /// request a connection the server already closed).
    pub async fn import_full_directory(&self) {
        let db_url = self.db_url.clone();
        tokio::task::spawn_blocking(move || data::import_full_directory(&db_url))
            .await
            .expect("the import finished");
    }

    // ---- Plain requests -----------------------------------------------------------------

    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    /// `GET path`: status and JSON body (panics when the body is not JSON).
    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let res = self.get(path).await;
        let status = res.status().as_u16();
        let body = res.json().await.expect("JSON body");
        (status, body)
    }

    /// `GET path`: status and HTML.
    pub async fn get_page(&self, path: &str) -> (u16, String) {
        status_and_text(self.get(path).await).await
    }

    /// `POST path` with a form body of `pairs` (repeated names allowed).
    pub async fn post_form(&self, path: &str, pairs: &[(String, String)]) -> Response {
        self.client
            .post(self.url(path))
            .form(pairs)
            .send()
            .await
            .expect("request sent")
    }

    // ---- The API ------------------------------------------------------------------------

    pub async fn healthz(&self) -> (u16, Value) {
        self.get_json("/healthz").await
    }

    /// `GET /metrics` with `headers` (`Authorization`, `X-Forwarded-For`, ...).
    pub async fn metrics_with(&self, headers: &[(&str, &str)]) -> Response {
        let mut req = self.client.get(self.url("/metrics"));
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        req.send().await.expect("request sent")
    }

    pub async fn readyz(&self) -> (u16, Value) {
        self.get_json("/readyz").await
    }

    pub async fn openapi(&self) -> (u16, Value) {
        self.get_json("/api/openapi.json").await
    }

    /// `GET /api/v1/campaigns`.
    pub async fn get_campaigns(&self) -> (u16, Value) {
        self.get_json("/api/v1/campaigns").await
    }

    /// `GET /api/v1/campaigns/{slug}`.
    pub async fn get_campaign(&self, slug: &str) -> (u16, Value) {
        self.get_json(&format!("/api/v1/campaigns/{slug}")).await
    }

    /// Every state's scorecard of the campaign.
    pub async fn scorecards(&self) -> (u16, Value) {
        self.get_json(&format!("{CAMPAIGN}/scorecards")).await
    }

    /// One state's scorecard of the campaign (`state` as written in the path, unchecked).
    pub async fn scorecard(&self, state: &str) -> (u16, Value) {
        self.get_json(&format!("{CAMPAIGN}/scorecards/{state}"))
            .await
    }

    /// `GET .../targets?{query}` (the raw query string; empty: no query at all).
    pub async fn lookup(&self, query: &str) -> (u16, Value) {
        let path = format!("{CAMPAIGN}/targets");
        match query {
            "" => self.get_json(&path).await,
            q => self.get_json(&format!("{path}?{q}")).await,
        }
    }

    /// The lookup of a street address, encoded as a form would.
    pub async fn lookup_address(&self, address: &str) -> (u16, Value) {
        self.lookup(&format!("address={}", encode(address))).await
    }

    /// `POST .../messages` with `body`.
    pub async fn post_message(&self, body: &Value) -> (u16, Value) {
        self.send_message(body, None).await
    }

    /// `POST .../messages` with `body` and an `Idempotency-Key`.
    pub async fn post_message_with_key(&self, body: &Value, key: &str) -> (u16, Value) {
        self.send_message(body, Some(key)).await
    }

    async fn send_message(&self, body: &Value, key: Option<&str>) -> (u16, Value) {
        let mut request = self
            .client
            .post(self.url(&format!("{CAMPAIGN}/messages")))
            .json(body);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        status_and_json(request.send().await.expect("request sent")).await
    }

    /// The campaign's message counts.
    pub async fn counts(&self) -> (u16, Value) {
        self.get_json(&format!("{CAMPAIGN}/counts")).await
    }

    /// Another campaign's message counts.
    pub async fn counts_of(&self, slug: &str) -> (u16, Value) {
        self.get_json(&format!("/api/v1/campaigns/{slug}/counts"))
            .await
    }

    /// `GET /api/v1/receipts/{token}`.
    pub async fn receipt_json(&self, token: &str) -> (u16, Value) {
        self.get_json(&format!("/api/v1/receipts/{token}")).await
    }

    // ---- The supporter's pages and links ------------------------------------------------

    /// The confirmation link's page (`GET /confirm/{token}`: shows, sends nothing).
    pub async fn confirm_page(&self, token: &str) -> Response {
        self.get(&format!("/confirm/{token}")).await
    }

    /// The confirmation button (`POST /confirm/{token}`).
    pub async fn confirm(&self, token: &str) -> Response {
        self.client
            .post(self.url(&format!("/confirm/{token}")))
            .send()
            .await
            .expect("request sent")
    }

    /// The receipt page (`GET /receipts/{token}`).
    pub async fn receipt(&self, token: &str) -> Response {
        self.get(&format!("/receipts/{token}")).await
    }

    /// Follows a counting link (`/r/...`, absolute or not) without following its redirect;
    /// asserts the `303` and returns where it points.
    pub async fn follow_draft_link(&self, link: &str) -> String {
        let path = match url::Url::parse(link) {
            Ok(url) => url.path().to_string(),
            Err(_) => link.to_string(),
        };
        assert!(path.starts_with("/r/"), "{link} is not a counting link");
        let res = self.get(&path).await;
        assert_eq!(
            res.status().as_u16(),
            303,
            "counting links redirect with 303"
        );
        location(&res)
    }
}

/// `text` encoded for a URL query (`+` for spaces), as a form encodes it.
pub fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}
