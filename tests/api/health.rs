use advocate_test_support::{spawn_app, test_settings};

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

/// Several instances started at once on one empty PostgreSQL database: each migrates and tries
/// to seed the campaign; one seeds it, and every one of them starts and serves it (a race found by
/// scripts/cluster, where the other instances exited with a unique-key violation). PostgreSQL
/// only: several instances share PostgreSQL, while SQLite is one instance's database (its
/// migrations take no lock, so instances started at once on one file are not supported).
#[tokio::test]
async fn instances_started_at_once_on_an_empty_database_all_start() {
    if advocate_test_support::app::backend() != "postgres" {
        return;
    }
    let (settings, dir) = test_settings(&[]).await;
    let builds = (0..3).map(|_| advocate::startup::Application::build(settings.clone()));
    let apps = futures_util::future::join_all(builds).await;
    let mut ports = Vec::new();
    for app in apps {
        let app = app.expect("every instance starts");
        ports.push(app.port());
        tokio::spawn(app.run_until_stopped());
    }
    let client = reqwest::Client::new();
    for port in ports {
        let res = client
            .get(format!(
                "http://127.0.0.1:{port}/api/v1/campaigns/end-qualified-immunity"
            ))
            .send()
            .await
            .expect("request sent");
        assert_eq!(res.status().as_u16(), 200, "instance on port {port}");
    }
    drop(dir);
}
