//! The delivery worker against scripted SMTP servers that fail in each way the issue names:
//! 421 at the greeting, 451 after RCPT, 550 at RCPT, 554 after DATA, a dropped connection, a
//! server that goes silent. Each ends in a tested state, visible on the receipt, after the
//! right number of attempts.
//!
//! A rig is a real app (its in-process worker off) whose relay is a well-behaved stub: the
//! supporter's confirmation goes there and its link confirms the submission, as in real life.
//! Then a worker pointed at the faulty server delivers the messages, pass by pass.

use advocate::config::Settings;
use advocate::domain::{Body, EmailAddress, StateCode, Subject, SupporterName};
use advocate::messages::{Audience, Draft, Supporter};
use advocate::outbox::worker::Pass;
use advocate::outbox::{DeliveryCaps, Outbox, Receipt, ReceiptLine, ReceiptStatus};
use advocate::startup::delivery_worker;
use advocate::store::Confirmed;
use advocate_test_support::{
    as_env, sending_settings, spawn_app_from, test_settings, token_after, Fault, Script, StubSmtp,
    TestApp, SLUG,
};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};

pub const OFFICE_DOMAIN: &str = "faulty.test";

pub struct Rig {
    pub app: TestApp,
    pub settings: Settings,
    pub outbox: Outbox,
    /// Where confirmations go.
    pub relay: StubSmtp,
}

/// A rig whose workers try 3 times, retrying at once (or as `extra` says), with 1 s SMTP bounds.
pub async fn rig(extra: &[(&str, &str)]) -> Rig {
    let relay = StubSmtp::start(Script::normal()).await;
    let mut owned = sending_settings(&relay.url());
    owned.extend([
        ("ADVOCATE__OUTBOX__WORKER", "false".to_string()),
        ("ADVOCATE__OUTBOX__MAX_ATTEMPTS", "3".to_string()),
        ("ADVOCATE__OUTBOX__RETRY_BASE_SECS", "0".to_string()),
        ("ADVOCATE__OUTBOX__RETRY_MAX_SECS", "0".to_string()),
        ("ADVOCATE__SMTP__TIMEOUT_SECS", "1".to_string()),
        // Rigs submit again and again as one supporter to the same offices (test-office-1..n);
        // the per-office limit (one a day by default) is not what they test.
        (
            "ADVOCATE__LIMITS__SENDER_OFFICE_PER_DAY",
            "1000".to_string(),
        ),
    ]);
    let mut env = as_env(&owned);
    env.extend_from_slice(extra);
    let (settings, dir) = test_settings(&env).await;
    let app = spawn_app_from(settings.clone(), dir).await;
    let outbox = Outbox::new(
        app.store.clone(),
        Arc::new(settings.clone()),
        Arc::new(Notify::new()),
    );
    Rig {
        app,
        settings,
        outbox,
        relay,
    }
}

pub fn draft(i: usize) -> Draft {
    Draft {
        target_id: format!("test-office-{i}"),
        name: format!("Office {i}"),
        title: "State Senator".into(),
        state: StateCode::parse("MA").expect("MA"),
        chamber: advocate::directory::Chamber::StateUpper,
        district: "1".into(),
        audience: Audience::State,
        to: Some(EmailAddress::parse(&format!("office{i}@{OFFICE_DOMAIN}")).expect("email")),
        contact_form: None,
        subject: Subject::parse("End qualified immunity").expect("subject"),
        body: Body::parse("Dear Senator,\n\nPlease act.\n\nJane").expect("body"),
        template_version: 1,
        scorecard_revision: None,
        edited: false,
    }
}

impl Rig {
    /// A worker sending through `url` with this rig's settings.
    pub fn worker(&self, url: &str) -> advocate::outbox::Worker {
        let mut settings = self.settings.clone();
        settings.smtp.url = secrecy::SecretString::from(url.to_string());
        delivery_worker(&settings, self.app.store.clone(), Arc::new(Notify::new()))
            .expect("worker settings")
            .expect("sending is on")
    }

