//! Warm-cache lookup throughput against the Census stand-in, beside a bare actix-web handler
//! answering fixed JSON, measured in the same run on the same machine.
//!
//! Run with `scripts/bench` (or `cargo bench --bench lookup`). Every loop is bounded in count
//! and time, and all traffic stays on loopback.

use actix_web::{web, App, HttpResponse, HttpServer};
use advocate_test_support::figures::{median, percentile_ms};
use advocate_test_support::{boston_census, calls, spawn_app_with, CAMPAIGN};
use serde_json::json;
use std::time::{Duration, Instant};

const DISTINCT: usize = 100;
const REQUESTS: usize = 1_000;
const CONCURRENCY: usize = 8;
const TIME_BOUND: Duration = Duration::from_secs(120);

struct Figures {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
}

/// Sends `urls` round-robin, `REQUESTS` in all, `CONCURRENCY` at a time; stops at `TIME_BOUND`.
async fn measure(client: &reqwest::Client, urls: &[String]) -> Figures {
    let started = Instant::now();
    let mut latencies: Vec<Duration> = Vec::with_capacity(REQUESTS);
    let mut next = 0usize;
    while next < REQUESTS && started.elapsed() < TIME_BOUND {
        let batch: Vec<String> = (next..(next + CONCURRENCY).min(REQUESTS))
            .map(|i| urls[i % urls.len()].clone())
            .collect();
        next += batch.len();
        let futures = batch.into_iter().map(|u| {
            let client = client.clone();
            async move {
                let t = Instant::now();
                let res = client.get(&u).send().await;
                let ok = matches!(&res, Ok(r) if r.status().is_success());
                if let Ok(r) = res {
                    let _ = r.bytes().await;
                }
                (ok, t.elapsed())
            }
        });
        for (ok, latency) in futures_util::future::join_all(futures).await {
            assert!(ok, "a request failed during the benchmark");
            latencies.push(latency);
        }
    }
    let total = started.elapsed();
    latencies.sort();
    Figures {
        rps: latencies.len() as f64 / total.as_secs_f64(),
        p50_ms: percentile_ms(&latencies, 0.50),
        p99_ms: percentile_ms(&latencies, 0.99),
    }
}

#[actix_web::main]
async fn main() {
    // The Census stand-in answers every address with one Boston match.
    let census = boston_census().await;
    let app = spawn_app_with(&[
        ("ADVOCATE__CIVIC__CENSUS_URL", &census.uri()),
        // The benchmark is one client; lift the per-client lookup limit out of the way.
        ("ADVOCATE__LIMITS__LOOKUPS_PER_MINUTE", "1000000"),
    ])
    .await;
    app.import_full_directory().await;

    // Baseline: a bare actix-web handler answering fixed JSON.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let bare_port = listener.local_addr().expect("addr").port();
    let bare = HttpServer::new(|| {
        App::new().route(
            "/",
            web::get()
                .to(|| async { HttpResponse::Ok().json(json!({"state": "MA", "targets": []})) }),
        )
    })
    .workers(2)
    .listen(listener)
    .expect("listen")
    .run();
    tokio::spawn(bare);

    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .expect("client");
    let lookups: Vec<String> = (0..DISTINCT)
        .map(|i| {
            app.url(&format!(
                "{CAMPAIGN}/targets?address={}+Beacon+St%2C+Boston%2C+MA+02133",
                i + 1
            ))
        })
        .collect();
    let bare_urls = vec![format!("http://127.0.0.1:{bare_port}/")];

    // Warm the cache: one lookup per distinct address.
    for u in &lookups {
        let res = client.get(u).send().await.expect("warm-up request");
        assert!(
            res.status().is_success(),
            "warm-up failed: {}",
            res.status()
        );
    }
    let upstream_after_warm = calls(&census).await;

    // Where the time goes: the scorecard alone (no lookup).
    let scorecard_urls = vec![app.url(&format!("{CAMPAIGN}/scorecards/MA"))];
    let sc = measure(&client, &scorecard_urls).await;
    println!(
        "  (scorecard endpoint alone: {:.0} req/s, p50 {:.2} ms)",
        sc.rps, sc.p50_ms
    );

    let (mut warm, mut base) = (Vec::new(), Vec::new());
    let (mut warm_p50, mut warm_p99, mut base_p50, mut base_p99) = (vec![], vec![], vec![], vec![]);
    for _round in 0..3 {
        let b = measure(&client, &bare_urls).await;
        let w = measure(&client, &lookups).await;
        base.push(b.rps);
        base_p50.push(b.p50_ms);
        base_p99.push(b.p99_ms);
        warm.push(w.rps);
        warm_p50.push(w.p50_ms);
        warm_p99.push(w.p99_ms);
    }
    let upstream_total = calls(&census).await;

    let (w, b) = (median(warm), median(base));
    println!("lookup benchmark: {REQUESTS} requests x 3 rounds, {CONCURRENCY} in flight, {DISTINCT} distinct addresses (medians of 3 rounds)");
    println!(
        "  bare actix-web handler : {b:9.0} req/s  p50 {:6.2} ms  p99 {:6.2} ms",
        median(base_p50),
        median(base_p99)
    );
    println!(
        "  warm targets lookup    : {w:9.0} req/s  p50 {:6.2} ms  p99 {:6.2} ms",
        median(warm_p50),
        median(warm_p99)
    );
    println!(
        "  ratio (lookup / bare)  : {:.1}%  (goal >= 40%)",
        100.0 * w / b
    );
    println!(
        "  upstream calls         : {upstream_after_warm} for {DISTINCT} distinct addresses while warming; {} more over {} warm lookups (goal: 0, calls = distinct addresses)",
        upstream_total - upstream_after_warm,
        3 * REQUESTS
    );
}
