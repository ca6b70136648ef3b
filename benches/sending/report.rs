//! The benchmark's figures: per-round measurements, their medians and ratios, and the report
//! printed at the end.

use crate::events;
use crate::{CONCURRENCY, MESSAGES, PER_SUBMISSION, REQUESTS, ROUNDS};
use advocate_test_support::figures::median;
use std::time::Duration;

fn goal(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "NOT met"
    }
}

/// One round of HTTP requests.
pub struct Http {
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Answers other than the expected status.
    pub unexpected: usize,
    /// Status and body of the first few unexpected answers.
    pub samples: Vec<String>,
}

/// Medians of the rounds of one kind of request.
#[derive(Default)]
pub struct HttpRounds {
    pub rps: Vec<f64>,
    pub p50: Vec<f64>,
    pub p99: Vec<f64>,
    pub unexpected: usize,
    pub samples: Vec<String>,
}

impl HttpRounds {
    pub fn push(&mut self, h: Http) {
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

pub struct SubmissionFigures {
    pub backend: &'static str,
    pub db_url: String,
    pub healthz: HttpRounds,
    pub draft: HttpRounds,
    pub send: HttpRounds,
    pub targets: usize,
    /// Confirmation emails the app's worker delivered to the stub, of the submissions made.
    pub confirmations: usize,
    pub submissions: usize,
    pub drained_in: Option<Duration>,
    pub events: events::Snapshot,
}

/// One delivery run.
#[derive(Default, Clone, Copy)]
pub struct Run {
    pub rate: f64,
    pub delivered: usize,
    pub avg_bytes: f64,
    /// SMTP connections the sink accepted.
    pub connections: usize,
    /// Worker runs: passes, `Err` results of `pass`, and outcomes not recorded (a failed
    /// `finish_mails`, which `pass` logs and swallows).
    pub passes: usize,
    pub pass_errors: usize,
    pub unrecorded: usize,
    pub retrying: usize,
    pub failed: usize,
    /// Database work alone: time spent claiming, and recording outcomes.
    pub claim_secs: f64,
    pub finish_secs: f64,
}

pub struct DeliveryFigures {
    pub backend: &'static str,
    pub db_url: String,
    pub sequential: Vec<Run>,
    pub concurrent: Vec<Run>,
    pub worker: Vec<Run>,
    pub store_only: Vec<Run>,
    pub batch_size: u32,
    pub concurrency: u32,
    pub pool_size: u32,
    pub events: events::Snapshot,
}

/// Prints the whole report: the sink check, then each backend's submission and delivery
/// figures beside their baselines.
pub fn print(sink_check: &str, subs: &[SubmissionFigures], dels: &[DeliveryFigures]) {
    println!("{sink_check}");
    print_submissions(subs);
    print_delivery(dels);
}

fn print_submissions(subs: &[SubmissionFigures]) {
    println!(
        "submissions benchmark: {REQUESTS} requests x {ROUNDS} rounds each, {CONCURRENCY} in flight, \
         full directory, the app's worker sending confirmations to the sink (medians of {ROUNDS} rounds)"
    );
    for s in subs {
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
}

fn print_delivery(dels: &[DeliveryFigures]) {
    let per = |runs: &[Run]| median(runs.iter().map(|r| r.rate).collect());
    println!();
    println!(
        "delivery benchmark: {MESSAGES} messages per run ({} submissions x {PER_SUBMISSION}), \
         a fresh loopback sink per run (medians of {ROUNDS} runs)",
        MESSAGES / PER_SUBMISSION
    );
    let mut all_met = true;
    for d in dels {
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
}

fn runs(runs: &[Run]) -> String {
    runs.iter()
        .map(|r| format!("{:.0}", r.rate))
        .collect::<Vec<_>>()
        .join(", ")
}
