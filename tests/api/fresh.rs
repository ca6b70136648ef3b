//! Edits seen by every instance: two app instances on one database (PostgreSQL when the suite
//! runs on it; one SQLite file otherwise), a message template and a scorecard saved through the
//! first one's API are used by the second one's compose and lookup within 2 seconds, and the
//! stale copy is never served after that.

use advocate::staff::Role;
use advocate_test_support::staff::bearer;
use advocate_test_support::{
    boston_census, ids, message_request, spawn_app_from, status_and_json, test_settings, TestApp,
    SLUG,
};
use reqwest::Method;
use serde_json::{json, Value};
use std::future::Future;
use std::time::{Duration, Instant};
use wiremock::MockServer;

/// Every instance uses an edit from this long after it was saved at the latest.
const BOUND: Duration = Duration::from_secs(2);
/// How long the second instance is watched after the bound, for a stale answer.
const WATCH_AFTER: Duration = Duration::from_millis(1500);

const CAPS: &str = "end_damage_caps";
/// The line a message asks for when a state's bill keeps damage caps.
const CAPS_ASK: &str = "Remove caps on liability so victims are paid what they are owed.";

/// Two instances on one database whose Census stand-in knows the Boston address, the
/// directory imported, and an editor's API token.
async fn two_instances() -> (TestApp, TestApp, MockServer, String) {
    let census = boston_census().await;
    let uri = census.uri();
    let (settings, dir) = test_settings(&[
        ("ADVOCATE__CIVIC__CENSUS_URL", uri.as_str()),
        ("ADVOCATE__CIVIC__TIMEOUT_MS", "3000"),
        // The second instance is asked again and again for a few seconds.
        ("ADVOCATE__LIMITS__LOOKUPS_PER_MINUTE", "100000"),
    ])
    .await;
    let one = spawn_app_from(settings.clone(), dir).await;
    one.import_full_directory().await;
    let two = spawn_app_from(settings, None).await;
    let (_, token) = bearer(&one, "ed@example.org", Role::Editor).await;
    (one, two, census, token)
}

