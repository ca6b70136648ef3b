//! The directory keeping itself fresh: a singleton job that syncs an empty directory at once
//! (`directory.sync_on_start`), again every `directory.resync_days`, and when staff ask
//! (`/staff/directory`); a failed sync is retried with exponential backoff
//! (`directory.retry_min_secs` doubling up to `directory.retry_max_secs`). Every sync is all or
//! nothing, and records what it changed (`Store::replace_directory`).
//!
//! Until a first directory is there, [`DirectoryGate`] answers lookups "loading" (503), and
//! [`directory_state`] tells `/readyz` and the staff page where things stand, in every instance
//! (from the database, whichever instance syncs).

use super::{now_secs, Job, Work};
use crate::config::DirectorySettings;
use crate::directory::DirectoryStatus;
use crate::store::{JobRun, Store, StoreError};
use async_trait::async_trait;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Runs read to count the failures in a row behind a backoff.
const RUNS_READ: u32 = 32;

/// The directory sync as a singleton job.
pub struct DirectorySync {
    store: Store,
    settings: DirectorySettings,
}

impl DirectorySync {
    pub fn new(store: Store, settings: &DirectorySettings) -> DirectorySync {
        DirectorySync {
            store,
            settings: settings.clone(),
        }
    }
}

/// The wait after `failures` failed syncs in a row: `min * 2^(failures-1)`, at most `max`.
pub fn backoff_secs(failures: usize, min: u64, max: u64) -> u64 {
    let doublings = u32::try_from(failures.saturating_sub(1))
        .unwrap_or(u32::MAX)
        .min(40);
    min.saturating_mul(1u64 << doublings).min(max)
}

#[async_trait]
impl Work for DirectorySync {
    fn job(&self) -> Job {
        Job::DirectorySync
    }

    async fn due(&self, _last: Option<&JobRun>) -> Result<Option<i64>, StoreError> {
        let job = Job::DirectorySync.name();
        let now = now_secs();
        if let Some(at) = self.store.job_requested(job).await? {
            return Ok(Some(at.min(now)));
        }
        let status = self.store.directory_status().await?;
        if status.is_none() && !self.settings.sync_on_start {
            return Ok(None);
        }
        let runs = self.store.job_runs(job, RUNS_READ).await?;
        let failures = runs.iter().take_while(|r| r.failed()).count();
        if let Some(last) = runs.first().filter(|_| failures > 0) {
            let wait = backoff_secs(
                failures,
                self.settings.retry_min_secs,
                self.settings.retry_max_secs,
            );
            let from = last.finished_at.unwrap_or(last.started_at);
            return Ok(Some(
                from.saturating_add(i64::try_from(wait).unwrap_or(i64::MAX)),
            ));
        }
        Ok(match status {
            None => Some(now),
            Some(_) if self.settings.resync_days == 0 => None,
            Some(s) => {
                let days = i64::try_from(self.settings.resync_days).unwrap_or(i64::MAX);
                Some(
                    s.synced_at
                        .timestamp()
                        .saturating_add(days.saturating_mul(86_400)),
                )
            }
        })
    }

    async fn run(&self) -> Result<String, String> {
        let job = Job::DirectorySync.name();
        if let Err(err) = self.store.job_request_served(job, now_secs()).await {
            tracing::warn!(error = %err, "cannot mark the directory sync request as served");
        }
        let now = chrono::Utc::now();
        tracing::info!("directory sync started");
        let directory = crate::directory::sync(&self.settings, now, now.date_naive())
            .await
            .map_err(|e| e.to_string())?;
        let report = self
            .store
            .replace_directory(&directory)
            .await
            .map_err(|e| format!("storing the directory failed: {e}"))?;
        Ok(format!(
            "ok: {} legislators, {} ZIP rows",
            report.legislators, report.zip_rows
        ))
    }
}

