//! Every storage operation, run against whichever backend the suite runs on (both in CI).

use advocate::config::Settings;
use advocate::scorecard::{file, CampaignDoc};
use advocate::store::Store;
use advocate_test_support::{fixture, fresh_database_url};

async fn fresh_store() -> (Store, Option<tempfile::TempDir>) {
    let (url, dir) = fresh_database_url().await;
    let settings =
        Settings::load_with_env(None, vec![("ADVOCATE__DATABASE__URL".to_string(), url)])
            .expect("settings");
    let store = Store::connect(&settings.database).await.expect("connect");
    store.migrate().await.expect("migrate");
    (store, dir)
}

fn small() -> CampaignDoc {
    let text = std::fs::read_to_string(fixture("campaign-small.toml")).expect("fixture");
    file::parse(&text).expect("fixture parses")
}

#[tokio::test]
async fn migrations_apply_twice_without_harm_and_ping_answers() {
    let (store, _dir) = fresh_store().await;
    store.migrate().await.expect("second migrate is a no-op");
    store.ping().await.expect("ping");
    assert!(!store.has_campaigns().await.expect("count"));
    assert!(store.campaigns().await.expect("list").is_empty());
}

#[tokio::test]
async fn an_imported_campaign_reads_back_identical() {
    let (store, _dir) = fresh_store().await;
    let doc = small();
    let report = store.import_campaign(&doc).await.expect("import");
    assert!(report.changed);
    assert_eq!(
        (
            report.criteria,
            report.states,
            report.bills,
            report.evaluations
        ),
        (2, 1, 1, 2)
    );
    let back = store
        .campaign_doc("small-campaign")
        .await
        .expect("load")
        .expect("present");
    assert_eq!(back, doc.normalised());
    assert!(store.has_campaigns().await.expect("count"));
    assert_eq!(
        store.campaigns().await.expect("list")[0].slug,
        "small-campaign"
    );
    assert!(store.campaign_doc("other").await.expect("load").is_none());
}

#[tokio::test]
async fn importing_the_same_campaign_twice_changes_nothing() {
    let (store, _dir) = fresh_store().await;
    let doc = small();
    store.import_campaign(&doc).await.expect("first");
    let second = store.import_campaign(&doc).await.expect("second");
    assert!(!second.changed);
    assert_eq!(store.campaigns().await.expect("list").len(), 1);
}

#[tokio::test]
async fn a_changed_campaign_replaces_the_old_bills() {
    let (store, _dir) = fresh_store().await;
    let mut doc = small();
    store.import_campaign(&doc).await.expect("first");
    doc.states[0].bills[0].status = advocate::domain::BillStatus::Passed;
    doc.states[0].bills[0].evaluations.pop();
    let report = store.import_campaign(&doc).await.expect("update");
    assert!(report.changed);
    let back = store
        .campaign_doc("small-campaign")
        .await
        .expect("load")
        .expect("present");
    assert_eq!(back, doc.normalised());
    assert_eq!(back.states[0].bills[0].evaluations.len(), 1);
}

#[tokio::test]
async fn a_failing_import_leaves_the_previous_campaign_in_place() {
    let (store, _dir) = fresh_store().await;
    let doc = small();
    store.import_campaign(&doc).await.expect("first");
    // Two featured bills for one state get past no check but the database's own constraint,
    // which fires after the old rows were deleted: the transaction must undo the deletion.
    let mut bad = doc.clone();
    bad.campaign.title = "Changed title".into();
    let mut second = bad.states[0].bills[0].clone();
    second.number = Some("SB 2".into());
    bad.states[0].bills.push(second);
    assert!(store.import_campaign(&bad).await.is_err());
    let back = store
        .campaign_doc("small-campaign")
        .await
        .expect("load")
        .expect("present");
    assert_eq!(back, doc.normalised());
}

