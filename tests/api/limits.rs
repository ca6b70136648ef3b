//! Rate limits held in the database, so they hold across instances: two app instances on one
//! database (PostgreSQL when the suite runs on it; one SQLite file otherwise) share a client's
//! lookups; an email address's unconfirmed submissions and its messages to one office are
//! limited whichever request they come in by; every 429 says when to try again (`Retry-After`).

use advocate_test_support::{
    as_env, boston_app_with, boston_census, emailable, encode, send_request, sending_settings,
    spawn_app_from, status_and_json, test_settings, token_after, Script, StubSmtp, TestApp, BOSTON,
    CAMPAIGN,
};
use serde_json::{json, Value};
use std::time::Duration;

/// The `Retry-After` of an answer, in seconds (asserted present and a whole number).
fn retry_after(res: &reqwest::Response) -> u64 {
    let value = res
        .headers()
        .get("retry-after")
        .unwrap_or_else(|| panic!("a {} without Retry-After", res.status()));
    value
        .to_str()
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("Retry-After is not whole seconds: {value:?}"))
}

/// `POST .../messages` with `body`: status, `Retry-After` (when sent) and the JSON answer.
async fn post(app: &TestApp, body: &Value, key: Option<&str>) -> (u16, Option<u64>, Value) {
    let mut request = app
        .client
        .post(app.url(&format!("{CAMPAIGN}/messages")))
        .json(body);
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    let res = request.send().await.expect("request sent");
    let retry = res.headers().get("retry-after").map(|_| retry_after(&res));
    let (status, body) = status_and_json(res).await;
    (status, retry, body)
}

#[tokio::test]
async fn one_clients_lookups_spread_over_two_instances_get_exactly_the_limit_together() {
    let census = boston_census().await;
    let uri = census.uri();
    let (settings, dir) = test_settings(&[
        ("ADVOCATE__CIVIC__CENSUS_URL", uri.as_str()),
        ("ADVOCATE__CIVIC__TIMEOUT_MS", "3000"),
        ("ADVOCATE__LIMITS__LOOKUPS_PER_MINUTE", "30"),
    ])
    .await;
    let one = spawn_app_from(settings.clone(), dir).await;
    one.import_full_directory().await;
    let two = spawn_app_from(settings, None).await;

    // 40 lookups from one client (127.0.0.1), alternating between the instances, all at once
    // (each instance alone would allow 30 of its 20): 30 answers and 10 refusals in all.
    let path = format!("{CAMPAIGN}/targets?address={}", encode(BOSTON));
    let requests = (0..40).map(|i| {
        let app = if i % 2 == 0 { &one } else { &two };
        let request = app.client.get(app.url(&path));
        async move {
            let res = request.send().await.expect("request sent");
            let status = res.status().as_u16();
            let retry = (status == 429).then(|| retry_after(&res));
            let body: Value = res.json().await.unwrap_or(Value::Null);
            (status, retry, body)
        }
    });
    let answers = futures_util::future::join_all(requests).await;
    let refused: Vec<&(u16, Option<u64>, Value)> =
        answers.iter().filter(|(s, _, _)| *s == 429).collect();
    let answered = answers.iter().filter(|(s, _, _)| *s == 200).count();
    assert_eq!(
        (answered, refused.len()),
        (30, 10),
        "{:?}",
        answers.iter().map(|(s, _, _)| s).collect::<Vec<_>>()
    );
    for (_, retry, body) in &refused {
        // One lookup comes back every 2 seconds.
        assert!(retry.is_some_and(|s| (1..=2).contains(&s)), "{retry:?}");
        assert!(
            body["error"].as_str().is_some_and(|e| e.contains("wait")),
            "{body}"
        );
    }

    // Either instance, API or page, refuses the client now, saying when to come back.
    let page = two.get(&format!("/act?address={}", encode(BOSTON))).await;
    assert_eq!(page.status().as_u16(), 429);
    assert!((1..=60).contains(&retry_after(&page)));
    let api = one.get(&path).await;
    assert_eq!(api.status().as_u16(), 429);
    assert!((1..=60).contains(&retry_after(&api)));
}

/// An app sending through a stub relay whose Census stand-in knows the Boston address, the
/// directory imported, with `extra` settings.
async fn sending(relay: &StubSmtp, extra: &[(&str, &str)]) -> (TestApp, wiremock::MockServer) {
    let mut owned = sending_settings(&relay.url());
    owned.push(("ADVOCATE__OUTBOX__POLL_INTERVAL_MS", "50".to_string()));
    let mut env = as_env(&owned);
    env.extend_from_slice(extra);
    boston_app_with(&env).await
}

