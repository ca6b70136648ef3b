use advocate_test_support::spawn_app;

#[tokio::test]
async fn the_openapi_document_describes_every_api_route_and_they_answer() {
    let app = spawn_app().await;
    let (status, doc) = app.openapi().await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap_or("").starts_with("3."));
    let paths = doc["paths"].as_object().expect("paths");
    for expected in [
        "/api/v1/campaigns",
        "/api/v1/campaigns/{slug}",
        "/api/v1/campaigns/{slug}/scorecards",
        "/api/v1/campaigns/{slug}/scorecards/{state}",
        "/api/v1/campaigns/{slug}/targets",
        "/api/v1/campaigns/{slug}/messages",
        "/api/v1/campaigns/{slug}/counts",
        "/api/v1/campaigns/{slug}/counter",
        "/api/v1/campaigns/{slug}/reach",
        "/api/v1/receipts/{token}",
    ] {
        assert!(paths.contains_key(expected), "{expected} is not documented");
    }
    // Every documented path without required query input, secret token or bearer token answers
    // 200 for real parameters (receipts are covered by the sending tests, staff APIs by theirs).
    let plain_gets = paths
        .iter()
        .filter(|(p, ops)| {
            ops.get("get")
                .is_some_and(|get| get.get("security").is_none())
                && !p.ends_with("/targets")
                && !p.contains("{token}")
        })
        .map(|(p, _)| p);
    for path in plain_gets {
        let real = path
            .replace("{slug}", "end-qualified-immunity")
            .replace("{state}", "MA");
        assert_eq!(app.get(&real).await.status().as_u16(), 200, "{real}");
    }
}

#[tokio::test]
async fn a_method_an_api_path_does_not_support_answers_405_with_allow() {
    let app = spawn_app().await;
    let url = |p: &str| format!("{}{p}", app.address);
    let res = app
        .client
        .delete(url("/api/v1/campaigns"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status().as_u16(), 405);
    assert_eq!(res.headers()["allow"], "GET");
    let body: serde_json::Value = res.json().await.expect("json");
    assert!(body["error"].is_string(), "{body}");

    let res = app
        .client
        .get(url("/api/v1/campaigns/end-qualified-immunity/messages"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status().as_u16(), 405);
    assert_eq!(res.headers()["allow"], "POST");

    // Undocumented paths stay 404, and pages are not affected.
    for (method, path) in [
        (reqwest::Method::DELETE, "/api/v1/nothing"),
        (
            reqwest::Method::DELETE,
            "/api/v1/campaigns/x/scorecards/MA/extra",
        ),
        (reqwest::Method::DELETE, "/states/MA"),
    ] {
        let res = app
            .client
            .request(method, url(path))
            .send()
            .await
            .expect("request");
        assert_eq!(res.status().as_u16(), 404, "{path}");
        assert!(res.headers().get("allow").is_none(), "{path}");
    }
}

const MESSAGES: &str = "/api/v1/campaigns/end-qualified-immunity/messages";

fn valid_request() -> serde_json::Value {
    serde_json::json!({
        "name": "Jane Doe",
        "email": "jane@example.org",
        "address": "24 Beacon St, Boston, MA 02133",
        "targets": ["ocd-person/x"],
        "mode": "draft"
    })
}

#[tokio::test]
async fn a_message_body_that_is_not_json_is_415_with_a_json_error() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(format!("{}{MESSAGES}", app.address))
        .header("Content-Type", "text/plain")
        .body(valid_request().to_string())
        .send()
        .await
        .expect("request");
    let status = res.status().as_u16();
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(status, 415, "{body}");
    assert!(body["error"].is_string(), "{body}");
}

/// A draft ignored the header, so a key the document refuses was accepted.
#[tokio::test]
async fn a_malformed_idempotency_key_is_refused_in_draft_mode_too() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(format!("{}{MESSAGES}", app.address))
        .header("Idempotency-Key", "x".repeat(201))
        .json(&valid_request())
        .send()
        .await
        .expect("request");
    assert_eq!(res.status().as_u16(), 422);
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body["field"], "Idempotency-Key", "{body}");
}

/// The one-line address won and a bad `zip` or `state` beside it was ignored.
#[tokio::test]
async fn a_bad_zip_or_state_beside_a_one_line_address_is_422() {
    let app = spawn_app().await;
    for query in ["zip=123", "state=Atlantis"] {
        let (status, body) = app
            .get_json(&format!(
                "/api/v1/campaigns/end-qualified-immunity/targets?address=24+Beacon+St&{query}"
            ))
            .await;
        assert_eq!(status, 422, "{query}: {body}");
    }
}