    /// A submission of `n` messages to offices at OFFICE_DOMAIN, confirmed through the link in
    /// its confirmation email. Returns the receipt token.
    pub async fn confirmed(&self, n: usize) -> String {
        let doc = self
            .app
            .store
            .campaign_doc(SLUG)
            .await
            .expect("read")
            .expect("campaign");
        let drafts: Vec<Draft> = (1..=n).map(draft).collect();
        let supporter = Supporter {
            name: SupporterName::parse("Jane Doe").expect("name"),
            email: EmailAddress::parse("jane@example.org").expect("email"),
            city: None,
        };
        let before = self.relay.delivered().len();
        let submission = self
            .outbox
            .submit(&doc, &drafts, &supporter, None)
            .await
            .expect("submitted");
        let (_stop, stopped) = watch::channel(false);
        let pass = self
            .worker(&self.relay.url())
            .pass(&stopped)
            .await
            .expect("pass");
        assert_eq!(
            pass.sent, 1,
            "only the confirmation is due before confirming"
        );
        let mails = self
            .relay
            .wait_for_delivered(before + 1, Duration::from_secs(10))
            .await;
        let token = token_after(&mails[before].body_text(), "/confirm/");
        assert!(matches!(
            self.outbox.confirm(&token).await.expect("confirm"),
            Confirmed::Now { .. }
        ));
        submission.receipt_token
    }

    /// Passes of a worker sending through `url` until nothing is due (at most `max` passes).
    pub async fn deliver_through(&self, url: &str, max: usize) -> Vec<Pass> {
        let worker = self.worker(url);
        let (_stop, stopped) = watch::channel(false);
        let mut passes = Vec::new();
        for _ in 0..max {
            let pass = worker.pass(&stopped).await.expect("pass");
            if pass.claimed == 0 {
                return passes;
            }
            passes.push(pass);
        }
        passes
    }

    pub async fn receipt(&self, token: &str) -> Receipt {
        let view = self
            .outbox
            .receipt(token)
            .await
            .expect("read")
            .expect("receipt");
        Receipt::of(&view).expect("receipt")
    }
}

fn assert_all(lines: &[ReceiptLine], status: ReceiptStatus, attempts: i64, reason: Option<&str>) {
    for line in lines {
        assert_eq!(line.status, status, "{line:?}");
        assert_eq!(line.attempts, attempts, "{line:?}");
        match reason {
            Some(r) => assert!(
                line.reason.as_deref().is_some_and(|x| x.contains(r)),
                "{r} not in {line:?}"
            ),
            None => assert_eq!(line.reason, None, "{line:?}"),
        }
    }
}

#[tokio::test]
async fn a_421_greeting_is_retried_until_the_limit_then_failed_with_the_reply() {
    let rig = rig(&[]).await;
    let token = rig.confirmed(2).await;
    let faulty = StubSmtp::start(Script::always(Fault::GreetingReject)).await;
    let passes = rig.deliver_through(&faulty.url(), 10).await;
    // Retries are due at once here (backoff 0), so one pass may make all three attempts.
    let retried: usize = passes.iter().map(|p| p.retrying).sum();
    let failed: usize = passes.iter().map(|p| p.failed).sum();
    assert_eq!(
        (retried, failed),
        (4, 2),
        "two mails, three attempts each: {passes:?}"
    );
    let receipt = rig.receipt(&token).await;
    assert_all(&receipt.messages, ReceiptStatus::Failed, 3, Some("421"));
    assert!(receipt.messages[0]
        .reason
        .as_deref()
        .is_some_and(|r| r.starts_with("gave up after 3 attempts")));
    assert!(faulty.delivered().is_empty());
}

#[tokio::test]
async fn a_421_greeting_once_is_retried_and_then_sent() {
    let rig = rig(&[]).await;
    let token = rig.confirmed(1).await;
    let faulty = StubSmtp::start(Script::first(1, Fault::GreetingReject)).await;
    rig.deliver_through(&faulty.url(), 10).await;
    let receipt = rig.receipt(&token).await;
    assert_all(&receipt.messages, ReceiptStatus::Sent, 2, None);
    assert_eq!(faulty.delivered().len(), 1);
}

#[tokio::test]
async fn a_451_after_rcpt_shows_retrying_with_the_reply_and_the_next_try() {
    let rig = rig(&[
        ("ADVOCATE__OUTBOX__RETRY_BASE_SECS", "3600"),
        ("ADVOCATE__OUTBOX__RETRY_MAX_SECS", "3600"),
    ])
    .await;
    let token = rig.confirmed(2).await;
    let faulty =
        StubSmtp::start(Script::always(Fault::RcptTempFail).for_domain(OFFICE_DOMAIN)).await;
    let passes = rig.deliver_through(&faulty.url(), 10).await;
    assert_eq!(passes.len(), 1, "not due again for an hour: {passes:?}");
    assert_eq!(passes[0].retrying, 2);
    let receipt = rig.receipt(&token).await;
    assert_all(&receipt.messages, ReceiptStatus::Retrying, 1, Some("451"));
    assert!(receipt.messages.iter().all(|m| m.next_attempt_at.is_some()));
    assert_eq!(receipt.status, "confirmed");
}

