//! Delivery caps: an office receives at most its cap of a campaign's messages in any hour, and
//! what is over waits (drip, never drop) until the window allows; the global rate likewise; the
//! caps hold across workers and instances sharing one database; the receipts and the dashboard
//! say what waits and why; staff override the caps at `/staff/campaigns/{slug}/caps`.
//!
//! The worker reads a clock the tests move (`Clock::offset`), so an hour passes in a moment;
//! store-level tests pass the time to `claim_mails` themselves. On the test's database (SQLite
//! or PostgreSQL).

use crate::smtp_faults::{draft, rig, Rig, OFFICE_DOMAIN};
use advocate::domain::{EmailAddress, SupporterName};
use advocate::messages::{Draft, Supporter};
use advocate::outbox::{Clock, DeliveryCaps, ReceiptStatus, WaitReason};
use advocate::staff::{AuditFilter, Role};
use advocate::store::{Confirmed, Outcome, Store};
use advocate_test_support::staff::{signed_in, Signed};
use advocate_test_support::{
    location, spawn_app_from, status_and_text, token_after, Script, StubSmtp, TestApp, SLUG,
};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

const CAPS: &str = "/staff/campaigns/end-qualified-immunity/caps";
const REMOVE: &str = "/staff/campaigns/end-qualified-immunity/caps/remove";

/// The legislator id of the rig's office `i` (`smtp_faults::draft`).
fn office(i: usize) -> String {
    format!("test-office-{i}")
}

/// A submission of `drafts` from supporter `who`, confirmed through the link in its
/// confirmation email (sent by a worker without caps). Returns the receipt token.
async fn confirmed_drafts(rig: &Rig, drafts: &[Draft], who: usize) -> String {
    let doc = rig
        .app
        .store
        .campaign_doc(SLUG)
        .await
        .expect("read")
        .expect("campaign");
    let supporter = Supporter {
        name: SupporterName::parse("Jane Doe").expect("name"),
        email: EmailAddress::parse(&format!("jane{who}@example.org")).expect("email"),
        city: None,
    };
    let before = rig.relay.delivered().len();
    let submission = rig
        .outbox
        .submit(&doc, drafts, &supporter, None)
        .await
        .expect("submitted");
    // Only the confirmation is due; the worker that sends it has no caps.
    let now = chrono::Utc::now().timestamp();
    let claimed = rig
        .app
        .store
        .claim_mails(now, "confirmations", now + 60, 10, &DeliveryCaps::NONE)
        .await
        .expect("claim");
    assert_eq!(claimed.mails.len(), 1, "only the confirmation is due");
    let mail = &claimed.mails[0];
    let body = mail.body.clone().expect("the confirmation's text");
    let token = token_after(&body, "/confirm/");
    rig.app
        .store
        .finish_mails("confirmations", &[(mail.id.clone(), Outcome::Sent)], now)
        .await
        .expect("finish");
    assert_eq!(
        rig.relay.delivered().len(),
        before,
        "sent by hand, not relayed"
    );
    assert!(matches!(
        rig.outbox.confirm(&token).await.expect("confirm"),
        Confirmed::Now { .. }
    ));
    submission.receipt_token
}

/// `n` messages to office 1 (one submission).
fn to_one_office(n: usize) -> Vec<Draft> {
    (0..n).map(|_| draft(1)).collect()
}

fn delivered_to(sink: &StubSmtp, i: usize) -> usize {
    let rcpt = format!("office{i}@{OFFICE_DOMAIN}");
    sink.delivered()
        .iter()
        .filter(|m| m.rcpt_to.contains(&rcpt))
        .count()
}

