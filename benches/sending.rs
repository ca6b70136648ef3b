//! Sending through the service, on SQLite and on PostgreSQL, each beside a baseline measured in
//! the same run on the same machine:
//!
//! 1. Submissions accepted per second: `POST .../messages` with mode `send` (each with its own
//!    `Idempotency-Key` and supporter address) against the real app with the full directory,
//!    beside `GET /healthz` of the same app (and the draft-mode POST as a reference). The app's
//!    own delivery worker runs meanwhile and sends each confirmation email to the sink, as
//!    `serve` does.
//! 2. Delivery rate: confirmed messages (made through the library: submit, the confirmation
//!    email, the link in it) sent by the real worker (`pass`: claim, send, finish) to a fresh
//!    sink, beside a bare lettre loop (one pooled transport with the worker's settings) sending
//!    equivalent messages to a fresh sink, one at a time and with the worker's concurrency. Also
//!    the worker's database work alone (claim + finish, no SMTP), to show where the time goes.
//!    `Err` results of `pass`, outcomes it could not record, and logged warnings and errors are
//!    counted (a database busy error would show there).
//!
//! The sink is not the tests' `StubSmtp`: lettre 0.11 leaves Nagle's algorithm on and writes a
//! message's text and its final `.` line in separate writes, and the stub writes each reply and
//! its CRLF separately, so against the stub every step waits for a delayed ACK (40 ms on Linux)
//! and both the worker and the bare loop measure that timer. The sink answers in single writes on
//! `TCP_NODELAY` sockets and acknowledges at once (`TCP_QUICKACK`); the first line of the output
//! shows the three measured side by side.
//!
//! PostgreSQL is the test server at `ADVOCATE_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`); its outbox is vacuumed before each measured run
//! (see `DeliveryRig::vacuum`), and the databases the benchmark made are dropped at the end.
//!
//! Run with `scripts/bench` (or `cargo bench --bench sending`). Every loop is bounded in count
//! and time, and all traffic stays on loopback.

#[allow(dead_code)]
#[path = "../tests/api/helpers.rs"]
mod helpers;

#[path = "../tests/api/smtp_stub.rs"]
mod smtp_stub;

use advocate::config::Settings;
use advocate::domain::{Body, EmailAddress, StateCode, Subject, SupporterName};
use advocate::messages::{Audience, Draft, Supporter};
use advocate::outbox::worker::Pass;
use advocate::outbox::Outbox;
use advocate::startup::delivery_worker;
use advocate::store::{Confirmed, Outcome, Store};
use futures_util::stream::{self, StreamExt};
use helpers::token_after;
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::PoolConfig;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde_json::{json, Value};
use smtp_stub::{Script, StubSmtp};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{watch, Notify};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SLUG: &str = "end-qualified-immunity";
const ADDRESS: &str = "24 Beacon St, Boston, MA 02133";
const FROM: &str = "send@advocate.test";
const BACKENDS: [&str; 2] = ["sqlite", "postgres"];
const ROUNDS: usize = 3;

/// Submissions: POSTs per round, and how many in flight.
const REQUESTS: usize = 500;
const CONCURRENCY: usize = 8;

/// Delivery: messages per run, made as submissions of this many messages each.
const MESSAGES: usize = 2_000;
const PER_SUBMISSION: usize = 5;

/// Bound on every measured loop and every setup loop.
const TIME_BOUND: Duration = Duration::from_secs(120);

// ---------------------------------------------------------------------------------------------
// Warnings and errors the service logs (a database busy error would show here).

mod events {
    use std::fmt::Write;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;
    use tracing::field::{Field, Visit};
    use tracing::{Event, Level, Subscriber};
    use tracing_subscriber::layer::{Context, Layer};

    pub static ERRORS: AtomicUsize = AtomicUsize::new(0);
    pub static WARNINGS: AtomicUsize = AtomicUsize::new(0);
    /// Warnings and errors that mention the database (busy, locked, pool timeouts).
    pub static DATABASE: AtomicUsize = AtomicUsize::new(0);
    static SAMPLES: Mutex<Vec<String>> = Mutex::new(Vec::new());

    struct Text(String);