#[tokio::test]
async fn a_451_every_time_fails_after_the_limit() {
    let rig = rig(&[]).await;
    let token = rig.confirmed(1).await;
    let faulty =
        StubSmtp::start(Script::always(Fault::RcptTempFail).for_domain(OFFICE_DOMAIN)).await;
    rig.deliver_through(&faulty.url(), 10).await;
    let receipt = rig.receipt(&token).await;
    assert_all(&receipt.messages, ReceiptStatus::Failed, 3, Some("451"));
    assert_eq!(faulty.attempts_to(&format!("office1@{OFFICE_DOMAIN}")), 3);
}

#[tokio::test]
async fn a_550_at_rcpt_fails_at_once_with_the_reply() {
    let rig = rig(&[]).await;
    let token = rig.confirmed(2).await;
    let faulty = StubSmtp::start(Script::always(Fault::RcptReject).for_domain(OFFICE_DOMAIN)).await;
    let passes = rig.deliver_through(&faulty.url(), 10).await;
    assert_eq!(passes.len(), 1, "{passes:?}");
    let receipt = rig.receipt(&token).await;
    assert_all(&receipt.messages, ReceiptStatus::Failed, 1, Some("550"));
    assert_eq!(faulty.attempts_to(&format!("office1@{OFFICE_DOMAIN}")), 1);
}

#[tokio::test]
async fn a_554_after_data_fails_at_once_with_the_reply() {
    let rig = rig(&[]).await;
    let token = rig.confirmed(1).await;
    let faulty = StubSmtp::start(Script::always(Fault::DataReject).for_domain(OFFICE_DOMAIN)).await;
    rig.deliver_through(&faulty.url(), 10).await;
    let receipt = rig.receipt(&token).await;
    assert_all(&receipt.messages, ReceiptStatus::Failed, 1, Some("554"));
    assert!(faulty.delivered().is_empty());
}

#[tokio::test]
async fn a_dropped_connection_is_retried_and_then_sent() {
    let rig = rig(&[]).await;
    let token = rig.confirmed(1).await;
    let faulty = StubSmtp::start(Script::first(2, Fault::DropAfterMailFrom)).await;
    rig.deliver_through(&faulty.url(), 10).await;
    let receipt = rig.receipt(&token).await;
    assert_all(&receipt.messages, ReceiptStatus::Sent, 3, None);
    assert_eq!(faulty.delivered().len(), 1);
}

#[tokio::test]
async fn a_silent_server_times_out_each_attempt_then_fails() {
    let rig = rig(&[]).await;
    let token = rig.confirmed(1).await;
    let faulty = StubSmtp::start(Script::always(Fault::Silent)).await;
    let started = std::time::Instant::now();
    rig.deliver_through(&faulty.url(), 10).await;
    let receipt = rig.receipt(&token).await;
    assert_all(
        &receipt.messages,
        ReceiptStatus::Failed,
        3,
        Some("no answer"),
    );
    // Bounded: three attempts of a 1 s timeout (+1 s slack each), not forever.
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

/// A worker whose lease ran out (another took the mail) records nothing for that mail, and the
/// rest of its group is still recorded and counted once.
#[tokio::test]
async fn outcomes_under_a_lost_lease_change_nothing() {
    use advocate::store::Outcome;
    let rig = rig(&[]).await;
    let token = rig.confirmed(2).await;
    let store = &rig.app.store;
    let now = chrono::Utc::now().timestamp();
    let mine = store
        .claim_mails(now, "lease-a", now + 60, 10, &DeliveryCaps::NONE)
        .await
        .expect("claim")
        .mails;
    assert_eq!(mine.len(), 2);
    // The first mail's lease is lost: given back and claimed by someone else.
    assert!(store
        .release_mail(&mine[0].id, "lease-a")
        .await
        .expect("release"));
    let theirs = store
        .claim_mails(now, "lease-b", now + 60, 10, &DeliveryCaps::NONE)
        .await
        .expect("claim")
        .mails;
    assert_eq!(theirs.len(), 1);
    let recorded = store
        .finish_mails(
            "lease-a",
            &[
                (mine[0].id.clone(), Outcome::Sent),
                (mine[1].id.clone(), Outcome::Sent),
            ],
            now,
        )
        .await
        .expect("finish");
    assert_eq!(recorded, [false, true]);
    let receipt = rig.receipt(&token).await;
    let sent = receipt
        .messages
        .iter()
        .filter(|m| m.status == ReceiptStatus::Sent)
        .count();
    assert_eq!(sent, 1);
    let (_, counts) = rig.app.counts().await;
    assert_eq!(counts["by_state"]["MA"]["sent"], 1, "{counts}");
}
