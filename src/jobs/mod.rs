//! Jobs that must run in exactly one instance at a time: the retention purge (in `serve` and
//! `advocate worker`) and the directory sync (in `serve`).
//!
//! On PostgreSQL every instance runs a [`Singleton`] per job that contends for the job's
//! session-level advisory lock every `jobs.retry_secs`, on a connection of its own ([`lock`]).
//! The holder checks that connection every `jobs.health_check_secs` (each check bounded by as
//! much); when it dies (the holder's database session was terminated, the network cut) the job
//! stops and the instance contends again, so another instance takes over within about
//! `jobs.retry_secs` of the holder's death. On SQLite the only instance just runs them.
//!
//! Every run is recorded in `job_runs` (job, instance, start, end, outcome). When a job is due
//! comes from that record, not from memory: a new holder waits until the last run, whoever ran
//! it, is one interval old, so "once per interval" holds across a hand-over.

pub mod directory;
mod lock;

pub use directory::{
    directory_state, DirectoryGate, DirectoryLoading, DirectoryState, DirectorySync,
};
pub use lock::{Lock, LockError};

use crate::config::JobSettings;
use crate::outbox::Purger;
use crate::store::{JobRun, Store, StoreError};
use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// The singleton jobs, by the name `job_runs.job` records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    Purge,
    DirectorySync,
}

impl Job {
    /// The name in `job_runs.job`.
    pub fn name(&self) -> &'static str {
        match self {
            Job::Purge => "purge",
            Job::DirectorySync => "directory_sync",
        }
    }

    /// The job's advisory lock key: "advo" in the high 32 bits (pg_locks' `classid`), the job's
    /// number in the low (`objid`).
    pub fn lock_key(&self) -> i64 {
        const BASE: i64 = 0x6164_766f << 32;
        BASE + match self {
            Job::Purge => 1,
            Job::DirectorySync => 2,
        }
    }

    /// The `application_name` of the connection that holds the job's lock.
    pub fn application_name(&self) -> String {
        format!("advocate job {}", self.name())
    }
}

/// This process's name in `job_runs.instance`: host, process id and a random suffix (two
/// applications in one process, as in tests, get two names).
pub fn instance_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_string());
    let host: String = host.chars().take(64).collect();
    format!(
        "{host}-{}-{:06x}",
        std::process::id(),
        rand::random::<u32>() & 0xff_ffff
    )
}

/// The current time in unix epoch seconds.
pub fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

/// What a singleton job does, and when.
#[async_trait]
pub trait Work: Send + Sync {
    fn job(&self) -> Job;

    /// When the next run is due (unix epoch seconds), given the job's latest run; `None`: not
    /// scheduled (asked again every `jobs.health_check_secs`).
    async fn due(&self, last: Option<&JobRun>) -> Result<Option<i64>, StoreError>;

    /// Runs once: what `job_runs.outcome` records (`Err`: the reason it failed, recorded as
    /// `failed: <reason>`; never a secret).
    async fn run(&self) -> Result<String, String>;
}

#[async_trait]
impl Work for Purger {
    fn job(&self) -> Job {
        Job::Purge
    }

    async fn due(&self, last: Option<&JobRun>) -> Result<Option<i64>, StoreError> {
        let every = i64::try_from(self.interval().as_secs()).unwrap_or(i64::MAX);
        Ok(Some(match last {
            Some(run) => run.started_at.saturating_add(every),
            None => now_secs(),
        }))
    }

    async fn run(&self) -> Result<String, String> {
        match self.purge().await {
            Ok(report) => Ok(format!(
                "ok: {} expired submissions, {} mail texts, {} supporters, {} draft links",
                report.submissions.expired_submissions,
                report.submissions.mail_texts,
                report.submissions.supporters,
                report.draft_links
            )),
            Err(err) => Err(err.to_string()),
        }
    }
}

/// How a spell of holding a job ended.
enum Held {
    /// The instance is stopping.
    Stopped,
    /// The lock's connection died: contend again.
    Lost,
}

/// One job, run in one instance at a time.
pub struct Singleton {
    store: Store,
    instance: Arc<str>,
    settings: JobSettings,
    work: Arc<dyn Work>,
}

impl Singleton {
    pub fn new(
        store: Store,
        instance: Arc<str>,
        settings: &JobSettings,
        work: Arc<dyn Work>,
    ) -> Singleton {
        Singleton {
            store,
            instance,
            settings: settings.clone(),
            work,
        }
    }

    fn health_every(&self) -> Duration {
        Duration::from_secs(self.settings.health_check_secs.max(1))
    }