/// The confirmation token in the `n`th mail the relay received.
async fn confirm_token(relay: &StubSmtp, n: usize) -> String {
    let mails = relay.wait_for_delivered(n, Duration::from_secs(15)).await;
    let text = mails[n - 1].body_text().replace("\r\n", "\n");
    token_after(&text, "/confirm/")
}

#[tokio::test]
async fn an_email_address_has_three_unconfirmed_submissions_a_day_and_confirming_gives_one_back() {
    let relay = StubSmtp::start(Script::normal()).await;
    // Here every submission writes to the same offices: the per-office rule is not the subject.
    let (app, _census) =
        sending(&relay, &[("ADVOCATE__LIMITS__SENDER_OFFICE_PER_DAY", "10")]).await;
    let (targets, _) = app.boston_targets().await;
    let (send_ids, _) = emailable(&targets);
    let request = send_request(&send_ids);

    for i in 0..3 {
        let (status, _, body) = post(&app, &request, Some(&format!("u-{i}"))).await;
        assert_eq!(status, 202, "{body}");
    }
    let before = app.store.pending_mails().await.expect("count");
    let (status, retry, body) = post(&app, &request, Some("u-3")).await;
    assert_eq!(status, 429, "{body}");
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("waiting for confirmation")),
        "{body}"
    );
    // The next one comes back in 8 hours (three a day).
    let retry = retry.expect("Retry-After");
    assert!((8 * 3600 - 120..=8 * 3600).contains(&retry), "{retry}");
    assert_eq!(app.store.pending_mails().await.expect("count"), before);
    // A repeated request of an accepted one still answers with its submission.
    assert_eq!(post(&app, &request, Some("u-0")).await.0, 202);

    // Confirming one gives it back: one more is accepted, then the address is full again.
    let token = confirm_token(&relay, 1).await;
    assert_eq!(app.confirm(&token).await.status().as_u16(), 303);
    assert_eq!(app.confirm(&token).await.status().as_u16(), 303);
    let (status, _, body) = post(&app, &request, Some("u-4")).await;
    assert_eq!(status, 202, "{body}");
    let mut shouting = request.clone();
    shouting["email"] = json!("JANE@EXAMPLE.ORG");
    assert_eq!(post(&app, &shouting, Some("u-5")).await.0, 429);

    // Another address has its own.
    let mut other = request.clone();
    other["email"] = json!("sam@example.org");
    assert_eq!(post(&app, &other, None).await.0, 202);
}

#[tokio::test]
async fn a_second_message_to_an_office_the_same_day_is_refused_naming_it_and_nothing_is_written() {
    let relay = StubSmtp::start(Script::normal()).await;
    // Two unconfirmed submissions a day here, so a refusal that took one would show.
    let (app, _census) = sending(
        &relay,
        &[
            ("ADVOCATE__OUTBOX__WORKER", "false"),
            ("ADVOCATE__LIMITS__UNCONFIRMED_PER_DAY", "2"),
        ],
    )
    .await;
    let (targets, _) = app.boston_targets().await;
    let (send_ids, _) = emailable(&targets);
    assert!(send_ids.len() >= 2, "{targets:?}");
    let name_of = |id: &str| {
        targets
            .iter()
            .find(|t| t["id"] == id)
            .and_then(|t| t["name"].as_str())
            .expect("name")
            .to_string()
    };
    // One office each, and both.
    let (first, second, both) = (&send_ids[0..1], &send_ids[1..2], &send_ids[0..2]);

    let (status, _, body) = post(&app, &send_request(first), Some("o-1")).await;
    assert_eq!(status, 202, "{body}");
    let first_id = body["id"].clone();

    // The first office again, with another: refused, naming the first office only.
    let before = app.store.pending_mails().await.expect("count");
    let (status, retry, body) = post(&app, &send_request(both), Some("o-2")).await;
    assert_eq!(status, 429, "{body}");
    let error = body["error"].as_str().expect("error");
    assert!(error.contains(&name_of(&first[0])), "{error}");
    assert!(!error.contains(&name_of(&second[0])), "{error}");
    let retry = retry.expect("Retry-After");
    assert!((86_400 - 120..=86_400).contains(&retry), "{retry}");
    assert_eq!(
        app.store.pending_mails().await.expect("count"),
        before,
        "nothing written"
    );

    // Nothing was taken either: the second office alone is accepted, as the address's second
    // unconfirmed submission of two.
    let (status, _, body) = post(&app, &send_request(second), Some("o-3")).await;
    assert_eq!(status, 202, "{body}");
    // A repeat of the accepted request is that submission, not a refusal.
    let (status, _, body) = post(&app, &send_request(first), Some("o-1")).await;
    assert_eq!((status, body["id"].clone()), (202, first_id), "{body}");
    // Another supporter writes to the same office.
    let mut other = send_request(first);
    other["email"] = json!("sam@example.org");
    assert_eq!(post(&app, &other, Some("o-4")).await.0, 202);
}
