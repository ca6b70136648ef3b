use advocate_test_support::spawn_app;

#[tokio::test]
async fn the_home_page_shows_the_campaign_standards_map_and_table() {
    let app = spawn_app().await;
    let res = app.get("/").await;
    assert_eq!(res.status().as_u16(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap_or("")
        .starts_with("text/html"));
    let html = res.text().await.expect("body");
    assert!(html.contains("End Qualified Immunity"));
    assert!(html.contains("<svg"));
    assert!(html.contains("href=\"/states/ma\"") || html.contains("href=\"/states/MA\""));
    assert!(html.contains("<table"));
    assert!(html.contains("Massachusetts"));
    assert!(html.contains("Wyoming"));
}

#[tokio::test]
async fn a_state_page_lists_every_criterion_with_its_reason() {
    let app = spawn_app().await;
    let (status, html) = app.get_page("/states/MA").await;
    assert_eq!(status, 200);
    assert!(html.contains("Massachusetts"));
    assert!(
        html.contains("Chapter 258, Section 2"),
        "MA caps reason is shown"
    );
    assert!(html.contains("failure to intervene") || html.contains("failure-to-intervene"));
    let lower = app.get("/states/ct").await;
    assert_eq!(lower.status().as_u16(), 200);
}

#[tokio::test]
async fn unknown_state_pages_are_404_pages() {
    let app = spawn_app().await;
    for path in [
        "/states/XX",
        "/states/%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "/nowhere",
    ] {
        let res = app.get(path).await;
        assert_eq!(res.status().as_u16(), 404, "{path}");
        let html = res.text().await.expect("body");
        assert!(html.contains("href=\"/\""), "404 page links home");
        assert!(!html.contains("<script>alert"), "input is never echoed raw");
    }
}

#[tokio::test]
async fn the_stylesheet_is_served() {
    let app = spawn_app().await;
    let res = app.get("/static/style.css").await;
    assert_eq!(res.status().as_u16(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap_or("")
        .starts_with("text/css"));
    let script = app.get("/static/copy.js").await;
    assert_eq!(script.status().as_u16(), 200);
    assert!(script.headers()["content-type"]
        .to_str()
        .unwrap_or("")
        .starts_with("text/javascript"));
    assert!(script.text().await.expect("text").contains("data-copy"));
}