#[tokio::test]
async fn the_seed_campaign_imports_and_round_trips_through_the_file_format() {
    let (store, _dir) = fresh_store().await;
    let seed = advocate::scorecard::seed("").expect("built-in seed parses");
    store.import_campaign(&seed).await.expect("import");
    let back = store
        .campaign_doc("end-qualified-immunity")
        .await
        .expect("load")
        .expect("present");
    assert_eq!(back, seed.normalised());
    let text = file::render(&back).expect("render");
    let again = file::parse(&text).expect("exported file parses");
    assert_eq!(again, back);
    assert!(
        !store
            .import_campaign(&again)
            .await
            .expect("re-import")
            .changed
    );
}

/// One rule of `count` per `period`.
fn rule(count: u32, period: std::time::Duration) -> advocate::limits::gcra::Gcra {
    advocate::limits::gcra::Gcra::new(std::num::NonZeroU32::new(count).expect("count"), period)
}

fn allowed(decision: advocate::limits::gcra::Decision) -> bool {
    matches!(decision, advocate::limits::gcra::Decision::Allowed { .. })
}

#[tokio::test]
async fn a_rate_limit_allows_its_burst_refuses_with_the_wait_refills_and_gives_back() {
    use advocate::limits::gcra::Decision;
    use std::time::Duration;
    let (store, _dir) = fresh_store().await;
    // Three an hour: one every 20 minutes once the three are used.
    let hourly = rule(3, Duration::from_secs(3600));
    for _ in 0..3 {
        assert!(allowed(store.take_limit("a", hourly).await.expect("take")));
    }
    match store.take_limit("a", hourly).await.expect("take") {
        Decision::Refused { retry_after } => assert!(
            retry_after > Duration::from_secs(19 * 60) && retry_after <= Duration::from_secs(1200),
            "{retry_after:?}"
        ),
        decision => panic!("the fourth was {decision:?}"),
    }
    // Another key has its own allowance.
    assert!(allowed(store.take_limit("b", hourly).await.expect("take")));
    // A refusal changed nothing; a refund gives exactly one back.
    let tat = store.rate_limit_tat("a").await.expect("read");
    assert!(!allowed(store.take_limit("a", hourly).await.expect("take")));
    assert_eq!(store.rate_limit_tat("a").await.expect("read"), tat);
    store.refund_limit("a", hourly).await.expect("refund");
    assert!(allowed(store.take_limit("a", hourly).await.expect("take")));
    assert!(!allowed(store.take_limit("a", hourly).await.expect("take")));

    // Refill on the database's clock: two per 300 ms, used up, are both back 300 ms later.
    let quick = rule(2, Duration::from_millis(300));
    assert!(allowed(store.take_limit("q", quick).await.expect("take")));
    assert!(allowed(store.take_limit("q", quick).await.expect("take")));
    assert!(!allowed(store.take_limit("q", quick).await.expect("take")));
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert!(allowed(store.take_limit("q", quick).await.expect("take")));
    assert!(allowed(store.take_limit("q", quick).await.expect("take")));
}

#[tokio::test]
async fn concurrent_takes_of_one_key_never_pass_its_burst() {
    use std::time::Duration;
    let (store, _dir) = fresh_store().await;
    let five = rule(5, Duration::from_secs(3600));
    let takes = (0..20).map(|_| {
        let store = store.clone();
        tokio::spawn(async move { store.take_limit("shared", five).await })
    });
    let mut passed = 0;
    for take in futures_util::future::join_all(takes).await {
        if allowed(take.expect("task").expect("take")) {
            passed += 1;
        }
    }
    assert_eq!(passed, 5);
}

#[tokio::test]
async fn the_purge_deletes_rate_limit_rows_whose_allowance_is_full_again() {
    use std::time::Duration;
    let (store, _dir) = fresh_store().await;
    assert!(allowed(
        store
            .take_limit("short", rule(1, Duration::from_millis(100)))
            .await
            .expect("take")
    ));
    assert!(allowed(
        store
            .take_limit("long", rule(1, Duration::from_secs(3600)))
            .await
            .expect("take")
    ));
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(store.purge_rate_limits().await.expect("purge"), 1);
    assert!(store.rate_limit_tat("short").await.expect("read").is_none());
    assert!(store.rate_limit_tat("long").await.expect("read").is_some());
}
