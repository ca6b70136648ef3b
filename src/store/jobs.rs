//! Singleton jobs in the database: the record of every run (`job_runs`), a job asked to run now
//! (`job_requests`), and what each directory sync changed (`directory_changes`).

use super::staff::append_audit;
use super::{in_transaction, on_pool, Store, StoreError};
use crate::staff::audit::NewAudit;

/// One run of a job, as `job_runs` holds it (times in unix epoch seconds).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct JobRun {
    pub id: i64,
    pub job: String,
    pub instance: String,
    pub started_at: i64,
    pub finished_at: Option<i64>,
    /// `None` while it runs (or when its instance died during it).
    pub outcome: Option<String>,
}

impl JobRun {
    /// Whether the run ended in failure (its outcome starts with `failed`).
    pub fn failed(&self) -> bool {
        self.outcome
            .as_deref()
            .is_some_and(|o| o.starts_with("failed"))
    }
}

/// What a directory sync changed for one legislator.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DirectoryChange {
    /// When the sync that made the change was stored (unix epoch seconds).
    pub synced_at: i64,
    /// `added`, `left` or `moved`.
    pub kind: String,
    pub legislator_id: String,
    pub name: String,
    pub state: String,
    pub chamber: String,
    pub old_district: Option<String>,
    pub new_district: Option<String>,
}

/// Outcomes are one line of at most this many characters.
const MAX_OUTCOME_CHARS: usize = 500;

impl Store {
    /// Records that `instance` started `job` at `started_at`; the run's id.
    pub async fn job_run_started(
        &self,
        job: &str,
        instance: &str,
        started_at: i64,
    ) -> Result<i64, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar(
                "INSERT INTO job_runs (job, instance, started_at) VALUES ($1, $2, $3) RETURNING id",
            )
            .bind(job)
            .bind(instance)
            .bind(started_at)
            .fetch_one(pool)
            .await?
        }))
    }

    /// Records how run `id` ended.
    pub async fn job_run_finished(
        &self,
        id: i64,
        finished_at: i64,
        outcome: &str,
    ) -> Result<(), StoreError> {
        let outcome: String = outcome
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .chars()
            .take(MAX_OUTCOME_CHARS)
            .collect();
        on_pool!(self, pool => {
            sqlx::query("UPDATE job_runs SET finished_at = $1, outcome = $2 WHERE id = $3")
                .bind(finished_at)
                .bind(&outcome)
                .bind(id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// The latest runs of `job`, newest first.
    pub async fn job_runs(&self, job: &str, limit: u32) -> Result<Vec<JobRun>, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id, job, instance, started_at, finished_at, outcome FROM job_runs \
                 WHERE job = $1 ORDER BY id DESC LIMIT $2",
            )
            .bind(job)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
        }))
    }

    /// The latest run of `job`.
    pub async fn last_job_run(&self, job: &str) -> Result<Option<JobRun>, StoreError> {
        Ok(self.job_runs(job, 1).await?.into_iter().next())
    }

    /// Asks for `job` to run as soon as its holder sees it (a later request replaces an
    /// earlier one that has not run yet), with `audit` in the same transaction.
    pub async fn request_job(&self, job: &str, audit: &NewAudit) -> Result<(), StoreError> {
        in_transaction!(self, tx => {
            sqlx::query(
                "INSERT INTO job_requests (job, requested_at, requested_by) VALUES ($1, $2, $3) \
                 ON CONFLICT (job) DO UPDATE SET requested_at = $2, requested_by = $3",
            )
            .bind(job)
            .bind(audit.at.timestamp())
            .bind(audit.origin.actor.label())
            .execute(&mut *tx)
            .await?;
            append_audit!(&mut *tx, audit);
            Ok(())
        })
    }

    /// When `job` was asked to run, if it has not run since.
    pub async fn job_requested(&self, job: &str) -> Result<Option<i64>, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar("SELECT requested_at FROM job_requests WHERE job = $1")
                .bind(job)
                .fetch_optional(pool)
                .await?
        }))
    }

    /// Marks requests of `job` made up to `at` as served (a run started then).
    pub async fn job_request_served(&self, job: &str, at: i64) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query("DELETE FROM job_requests WHERE job = $1 AND requested_at <= $2")
                .bind(job)
                .bind(at)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// The latest directory changes, newest first.
    pub async fn directory_changes(&self, limit: u32) -> Result<Vec<DirectoryChange>, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT synced_at, kind, legislator_id, name, state, chamber, old_district, \
                 new_district FROM directory_changes ORDER BY id DESC LIMIT $1",
            )
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
        }))
    }
}