/// Waits until `probe` (asked of the second instance) sees the edit, at most [`BOUND`] after
/// `saved`; then asks again for [`WATCH_AFTER`] and fails if any answer is the stale one.
async fn seen_within_bound<F, Fut>(what: &str, saved: Instant, probe: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = bool>,
{
    loop {
        if probe().await {
            break;
        }
        assert!(
            saved.elapsed() < BOUND,
            "{what}: still the old one {:?} after the save",
            saved.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let seen = saved.elapsed();
    assert!(seen <= BOUND, "{what}: seen only {seen:?} after the save");
    while saved.elapsed() < BOUND + WATCH_AFTER {
        assert!(
            probe().await,
            "{what}: the stale copy was served again {:?} after the save (first seen at {seen:?})",
            saved.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The Boston supporter's legislators, and `app`'s drafts to every one of them, in order.
async fn targets_and_drafts(app: &TestApp) -> (Vec<Value>, Vec<Value>) {
    let (targets, _) = app.boston_targets().await;
    let (status, body) = app.post_message(&message_request(&ids(&targets))).await;
    assert_eq!(status, 200, "{body}");
    let drafts = body["drafts"].as_array().expect("drafts").clone();
    assert_eq!(drafts.len(), targets.len(), "{body}");
    (targets, drafts)
}

async fn drafts(app: &TestApp) -> Vec<Value> {
    targets_and_drafts(app).await.1
}

fn caps_status(card: &Value) -> Value {
    card["criteria"]
        .as_array()
        .expect("criteria")
        .iter()
        .find(|c| c["id"] == CAPS)
        .map(|c| c["status"].clone())
        .expect("the caps criterion")
}

#[tokio::test]
async fn a_template_saved_through_one_instance_is_used_by_another_within_two_seconds() {
    let (one, two, _census, token) = two_instances().await;
    // The second instance composes first, so that it holds the current template in memory.
    let before = drafts(&two).await;
    assert!(
        before.iter().all(|d| d["template_version"] == 1),
        "{before:?}"
    );
    let again = drafts(&two).await;
    assert_eq!(
        (&before[0]["subject"], &before[0]["body"]),
        (&again[0]["subject"], &again[0]["body"]),
        "composing twice gives the same message"
    );

    let res = one
        .with_bearer(
            Method::PUT,
            &format!("/api/v1/campaigns/{SLUG}/templates/state"),
            Some(&token),
        )
        .json(&json!({
            "subject": "Fresh everywhere in {{ state.name }}",
            "body": "Dear {{ legislator.name }},\n\nFRESH EVERYWHERE.\n\n{{ supporter.name }}",
            "note": "seen by every instance",
        }))
        .send()
        .await
        .expect("saved");
    let saved = Instant::now();
    let (status, body) = status_and_json(res).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["version"], 2, "{body}");

    seen_within_bound("the state template", saved, || async {
        let (targets, drafts) = targets_and_drafts(&two).await;
        let mut state = Vec::new();
        for (target, draft) in targets.iter().zip(&drafts) {
            let federal = target["chamber"]
                .as_str()
                .is_some_and(|c| c.starts_with("us_"));
            if federal {
                assert_eq!(draft["template_version"], 1, "untouched: {draft}");
            } else {
                state.push(draft);
            }
        }
        assert!(!state.is_empty(), "{drafts:?}");
        if state.iter().all(|d| d["template_version"] == 1) {
            return false;
        }
        // Every state legislator's message is the new one, never one old and one new.
        for d in &state {
            assert_eq!(d["template_version"], 2, "{d}");
            assert_eq!(d["subject"], "Fresh everywhere in Massachusetts", "{d}");
            assert!(
                d["body"]
                    .as_str()
                    .is_some_and(|b| b.contains("FRESH EVERYWHERE.")),
                "{d}"
            );
        }
        true
    })
    .await;
}

#[tokio::test]
async fn a_scorecard_saved_through_one_instance_is_used_by_another_within_two_seconds() {
    let (one, two, _census, token) = two_instances().await;
    // The second instance reads the campaign first, so that it holds it in memory.
    let (_, card) = two.scorecard("MA").await;
    let old = caps_status(&card);
    assert_ne!(old, json!("yes"), "{card}");
    let (_, lookup_before) = two.boston_targets().await;
    assert_eq!(caps_status(&lookup_before), old);
    let drafts_before = drafts(&two).await;

    let mut edited = card.clone();
    let caps = edited["criteria"]
        .as_array()
        .expect("criteria")
        .iter()
        .position(|c| c["id"] == CAPS)
        .expect("caps");
    edited["criteria"][caps]["status"] = json!("yes");
    let res = one
        .with_bearer(
            Method::PUT,
            &format!("/api/v1/campaigns/{SLUG}/scorecards/MA"),
            Some(&token),
        )
        .json(&edited)
        .send()
        .await
        .expect("saved");
    let saved = Instant::now();
    let (status, body) = status_and_json(res).await;
    assert_eq!(status, 201, "{body}");
    let revision = body["revision"].as_i64().expect("revision");

    // Compose follows too: the gap is no longer asked for.
    let asked = |drafts: &[Value]| {
        drafts
            .iter()
            .any(|d| d["body"].as_str().is_some_and(|b| b.contains(CAPS_ASK)))
    };
    assert!(asked(&drafts_before), "the old messages ask about caps");

    // The public scorecard, the lookup's scorecard and the messages, all three.
    seen_within_bound("the scorecard", saved, || async {
        let api = caps_status(&two.scorecard("MA").await.1) == json!("yes");
        let lookup = caps_status(&two.boston_targets().await.1) == json!("yes");
        let drafts = drafts(&two).await;
        let composed = !asked(&drafts);
        if composed {
            assert!(
                drafts.iter().all(|d| d["scorecard_revision"] == revision),
                "the messages name the new revision: {drafts:?}"
            );
        }
        api && lookup && composed
    })
    .await;
    let stored = two
        .store
        .scorecard_latest_revision(SLUG, advocate::domain::StateCode::parse("MA").expect("MA"))
        .await
        .expect("read");
    assert_eq!(stored, Some(revision));
}
