//! `/metrics`: the Prometheus text format, read back by a grammar-based parser
//! (`openmetrics-parser`), who may read it (`metrics.allow`, `metrics.token`), and what it
//! counts. The recorder is one per process and every test's app shares it, so counters are
//! compared before and after (other tests only add to them); the outbox and pool gauges are
//! read from each app's own database at scrape time, so they are exact.

use advocate_test_support::{
    as_env, boston_app_with, emailable, send_request, sending_settings, spawn_app_with,
    status_and_text, TestApp, BOSTON,
};
use openmetrics_parser::{
    HistogramValue, MetricsExposition, PrometheusType, PrometheusValue, Sample,
};
use std::time::{Duration, Instant};

const TARGETS_ROUTE: &str = "/api/v1/campaigns/{slug}/targets";

/// A parsed scrape.
struct Scrape {
    text: String,
    parsed: MetricsExposition<PrometheusType, PrometheusValue>,
}

impl Scrape {
    fn parse(text: String) -> Scrape {
        let parsed = openmetrics_parser::prometheus::parse_prometheus(&text)
            .unwrap_or_else(|e| panic!("not the Prometheus text format ({e:?}):\n{text}"));
        Scrape { text, parsed }
    }

    /// The samples of `family` whose labels include every pair of `labels`.
    fn samples<'a>(
        &'a self,
        family: &str,
        labels: &'a [(&'a str, &'a str)],
    ) -> impl Iterator<Item = &'a Sample<PrometheusValue>> + 'a {
        self.parsed
            .families
            .get(family)
            .into_iter()
            .flat_map(|f| f.iter_samples())
            .filter(move |s| {
                let set = s.get_labelset().expect("labels");
                labels
                    .iter()
                    .all(|(k, v)| set.get_label_value(k) == Some(*v))
            })
    }

    /// The sum of the matching counters (0 when there are none yet).
    fn counter(&self, family: &str, labels: &[(&str, &str)]) -> f64 {
        self.samples(family, labels)
            .map(|s| match &s.value {
                PrometheusValue::Counter(c) => c.value.as_f64(),
                other => panic!("{family} is not a counter: {other:?}"),
            })
            .sum()
    }

    fn gauge(&self, family: &str, labels: &[(&str, &str)]) -> f64 {
        let values: Vec<f64> = self
            .samples(family, labels)
            .map(|s| match &s.value {
                PrometheusValue::Gauge(n) => n.as_f64(),
                other => panic!("{family} is not a gauge: {other:?}"),
            })
            .collect();
        assert_eq!(values.len(), 1, "one {family} {labels:?} in\n{}", self.text);
        values[0]
    }

    fn histogram(&self, family: &str, labels: &[(&str, &str)]) -> Option<HistogramValue> {
        self.samples(family, labels).next().map(|s| match &s.value {
            PrometheusValue::Histogram(h) => h.clone(),
            other => panic!("{family} is not a histogram: {other:?}"),
        })
    }

    fn histogram_count(&self, family: &str, labels: &[(&str, &str)]) -> u64 {
        self.histogram(family, labels)
            .and_then(|h| h.count)
            .unwrap_or(0)
    }

    /// Every label value in the scrape.
    fn label_values(&self) -> Vec<String> {
        self.parsed
            .families
            .values()
            .flat_map(|f| f.iter_samples())
            .flat_map(|s| {
                let set = s.get_labelset().expect("labels");
                set.iter_values().cloned().collect::<Vec<_>>()
            })
            .collect()
    }
}

/// A scrape that must succeed (200), parsed.
async fn scrape(app: &TestApp) -> Scrape {
    let res = app.metrics_with(&[]).await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    assert!(res.headers()["content-type"]
        .to_str()
        .expect("content type")
        .starts_with("text/plain; version=0.0.4"));
    Scrape::parse(res.text().await.expect("body"))
}

