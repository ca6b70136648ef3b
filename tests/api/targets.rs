//! `GET /api/v1/campaigns/{slug}/targets` and the `/act` pages, against a Census stand-in that
//! speaks the geocoder's real response format and the full public directory.

use advocate_test_support::{
    boston_census, calls, census_stand_in, encode, spawn_app_with, TestApp, BOSTON,
};
use serde_json::{json, Value};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn app_with_census(server: &MockServer) -> TestApp {
    spawn_app_with(&[
        ("ADVOCATE__CIVIC__CENSUS_URL", &server.uri()),
        ("ADVOCATE__CIVIC__TIMEOUT_MS", "3000"),
    ])
    .await
}

#[tokio::test]
async fn a_massachusetts_address_finds_all_five_kinds_of_legislator_with_the_scorecard() {
    let census = boston_census().await;
    let app = app_with_census(&census).await;
    app.import_full_directory().await;

    let (status, body) = app.lookup_address(BOSTON).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["state"], "MA");
    assert_eq!(body["accuracy"], "address");
    let targets = body["targets"].as_array().expect("targets");
    let of = |chamber: &str| -> Vec<&Value> {
        targets.iter().filter(|t| t["chamber"] == chamber).collect()
    };
    assert_eq!(of("state_upper").len(), 1, "{body}");
    assert!(!of("state_lower").is_empty(), "{body}");
    assert_eq!(of("us_senate").len(), 2, "{body}");
    assert_eq!(of("us_house").len(), 1, "{body}");
    for t in of("state_upper").iter().chain(of("state_lower").iter()) {
        assert!(
            t["email"].as_str().is_some_and(|e| e.contains('@')),
            "state legislators have email: {t}"
        );
    }
    assert!(
        of("us_senate")
            .iter()
            .all(|t| t["contact_form"].as_str().is_some()),
        "both MA senators publish a contact form"
    );
    for t in targets {
        for key in ["id", "name", "title", "chamber", "party", "district"] {
            assert!(!t[key].is_null(), "{key} missing in {t}");
        }
    }
    assert_eq!(body["scorecard"]["summary"], "end 3/4, start 1/5");
    assert_eq!(body["scorecard"]["gaps"].as_array().map(Vec::len), Some(5));

    // The same address again is answered from the cache: still one upstream call.
    let (status, _) = app.lookup_address("24  beacon st, boston, ma 02133").await;
    assert_eq!(status, 200);
    let calls = calls(&census).await;
    assert_eq!(
        calls, 1,
        "repeated lookups of one address make one upstream call"
    );
}

#[tokio::test]
async fn empty_and_oversized_addresses_are_422_with_a_clear_message() {
    let census = boston_census().await;
    let app = app_with_census(&census).await;
    for q in [
        "address=".to_string(),
        String::new(),
        format!("address={}", encode(&"9".repeat(301))),
    ] {
        let (status, body) = app.lookup(&q).await;
        assert_eq!(status, 422, "{q}: {body}");
        assert!(
            body["error"].as_str().is_some_and(|e| e.len() > 10),
            "{body}"
        );
    }
    let calls = calls(&census).await;
    assert_eq!(calls, 0, "bad input never reaches the provider");
}

#[tokio::test]
async fn an_unmatched_address_is_422() {
    let census = census_stand_in(json!({"result": {"input": {}, "addressMatches": []}})).await;
    let app = app_with_census(&census).await;
    let (status, body) = app.lookup_address("1 Nowhere Lane, Atlantis").await;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"].as_str().is_some());
}

#[tokio::test]
async fn when_every_provider_fails_and_there_is_no_zip_the_answer_is_503() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500).set_body_string("upstream trouble"))
        .mount(&server)
        .await;
    let app = app_with_census(&server).await;
    let (status, body) = app.lookup_address("24 Beacon St, Boston, MA").await;
    assert_eq!(status, 503, "{body}");
    assert!(body["error"].as_str().is_some_and(|e| !e.is_empty()));
}

#[tokio::test]
async fn a_forged_choice_token_is_refused() {
    let census = boston_census().await;
    let app = app_with_census(&census).await;
    let (status, body) = app.lookup("choice=not-a-real-token").await;
    assert_eq!(status, 422, "{body}");
}

#[tokio::test]
async fn the_act_pages_show_the_form_errors_next_to_the_field_and_the_answer() {
    let census = boston_census().await;
    let app = app_with_census(&census).await;
    app.import_full_directory().await;

    let (status, html) = app.get_page("/act").await;
    assert_eq!(status, 200);
    assert!(html.contains("name=\"address\""));

    let (status, html) = app.get_page("/act?address=").await;
    assert_eq!(status, 422);
    assert!(
        html.contains("id=\"address-error\""),
        "error shown next to the field"
    );
    assert!(html.contains("aria-invalid=\"true\""));

    let (status, html) = app
        .get_page("/act?address=24+Beacon+St%2C+Boston%2C+MA+02133")
        .await;
    assert_eq!(status, 200);
    assert!(html.contains("Elizabeth Warren"), "U.S. senator listed");
    assert!(html.contains("Your state legislators"));
    assert!(html.contains("mailto:"), "state legislators' email links");
    assert!(html.contains("end 3/4, start 1/5"));
}

