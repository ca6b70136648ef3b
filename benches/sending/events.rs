//! Warnings and errors the service logs while the benchmark runs (a database busy error would
//! show here): a `tracing` layer that counts them and keeps the first few.

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

/// Installs the counter as the process's subscriber (WARN and above).
pub fn install() {
    use tracing_subscriber::filter::LevelFilter;
    use tracing_subscriber::prelude::*;
    tracing_subscriber::registry()
        .with(Counter.with_filter(LevelFilter::WARN))
        .init();
}