fn requests(route: &str, status: &str) -> [(&'static str, String); 3] {
    [
        ("method", "GET".to_string()),
        ("route", route.to_string()),
        ("status", status.to_string()),
    ]
}

fn borrowed<'a>(pairs: &'a [(&'a str, String)]) -> Vec<(&'a str, &'a str)> {
    pairs.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[tokio::test]
async fn from_loopback_the_scrape_parses_and_counts_requests_by_route_pattern() {
    let (app, _census) = boston_app_with(&[]).await;
    let before = scrape(&app).await;
    let targets_ok = requests(TARGETS_ROUTE, "200");
    let home_ok = requests("/", "200");
    let unmatched = requests("unmatched", "404");
    let census_matched = [("provider", "census"), ("outcome", "matched")];

    let (status, body) = app.lookup_address(BOSTON).await;
    assert_eq!(status, 200, "{body}");
    // The same address again: answered from the lookup cache.
    let (status, _) = app.lookup_address(BOSTON).await;
    assert_eq!(status, 200);
    let (status, _) = app.get_page("/").await;
    assert_eq!(status, 200);
    let (status, _) = app.get_page("/no/such/page/unguessable-4711").await;
    assert_eq!(status, 404);

    let after = scrape(&app).await;
    let grew = |family: &str, labels: &[(&str, &str)], by: f64| {
        let (b, a) = (
            before.counter(family, labels),
            after.counter(family, labels),
        );
        assert!(
            a >= b + by,
            "{family} {labels:?}: {b} -> {a}\n{}",
            after.text
        );
    };
    grew("advocate_http_requests_total", &borrowed(&targets_ok), 2.0);
    grew("advocate_http_requests_total", &borrowed(&home_ok), 1.0);
    grew("advocate_http_requests_total", &borrowed(&unmatched), 1.0);
    grew("advocate_lookups_total", &census_matched, 1.0);
    grew("advocate_lookup_cache_hits_total", &[], 1.0);

    // The latency histogram of the lookup's route has its buckets, up to +Inf.
    let route = [("method", "GET"), ("route", TARGETS_ROUTE)];
    let histogram = after
        .histogram("advocate_http_request_duration_seconds", &route)
        .expect("a histogram for the targets route");
    assert!(histogram.buckets.len() >= 5, "{histogram:?}");
    assert!(histogram
        .buckets
        .iter()
        .any(|b| b.upper_bound.is_infinite()));
    assert!(
        after.histogram_count("advocate_http_request_duration_seconds", &route)
            >= before.histogram_count("advocate_http_request_duration_seconds", &route) + 2
    );

    // Gauges read from this app's database and pool.
    for status in ["held", "queued", "sending", "sent", "failed"] {
        assert_eq!(
            after.gauge("advocate_outbox_messages", &[("status", status)]),
            0.0
        );
    }
    let in_use = after.gauge("advocate_db_pool_connections", &[("state", "in_use")]);
    let idle = after.gauge("advocate_db_pool_connections", &[("state", "idle")]);
    assert!(
        in_use + idle >= 1.0 && in_use + idle <= 4.0,
        "{in_use} {idle}"
    );

    // Labels hold patterns and fixed words, never a path or an address.
    for value in after.label_values() {
        assert!(
            !value.contains("unguessable") && !value.to_lowercase().contains("beacon"),
            "label value {value:?}"
        );
    }
    assert!(!after.text.contains("end-qualified-immunity/targets"));
}

#[tokio::test]
async fn outside_metrics_allow_only_the_token_opens_the_scrape() {
    let app = spawn_app_with(&[
        ("ADVOCATE__METRICS__ALLOW", "10.0.0.0/8"),
        ("ADVOCATE__METRICS__TOKEN", "metrics-s3cret"),
    ])
    .await;

    for headers in [
        vec![],
        vec![("Authorization", "Bearer wrong")],
        vec![("Authorization", "Bearer metrics-s3cre")],
        vec![("Authorization", "Basic metrics-s3cret")],
        // Forwarding headers count only from a trusted proxy, and there is none.
        vec![("X-Forwarded-For", "10.1.2.3")],
    ] {
        let res = app.metrics_with(&headers).await;
        assert_eq!(res.headers()["cache-control"], "no-store");
        let (status, body) = status_and_text(res).await;
        assert_eq!(status, 403, "{headers:?}");
        assert!(body.contains("metrics.allow"), "{body}");
        assert!(!body.contains("advocate_"), "{body}");
    }

    let res = app
        .metrics_with(&[("Authorization", "Bearer metrics-s3cret")])
        .await;
    let (status, body) = status_and_text(res).await;
    assert_eq!(status, 200);
    let scrape = Scrape::parse(body);
    assert!(scrape
        .parsed
        .families
        .contains_key("advocate_db_pool_connections"));
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_client_is_checked() {
    let app = spawn_app_with(&[
        ("ADVOCATE__METRICS__ALLOW", "10.0.0.0/8"),
        ("ADVOCATE__SERVER__TRUSTED_PROXIES", "127.0.0.1"),
    ])
    .await;
    let res = app.metrics_with(&[("X-Forwarded-For", "10.1.2.3")]).await;
    assert_eq!(res.status().as_u16(), 200);
    Scrape::parse(res.text().await.expect("body"));
    let res = app.metrics_with(&[("X-Forwarded-For", "192.0.2.1")]).await;
    assert_eq!(res.status().as_u16(), 403);
    // No token is configured: no token opens it.
    let res = app
        .metrics_with(&[
            ("X-Forwarded-For", "192.0.2.1"),
            ("Authorization", "Bearer "),
        ])
        .await;
    assert_eq!(res.status().as_u16(), 403);
}

#[tokio::test]
async fn the_outbox_gauge_counts_a_submission_and_failed_sends_are_counted() {
    // A relay nobody listens on: every send is a temporary failure, retried.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let relay = format!(
        "smtp://127.0.0.1:{}",
        closed.local_addr().expect("addr").port()
    );
    drop(closed);
    let mut settings = sending_settings(&relay);
    settings.push(("ADVOCATE__OUTBOX__MAX_ATTEMPTS", "1000".to_string()));
    let (app, _census) = boston_app_with(&as_env(&settings)).await;
    let before = scrape(&app).await;
    let retried = [("outcome", "retry")];
    let temporary = [("result", "temporary")];

    let (targets, _) = app.boston_targets().await;
    let (send_ids, _) = emailable(&targets);
    let (status, body) = app.post_message(&send_request(&send_ids)).await;
    assert_eq!(status, 202, "{body}");

    let started = Instant::now();
    loop {
        let now = scrape(&app).await;
        // The messages wait for the supporter's confirmation; the confirmation itself is
        // queued or being tried.
        assert_eq!(
            now.gauge("advocate_outbox_messages", &[("status", "held")]),
            send_ids.len() as f64
        );
        let pending = now.gauge("advocate_outbox_messages", &[("status", "queued")])
            + now.gauge("advocate_outbox_messages", &[("status", "sending")]);
        assert_eq!(pending, 1.0, "{}", now.text);
        assert_eq!(
            now.gauge("advocate_outbox_messages", &[("status", "sent")]),
            0.0
        );
        let sends_grew = now.counter("advocate_sends_total", &retried)
            > before.counter("advocate_sends_total", &retried);
        let timed = now.histogram_count("advocate_smtp_send_duration_seconds", &temporary)
            > before.histogram_count("advocate_smtp_send_duration_seconds", &temporary);
        if sends_grew && timed {
            let h = now
                .histogram("advocate_smtp_send_duration_seconds", &temporary)
                .expect("histogram");
            assert!(h.buckets.len() >= 5, "{h:?}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no retry counted:\n{}",
            now.text
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