/// Where the directory stands, as every instance sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirectoryState {
    /// Present and younger than `directory.max_age_days`.
    Ready(DirectoryStatus),
    /// Present but older than `directory.max_age_days`.
    Stale(DirectoryStatus),
    /// None yet; the start-up sync is on its way (or waiting for an instance to take it).
    Loading,
    /// None yet; the last sync failed for `reason` and is retried with backoff.
    Failed { reason: String, at: i64 },
    /// None, and no sync will load one by itself (`directory.sync_on_start` is off).
    Empty,
}

impl DirectoryState {
    /// `ready`, `stale`, `loading`, `failed` or `empty`.
    pub fn name(&self) -> &'static str {
        match self {
            DirectoryState::Ready(_) => "ready",
            DirectoryState::Stale(_) => "stale",
            DirectoryState::Loading => "loading",
            DirectoryState::Failed { .. } => "failed",
            DirectoryState::Empty => "empty",
        }
    }
}

/// The directory's state: from the last sync stored, and without one, from the sync job's last
/// run.
pub async fn directory_state(
    store: &Store,
    settings: &DirectorySettings,
) -> Result<DirectoryState, StoreError> {
    if let Some(status) = store.directory_status().await? {
        return Ok(
            if status.is_stale(settings.max_age_days, chrono::Utc::now()) {
                DirectoryState::Stale(status)
            } else {
                DirectoryState::Ready(status)
            },
        );
    }
    let last = store.last_job_run(Job::DirectorySync.name()).await?;
    Ok(match last {
        Some(run) if run.failed() => DirectoryState::Failed {
            reason: run
                .outcome
                .as_deref()
                .and_then(|o| o.strip_prefix("failed:"))
                .unwrap_or("unknown")
                .trim()
                .to_string(),
            at: run.finished_at.unwrap_or(run.started_at),
        },
        _ if settings.sync_on_start => DirectoryState::Loading,
        _ => DirectoryState::Empty,
    })
}

/// Holds lookups back while the start-up sync loads an empty directory: with
/// `directory.sync_on_start` on, a lookup before the first directory is stored is answered
/// "loading" (503 with `Retry-After`). Once a directory is seen it stays open (a sync replaces
/// the directory whole, never empties it).
#[derive(Debug)]
pub struct DirectoryGate {
    enabled: bool,
    open: AtomicBool,
}

/// A lookup asked before the directory is there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the legislator directory is loading; please try again in a minute")]
pub struct DirectoryLoading;

impl DirectoryLoading {
    /// The `Retry-After` answered with it.
    pub const RETRY_AFTER: Duration = Duration::from_secs(30);
}

impl DirectoryGate {
    pub fn new(settings: &DirectorySettings) -> DirectoryGate {
        DirectoryGate {
            enabled: settings.sync_on_start,
            open: AtomicBool::new(false),
        }
    }

    /// Open when the gate is off or a directory is stored; each check before then asks the
    /// database (one short query, bounded by two seconds).
    pub async fn check(&self, store: &Store) -> Result<(), DirectoryLoading> {
        if !self.enabled || self.open.load(Ordering::Relaxed) {
            return Ok(());
        }
        match tokio::time::timeout(Duration::from_secs(2), store.directory_status()).await {
            Ok(Ok(Some(_))) => {
                self.open.store(true, Ordering::Relaxed);
                Ok(())
            }
            Ok(Ok(None)) => Err(DirectoryLoading),
            // The lookup itself will report an unavailable database.
            Ok(Err(_)) | Err(_) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::backoff_secs;

    #[test]
    fn the_backoff_doubles_from_the_minimum_up_to_the_maximum() {
        let waits: Vec<u64> = (1..=8).map(|n| backoff_secs(n, 30, 1800)).collect();
        assert_eq!(waits, [30, 60, 120, 240, 480, 960, 1800, 1800]);
        assert_eq!(backoff_secs(10_000, 30, 1800), 1800);
        assert_eq!(backoff_secs(0, 30, 1800), 30);
    }
}