    impl Visit for Text {
        fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
            let _ = write!(self.0, "{}={:?} ", field.name(), value);
        }
    }

    /// Counts WARN and ERROR events and keeps the first few.
    pub struct Counter;

    impl<S: Subscriber> Layer<S> for Counter {
        fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
            let level = *event.metadata().level();
            let mut text = Text(String::new());
            event.record(&mut text);
            if level == Level::ERROR {
                ERRORS.fetch_add(1, Ordering::Relaxed);
            } else {
                WARNINGS.fetch_add(1, Ordering::Relaxed);
            }
            let lower = text.0.to_lowercase();
            if ["database", "locked", "busy", "pool timed out"]
                .iter()
                .any(|w| lower.contains(w))
            {
                DATABASE.fetch_add(1, Ordering::Relaxed);
            }
            let mut samples = SAMPLES.lock().unwrap_or_else(|p| p.into_inner());
            if samples.len() < 8 {
                samples.push(format!(
                    "{level} {}: {}",
                    event.metadata().target(),
                    text.0.chars().take(300).collect::<String>()
                ));
            }
        }
    }

    #[derive(Debug, Clone, Copy, Default)]
    pub struct Snapshot {
        pub errors: usize,
        pub warnings: usize,
        pub database: usize,
    }

    pub fn snapshot() -> Snapshot {
        Snapshot {
            errors: ERRORS.load(Ordering::Relaxed),
            warnings: WARNINGS.load(Ordering::Relaxed),
            database: DATABASE.load(Ordering::Relaxed),
        }
    }

    impl std::ops::Sub for Snapshot {
        type Output = Snapshot;
        fn sub(self, before: Snapshot) -> Snapshot {
            Snapshot {
                errors: self.errors - before.errors,
                warnings: self.warnings - before.warnings,
                database: self.database - before.database,
            }
        }
    }

    pub fn samples() -> Vec<String> {
        SAMPLES.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

fn install_event_counter() {
    use tracing_subscriber::filter::LevelFilter;
    use tracing_subscriber::prelude::*;
    tracing_subscriber::registry()
        .with(events::Counter.with_filter(LevelFilter::WARN))
        .init();
}

// ---------------------------------------------------------------------------------------------
// Small helpers.

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 * p) as usize).min(sorted.len() - 1);
    sorted[i].as_secs_f64() * 1000.0
}

fn goal(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "NOT met"
    }
}

// ---------------------------------------------------------------------------------------------
// The SMTP sink.

/// A loopback SMTP sink that answers at once: every reply is one write on a `TCP_NODELAY`
/// socket, and (Linux) it acknowledges every segment at once (`TCP_QUICKACK`, re-armed after each
/// read). Speaks the plain SMTP the tests' stub speaks; counts what it accepts, and keeps the
/// messages when asked (for the confirmation links).
mod sink {
    use super::smtp_stub::Delivered;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
    use tokio::net::{TcpListener, TcpStream};
    use tokio::task::{AbortHandle, JoinSet};

    const MAX_LINE: u64 = 64 * 1024;
    const MAX_MESSAGE: usize = 10 * 1024 * 1024;

    #[derive(Default)]
    struct State {
        sessions: AtomicUsize,
        delivered: AtomicUsize,
        bytes: AtomicUsize,
        kept: Mutex<Vec<Delivered>>,
    }

    #[derive(Clone, Copy)]
    pub struct Options {
        pub keep: bool,
        pub quickack: bool,
    }

    pub struct Sink {
        port: u16,
        state: Arc<State>,
        listener: AbortHandle,
        sessions: Arc<Mutex<JoinSet<()>>>,
    }

