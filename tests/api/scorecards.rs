use advocate_test_support::{spawn_app, CAMPAIGN, SLUG};
use serde_json::Value;

fn gap_ids(card: &Value) -> Vec<String> {
    card["gaps"]
        .as_array()
        .expect("gaps")
        .iter()
        .map(|g| g["id"].as_str().expect("id").to_string())
        .collect()
}

fn status_of(card: &Value, id: &str) -> String {
    card["criteria"]
        .as_array()
        .expect("criteria")
        .iter()
        .find(|c| c["id"] == id)
        .map(|c| c["status"].as_str().expect("status").to_string())
        .expect("criterion present")
}

#[tokio::test]
async fn the_seeded_campaign_is_listed() {
    let app = spawn_app().await;
    let (status, body) = app.get_campaigns().await;
    assert_eq!(status, 200);
    assert_eq!(body["campaigns"][0]["slug"], "end-qualified-immunity");

    let (status, body) = app.get_campaign(SLUG).await;
    assert_eq!(status, 200);
    let criteria = body["criteria"].as_array().expect("criteria");
    assert_eq!(criteria.len(), 9);
    assert_eq!(criteria.iter().filter(|c| c["kind"] == "end").count(), 4);
}

#[tokio::test]
async fn massachusetts_scores_end_3_of_4_start_1_of_5_with_five_gaps() {
    let app = spawn_app().await;
    let (status, card) = app.scorecard("MA").await;
    assert_eq!(status, 200, "{card}");
    assert_eq!(card["state"], "MA");
    assert_eq!(card["score"]["end"], 3.0);
    assert_eq!(card["score"]["end_of"], 4);
    assert_eq!(card["score"]["start"], 1.0);
    assert_eq!(card["score"]["start_of"], 5);
    assert_eq!(card["score"]["unknown"], 0);
    assert_eq!(card["summary"], "end 3/4, start 1/5");
    assert_eq!(
        gap_ids(&card),
        [
            "end_damage_caps",
            "start_failure_to_intervene",
            "start_full_compensation",
            "start_attorney_fees",
            "start_individual_accountability"
        ]
    );
    for gap in card["gaps"].as_array().expect("gaps") {
        assert!(!gap["ask"].as_str().unwrap_or("").is_empty());
    }
    assert_eq!(card["bill"]["featured"], true);
    assert_eq!(card["bill"]["status"], "failed");
    assert!(
        !card["other_bills"].as_array().expect("others").is_empty(),
        "the newer SB 1004 page is kept as a further bill"
    );
    let reason = card["criteria"][0]["reason"].as_str().expect("reason");
    assert!(!reason.is_empty());
}

#[tokio::test]
async fn missouri_and_connecticut_match_their_seed_pages() {
    let app = spawn_app().await;
    let (_, mo) = app.scorecard("mo").await;
    assert_eq!(mo["state"], "MO");
    assert_eq!(mo["summary"], "end 3/4, start 3/5");

    let (_, ct) = app.scorecard("CT").await;
    assert_eq!(ct["score"]["end"], 2.0);
    assert_eq!(ct["score"]["start"], 1.5);
    assert_eq!(ct["summary"], "end 2/4, start 1.5/5");
    assert_eq!(status_of(&ct, "start_public_records"), "partial");
    assert_eq!(ct["bill"]["status"], "passed");
    assert!(gap_ids(&ct).contains(&"start_public_records".to_string()));
}

#[tokio::test]
async fn states_from_stored_pages_keep_unknowns_as_unknown() {
    let app = spawn_app().await;
    let (_, co) = app.scorecard("CO").await;
    assert_eq!(co["score"]["end"], 3.0);
    assert_eq!(co["score"]["start_unknown"], 5);
    assert_eq!(status_of(&co, "start_attorney_fees"), "unknown");
    assert!(
        !gap_ids(&co).contains(&"start_attorney_fees".to_string()),
        "unknown is never a gap"
    );
}

#[tokio::test]
async fn a_state_without_legislation_asks_for_all_nine_standards() {
    let app = spawn_app().await;
    let (status, wy) = app.scorecard("WY").await;
    assert_eq!(status, 200);
    assert!(wy["bill"].is_null());
    let gaps = wy["gaps"].as_array().expect("gaps");
    assert_eq!(gaps.len(), 9);
    assert!(gaps[0]["ask"]
        .as_str()
        .unwrap_or("")
        .starts_with("Introduce legislation to"));
}

#[tokio::test]
async fn all_states_and_dc_have_a_scorecard() {
    let app = spawn_app().await;
    let (status, body) = app.scorecards().await;
    assert_eq!(status, 200);
    let cards = body["scorecards"].as_array().expect("scorecards");
    assert_eq!(cards.len(), 51);
    let evaluated = cards.iter().filter(|c| !c["bill"].is_null()).count();
    assert!(evaluated >= 30, "only {evaluated} states evaluated");
}

#[tokio::test]
async fn unknown_states_and_campaigns_are_json_404s() {
    let app = spawn_app().await;
    for path in [
        format!("{CAMPAIGN}/scorecards/XX"),
        format!("{CAMPAIGN}/scorecards/%3Cscript%3E"),
        "/api/v1/campaigns/no-such-campaign".to_string(),
        "/api/v1/campaigns/no-such-campaign/scorecards/MA".to_string(),
    ] {
        let res = app.get(&path).await;
        assert_eq!(res.status().as_u16(), 404, "{path}");
        assert!(res.headers()["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("application/json"));
        let body: Value = res.json().await.expect("json");
        assert!(
            body["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{path}"
        );
    }
}
