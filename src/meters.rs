//! Metrics: the names and labels of everything the service counts, the calls the services make
//! to count it (through the `metrics` facade), and the Prometheus recorder that `/metrics`
//! renders (`web::metrics`).
//!
//! One recorder per process (the facade's recorder is global), installed by the first
//! `Application` and shared by any other (tests run several in one process). Values that
//! belong to the database rather than to the process (the outbox by status, the pool) are read
//! at scrape time and rendered beside the recorder's, so every instance sharing a database
//! reports the same outbox.
//!
//! No label carries personal data, an address, a token or a raw path: labels are provider
//! names, fixed outcomes, status codes, HTTP methods and route *patterns*.

use metrics::Unit;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::fmt::Write as _;
use std::sync::OnceLock;
use std::time::Duration;

pub const HTTP_REQUESTS: &str = "advocate_http_requests_total";
pub const HTTP_DURATION: &str = "advocate_http_request_duration_seconds";
pub const LOOKUPS: &str = "advocate_lookups_total";
pub const LOOKUP_CACHE_HITS: &str = "advocate_lookup_cache_hits_total";
pub const SENDS: &str = "advocate_sends_total";
pub const SMTP_DURATION: &str = "advocate_smtp_send_duration_seconds";
pub const OUTBOX_MESSAGES: &str = "advocate_outbox_messages";
pub const DB_POOL: &str = "advocate_db_pool_connections";

const HTTP_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
const SMTP_BUCKETS: &[f64] = &[0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];
/// How often histograms are drained into their buckets between scrapes.
const UPKEEP: Duration = Duration::from_secs(5);

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's recorder, installed on first use.
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(install)
}

fn install() -> PrometheusHandle {
    let builder = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full(HTTP_DURATION.into()), HTTP_BUCKETS)
        .and_then(|b| b.set_buckets_for_metric(Matcher::Full(SMTP_DURATION.into()), SMTP_BUCKETS));
    let handle = match builder {
        Ok(builder) => match builder.install_recorder() {
            Ok(handle) => handle,
            Err(err) => {
                // Another recorder owns the facade: /metrics still answers, with what this
                // module renders at scrape time.
                tracing::warn!(error = %err, "metrics recorder not installed");
                PrometheusBuilder::new().build_recorder().handle()
            }
        },
        Err(err) => {
            tracing::warn!(error = %err, "metrics buckets refused");
            PrometheusBuilder::new().build_recorder().handle()
        }
    };
    describe();
    let upkeep = handle.clone();
    let spawned = std::thread::Builder::new()
        .name("metrics-upkeep".into())
        .spawn(move || loop {
            std::thread::sleep(UPKEEP);
            upkeep.run_upkeep();
        });
    if let Err(err) = spawned {
        tracing::warn!(error = %err, "metrics upkeep thread not started");
    }
    handle
}

fn describe() {
    metrics::describe_counter!(
        HTTP_REQUESTS,
        "HTTP requests answered, by method, route pattern and status"
    );
    metrics::describe_histogram!(
        HTTP_DURATION,
        Unit::Seconds,
        "Time to answer an HTTP request (to the response head), by method and route pattern"
    );
    metrics::describe_counter!(
        LOOKUPS,
        "Address lookups asked of each civic-data provider (and the ZIP crosswalk), by outcome"
    );
    metrics::describe_counter!(
        LOOKUP_CACHE_HITS,
        "Address lookups answered from the lookup cache"
    );
    metrics::describe_counter!(
        SENDS,
        "Delivery attempts recorded by the worker, by outcome (sent, retry, failed)"
    );
    metrics::describe_histogram!(
        SMTP_DURATION,
        Unit::Seconds,
        "Time of one SMTP send through the relay, by result (accepted, temporary, permanent)"
    );
    // Present from the start, so a rate over it is defined before the first hit.
    metrics::counter!(LOOKUP_CACHE_HITS).increment(0);
}