    impl Sink {
        pub async fn start(options: Options) -> Sink {
            let listener = TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind the sink");
            let port = listener.local_addr().expect("sink address").port();
            let state = Arc::new(State::default());
            let sessions = Arc::new(Mutex::new(JoinSet::new()));
            let (st, set) = (state.clone(), sessions.clone());
            let task = tokio::spawn(async move {
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    };
                    st.sessions.fetch_add(1, Ordering::Relaxed);
                    let mut set = set.lock().unwrap_or_else(|p| p.into_inner());
                    while set.try_join_next().is_some() {}
                    set.spawn(session(stream, st.clone(), options));
                }
            });
            Sink {
                port,
                state,
                listener: task.abort_handle(),
                sessions,
            }
        }

        pub fn url(&self) -> String {
            format!("smtp://127.0.0.1:{}", self.port)
        }

        pub fn delivered(&self) -> usize {
            self.state.delivered.load(Ordering::Relaxed)
        }

        pub fn bytes(&self) -> usize {
            self.state.bytes.load(Ordering::Relaxed)
        }

        pub fn sessions(&self) -> usize {
            self.state.sessions.load(Ordering::Relaxed)
        }

        /// The kept messages once there are at least `n`; panics after `within`.
        pub async fn wait_for_kept(&self, n: usize, within: Duration) -> Vec<Delivered> {
            let started = Instant::now();
            loop {
                {
                    let kept = self.state.kept.lock().unwrap_or_else(|p| p.into_inner());
                    if kept.len() >= n {
                        return kept.clone();
                    }
                    assert!(
                        started.elapsed() < within,
                        "the sink kept {} of {n} messages within {within:?}",
                        kept.len()
                    );
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }

    impl Drop for Sink {
        fn drop(&mut self) {
            self.listener.abort();
            let mut set = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
            set.abort_all();
        }
    }

    #[cfg(target_os = "linux")]
    fn quickack(stream: &TcpStream) {
        use std::os::fd::AsRawFd;
        extern "C" {
            fn setsockopt(
                socket: i32,
                level: i32,
                name: i32,
                value: *const std::ffi::c_void,
                len: u32,
            ) -> i32;
        }
        const IPPROTO_TCP: i32 = 6;
        const TCP_QUICKACK: i32 = 12;
        let on: i32 = 1;
        // SAFETY: a valid socket descriptor and a pointer to an int of the given length.
        unsafe {
            setsockopt(
                stream.as_raw_fd(),
                IPPROTO_TCP,
                TCP_QUICKACK,
                (&on as *const i32).cast(),
                4,
            );
        }
    }

    #[cfg(not(target_os = "linux"))]
    fn quickack(_stream: &TcpStream) {}

    fn path(line: &str) -> String {
        let after = line.split_once(':').map(|(_, p)| p).unwrap_or("").trim();
        after
            .trim_start_matches('<')
            .split('>')
            .next()
            .unwrap_or("")
            .to_string()
    }

    async fn session(stream: TcpStream, state: Arc<State>, options: Options) {
        let _ = stream.set_nodelay(true);
        let (r, mut w) = stream.into_split();
        let mut r = BufReader::new(r);
        let mut line = Vec::new();
        let (mut from, mut rcpts) = (String::new(), Vec::new());
        if w.write_all(b"220 sink.local ESMTP\r\n").await.is_err() {
            return;
        }
        // One command per iteration; the session ends with the connection.
        loop {
            line.clear();
            let read = (&mut r).take(MAX_LINE).read_until(b'\n', &mut line).await;
            if options.quickack {
                quickack(r.get_ref().as_ref());
            }
            if !matches!(read, Ok(n) if n > 0) || line.last() != Some(&b'\n') {
                return;
            }
            let text = String::from_utf8_lossy(&line).into_owned();
            let verb = text.get(..4).unwrap_or("").to_ascii_uppercase();
            let reply: &[u8] = match verb.as_str() {
                "EHLO" => {
                    b"250-sink.local\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 10485760\r\n"
                }
                "HELO" => b"250 sink.local\r\n",
                "MAIL" => {
                    from = path(&text);
                    rcpts.clear();
                    b"250 2.1.0 OK\r\n"
                }
                "RCPT" => {
                    rcpts.push(path(&text));
                    b"250 2.1.5 OK\r\n"
                }
                "DATA" => {
                    if w.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                        .await
                        .is_err()
                    {
                        return;
                    }
                    let mut data = Vec::new();
                    loop {
                        line.clear();
                        let read = (&mut r).take(MAX_LINE).read_until(b'\n', &mut line).await;
                        if options.quickack {
                            quickack(r.get_ref().as_ref());
                        }
                        if !matches!(read, Ok(n) if n > 0) || data.len() > MAX_MESSAGE {
                            return;
                        }
                        if line == b".\r\n" || line == b".\n" {
                            break;
                        }
                        data.extend_from_slice(line.strip_prefix(b".").unwrap_or(&line));
                    }
                    state.delivered.fetch_add(1, Ordering::Relaxed);
                    state.bytes.fetch_add(data.len(), Ordering::Relaxed);
                    if options.keep {
                        let mut kept = state.kept.lock().unwrap_or_else(|p| p.into_inner());
                        kept.push(Delivered {
                            mail_from: std::mem::take(&mut from),
                            rcpt_to: std::mem::take(&mut rcpts),
                            data: String::from_utf8_lossy(&data).into_owned(),
                        });
                    }
                    b"250 2.0.0 OK: queued\r\n"
                }
                "RSET" => b"250 2.0.0 OK\r\n",
                "NOOP" => b"250 2.0.0 OK\r\n",
                "QUIT" => {
                    let _ = w.write_all(b"221 2.0.0 Bye\r\n").await;
                    return;
                }
                _ => b"502 5.5.2 Command not recognized\r\n",
            };
            if w.write_all(reply).await.is_err() {
                return;
            }
        }
    }
}

/// Bare lettre, one message at a time, to three sinks: the tests' stub, a sink that answers in
/// single writes on `TCP_NODELAY` sockets, and one that also acknowledges at once. lettre 0.11
/// leaves Nagle's algorithm on and writes a message's text and its final `.` line separately,
/// and the tests' stub writes each reply and its CRLF separately, so both wait for delayed ACKs
/// (40 ms on Linux): against those sinks, both the bare loop and the worker measure the timer.
async fn probe_sinks() -> String {
    let transport = |url: &str| {
        AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .expect("url")
            .timeout(Some(Duration::from_secs(5)))
            .build()
    };
    let message = |i: usize| {
        Message::builder()
            .from(FROM.parse::<Mailbox>().expect("from"))
            .to("office@example.org".parse::<Mailbox>().expect("to"))
            .subject(format!("probe {i}"))
            .header(ContentType::TEXT_PLAIN)
            .body("Dear Senator,\r\n\r\nPlease act.\r\n".repeat(40))
            .expect("message")
    };
    async fn rate(t: &AsyncSmtpTransport<Tokio1Executor>, make: &dyn Fn(usize) -> Message) -> f64 {
        let started = Instant::now();
        let mut n = 0;
        while n < 300 && started.elapsed() < Duration::from_secs(5) {
            t.send(make(n)).await.expect("probe send");
            n += 1;
        }
        n as f64 / started.elapsed().as_secs_f64()
    }
    let stub = StubSmtp::start(Script::normal()).await;
    let a = rate(&transport(&stub.url()), &message).await;
    let plain = sink::Sink::start(sink::Options {
        keep: false,
        quickack: false,
    })
    .await;
    let b = rate(&transport(&plain.url()), &message).await;
    let quick = sink::Sink::start(sink::Options {
        keep: false,
        quickack: true,
    })
    .await;
    let c = rate(&transport(&quick.url()), &message).await;
    format!(
        "sink check (bare lettre, one at a time): tests' StubSmtp {a:.0} msg/s; \
         TCP_NODELAY sink {b:.0} msg/s; TCP_NODELAY + TCP_QUICKACK sink (used below) {c:.0} msg/s"
    )
}

// ---------------------------------------------------------------------------------------------
// 1. Submissions accepted per second.

/// One round of HTTP requests.
struct Http {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    /// Answers other than the expected status.
    unexpected: usize,
    /// Status and body of the first few unexpected answers.
    samples: Vec<String>,
}

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

/// Medians of the rounds of one kind of request.
#[derive(Default)]
struct HttpRounds {
    rps: Vec<f64>,
    p50: Vec<f64>,
    p99: Vec<f64>,
    unexpected: usize,
    samples: Vec<String>,
}

impl HttpRounds {
    fn push(&mut self, h: Http) {
        self.rps.push(h.rps);
        self.p50.push(h.p50_ms);
        self.p99.push(h.p99_ms);
        self.unexpected += h.unexpected;
        if self.samples.len() < 3 {
            self.samples.extend(h.samples);
        }
    }

    fn rps(&self) -> f64 {
        median(self.rps.clone())
    }

    fn line(&self, label: &str, count: usize) -> String {
        format!(
            "  {label:<30}: {:9.0} req/s  p50 {:6.2} ms  p99 {:6.2} ms  unexpected answers {}/{count}",
            self.rps(),
            median(self.p50.clone()),
            median(self.p99.clone()),
            self.unexpected
        )
    }
}

struct SubmissionFigures {
    backend: &'static str,
    db_url: String,
    healthz: HttpRounds,
    draft: HttpRounds,
    send: HttpRounds,
    targets: usize,
    /// Confirmation emails the app's worker delivered to the stub, of the submissions made.
    confirmations: usize,
    submissions: usize,
    drained_in: Option<Duration>,
    events: events::Snapshot,
}

/// A real message of the campaign (the draft-mode answer for one office), reused for delivery.
#[derive(Clone)]
struct RealMessage {
    target_id: String,
    name: String,
    title: String,
    to: String,
    subject: String,
    body: String,
    template_version: i64,
}

async fn submissions(backend: &'static str, census: &str) -> (SubmissionFigures, Vec<RealMessage>) {
    let before = events::snapshot();
    let sink = fast_sink(false).await;
    let sink_url = sink.url();
    let app = helpers::spawn_app_with(&[
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
    helpers::import_full_directory(&app.db_url);

    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .expect("client");
    let encoded: String = url::form_urlencoded::byte_serialize(ADDRESS.as_bytes()).collect();
    let (status, body) = app
        .get_json(&format!(
            "/api/v1/campaigns/{SLUG}/targets?address={encoded}"
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    let ids: Vec<String> = body["targets"]
        .as_array()
        .expect("targets")
        .iter()
        .filter(|t| t["email"].is_string())
        .map(|t| t["id"].as_str().expect("id").to_string())
        .collect();
    assert!(!ids.is_empty(), "no emailable target for {ADDRESS}: {body}");

    let request = |mode: &str, email: &str| {
        json!({
            "name": "Jane Doe",
            "email": email,
            "city": "Boston",
            "address": ADDRESS,
            "targets": ids,
            "mode": mode,
        })
    };
    let messages_url = format!("{}/api/v1/campaigns/{SLUG}/messages", app.address);
    let healthz_url = format!("{}/healthz", app.address);
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
                // submissions (`outbox::MAX_UNCONFIRMED_PER_EMAIL`).
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

// ---------------------------------------------------------------------------------------------
// 2. Delivery rate.

/// A test app with sending on and its own worker off: the library's view of one database.
struct DeliveryRig {
    app: helpers::TestApp,
    settings: Settings,
    outbox: Outbox,
    /// Where confirmation emails go (their links confirm the submissions).
    relay: sink::Sink,
    drafts: Vec<Draft>,
    /// Sets of messages made so far (each set's supporters have their own addresses).
    sets: std::sync::atomic::AtomicUsize,
}

/// The `s`th supporter of set `set`: an address may have only a few unconfirmed submissions
/// (`outbox::MAX_UNCONFIRMED_PER_EMAIL`), so every submission has its own.
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
        let (settings, dir) = helpers::test_settings(&[
            ("ADVOCATE__CIVIC__CENSUS_URL", census),
            ("ADVOCATE__DATABASE__MAX_CONNECTIONS", "8"),
            ("ADVOCATE__SMTP__URL", &relay_url),
            ("ADVOCATE__SMTP__FROM_ADDRESS", FROM),
            ("ADVOCATE__OUTBOX__WORKER", "false"),
        ])
        .await;
        let app = helpers::spawn_app_from(settings.clone(), dir).await;
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
                    audience: Audience::State,
                    to: Some(EmailAddress::parse(&m.to).expect("office email")),
                    contact_form: None,
                    subject: Subject::parse(&m.subject).expect("subject"),
                    body: Body::parse(&m.body).expect("body"),
                    template_version: m.template_version,
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

/// One delivery run.
#[derive(Default, Clone, Copy)]
struct Run {
    rate: f64,
    delivered: usize,
    avg_bytes: f64,
    /// SMTP connections the sink accepted.
    connections: usize,
    /// Worker runs: passes, `Err` results of `pass`, and outcomes not recorded (a failed
    /// `finish_mails`, which `pass` logs and swallows).
    passes: usize,
    pass_errors: usize,
    unrecorded: usize,
    retrying: usize,
    failed: usize,
    /// Database work alone: time spent claiming, and recording outcomes.
    claim_secs: f64,
    finish_secs: f64,
}

/// Messages the sink accepted, their average size, and the connections it accepted.
fn accepted(sink: &sink::Sink) -> (usize, f64, usize) {
    let n = sink.delivered();
    (n, sink.bytes() as f64 / n.max(1) as f64, sink.sessions())
}

/// The sink every measurement sends to (see `probe_sinks` for why not the tests' stub).
async fn fast_sink(keep: bool) -> sink::Sink {
    sink::Sink::start(sink::Options {
        keep,
        quickack: true,
    })
    .await
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
            .claim_mails(now, &lease, now + o.lease_secs as i64, o.batch_size)
            .await
        {
            Ok(c) => c,
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

struct DeliveryFigures {
    backend: &'static str,
    db_url: String,
    sequential: Vec<Run>,
    concurrent: Vec<Run>,
    worker: Vec<Run>,
    store_only: Vec<Run>,
    batch_size: u32,
    concurrency: u32,
    pool_size: u32,
    events: events::Snapshot,
}

async fn delivery(backend: &'static str, census: &str, real: &[RealMessage]) -> DeliveryFigures {
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

// ---------------------------------------------------------------------------------------------

#[tokio::main]
async fn main() {
    install_event_counter();
    let sink_check = probe_sinks().await;

    // The Census stand-in answers every address with one Boston match.
    let census = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/geographies/onelineaddress"))
        .respond_with(ResponseTemplate::new(200).set_body_json(helpers::census_boston()))
        .mount(&census)
        .await;
    let census_uri = census.uri();

    let mut subs = Vec::new();
    let mut dels = Vec::new();
    for backend in BACKENDS {
        // The test helpers pick the backend of each new database from this variable.
        std::env::set_var("ADVOCATE_TEST_DATABASE", backend);
        let (s, real) = submissions(backend, &census_uri).await;
        subs.push(s);
        dels.push(delivery(backend, &census_uri, &real).await);
    }

    println!("{sink_check}");
    println!(
        "submissions benchmark: {REQUESTS} requests x {ROUNDS} rounds each, {CONCURRENCY} in flight, \
         full directory, the app's worker sending confirmations to the sink (medians of {ROUNDS} rounds)"
    );
    for s in &subs {
        println!(
            "  [{}] {} emailable targets per submission",
            s.backend, s.targets
        );
        let n = ROUNDS * REQUESTS;
        println!("{}", s.healthz.line("GET /healthz (baseline)", n));
        println!("{}", s.draft.line("POST messages, draft", n));
        println!("{}", s.send.line("POST messages, send (202)", n));
        println!(
            "  {:<30}: {:.1}% of /healthz, {:.1}% of the draft POST",
            "ratio (send / baseline)",
            100.0 * s.send.rps() / s.healthz.rps(),
            100.0 * s.send.rps() / s.draft.rps()
        );
        println!(
            "  {:<30}: {} of {} submissions' confirmations delivered{}",
            "confirmation emails",
            s.confirmations,
            s.submissions,
            match s.drained_in {
                Some(d) => format!(
                    ", outbox empty {:.1} s after the last POST",
                    d.as_secs_f64()
                ),
                None => " (outbox NOT empty after the time bound)".into(),
            }
        );
        println!(
            "  {:<30}: {} database-related, {} errors, {} warnings logged (goal: 0 database)",
            "logged problems", s.events.database, s.events.errors, s.events.warnings
        );
        for sample in s
            .send
            .samples
            .iter()
            .chain(&s.draft.samples)
            .chain(&s.healthz.samples)
        {
            println!("    unexpected answer: {sample}");
        }
    }

    let per = |runs: &[Run]| median(runs.iter().map(|r| r.rate).collect());
    println!();
    println!(
        "delivery benchmark: {MESSAGES} messages per run ({} submissions x {PER_SUBMISSION}), \
         a fresh loopback sink per run (medians of {ROUNDS} runs)",
        MESSAGES / PER_SUBMISSION
    );
    let mut all_met = true;
    for d in &dels {
        let (seq, conc, work, db) = (
            per(&d.sequential),
            per(&d.concurrent),
            per(&d.worker),
            per(&d.store_only),
        );
        let sum = |f: fn(&Run) -> usize| d.worker.iter().map(f).sum::<usize>();
        println!(
            "  [{}] worker: batch {}, concurrency {}, SMTP pool {}",
            d.backend, d.batch_size, d.concurrency, d.pool_size
        );
        println!(
            "  {:<34}: {seq:9.0} msg/s  (runs: {})",
            "bare lettre, one at a time",
            runs(&d.sequential)
        );
        println!(
            "  {:<34}: {conc:9.0} msg/s  (runs: {})",
            format!("bare lettre, {} at a time", d.concurrency),
            runs(&d.concurrent)
        );
        println!(
            "  {:<34}: {work:9.0} msg/s  (runs: {})",
            "outbox worker (claim/send/finish)",
            runs(&d.worker)
        );
        let split = |runs: &[Run]| {
            let (c, f): (f64, f64) = runs.iter().fold((0.0, 0.0), |(c, f), r| {
                (c + r.claim_secs, f + r.finish_secs)
            });
            format!(
                "claims {:.0}%, finishes {:.0}%",
                100.0 * c / (c + f),
                100.0 * f / (c + f)
            )
        };
        println!(
            "  {:<34}: {db:9.0} msg/s  (runs: {}; time in {})",
            "  its database work (claim + record)",
            runs(&d.store_only),
            split(&d.store_only)
        );
        let ratio = 100.0 * work / conc;
        all_met &= ratio >= 70.0;
        println!(
            "  {:<34}: {ratio:.1}% of bare lettre at the same concurrency (goal >= 70%: {}); \
             {:.1}% of bare lettre one at a time",
            "ratio (worker / bare)",
            goal(ratio >= 70.0),
            100.0 * work / seq
        );
        let connections = |runs: &[Run]| {
            runs.iter()
                .map(|r| r.connections.to_string())
                .collect::<Vec<_>>()
                .join("/")
        };
        println!(
            "  {:<34}: worker {}, bare {} ({} at a time)",
            "SMTP connections per run",
            connections(&d.worker),
            connections(&d.concurrent),
            d.concurrency
        );
        println!(
            "  {:<34}: worker {}, bare {} (avg bytes per message: worker {:.0}, bare {:.0})",
            "delivered per run",
            d.worker
                .iter()
                .map(|r| r.delivered.to_string())
                .collect::<Vec<_>>()
                .join("/"),
            d.concurrent
                .iter()
                .map(|r| r.delivered.to_string())
                .collect::<Vec<_>>()
                .join("/"),
            d.worker.iter().map(|r| r.avg_bytes).sum::<f64>() / d.worker.len() as f64,
            d.concurrent.iter().map(|r| r.avg_bytes).sum::<f64>() / d.concurrent.len() as f64,
        );
        let errs =
            sum(|r| r.pass_errors) + d.store_only.iter().map(|r| r.pass_errors).sum::<usize>();
        let unrecorded =
            sum(|r| r.unrecorded) + d.store_only.iter().map(|r| r.unrecorded).sum::<usize>();
        println!(
            "  {:<34}: {errs} pass errors, {unrecorded} outcomes not recorded, {} retrying, {} failed, \
             {} passes; logged: {} database-related, {} errors, {} warnings (goal: 0 database errors: {})",
            "database errors",
            sum(|r| r.retrying),
            sum(|r| r.failed),
            sum(|r| r.passes),
            d.events.database,
            d.events.errors,
            d.events.warnings,
            goal(errs == 0 && unrecorded == 0 && d.events.database == 0)
        );
    }
    let samples = events::samples();
    if !samples.is_empty() {
        println!("  first logged warnings/errors:");
        for s in samples {
            println!("    {s}");
        }
    }
    println!(
        "  delivery goal (worker >= 70% of bare lettre at the same concurrency, every backend): {}",
        goal(all_met)
    );

    let urls: Vec<&str> = subs
        .iter()
        .map(|s| s.db_url.as_str())
        .chain(dels.iter().map(|d| d.db_url.as_str()))
        .collect();
    drop_databases(&urls).await;
}

/// Drops the PostgreSQL databases the benchmark made (their apps still hold connections).
async fn drop_databases(urls: &[&str]) {
    use sqlx::Connection;
    let Ok(mut admin) = sqlx::PgConnection::connect(&helpers::postgres_admin_url()).await else {
        return;
    };
    for raw in urls.iter().filter(|u| u.starts_with("postgres")) {
        let Ok(url) = url::Url::parse(raw) else {
            continue;
        };
        let name = url.path().trim_start_matches('/');
        if name.starts_with("adv_test_") {
            let sql = format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#);
            if let Err(err) = sqlx::raw_sql(&sql).execute(&mut admin).await {
                eprintln!("could not drop {name}: {err}");
            }
        }
    }
}

fn runs(runs: &[Run]) -> String {
    runs.iter()
        .map(|r| format!("{:.0}", r.rate))
        .collect::<Vec<_>>()
        .join(", ")
}
