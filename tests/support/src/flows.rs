//! The supporter's flow as the tests walk it: a Boston supporter, the app that knows their
//! address, their requests, and the settings that turn sending on.

use crate::app::{spawn_app_with, TestApp};
use crate::census::boston_census;
use serde_json::{json, Value};
use wiremock::MockServer;

/// The Boston supporter's street address (what [`crate::census_boston`] answers for).
pub const BOSTON: &str = "24 Beacon St, Boston, MA 02133";
/// The service's sender address when sending is on.
pub const FROM: &str = "send@advocate.test";

/// An app whose Census stand-in knows one Boston address, with the full directory imported.
pub async fn boston_app() -> (TestApp, MockServer) {
    boston_app_with(&[]).await
}

/// [`boston_app`] with more settings.
pub async fn boston_app_with(extra: &[(&str, &str)]) -> (TestApp, MockServer) {
    let census = boston_census().await;
    let uri = census.uri();
    let mut settings = vec![
        ("ADVOCATE__CIVIC__CENSUS_URL", uri.as_str()),
        ("ADVOCATE__CIVIC__TIMEOUT_MS", "3000"),
    ];
    settings.extend_from_slice(extra);
    let app = spawn_app_with(&settings).await;
    app.import_full_directory().await;
    (app, census)
}

/// Settings that turn sending on, through the relay at `url`, with a quick worker.
pub fn sending_settings(url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("ADVOCATE__SMTP__URL", url.to_string()),
        ("ADVOCATE__SMTP__FROM_ADDRESS", FROM.to_string()),
        ("ADVOCATE__SMTP__FROM_NAME", "Campaign Zero".to_string()),
        ("ADVOCATE__SMTP__TIMEOUT_SECS", "5".to_string()),
        ("ADVOCATE__OUTBOX__POLL_INTERVAL_MS", "100".to_string()),
        ("ADVOCATE__OUTBOX__RETRY_BASE_SECS", "1".to_string()),
        ("ADVOCATE__OUTBOX__RETRY_MAX_SECS", "1".to_string()),
    ]
}

/// Borrowed settings of owned ones, as the spawn functions take them.
pub fn as_env<'a>(owned: &'a [(&'a str, String)]) -> Vec<(&'a str, &'a str)> {
    owned.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// [`boston_app`] sending through the relay at `url` ([`sending_settings`]).
pub async fn sending_app(url: &str) -> (TestApp, MockServer) {
    boston_app_with(&as_env(&sending_settings(url))).await
}

/// Jane Doe's draft-mode request to `targets`, from the Boston address.
pub fn message_request(targets: &[String]) -> Value {
    json!({
        "name": "Jane Doe",
        "email": "jane@example.org",
        "city": "Boston",
        "address": BOSTON,
        "targets": targets,
        "mode": "draft",
    })
}

/// [`message_request`] in send mode.
pub fn send_request(targets: &[String]) -> Value {
    let mut req = message_request(targets);
    req["mode"] = json!("send");
    req
}

/// The ids of a lookup's targets.
pub fn ids(targets: &[Value]) -> Vec<String> {
    targets
        .iter()
        .map(|t| t["id"].as_str().expect("id").to_string())
        .collect()
}

/// The ids of the targets that have an email address (the ones the service sends to), and
/// their addresses, lower-cased.
pub fn emailable(targets: &[Value]) -> (Vec<String>, Vec<String>) {
    let with_email: Vec<&Value> = targets.iter().filter(|t| t["email"].is_string()).collect();
    (
        with_email
            .iter()
            .map(|t| t["id"].as_str().expect("id").to_string())
            .collect(),
        with_email
            .iter()
            .map(|t| t["email"].as_str().expect("email").to_lowercase())
            .collect(),
    )
}

impl TestApp {
    /// The lookup of the Boston address (asserted `200`): its targets and scorecard.
    pub async fn boston_targets(&self) -> (Vec<Value>, Value) {
        let (status, body) = self.lookup_address(BOSTON).await;
        assert_eq!(status, 200, "{body}");
        let targets = body["targets"].as_array().expect("targets").clone();
        (targets, body["scorecard"].clone())
    }
}