/// One answered HTTP request.
pub fn http_request(method: &'static str, route: &str, status: u16, elapsed: Duration) {
    metrics::counter!(
        HTTP_REQUESTS,
        "method" => method,
        "route" => route.to_string(),
        "status" => status.to_string()
    )
    .increment(1);
    metrics::histogram!(HTTP_DURATION, "method" => method, "route" => route.to_string())
        .record(elapsed.as_secs_f64());
}

/// How one provider (or the ZIP crosswalk) answered a lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LookupOutcome {
    Matched,
    Ambiguous,
    NoMatch,
    Error,
}

impl LookupOutcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            LookupOutcome::Matched => "matched",
            LookupOutcome::Ambiguous => "ambiguous",
            LookupOutcome::NoMatch => "no_match",
            LookupOutcome::Error => "error",
        }
    }
}

pub fn lookup(provider: &'static str, outcome: LookupOutcome) {
    metrics::counter!(LOOKUPS, "provider" => provider, "outcome" => outcome.as_str()).increment(1);
}

pub fn lookup_cache_hit() {
    metrics::counter!(LOOKUP_CACHE_HITS).increment(1);
}

/// A delivery attempt's recorded outcome: `sent`, `retry` or `failed`.
pub fn send(outcome: &'static str) {
    metrics::counter!(SENDS, "outcome" => outcome).increment(1);
}

/// One SMTP send: `accepted`, `temporary` or `permanent`, and how long it took.
pub fn smtp_send(result: &'static str, elapsed: Duration) {
    metrics::histogram!(SMTP_DURATION, "result" => result).record(elapsed.as_secs_f64());
}

/// Gauges read at scrape time, rendered in the Prometheus text format (one family each).
#[derive(Debug, Default)]
pub struct ScrapeGauges {
    /// Mails by status; `None` when the database did not answer (the family is left out).
    pub outbox: Option<Vec<(&'static str, i64)>>,
    /// The pool's connections in use and idle.
    pub pool: (u32, u32),
}

impl ScrapeGauges {
    pub fn render(&self, out: &mut String) {
        if let Some(outbox) = &self.outbox {
            family(
                out,
                OUTBOX_MESSAGES,
                "Mails in the outbox by status (held: waiting for the supporter's confirmation)",
            );
            for (status, n) in outbox {
                let _ = writeln!(out, "{OUTBOX_MESSAGES}{{status=\"{status}\"}} {n}");
            }
        }
        let (in_use, idle) = self.pool;
        family(out, DB_POOL, "Database pool connections by state");
        let _ = writeln!(out, "{DB_POOL}{{state=\"in_use\"}} {in_use}");
        let _ = writeln!(out, "{DB_POOL}{{state=\"idle\"}} {idle}");
    }
}

fn family(out: &mut String, name: &str, help: &str) {
    if !out.is_empty() && !out.ends_with("\n\n") {
        out.push('\n');
    }
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} gauge");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrape_gauges_render_one_family_each() {
        let gauges = ScrapeGauges {
            outbox: Some(vec![("held", 2), ("queued", 0)]),
            pool: (1, 3),
        };
        let mut out = String::from("# TYPE x counter\nx 1\n");
        gauges.render(&mut out);
        assert!(
            out.contains("\n\n# HELP advocate_outbox_messages "),
            "{out}"
        );
        assert!(out.contains("# TYPE advocate_outbox_messages gauge\n"));
        assert!(out.contains("advocate_outbox_messages{status=\"held\"} 2\n"));
        assert!(out.contains("advocate_db_pool_connections{state=\"in_use\"} 1\n"));
        assert!(out.contains("advocate_db_pool_connections{state=\"idle\"} 3\n"));

        let mut out = String::new();
        ScrapeGauges::default().render(&mut out);
        assert!(!out.contains(OUTBOX_MESSAGES), "{out}");
        assert!(
            out.starts_with("# HELP advocate_db_pool_connections"),
            "{out}"
        );
    }
}