/// Waits (bounded) until `sink` holds `n` messages to office `i`.
async fn wait_delivered_to(sink: &StubSmtp, i: usize, n: usize, within: Duration) {
    let started = Instant::now();
    while delivered_to(sink, i) < n {
        assert!(
            started.elapsed() < within,
            "only {} of {n} delivered within {within:?}",
            delivered_to(sink, i)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn five_messages_to_an_office_capped_at_three_send_three_now_and_two_an_hour_later() {
    let rig = rig(&[("ADVOCATE__LIMITS__OFFICE_PER_HOUR", "3")]).await;
    let token = confirmed_drafts(&rig, &to_one_office(5), 0).await;
    let sink = StubSmtp::start(Script::normal()).await;
    let offset = Arc::new(AtomicI64::new(0));
    let worker = rig
        .worker(&sink.url())
        .with_clock(Clock::offset(offset.clone()));
    let (stop, stopped) = watch::channel(false);
    let running = tokio::spawn(worker.run(stopped));

    // Three go out within seconds; the other two wait (the worker polls every 100 ms).
    wait_delivered_to(&sink, 1, 3, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(delivered_to(&sink, 1), 3, "no more than the cap");

    // The receipt says which wait and why, and when they are expected.
    let (status, receipt) = rig.app.receipt_json(&token).await;
    assert_eq!(status, 200);
    let messages = receipt["messages"].as_array().expect("messages");
    let sent = messages.iter().filter(|m| m["status"] == "sent").count();
    assert_eq!(sent, 3, "{receipt}");
    let waiting: Vec<&serde_json::Value> = messages
        .iter()
        .filter(|m| m["status"] == "waiting")
        .collect();
    assert_eq!(waiting.len(), 2, "{receipt}");
    let hour_from_now = chrono::Utc::now() + chrono::Duration::hours(1);
    for m in &waiting {
        assert_eq!(m["waiting_on"], "office_cap", "{m}");
        assert_eq!(m["attempts"], 0, "waiting consumes no attempt: {m}");
        let at = chrono::DateTime::parse_from_rfc3339(m["next_attempt_at"].as_str().expect("at"))
            .expect("RFC 3339");
        let off = (at.timestamp() - hour_from_now.timestamp()).abs();
        assert!(off < 30, "expected about an hour from now: {m}");
    }
    for m in messages.iter().filter(|m| m["status"] == "sent") {
        assert!(m["waiting_on"].is_null(), "{m}");
    }
    let (status, page) = status_and_text(rig.app.receipt(&token).await).await;
    assert_eq!(status, 200);
    assert_eq!(
        page.matches("this office&#39;s hourly limit").count()
            + page.matches("this office&#x27;s hourly limit").count()
            + page.matches("this office's hourly limit").count(),
        2,
        "{page}"
    );
    // The organisers' dashboard counts them.
    let health = rig
        .app
        .store
        .delivery_health(SLUG, None, i64::MAX, chrono::Utc::now().timestamp(), 10)
        .await
        .expect("health")
        .expect("campaign");
    assert_eq!(
        (health.waiting_office_cap, health.waiting_global_rate),
        (2, 0)
    );
    assert_eq!(
        health.oldest_due_secs, None,
        "waiting on a cap is not overdue"
    );

    // An hour later the window has room again: the two go out.
    offset.store(3600, Ordering::SeqCst);
    wait_delivered_to(&sink, 1, 5, Duration::from_secs(10)).await;
    let _ = stop.send(true);
    tokio::time::timeout(Duration::from_secs(10), running)
        .await
        .expect("the worker stops")
        .expect("joined");
    let receipt = rig.receipt(&token).await;
    assert!(
        receipt
            .messages
            .iter()
            .all(|m| m.status == ReceiptStatus::Sent && m.waiting_on.is_none()),
        "{receipt:?}"
    );
    assert!(receipt.messages.iter().all(|m| m.attempts == 1));
    assert_eq!(delivered_to(&sink, 1), 5, "each once");
}

/// Two more instances of the app, each with its own delivery worker, on the rig's database,
/// sending through `sink`.
async fn instances(rig: &Rig, sink: &StubSmtp, n: usize) -> Vec<TestApp> {
    let mut apps = Vec::new();
    for _ in 0..n {
        let mut settings = rig.settings.clone();
        settings.outbox.worker = true;
        settings.outbox.batch_size = 2;
        settings.outbox.concurrency = 2;
        settings.smtp.url = secrecy::SecretString::from(sink.url());
        apps.push(spawn_app_from(settings, None).await);
    }
    apps
}

#[tokio::test]
async fn instances_sharing_a_database_never_exceed_an_office_cap_together() {
    let rig = rig(&[("ADVOCATE__LIMITS__OFFICE_PER_HOUR", "5")]).await;
    // More than one claim looks at (64): each worker's claim sees mails of its own, so only
    // the claims taking turns keeps them from each taking the free slots.
    let n = 150;
    let token = confirmed_drafts(&rig, &to_one_office(n), 0).await;
    let sink = StubSmtp::start(Script::normal()).await;
    let apps = instances(&rig, &sink, 3).await;
    wait_delivered_to(&sink, 1, 5, Duration::from_secs(20)).await;
    // Give the racing workers time to take more, were they able to.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        delivered_to(&sink, 1),
        5,
        "exactly the cap, all workers together"
    );
    let receipt = rig.receipt(&token).await;
    let waiting = receipt
        .messages
        .iter()
        .filter(|m| {
            m.status == ReceiptStatus::Waiting && m.waiting_on == Some(WaitReason::OfficeCap)
        })
        .count();
    assert_eq!(waiting, n - 5, "{receipt:?}");
    drop(apps);
}

/// Claims racing from two connection pools at once (as two instances would): together they take
/// exactly the cap, and every other mail is marked waiting once.
#[tokio::test]
async fn claims_racing_from_two_pools_take_exactly_the_cap() {
    let rig = rig(&[]).await;
    // More mails than one claim looks at (64), so racing claims see different mails.
    let n = 200;
    confirmed_drafts(&rig, &to_one_office(n), 0).await;
    let other = Store::connect(&rig.settings.database)
        .await
        .expect("a second pool");
    let caps = DeliveryCaps {
        office_per_hour: 5,
        deliveries_per_minute: 0,
    };
    let now = chrono::Utc::now().timestamp();
    let stores = [rig.app.store.clone(), other];
    let claims = (0..8).map(|i| {
        let store = stores[i % 2].clone();
        async move {
            store
                .claim_mails(now, &format!("lease-{i}"), now + 60, 3, &caps)
                .await
                .expect("claim")
        }
    });
    let results = futures_util::future::join_all(claims).await;
    let claimed: usize = results.iter().map(|c| c.mails.len()).sum();
    assert_eq!(claimed, 5, "{results:?}");
    let waited: usize = results.iter().map(|c| c.office_cap).sum();
    assert_eq!(waited, n - 5, "the rest marked waiting once each");
}

#[tokio::test]
async fn a_retry_keeps_its_slot_and_a_waiting_mail_keeps_its_attempts() {
    let rig = rig(&[]).await;
    let token = confirmed_drafts(&rig, &to_one_office(2), 0).await;
    let store = &rig.app.store;
    let caps = DeliveryCaps {
        office_per_hour: 1,
        deliveries_per_minute: 0,
    };
    let now = chrono::Utc::now().timestamp();
    let first = store
        .claim_mails(now, "a", now + 60, 10, &caps)
        .await
        .expect("claim");
    assert_eq!((first.mails.len(), first.office_cap), (1, 1));
    // The first fails for now and is retried ten seconds later: it keeps its slot.
    let retry = Outcome::Retry {
        at: now + 10,
        error: "451 try later".into(),
    };
    store
        .finish_mails("a", &[(first.mails[0].id.clone(), retry)], now)
        .await
        .expect("finish");
    let again = store
        .claim_mails(now + 10, "b", now + 70, 10, &caps)
        .await
        .expect("claim");
    assert_eq!(again.mails.len(), 1, "the retry holds its slot");
    assert_eq!(again.mails[0].id, first.mails[0].id);
    assert_eq!(again.mails[0].attempts, 2);
    // The other still waits, its attempts untouched; nothing is due before the hour is up.
    let receipt = rig.receipt(&token).await;
    let waiting: Vec<_> = receipt
        .messages
        .iter()
        .filter(|m| m.waiting_on == Some(WaitReason::OfficeCap))
        .collect();
    assert_eq!(waiting.len(), 1, "{receipt:?}");
    assert_eq!(waiting[0].attempts, 0);
    assert_eq!(waiting[0].status, ReceiptStatus::Waiting);
    store
        .finish_mails("b", &[(first.mails[0].id.clone(), Outcome::Sent)], now + 10)
        .await
        .expect("finish");
    let early = store
        .claim_mails(now + 3599, "c", now + 3660, 10, &caps)
        .await
        .expect("claim");
    assert!(early.mails.is_empty(), "{early:?}");
    let later = store
        .claim_mails(now + 3600, "d", now + 3660, 10, &caps)
        .await
        .expect("claim");
    assert_eq!(later.mails.len(), 1, "an hour after the first release");
    assert_eq!(later.mails[0].attempts, 1);
}

#[tokio::test]
async fn the_global_rate_releases_at_most_n_a_minute_with_confirmations_first() {
    let rig = rig(&[]).await;
    // Five offices, one message each: no office cap is reached.
    let drafts: Vec<Draft> = (1..=5).map(draft).collect();
    let token = confirmed_drafts(&rig, &drafts, 0).await;
    let store = &rig.app.store;
    let caps = DeliveryCaps {
        office_per_hour: 30,
        deliveries_per_minute: 2,
    };
    // The confirmation sent by hand a moment ago took a slot: one is left.
    let now = chrono::Utc::now().timestamp();
    let first = store
        .claim_mails(now, "a", now + 60, 10, &caps)
        .await
        .expect("claim");
    assert_eq!((first.mails.len(), first.global_rate), (1, 4), "{first:?}");
    let sent = |mails: &[advocate::store::ClaimedMail]| -> Vec<(String, Outcome)> {
        mails
            .iter()
            .map(|m| (m.id.clone(), Outcome::Sent))
            .collect()
    };
    store
        .finish_mails("a", &sent(&first.mails), now)
        .await
        .expect("finish");
    let receipt = rig.receipt(&token).await;
    let waiting: Vec<_> = receipt
        .messages
        .iter()
        .filter(|m| m.waiting_on == Some(WaitReason::GlobalRate))
        .collect();
    assert_eq!(waiting.len(), 4, "{receipt:?}");
    // A new supporter's confirmation goes ahead of the waiting messages.
    let doc = store
        .campaign_doc(SLUG)
        .await
        .expect("read")
        .expect("campaign");
    let supporter = Supporter {
        name: SupporterName::parse("Sam Roe").expect("name"),
        email: EmailAddress::parse("sam@example.org").expect("email"),
        city: None,
    };
    let sam = rig
        .outbox
        .submit(&doc, &[draft(6)], &supporter, None)
        .await
        .expect("submitted");
    // Its confirmation is due (at the time it was written, perhaps a second after `now`), but
    // the minute's two slots are taken: it waits, at the head of the line.
    let written = chrono::Utc::now().timestamp();
    let full = store
        .claim_mails(written, "full", written + 60, 10, &caps)
        .await
        .expect("claim");
    assert_eq!((full.mails.len(), full.global_rate), (0, 1), "{full:?}");
    let due = |view: advocate::store::SubmissionView, kind| -> Vec<i64> {
        view.mails
            .iter()
            .filter(|m| m.kind == kind)
            .map(|m| m.next_attempt_at.expect("due"))
            .collect()
    };
    let confirmation = due(
        rig.outbox
            .receipt(&sam.receipt_token)
            .await
            .expect("read")
            .expect("sam"),
        advocate::store::MailKind::Confirmation,
    );
    let messages = due(
        rig.outbox
            .receipt(&token)
            .await
            .expect("read")
            .expect("jane"),
        advocate::store::MailKind::Message,
    );
    let first_slot = *messages
        .iter()
        .filter(|at| **at > now)
        .min()
        .expect("waiting");
    assert_eq!(
        confirmation,
        [first_slot],
        "the confirmation takes the first slot"
    );
    let mut released = first.mails.len() + 1;
    let mut minute = 0;
    let mut kinds = Vec::new();
    while released < 6 + 1 {
        minute += 1;
        assert!(minute < 10, "drip stalled");
        let at = now + 60 * minute;
        let batch = store
            .claim_mails(at, &format!("m{minute}"), at + 60, 10, &caps)
            .await
            .expect("claim");
        assert!(batch.mails.len() <= 2, "at most 2 a minute: {batch:?}");
        store
            .finish_mails(&format!("m{minute}"), &sent(&batch.mails), at)
            .await
            .expect("finish");
        kinds.extend(batch.mails.iter().map(|m| m.kind));
        released += batch.mails.len();
    }
    assert!(
        kinds[..2].contains(&advocate::store::MailKind::Confirmation),
        "the confirmation in the first minute: {kinds:?}"
    );
}

// ---- Staff overrides ----------------------------------------------------------------------

async fn cap_rows(app: &TestApp) -> Vec<advocate::staff::AuditEntry> {
    app.store
        .staff_audit(&AuditFilter {
            action: Some("campaign.delivery_cap_set".into()),
            limit: 500,
            ..AuditFilter::default()
        })
        .await
        .expect("audit")
}

async fn page_of(app: &TestApp, who: &Signed) -> String {
    let res = app.staff_get(CAPS, Some(who)).await;
    assert_eq!(res.status().as_u16(), 200);
    res.text().await.expect("page")
}

async fn post(app: &TestApp, who: &Signed, path: &str, form: &[(&str, &str)]) -> (u16, String) {
    let res = app.staff_post(path, Some(who), form).await;
    let status = res.status().as_u16();
    if status == 303 {
        return (status, location(&res));
    }
    (status, res.text().await.expect("body"))
}

#[tokio::test]
async fn editors_set_and_remove_caps_audited_and_organisers_only_read() {
    let rig = rig(&[]).await;
    let app = &rig.app;
    // Office 1 is among the campaign's offices once a message was written to it.
    confirmed_drafts(&rig, &to_one_office(1), 0).await;
    let (_, editor) = signed_in(app, "ed@example.org", Role::Editor).await;
    let (_, organiser) = signed_in(app, "org@example.org", Role::Organiser).await;

    let html = page_of(app, &organiser).await;
    assert!(html.contains("30 messages an hour"), "the setting shows");
    assert!(!html.contains("Save the campaign&#39;s limit") && !html.contains("name=\"per_hour\""));
    let html = page_of(app, &editor).await;
    assert!(html.contains("name=\"per_hour\""), "editors get the forms");

    // The campaign's default, then office 1's own.
    let (status, to) = post(app, &editor, CAPS, &[("per_hour", "10")]).await;
    assert_eq!(
        (status, to.as_str()),
        (
            303,
            "/staff/campaigns/end-qualified-immunity/caps?saved=set"
        )
    );
    let one = office(1);
    let (status, _) = post(
        app,
        &editor,
        CAPS,
        &[("office", &one), ("per_hour", "1,000")],
    )
    .await;
    assert_eq!(status, 303);
    // The same again changes nothing and writes no audit row.
    let (status, to) = post(
        app,
        &editor,
        CAPS,
        &[("office", &one), ("per_hour", "1000")],
    )
    .await;
    assert_eq!((status, to.ends_with("saved=unchanged")), (303, true));
    let caps = app
        .store
        .campaign_caps(SLUG)
        .await
        .expect("caps")
        .expect("campaign");
    assert_eq!(caps.default, Some(10));
    assert_eq!(caps.offices.len(), 1);
    assert_eq!(
        (
            caps.offices[0].legislator_id.as_str(),
            caps.offices[0].per_hour
        ),
        (one.as_str(), 1000)
    );
    let html = page_of(app, &editor).await;
    assert!(
        html.contains("1,000 messages an hour") && html.contains("Office 1"),
        "{html}"
    );
    let rows = cap_rows(app).await;
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(rows
        .iter()
        .any(|r| r.object == "caps:end-qualified-immunity/default"
            && r.summary
                .contains("the server's setting -> 10 messages an hour")));
    assert!(rows.iter().any(
        |r| r.object == format!("caps:end-qualified-immunity/{one}") && r.client_addr.is_some()
    ));

    // Organisers may not change them.
    let res = app
        .staff_post(CAPS, Some(&organiser), &[("per_hour", "1")])
        .await;
    assert_eq!(res.status().as_u16(), 403);
    let res = app
        .staff_post(REMOVE, Some(&organiser), &[("office", &one)])
        .await;
    assert_eq!(res.status().as_u16(), 403);

    // Removing both: audited, back to the setting.
    let (status, to) = post(app, &editor, REMOVE, &[("office", &one)]).await;
    assert_eq!((status, to.ends_with("saved=removed")), (303, true));
    let (status, _) = post(app, &editor, REMOVE, &[]).await;
    assert_eq!(status, 303);
    let caps = app
        .store
        .campaign_caps(SLUG)
        .await
        .expect("caps")
        .expect("campaign");
    assert_eq!((caps.default, caps.offices.len()), (None, 0));
    assert_eq!(cap_rows(app).await.len(), 4);
}

/// A refused post: the path, its form, and words the page gives as the reason.
type Refusal<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str);

#[tokio::test]
async fn bad_caps_and_forged_offices_are_refused_and_change_nothing() {
    let rig = rig(&[]).await;
    let app = &rig.app;
    confirmed_drafts(&rig, &to_one_office(1), 0).await;
    let (_, editor) = signed_in(app, "ed@example.org", Role::Editor).await;
    let one = office(1);
    let cases: Vec<Refusal> = vec![
        (CAPS, vec![("per_hour", "-1")], "whole number"),
        (CAPS, vec![("per_hour", "10001")], "at most 10,000"),
        (
            CAPS,
            vec![("per_hour", "99999999999999999999")],
            "whole number",
        ),
        (CAPS, vec![("per_hour", "thirty")], "whole number"),
        (CAPS, vec![("per_hour", "")], "whole number"),
        (CAPS, vec![("per_hour", "2.5")], "whole number"),
        (
            CAPS,
            vec![("office", &one), ("per_hour", "-5")],
            "whole number",
        ),
        (
            CAPS,
            vec![("office", "nobody:X999"), ("per_hour", "5")],
            "No office with this id",
        ),
        (
            CAPS,
            vec![("office", "a b"), ("per_hour", "5")],
            "legislator id",
        ),
        (
            CAPS,
            vec![("office", "<script>"), ("per_hour", "5")],
            "No office with this id",
        ),
        (REMOVE, vec![("office", "x y")], "legislator id"),
    ];
    for (path, form, why) in &cases {
        let (status, html) = post(app, &editor, path, form).await;
        assert_eq!(status, 422, "{path} {form:?}");
        assert!(html.contains(why), "{form:?}: {why} not in the page");
        assert!(html.contains("Nothing was changed."), "{form:?}");
        assert!(html.contains("aria-invalid=\"true\""), "{form:?}");
        assert!(!html.contains("<script>"), "escaped");
    }
    // Removing what was never set changes nothing either.
    let (status, to) = post(app, &editor, REMOVE, &[("office", &one)]).await;
    assert_eq!((status, to.ends_with("saved=unchanged")), (303, true));
    let caps = app
        .store
        .campaign_caps(SLUG)
        .await
        .expect("caps")
        .expect("campaign");
    assert_eq!((caps.default, caps.offices.len()), (None, 0));
    assert!(cap_rows(app).await.is_empty());
    // An unknown campaign is a 404.
    let res = app
        .staff_post(
            "/staff/campaigns/nope/caps",
            Some(&editor),
            &[("per_hour", "5")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 404);
    let res = app
        .staff_get("/staff/campaigns/nope/caps", Some(&editor))
        .await;
    assert_eq!(res.status().as_u16(), 404);
}

#[tokio::test]
async fn an_override_governs_the_next_claim_and_raising_it_releases_what_waits() {
    let rig = rig(&[]).await;
    let app = &rig.app;
    confirmed_drafts(&rig, &to_one_office(4), 0).await;
    let (_, editor) = signed_in(app, "ed@example.org", Role::Editor).await;
    let one = office(1);
    let (status, _) = post(app, &editor, CAPS, &[("office", &one), ("per_hour", "1")]).await;
    assert_eq!(status, 303);
    let caps = DeliveryCaps::from_settings(&rig.settings.limits);
    let now = chrono::Utc::now().timestamp();
    let first = app
        .store
        .claim_mails(now, "a", now + 60, 10, &caps)
        .await
        .expect("claim");
    assert_eq!(
        (first.mails.len(), first.office_cap),
        (1, 3),
        "the office's own cap of 1"
    );
    let html = page_of(app, &editor).await;
    assert!(html.contains("<dd>3</dd>"), "three wait: {html}");
    // No limit for the office: what waits is due at once.
    let (status, _) = post(app, &editor, CAPS, &[("office", &one), ("per_hour", "0")]).await;
    assert_eq!(status, 303);
    let now = chrono::Utc::now().timestamp();
    let rest = app
        .store
        .claim_mails(now, "b", now + 60, 10, &caps)
        .await
        .expect("claim");
    assert_eq!(rest.mails.len(), 3, "{rest:?}");
}