#[tokio::test]
async fn the_directory_age_is_visible_on_readyz_and_when_stale_on_the_supporter_page() {
    let census = boston_census().await;
    let app = app_with_census(&census).await;
    let (_, ready) = app.readyz().await;
    assert_eq!(ready["checks"]["directory"]["status"], "empty");
    let html = app.get_page("/act").await.1;
    assert!(html.contains("has not been loaded yet"));

    app.import_full_directory().await;
    let (_, ready) = app.readyz().await;
    assert_eq!(ready["checks"]["directory"]["status"], "ok", "{ready}");
    assert!(
        ready["checks"]["directory"]["legislators"]
            .as_u64()
            .unwrap_or(0)
            > 7000
    );
    let html = app.get_page("/act").await.1;
    assert!(
        !html.contains("last updated on"),
        "a fresh directory raises no notice"
    );

    // The same directory under a zero-day limit is stale.
    let strict = spawn_app_with(&[
        ("ADVOCATE__CIVIC__CENSUS_URL", &census.uri()),
        ("ADVOCATE__DIRECTORY__MAX_AGE_DAYS", "0"),
    ])
    .await;
    strict.import_full_directory().await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (_, ready) = strict.readyz().await;
    assert_eq!(ready["checks"]["directory"]["status"], "stale", "{ready}");
    let html = strict.get_page("/act").await.1;
    assert!(html.contains("last updated on"));
}

#[tokio::test]
async fn a_zip_alone_warns_and_lets_the_supporter_choose_legislators_marked_unverified() {
    let census = boston_census().await;
    let app = app_with_census(&census).await;
    app.import_full_directory().await;

    // 02139 (Cambridge) spans two congressional districts in the crosswalk.
    let (status, body) = app.lookup("zip=02139").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["accuracy"], "zip");
    assert!(!body["warnings"].as_array().expect("warnings").is_empty());
    let targets = body["targets"].as_array().expect("targets");
    assert!(
        targets
            .iter()
            .all(|t| t["chamber"] == "us_senate" || t["chamber"] == "us_house"),
        "state legislators are never guessed from a ZIP: {body}"
    );

    let page = app.get_page("/act?zip=02139").await.1;
    assert!(
        page.contains("/act/choose?state=MA"),
        "the page offers to choose by hand"
    );

    let (status, html) = app.get_page("/act/choose?state=MA").await;
    assert_eq!(status, 200);
    assert!(html.contains("name=\"manual\""));
    assert!(html.contains("State senators"));

    // Pick one state senator and one representative from the directory (checkbox values).
    let senator = app
        .store
        .legislators_of_state(
            advocate::domain::StateCode::parse("MA").expect("MA"),
            Some(advocate::directory::Chamber::StateUpper),
        )
        .await
        .expect("directory")[0]
        .id
        .clone();
    let rep = app
        .store
        .legislators_of_state(
            advocate::domain::StateCode::parse("MA").expect("MA"),
            Some(advocate::directory::Chamber::StateLower),
        )
        .await
        .expect("directory")[0]
        .id
        .clone();
    let (status, html) = app
        .get_page(&format!(
            "/act?state=MA&manual={}&manual={}",
            encode(&senator),
            encode(&rep)
        ))
        .await;
    assert_eq!(status, 200);
    assert!(
        html.contains("unverified"),
        "manual choices are marked unverified"
    );

    // An id from another state is refused.
    let (status, _) = app.lookup("state=MA&manual=bioguide%3AH001089").await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn lookups_over_the_per_client_limit_get_429() {
    let census = boston_census().await;
    let app = spawn_app_with(&[
        ("ADVOCATE__CIVIC__CENSUS_URL", &census.uri()),
        ("ADVOCATE__LIMITS__LOOKUPS_PER_MINUTE", "3"),
    ])
    .await;
    for _ in 0..3 {
        let (status, _) = app.lookup("zip=65101").await;
        assert_ne!(status, 429);
    }
    let (status, body) = app.lookup("zip=65101").await;
    assert_eq!(status, 429, "{body}");
    assert!(body["error"].as_str().is_some_and(|e| e.contains("wait")));
    let page = app.get("/act?zip=65101").await;
    assert_eq!(page.status().as_u16(), 429);
    // Pages that do not look anything up are not limited.
    assert_eq!(app.get("/").await.status().as_u16(), 200);
}
