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
//!
//! `rig` starts the apps and makes the loads, `sink` is the SMTP sink, `events` counts what the
//! service logs, `report` turns the measurements into the printed figures.

mod events;
mod report;
mod rig;
mod sink;

use std::time::Duration;

/// The backends measured, one after the other.
const BACKENDS: [&str; 2] = ["sqlite", "postgres"];
/// Rounds of every measurement (the report gives their medians).
const ROUNDS: usize = 3;

/// Submissions: POSTs per round, and how many in flight.
const REQUESTS: usize = 500;
const CONCURRENCY: usize = 8;

/// Delivery: messages per run, made as submissions of this many messages each.
const MESSAGES: usize = 2_000;
const PER_SUBMISSION: usize = 5;

/// Bound on every measured loop and every setup loop.
const TIME_BOUND: Duration = Duration::from_secs(120);

#[tokio::main]
async fn main() {
    events::install();
    let sink_check = sink::probe_sinks().await;

    // The Census stand-in answers every address with one Boston match.
    let census = advocate_test_support::boston_census().await;
    let census_uri = census.uri();

    let mut subs = Vec::new();
    let mut dels = Vec::new();
    for backend in BACKENDS {
        // The support crate picks the backend of each new database from this variable.
        std::env::set_var("ADVOCATE_TEST_DATABASE", backend);
        let (s, real) = rig::submissions(backend, &census_uri).await;
        subs.push(s);
        dels.push(rig::delivery(backend, &census_uri, &real).await);
    }

    report::print(&sink_check, &subs, &dels);

    let urls: Vec<&str> = subs
        .iter()
        .map(|s| s.db_url.as_str())
        .chain(dels.iter().map(|d| d.db_url.as_str()))
        .collect();
    advocate_test_support::drop_databases(&urls).await;
}
