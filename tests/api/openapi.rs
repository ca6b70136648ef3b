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
        "/api/v1/receipts/{token}",
    ] {
        assert!(paths.contains_key(expected), "{expected} is not documented");
    }
    // Every documented path without required query input or secret token answers 200 for real
    // parameters (receipts are covered by the sending tests).
    let plain_gets = paths
        .iter()
        .filter(|(p, ops)| {
            ops.get("get").is_some() && !p.ends_with("/targets") && !p.contains("{token}")
        })
        .map(|(p, _)| p);
    for path in plain_gets {
        let real = path
            .replace("{slug}", "end-qualified-immunity")
            .replace("{state}", "MA");
        assert_eq!(app.get(&real).await.status().as_u16(), 200, "{real}");
    }
}
