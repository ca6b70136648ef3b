use advocate_test_support::spawn_app;

#[tokio::test]
async fn healthz_answers_ok() {
    let app = spawn_app().await;
    let (status, body) = app.healthz().await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn readyz_reports_the_database_backend() {
    let app = spawn_app().await;
    let (status, body) = app.readyz().await;
    assert_eq!(status, 200);
    assert_eq!(body["checks"]["database"]["status"], "ok");
    assert_eq!(body["checks"]["database"]["backend"], app.store.backend());
    assert_eq!(
        body["checks"]["outbox"]["status"], "off",
        "no relay configured"
    );
}

#[tokio::test]
async fn readyz_fails_when_the_database_is_gone() {
    let app = spawn_app().await;
    app.store.close().await;
    let (status, body) = app.readyz().await;
    assert_eq!(status, 503);
    assert_eq!(body["checks"]["database"]["status"], "error");
}

#[tokio::test]
async fn every_response_carries_security_headers_and_a_request_id() {
    let app = spawn_app().await;
    for path in [
        "/",
        "/healthz",
        "/api/v1/campaigns",
        "/no-such-page",
        "/api/v1/nothing",
    ] {
        let res = app.get(path).await;
        let h = res.headers();
        for name in [
            "content-security-policy",
            "x-content-type-options",
            "x-frame-options",
            "referrer-policy",
            "x-request-id",
        ] {
            assert!(h.contains_key(name), "{path} lacks {name}");
        }
    }
    let a = app.get("/healthz").await;
    let b = app.get("/healthz").await;
    assert_ne!(a.headers()["x-request-id"], b.headers()["x-request-id"]);
}