    /// Contends for the job until `stop` turns true; runs it while holding it.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let job = self.work.job();
        let retry = Duration::from_secs(self.settings.retry_secs.max(1));
        loop {
            if *stop.borrow() {
                return;
            }
            let held = match &self.store {
                Store::Sqlite(_) => Some(None),
                Store::Postgres(pool) => {
                    let name = job.application_name();
                    match Lock::try_take(pool, job.lock_key(), &name, self.health_every()).await {
                        Ok(Some(lock)) => Some(Some(lock)),
                        Ok(None) => None,
                        Err(err) => {
                            tracing::warn!(job = job.name(), error = %err, "cannot contend for the job");
                            None
                        }
                    }
                }
            };
            if let Some(lock) = held {
                tracing::info!(job = job.name(), instance = %self.instance, "holding the job");
                match self.hold(lock, &mut stop).await {
                    Held::Stopped => return,
                    Held::Lost => tracing::warn!(
                        job = job.name(),
                        instance = %self.instance,
                        "the job's lock connection failed: the job stopped here, contending again"
                    ),
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(retry) => {}
                _ = stop.changed() => return,
            }
        }
    }

    /// Runs the job whenever it is due, checking the lock's connection meanwhile.
    async fn hold(&self, mut lock: Option<Lock>, stop: &mut watch::Receiver<bool>) -> Held {
        let health = self.health_every();
        let job = self.work.job();
        loop {
            let due = match self.store.last_job_run(job.name()).await {
                Ok(last) => self.work.due(last.as_ref()).await,
                Err(err) => Err(err),
            };
            let wait = match due {
                Ok(Some(at)) => u64::try_from(at.saturating_sub(now_secs())).unwrap_or(0),
                Ok(None) => health.as_secs(),
                Err(err) => {
                    tracing::warn!(job = job.name(), error = %err, "cannot tell when the job is due");
                    health.as_secs()
                }
            };
            if wait == 0 {
                // Still the holder, just before running (not only at the last tick).
                if let Some(l) = lock.as_mut() {
                    if !l.healthy().await {
                        return Held::Lost;
                    }
                }
                if let Some(held) = self.run_once(&mut lock, stop).await {
                    if let Held::Stopped = held {
                        release(lock).await;
                    }
                    return held;
                }
                continue;
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(wait).min(health)) => {}
                _ = stop.changed() => {
                    release(lock).await;
                    return Held::Stopped;
                }
            }
            if let Some(l) = lock.as_mut() {
                if !l.healthy().await {
                    return Held::Lost;
                }
            }
        }
    }

    /// Records a run, runs the job and records how it ended; `Some` when the lock was lost or
    /// the instance is stopping (the run is then abandoned and recorded so).
    async fn run_once(
        &self,
        lock: &mut Option<Lock>,
        stop: &mut watch::Receiver<bool>,
    ) -> Option<Held> {
        let job = self.work.job();
        let started = now_secs();
        let id = match self
            .store
            .job_run_started(job.name(), &self.instance, started)
            .await
        {
            Ok(id) => id,
            Err(err) => {
                // No record, no run: "once per interval" is read from the record.
                tracing::warn!(job = job.name(), error = %err, "cannot record the job's run");
                tokio::select! {
                    _ = tokio::time::sleep(self.health_every()) => return None,
                    _ = stop.changed() => return Some(Held::Stopped),
                }
            }
        };
        let health = self.health_every();
        let lost = async {
            match lock.as_mut() {
                Some(l) => loop {
                    tokio::time::sleep(health).await;
                    if !l.healthy().await {
                        break;
                    }
                },
                None => std::future::pending::<()>().await,
            }
        };
        let (outcome, held) = tokio::select! {
            result = self.work.run() => {
                let outcome = match result {
                    Ok(outcome) => {
                        tracing::info!(job = job.name(), outcome = %outcome, "job ran");
                        outcome
                    }
                    Err(reason) => {
                        tracing::warn!(job = job.name(), reason = %reason, "job failed");
                        format!("failed: {reason}")
                    }
                };
                (outcome, None)
            }
            _ = lost => ("abandoned: the lock connection failed".to_string(), Some(Held::Lost)),
            _ = stop.changed() => ("abandoned: the instance stopped".to_string(), Some(Held::Stopped)),
        };
        if let Err(err) = self.store.job_run_finished(id, now_secs(), &outcome).await {
            tracing::warn!(job = job.name(), error = %err, "cannot record how the job ended");
        }
        held
    }
}

async fn release(lock: Option<Lock>) {
    if let Some(lock) = lock {
        lock.release().await;
    }
}
