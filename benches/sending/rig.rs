//! Starting the app and its databases, and the loads: the HTTP submissions, the confirmed
//! messages, and the delivery runs (bare lettre, the real worker, its database work alone).

use crate::events;
use crate::report::{DeliveryFigures, Http, HttpRounds, Run, SubmissionFigures};
use crate::sink::{accepted, fast_sink, Sink};
use crate::{CONCURRENCY, MESSAGES, PER_SUBMISSION, REQUESTS, ROUNDS, TIME_BOUND};
use advocate::config::Settings;
use advocate::domain::{Body, EmailAddress, StateCode, Subject, SupporterName};
use advocate::messages::{Audience, Draft, Supporter};
use advocate::outbox::worker::Pass;
use advocate::outbox::Outbox;
use advocate::startup::delivery_worker;
use advocate::store::{Confirmed, Outcome, Store};
use advocate_test_support::figures::percentile_ms as percentile;
use advocate_test_support::{
    emailable, message_request, spawn_app_from, spawn_app_with, test_settings, token_after,
    TestApp, BOSTON, CAMPAIGN, FROM, SLUG,
};
use futures_util::stream::{self, StreamExt};
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::PoolConfig;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{watch, Notify};

/// Sends `make(i)` for i in 0..REQUESTS, `CONCURRENCY` at a time (a new one as soon as one
/// finishes); stops starting new ones at `TIME_BOUND`. `make` answers (status, body).
async fn measure<F, Fut>(expected: u16, make: F) -> Http
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = (u16, String)>,
{
    let started = Instant::now();
    let results: Vec<(u16, Duration, String)> = stream::iter(0..REQUESTS)
        .take_while(|_| futures_util::future::ready(started.elapsed() < TIME_BOUND))
        .map(|i| {
            let request = make(i);
            async move {
                let t = Instant::now();
                let (status, body) = request.await;
                (status, t.elapsed(), body)
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let total = started.elapsed();
    let mut latencies: Vec<Duration> = results.iter().map(|r| r.1).collect();
    latencies.sort();
    let bad: Vec<&(u16, Duration, String)> = results.iter().filter(|r| r.0 != expected).collect();
    Http {
        rps: results.len() as f64 / total.as_secs_f64(),
        p50_ms: percentile(&latencies, 0.50),
        p99_ms: percentile(&latencies, 0.99),
        unexpected: bad.len() + (REQUESTS - results.len()),
        samples: bad
            .iter()
            .take(3)
            .map(|r| format!("{}: {}", r.0, r.2.chars().take(300).collect::<String>()))
            .collect(),
    }
}

async fn answer(res: reqwest::Result<reqwest::Response>) -> (u16, String) {
    match res {
        Ok(r) => {
            let status = r.status().as_u16();
            (status, r.text().await.unwrap_or_default())
        }
        Err(e) => (0, format!("request failed: {e}")),
    }
}

/// A real message of the campaign (the draft-mode answer for one office), reused for delivery.
#[derive(Clone)]
pub struct RealMessage {
    target_id: String,
    name: String,
    title: String,
    to: String,
    subject: String,
    body: String,
    template_version: i64,
}

pub async fn submissions(
    backend: &'static str,
    census: &str,
) -> (SubmissionFigures, Vec<RealMessage>) {
    let before = events::snapshot();
    let sink = fast_sink(false).await;
    let sink_url = sink.url();
    let app = spawn_app_with(&[
        ("ADVOCATE__CIVIC__CENSUS_URL", census),
        // The benchmark is one client; lift the per-client lookup limit out of the way.
        ("ADVOCATE__LIMITS__LOOKUPS_PER_MINUTE", "1000000"),
        // The shipped pool size (the test helpers use 4).
        ("ADVOCATE__DATABASE__MAX_CONNECTIONS", "8"),
        ("ADVOCATE__SMTP__URL", &sink_url),
        ("ADVOCATE__SMTP__FROM_ADDRESS", FROM),
        ("ADVOCATE__OUTBOX__WORKER", "true"),
    ])
    .await;
    eprintln!("[{backend}] importing the full directory ...");
    app.import_full_directory().await;

    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .expect("client");
    let (targets, _) = app.boston_targets().await;
    let (ids, _) = emailable(&targets);
    assert!(
        !ids.is_empty(),
        "no emailable target for {BOSTON}: {targets:?}"
    );

    let request = |mode: &str, email: &str| {
        let mut body = message_request(&ids);
        body["mode"] = json!(mode);
        body["email"] = json!(email);
        body
    };
    let messages_url = app.url(&format!("{CAMPAIGN}/messages"));
    let healthz_url = app.url("/healthz");
    let draft_body = request("draft", "jane@example.org");

    // The real texts, for the delivery benchmark; also warms the lookup.
    let (status, text) = answer(client.post(&messages_url).json(&draft_body).send().await).await;
    assert_eq!(status, 200, "draft POST: {text}");
    let drafts: Value = serde_json::from_str(&text).expect("JSON");
    let real: Vec<RealMessage> = drafts["drafts"]
        .as_array()
        .expect("drafts")
        .iter()
        .map(|d| RealMessage {
            target_id: d["target_id"].as_str().expect("target_id").into(),
            name: d["name"].as_str().expect("name").into(),
            title: d["title"].as_str().expect("title").into(),
            to: d["to"].as_str().expect("to").into(),
            subject: d["subject"].as_str().expect("subject").into(),
            body: d["body"].as_str().expect("body").into(),
            template_version: d["template_version"].as_i64().expect("version"),
        })
        .collect();

    let run = uuid::Uuid::new_v4().simple().to_string();
    let (mut healthz, mut draft, mut send) = (
        HttpRounds::default(),
        HttpRounds::default(),
        HttpRounds::default(),
    );
    for round in 0..ROUNDS {
        eprintln!(
            "[{backend}] submissions, round {} of {ROUNDS} ...",
            round + 1
        );
        healthz.push(
            measure(200, |_| {
                let request = client.get(&healthz_url);
                async move { answer(request.send().await).await }
            })
            .await,
        );
        send.push(
            measure(202, |i| {
                // Each its own supporter: an address may have only a few unconfirmed
                // submissions (`limits.unconfirmed_per_day`).
                let email = format!("jane.{round}.{i:04}.{run}@example.org");
                let request = client
                    .post(&messages_url)
                    .header("Idempotency-Key", format!("bench-{run}-{round}-{i}"))
                    .json(&request("send", &email));
                async move { answer(request.send().await).await }
            })
            .await,
        );
        draft.push(
            measure(200, |_| {
                let request = client.post(&messages_url).json(&draft_body);
                async move { answer(request.send().await).await }
            })
            .await,
        );
    }

    // The app's worker sends a confirmation per submission; wait (bounded) until it has.
    let submissions = ROUNDS * REQUESTS - send.unexpected;
    let started = Instant::now();
    let mut drained_in = None;
    while started.elapsed() < TIME_BOUND {
        if app.store.pending_mails().await.unwrap_or(1) == 0 {
            drained_in = Some(started.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let figures = SubmissionFigures {
        backend,
        db_url: app.db_url.clone(),
        healthz,
        draft,
        send,
        targets: ids.len(),
        confirmations: sink.delivered(),
        submissions,
        drained_in,
        events: events::snapshot() - before,
    };
    (figures, real)
}

/// A test app with sending on and its own worker off: the library's view of one database.
struct DeliveryRig {
    app: TestApp,
    settings: Settings,
    outbox: Outbox,
    /// Where confirmation emails go (their links confirm the submissions).
    relay: Sink,
    drafts: Vec<Draft>,
    /// Sets of messages made so far (each set's supporters have their own addresses).
    sets: std::sync::atomic::AtomicUsize,
}

/// The `s`th supporter of set `set`: an address may have only a few unconfirmed submissions
/// (`limits.unconfirmed_per_day`), so every submission has its own.
fn supporter(set: usize, s: usize) -> Supporter {
    Supporter {
        name: SupporterName::parse("Jane Doe").expect("name"),
        email: EmailAddress::parse(&format!("jane.{set:02}.{s:04}@example.org")).expect("email"),
        city: None,
    }
}

impl DeliveryRig {
    async fn new(census: &str, real: &[RealMessage]) -> DeliveryRig {
        let relay = fast_sink(true).await;
        let relay_url = relay.url();
        let (settings, dir) = test_settings(&[
            ("ADVOCATE__CIVIC__CENSUS_URL", census),
            ("ADVOCATE__DATABASE__MAX_CONNECTIONS", "8"),
            ("ADVOCATE__SMTP__URL", &relay_url),
            ("ADVOCATE__SMTP__FROM_ADDRESS", FROM),
            ("ADVOCATE__OUTBOX__WORKER", "false"),
            // 2,000 messages to five offices: the sending path is measured, not the caps.
            ("ADVOCATE__LIMITS__OFFICE_PER_HOUR", "0"),
        ])
        .await;
        let app = spawn_app_from(settings.clone(), dir).await;
        let outbox = Outbox::new(
            app.store.clone(),
            Arc::new(settings.clone()),
            Arc::new(Notify::new()),
        );
        let drafts = (0..PER_SUBMISSION)
            .map(|i| {
                let m = &real[i % real.len()];
                Draft {
                    target_id: m.target_id.clone(),
                    name: m.name.clone(),
                    title: m.title.clone(),
                    state: StateCode::parse("MA").expect("MA"),
                    chamber: advocate::directory::Chamber::StateUpper,
                    district: "1".into(),
                    audience: Audience::State,
                    to: Some(EmailAddress::parse(&m.to).expect("office email")),
                    contact_form: None,
                    subject: Subject::parse(&m.subject).expect("subject"),
                    body: Body::parse(&m.body).expect("body"),
                    template_version: m.template_version,
                    scorecard_revision: None,
                    edited: false,
                }
            })
            .collect();
        DeliveryRig {
            app,
            settings,
            outbox,
            relay,
            drafts,
            sets: Default::default(),
        }
    }

    fn store(&self) -> &Store {
        &self.app.store
    }

    /// PostgreSQL: vacuums the outbox, so each measured run starts from the same state. The test
    /// server runs with autovacuum off, and every claim and finish leaves a dead row version and
    /// dead `outbox_due` index entries (the status is indexed), which claims then wade through.
    async fn vacuum(&self) {
        if let Store::Postgres(pool) = self.store() {
            sqlx::raw_sql("VACUUM ANALYZE outbox")
                .execute(pool)
                .await
                .expect("vacuum");
        }
    }

    /// The real worker, sending through `url`, with the shipped outbox settings.
    fn worker(&self, url: &str) -> advocate::outbox::Worker {
        let mut settings = self.settings.clone();
        settings.smtp.url = secrecy::SecretString::from(url.to_string());
        delivery_worker(&settings, self.store().clone(), Arc::new(Notify::new()))
            .expect("worker settings")
            .expect("sending is on")
    }

    /// Makes `MESSAGES` messages due, as supporters do: submissions, each confirmed through the
    /// link in its confirmation email (delivered by the worker to the relay).
    async fn confirmed_messages(&self) {
        let doc = self
            .store()
            .campaign_doc(SLUG)
            .await
            .expect("read")
            .expect("campaign");
        let submissions = MESSAGES / PER_SUBMISSION;
        let set = self.sets.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let started = Instant::now();
        for s in 0..submissions {
            assert!(started.elapsed() < TIME_BOUND, "submitting took too long");
            self.outbox
                .submit(&doc, &self.drafts, &supporter(set, s), None)
                .await
                .expect("submitted");
        }
        let before = self.relay.delivered();
        let worker = self.worker(&self.relay.url());
        let (_stop, stopped) = watch::channel(false);
        for _ in 0..submissions + 10 {
            assert!(
                started.elapsed() < TIME_BOUND,
                "confirmations took too long"
            );
            let pass = worker.pass(&stopped).await.expect("confirmation pass");
            assert_eq!(pass.sent, pass.claimed, "every confirmation is accepted");
            if pass.claimed == 0 {
                break;
            }
        }
        let mails = self
            .relay
            .wait_for_kept(before + submissions, Duration::from_secs(10))
            .await;
        for mail in &mails[before..] {
            let token = token_after(&mail.body_text(), "/confirm/");
            assert!(matches!(
                self.outbox.confirm(&token).await.expect("confirm"),
                Confirmed::Now { .. }
            ));
        }
        let due = self.store().pending_mails().await.expect("pending");
        assert_eq!(due, MESSAGES as i64, "every message is due");
    }

    /// What the worker sends for the `i`th message, built with lettre's builder directly.
    fn bare_message(&self, i: usize, from: &Address) -> Message {
        let d = &self.drafts[i % self.drafts.len()];
        let to: Address = d.to.as_ref().expect("email").as_str().parse().expect("to");
        let who = supporter(0, i / PER_SUBMISSION);
        let reply_to: Address = who.email.as_str().parse().expect("reply-to");
        let supporter = who.name.as_str();
        Message::builder()
            .from(Mailbox::new(
                Some(format!("{supporter} via End Qualified Immunity")),
                from.clone(),
            ))
            .to(Mailbox::new(Some(d.name.clone()), to))
            .subject(d.subject.as_str())
            .message_id(Some(format!(
                "<{}@{}>",
                uuid::Uuid::new_v4(),
                from.domain()
            )))
            .header(ContentType::TEXT_PLAIN)
            .header(lettre::message::header::MIME_VERSION_1_0)
            .reply_to(Mailbox::new(Some(supporter.to_string()), reply_to))
            .body(d.body.as_str().replace("\r\n", "\n").replace('\n', "\r\n"))
            .expect("message")
    }
}

/// The bare loop: one pooled transport with the worker's settings, `concurrency` sends at a
/// time (1: one after another).
async fn bare_lettre(rig: &DeliveryRig, concurrency: usize) -> Run {
    let sink = fast_sink(false).await;
    let smtp = &rig.settings.smtp;
    let timeout = Duration::from_secs(smtp.timeout_secs);
    let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&sink.url())
        .expect("url")
        .timeout(Some(timeout))
        .pool_config(
            PoolConfig::new()
                .max_size(smtp.pool_size)
                .idle_timeout(Duration::from_secs(30)),
        )
        .build();
    let from: Address = FROM.parse().expect("from");
    let bound = timeout + Duration::from_secs(1);
    let started = Instant::now();
    let sent: usize = stream::iter(0..MESSAGES)
        .take_while(|_| futures_util::future::ready(started.elapsed() < TIME_BOUND))
        .map(|i| {
            let transport = &transport;
            let message = rig.bare_message(i, &from);
            async move {
                matches!(
                    tokio::time::timeout(bound, transport.send(message)).await,
                    Ok(Ok(_))
                )
            }
        })
        .buffer_unordered(concurrency)
        .filter(|ok| futures_util::future::ready(*ok))
        .count()
        .await;
    let elapsed = started.elapsed();
    let (delivered, avg_bytes, connections) = accepted(&sink);
    assert_eq!(sent, MESSAGES, "the bare loop sent every message");
    Run {
        rate: sent as f64 / elapsed.as_secs_f64(),
        delivered,
        avg_bytes,
        connections,
        ..Run::default()
    }
}

/// The real worker: passes until nothing is due.
async fn worker_run(rig: &DeliveryRig) -> Run {
    let sink = fast_sink(false).await;
    let worker = rig.worker(&sink.url());
    let (_stop, stopped) = watch::channel(false);
    let mut total = Pass::default();
    let mut run = Run::default();
    let started = Instant::now();
    let mut done_at = Duration::ZERO;
    while started.elapsed() < TIME_BOUND && run.passes < MESSAGES + 100 {
        run.passes += 1;
        match worker.pass(&stopped).await {
            Ok(pass) if pass.claimed == 0 => break,
            Ok(pass) => {
                total.claimed += pass.claimed;
                total.sent += pass.sent;
                total.retrying += pass.retrying;
                total.failed += pass.failed;
                total.released += pass.released;
                done_at = started.elapsed();
            }
            Err(err) => {
                run.pass_errors += 1;
                if run.pass_errors <= 3 {
                    eprintln!("  pass error: {err}");
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
    let (delivered, avg_bytes, connections) = accepted(&sink);
    run.rate = total.sent as f64 / done_at.as_secs_f64().max(1e-9);
    run.delivered = delivered;
    run.avg_bytes = avg_bytes;
    run.connections = connections;
    run.unrecorded = total.claimed - total.sent - total.retrying - total.failed - total.released;
    run.retrying = total.retrying;
    run.failed = total.failed;
    run
}

/// The worker's database work alone: claim a batch, record it as sent in one transaction, as
/// `pass` does, with no SMTP in between.
async fn store_only(rig: &DeliveryRig) -> Run {
    let store = rig.store();
    let o = &rig.settings.outbox;
    let caps = advocate::outbox::DeliveryCaps::from_settings(&rig.settings.limits);
    let mut run = Run::default();
    let mut recorded = 0usize;
    let started = Instant::now();
    let mut done_at = Duration::ZERO;
    while started.elapsed() < TIME_BOUND && run.passes < MESSAGES + 100 {
        run.passes += 1;
        let now = chrono::Utc::now().timestamp();
        let lease = uuid::Uuid::new_v4().to_string();
        let claiming = Instant::now();
        let claimed = match store
            .claim_mails(now, &lease, now + o.lease_secs as i64, o.batch_size, &caps)
            .await
        {
            Ok(c) => c.mails,
            Err(err) => {
                run.pass_errors += 1;
                eprintln!("  claim error: {err}");
                continue;
            }
        };
        run.claim_secs += claiming.elapsed().as_secs_f64();
        if claimed.is_empty() {
            break;
        }
        let n = claimed.len();
        let finishing = Instant::now();
        // As the worker records: the outcomes that are ready together, in one transaction.
        let now = chrono::Utc::now().timestamp();
        let outcomes: Vec<(String, Outcome)> = claimed
            .iter()
            .map(|m| (m.id.clone(), Outcome::Sent))
            .collect();
        let ok = store
            .finish_mails(&lease, &outcomes, now)
            .await
            .map(|recorded| recorded.iter().filter(|r| **r).count())
            .unwrap_or(0);
        run.finish_secs += finishing.elapsed().as_secs_f64();
        recorded += ok;
        run.unrecorded += n - ok;
        done_at = started.elapsed();
    }
    run.rate = recorded as f64 / done_at.as_secs_f64().max(1e-9);
    run.delivered = recorded;
    run
}

pub async fn delivery(
    backend: &'static str,
    census: &str,
    real: &[RealMessage],
) -> DeliveryFigures {
    let before = events::snapshot();
    let rig = DeliveryRig::new(census, real).await;
    let concurrency = rig.settings.outbox.concurrency as usize;
    let mut figures = DeliveryFigures {
        backend,
        db_url: rig.app.db_url.clone(),
        sequential: vec![],
        concurrent: vec![],
        worker: vec![],
        store_only: vec![],
        batch_size: rig.settings.outbox.batch_size,
        concurrency: rig.settings.outbox.concurrency,
        pool_size: rig.settings.smtp.pool_size,
        events: Default::default(),
    };
    for round in 0..ROUNDS {
        eprintln!("[{backend}] delivery, round {} of {ROUNDS} ...", round + 1);
        rig.confirmed_messages().await;
        figures.sequential.push(bare_lettre(&rig, 1).await);
        figures
            .concurrent
            .push(bare_lettre(&rig, concurrency).await);
        rig.vacuum().await;
        figures.worker.push(worker_run(&rig).await);
        rig.confirmed_messages().await;
        rig.vacuum().await;
        figures.store_only.push(store_only(&rig).await);
    }
    figures.events = events::snapshot() - before;
    figures
}
