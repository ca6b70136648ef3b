//! Sending through the service, end to end: `POST .../messages` with mode `send`, the
//! confirmation email (delivered to aiosmtpd, a real SMTP server), its link (GET shows, POST
//! sends), delivery of each legislator's mail with the headers the issue names and the state's
//! gaps, the receipt (page and API), and the counts.

use advocate_test_support::{
    as_env, boston_app_with, emailable, location, send_request, sending_app, sending_settings,
    status_and_text, token_after, Aiosmtpd, Delivered, Script, StubSmtp, TestApp, FROM,
};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

async fn receipt(app: &TestApp, token: &str) -> Value {
    let (status, body) = app.receipt_json(token).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// Polls the receipt until every message is in a final state (or panics after `within`).
async fn wait_until_final(app: &TestApp, token: &str, within: Duration) -> Value {
    let started = Instant::now();
    loop {
        let body = receipt(app, token).await;
        let all_final = body["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .all(|m| m["status"] == "sent" || m["status"] == "failed");
        if all_final {
            return body;
        }
        assert!(started.elapsed() < within, "not final in time: {body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn normalised(text: &str) -> String {
    text.replace("\r\n", "\n")
}

#[tokio::test]
async fn a_massachusetts_supporter_confirms_and_every_office_gets_its_mail() {
    let smtp = Aiosmtpd::start().await;
    let (app, _census) = sending_app(&smtp.url()).await;
    let (targets, scorecard) = app.boston_targets().await;
    let (send_ids, offices) = emailable(&targets);
    assert!(
        send_ids.len() >= 2,
        "MA state legislators have email: {targets:?}"
    );

    // Submit: 202, waiting for confirmation; only the confirmation email goes out.
    let (status, body) = app.post_message(&send_request(&send_ids)).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["status"], "awaiting_confirmation");
    let receipt_url = body["receipt_url"].as_str().expect("receipt_url");
    let receipt_token = token_after(receipt_url, "/receipts/");
    let mails = smtp.wait_for(1, Duration::from_secs(15)).await;
    let confirmation = &mails[0];
    assert_eq!(
        confirmation.header("To").as_deref(),
        Some("\"Jane Doe\" <jane@example.org>")
    );
    assert!(confirmation
        .header("Subject")
        .is_some_and(|s| s.starts_with("Confirm your")));
    let text = normalised(&confirmation.body_text());
    let confirm_token = token_after(&text, "/confirm/");
    assert!(
        text.contains(&format!("/receipts/{receipt_token}")),
        "{text}"
    );

    // The mail can reach the server a moment before the worker records it as sent.
    let started = Instant::now();
    let waiting = loop {
        let body = receipt(&app, &receipt_token).await;
        if body["confirmation"] == "sent" || started.elapsed() > Duration::from_secs(10) {
            break body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(waiting["status"], "awaiting_confirmation");
    assert_eq!(waiting["confirmation"], "sent", "{waiting}");
    assert!(waiting["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .all(|m| m["status"] == "awaiting_confirmation"));

    // The link's GET shows the messages and sends nothing (mail scanners open links).
    let (status, html) = status_and_text(app.confirm_page(&confirm_token).await).await;
    assert_eq!(status, 200);
    assert!(html.contains("method=\"post\""), "{html}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(smtp.messages().len(), 1, "a GET must not send");

    // The button (POST) sends, and lands on the receipt.
    let confirmed = app.confirm(&confirm_token).await;
    assert_eq!(confirmed.status().as_u16(), 303);
    assert_eq!(location(&confirmed), format!("/receipts/{receipt_token}"));

    let all = smtp
        .wait_for(1 + send_ids.len(), Duration::from_secs(30))
        .await;
    let asks: Vec<String> = scorecard["gaps"]
        .as_array()
        .expect("gaps")
        .iter()
        .map(|g| g["ask"].as_str().expect("ask").to_string())
        .collect();
    assert_eq!(asks.len(), 5);
    let delivered: Vec<&Delivered> = all.iter().skip(1).collect();
    let mut seen_offices = Vec::new();
    let mut message_ids = Vec::new();
    for mail in &delivered {
        assert_eq!(
            mail.header("From").as_deref(),
            Some(format!("\"Jane Doe via End Qualified Immunity\" <{FROM}>").as_str())
        );
        assert_eq!(
            mail.header("Reply-To").as_deref(),
            Some("\"Jane Doe\" <jane@example.org>")
        );
        let to = mail.header("To").expect("To").to_lowercase();
        seen_offices.push(
            offices
                .iter()
                .find(|o| to.contains(o.as_str()))
                .unwrap_or_else(|| panic!("{to} is not one of {offices:?}"))
                .clone(),
        );
        let id = mail.message_id().expect("Message-ID");
        assert!(id.ends_with("@advocate.test>"), "{id}");
        message_ids.push(id);
        assert!(mail
            .header("Content-Type")
            .is_some_and(|c| c.contains("text/plain") && c.contains("utf-8")));
        let body = normalised(&mail.body_text());
        for ask in &asks {
            assert!(body.contains(ask), "{ask} missing from {body}");
        }
        assert!(body.contains("Jane Doe"), "{body}");
    }
    seen_offices.sort();
    let mut expected = offices.clone();
    expected.sort();
    assert_eq!(seen_offices, expected, "each office once");
    message_ids.sort();
    message_ids.dedup();
    assert_eq!(message_ids.len(), delivered.len(), "Message-IDs are unique");

    // The receipt says sent; the counts say so too.
    let done = wait_until_final(&app, &receipt_token, Duration::from_secs(10)).await;
    assert_eq!(done["status"], "confirmed");
    assert!(
        done["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .all(|m| m["status"] == "sent" && m["sent_at"].is_string()),
        "{done}"
    );
    let (status, counts) = app.counts().await;
    assert_eq!(status, 200);
    assert_eq!(
        counts["by_state"]["MA"]["sent"].as_i64(),
        Some(send_ids.len() as i64),
        "{counts}"
    );
    let (_, ready) = app.readyz().await;
    assert_eq!(ready["checks"]["outbox"]["status"], "ok", "{ready}");
    assert_eq!(ready["checks"]["outbox"]["pending"], 0, "{ready}");
    let (status, page) = status_and_text(app.receipt(&receipt_token).await).await;
    assert_eq!(status, 200);
    assert!(page.contains("Sent"));

    // The confirmation link is single use: a second click sends nothing more.
    let again = app.confirm(&confirm_token).await;
    assert_eq!(again.status().as_u16(), 303);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(smtp.messages().len(), 1 + send_ids.len());

    // The stored confirmation email lost its text (it held the link) once sent.
    let view = app
        .store
        .submission(done["id"].as_str().expect("id"))
        .await
        .expect("read")
        .expect("submission");
    let stored_confirmation = view
        .mails
        .iter()
        .find(|m| m.kind == advocate::store::MailKind::Confirmation)
        .expect("confirmation row");
    assert!(stored_confirmation.body.is_none());
}

#[tokio::test]
async fn a_repeated_request_with_one_idempotency_key_makes_one_submission() {
    let smtp = StubSmtp::start(Script::normal()).await;
    // Every submission here writes to the same offices as the same supporter: the per-office
    // limit (one a day by default) is raised so the unconfirmed-submissions limit is the one met.
    let mut owned = sending_settings(&smtp.url());
    owned.push(("ADVOCATE__LIMITS__SENDER_OFFICE_PER_DAY", "10".to_string()));
    let (app, _census) = boston_app_with(&as_env(&owned)).await;
    let (targets, _) = app.boston_targets().await;
    let (send_ids, _) = emailable(&targets);
    let request = send_request(&send_ids);
    let post = |key: &'static str| app.post_message_with_key(&request, key);
    let (status, first) = post("order-42").await;
    assert_eq!(status, 202);
    let (_, second) = post("order-42").await;
    assert_eq!(first["id"], second["id"]);
    assert_eq!(first["receipt_url"], second["receipt_url"]);
    let (_, other) = post("order-43").await;
    assert_ne!(first["id"], other["id"]);
    smtp.wait_for_delivered(2, Duration::from_secs(15)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(smtp.delivered().len(), 2, "one confirmation per submission");

    // A third unconfirmed submission for the address is fine; a fourth (however the address is
    // written) is refused: the service cannot be used to flood someone's inbox.
    assert_eq!(post("order-44").await.0, 202);
    let mut shouting = send_request(&send_ids);
    shouting["email"] = json!("JANE@example.org");
    let (status, _) = app.post_message(&shouting).await;
    assert_eq!(status, 429);
    // A repeat of an accepted request still answers with its submission.
    let (_, again) = post("order-42").await;
    assert_eq!(again["id"], first["id"]);

    let (status, _) = app.post_message_with_key(&request, &"x".repeat(201)).await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn forged_targets_extra_recipients_and_offices_without_email_send_nothing() {
    let smtp = StubSmtp::start(Script::normal()).await;
    let (app, _census) = sending_app(&smtp.url()).await;
    let (targets, _) = app.boston_targets().await;
    let (send_ids, _) = emailable(&targets);

    let mut forged = send_ids.clone();
    forged.push("ocd-person/00000000-0000-0000-0000-000000000000".into());
    let (status, body) = app.post_message(&send_request(&forged)).await;
    assert_eq!(
        (status, body["field"].clone()),
        (422, json!("targets")),
        "{body}"
    );

    for extra in ["to", "cc", "bcc", "recipients"] {
        let mut req = send_request(&send_ids);
        req[extra] = json!("attacker@example.com");
        let (status, body) = app.post_message(&req).await;
        assert_eq!(status, 422, "{extra}: {body}");
    }

    // U.S. senators take mail through web forms only: the service cannot email them.
    let no_email: Vec<String> = targets
        .iter()
        .filter(|t| !t["email"].is_string())
        .map(|t| t["id"].as_str().expect("id").to_string())
        .collect();
    assert!(!no_email.is_empty());
    let (status, body) = app.post_message(&send_request(&no_email)).await;
    assert_eq!(
        (status, body["field"].clone()),
        (422, json!("targets")),
        "{body}"
    );

    let mut injected = send_request(&send_ids);
    injected["name"] = json!("Jane\r\nBcc: attacker@example.com");
    let (status, body) = app.post_message(&injected).await;
    assert_eq!(
        (status, body["field"].clone()),
        (422, json!("name")),
        "{body}"
    );

    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(smtp.delivered().is_empty());
    assert_eq!(smtp.sessions(), 0);
    assert_eq!(app.store.pending_mails().await.expect("count"), 0);
}

#[tokio::test]
async fn unknown_or_malformed_tokens_are_404() {
    let smtp = StubSmtp::start(Script::normal()).await;
    let (app, _census) = sending_app(&smtp.url()).await;
    for path in [
        format!("/confirm/{}", "a".repeat(64)),
        "/confirm/..%2F..%2Fetc".to_string(),
        format!("/receipts/{}", "b".repeat(64)),
        "/receipts/short".to_string(),
    ] {
        assert_eq!(app.get(&path).await.status().as_u16(), 404, "{path}");
    }
    let res = app.confirm(&"c".repeat(64)).await;
    assert_eq!(res.status().as_u16(), 404);
    let (status, _) = app.receipt_json(&"d".repeat(64)).await;
    assert_eq!(status, 404);
}
