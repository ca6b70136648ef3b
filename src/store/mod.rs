//! The database seam: every query the service makes lives under this module.
//!
//! One `Store` over SQLite (embedded default) or PostgreSQL, chosen from the URL scheme.
//! Queries are written once with `$n` placeholders, which both databases accept, and compiled
//! for each pool by [`on_pool!`]; where the dialects differ, the code says so at that spot.

mod campaigns;
mod caps;
mod counts;
mod directory;
mod health;
mod jobs;
pub mod limits;
pub mod lookup_cache;
mod messages;
mod outbox;
mod reach;
mod scorecards;
mod staff;

pub use crate::directory::{DirectoryReport, DirectoryStatus};
pub use campaigns::{GoalChange, ImportBy, ImportReport};
pub use caps::{CampaignCapsView, CapChange, CapSaved, OfficeCapRow};
pub use counts::{CountEvent, Office};
pub use jobs::{DirectoryChange, JobRun};
pub use limits::{LimitRefusal, LimitTake, SubmissionLimits};
pub use messages::{FollowedLink, NewDraftLink, NewTemplateVersion};
pub use outbox::{
    Claimed, ClaimedMail, MailRow, NewMail, NewSubmission, Purged, SubmissionView, Submitted,
};
pub use reach::ReachStream;
pub use scorecards::{NewRevision, StateSave};
// The outbox's domain types, where tests and benches have always imported them from.
pub use crate::outbox::{Confirmed, MailKind, MailStatus, Outcome};
pub use staff::{FoundSession, NewSessionRow};

use crate::config::DatabaseSettings;
use secrecy::ExposeSecret;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};
use std::str::FromStr;
use std::time::Duration;

/// A staff setting's value before and after a save (`None`: not set), for its audit row and
/// the page's "saved" / "unchanged" answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change<T> {
    pub old: Option<T>,
    pub new: Option<T>,
}

impl<T: PartialEq> Change<T> {
    pub fn changed(&self) -> bool {
        self.old != self.new
    }
}

/// A connection pool to one of the supported databases.
#[derive(Clone, Debug)]
pub enum Store {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(sqlx::Error),
    /// A stored value that does not parse (written outside the service, or by another version):
    /// `what` names the table and column, or the column as sqlx reports it.
    #[error("corrupt row: the stored {what} is invalid: {value}")]
    Corrupt { what: String, value: String },
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("cannot prepare the database file: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Invalid(String),
    /// A submission's rate limits refused it: how its transaction rolls back. Never leaves the
    /// store (`insert_submission` answers `Submitted::Limited`).
    #[error("over a rate limit")]
    Limited(limits::LimitRefusal),
}

impl StoreError {
    /// The database is down or saturated (try again later), as opposed to a bug.
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            StoreError::Database(
                sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed
            )
        )
    }

    /// A stored value of `what` ("table.column") that does not parse; `value` is the value or
    /// why it does not parse, cut short (a row never fills a log).
    pub fn corrupt(what: impl Into<String>, value: impl std::fmt::Display) -> StoreError {
        StoreError::Corrupt {
            what: what.into(),
            value: value.to_string().chars().take(100).collect(),
        }
    }
}

impl From<sqlx::Error> for StoreError {
    /// A column that does not decode (an unknown kind or status, say) is a corrupt row.
    fn from(err: sqlx::Error) -> StoreError {
        match err {
            sqlx::Error::ColumnDecode { index, source } => {
                StoreError::corrupt(format!("column {index}"), source)
            }
            other => StoreError::Database(other),
        }
    }
}

/// Runs `$body` with `$pool` bound to the concrete pool; the body is compiled once per database.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match $store {
            $crate::store::Store::Sqlite($pool) => $body,
            $crate::store::Store::Postgres($pool) => $body,
        }
    };
}

/// Runs `$body`, a block that evaluates to `Result<T, StoreError>`, inside a transaction bound
/// to `$tx`, and evaluates to its result: committed when it is `Ok`, rolled back when it is
/// `Err`. The body runs as an async block of its own, so a `return` or `?` in it leaves the
/// body, not the calling function: no early exit skips the commit or the rollback. The body
/// is compiled once per database, like [`on_pool!`]. On SQLite the transaction starts with
/// `BEGIN IMMEDIATE`, so a transaction that reads then writes takes the write lock up front
/// instead of failing with SQLITE_BUSY half way.
macro_rules! in_transaction {
    ($store:expr, $tx:ident => $body:block) => {
        match $store {
            $crate::store::Store::Sqlite(pool) => {
                let mut $tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                let out: Result<_, $crate::store::StoreError> = async { $body }.await;
                $crate::store::settle($tx, out).await
            }
            $crate::store::Store::Postgres(pool) => {
                let mut $tx = pool.begin().await?;
                let out: Result<_, $crate::store::StoreError> = async { $body }.await;
                $crate::store::settle($tx, out).await
            }
        }
    };
}

/// Ends a transaction as its body ended: commits on `Ok`; on `Err`, rolls back (a failed
/// rollback is logged: the connection is closed and the database drops the transaction) and
/// answers with the body's error.
pub(crate) async fn settle<DB: sqlx::Database, T>(
    tx: sqlx::Transaction<'_, DB>,
    out: Result<T, StoreError>,
) -> Result<T, StoreError> {
    match out {
        Ok(value) => {
            tx.commit().await?;
            Ok(value)
        }
        Err(err) => {
            if let Err(rollback) = tx.rollback().await {
                tracing::warn!(error = %rollback, "rollback failed");
            }
            Err(err)
        }
    }
}

/// The id of campaign `slug`, on a pool or inside a transaction: the one lookup every query
/// keyed by a campaign's slug starts from.
pub(crate) async fn campaign_id<'e, E>(executor: E, slug: &str) -> Result<Option<i64>, StoreError>
where
    E: sqlx::Executor<'e>,
    i64: sqlx::Type<E::Database> + for<'r> sqlx::Decode<'r, E::Database>,
    for<'q> &'q str: sqlx::Encode<'q, E::Database> + sqlx::Type<E::Database>,
    for<'q> <E::Database as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, E::Database>,
    usize: sqlx::ColumnIndex<<E::Database as sqlx::Database>::Row>,
{
    Ok(
        sqlx::query_scalar("SELECT id FROM campaigns WHERE slug = $1")
            .bind(slug)
            .fetch_optional(executor)
            .await?,
    )
}

/// Inside transaction `$tx`, gives campaign `$slug` (a `&str`) a new revision and evaluates to
/// its id (`None` for an unknown campaign). Every change to what instances keep of a campaign
/// in memory (its bills, rubric, templates, goal) starts its transaction with this (or bumps
/// `revision` in its own first `UPDATE campaigns`): the row is then locked first, so two edits
/// of one campaign never wait on each other in opposite orders, and the instances polling
/// [`Store::campaign_revisions`] see the change once it commits.
macro_rules! touch_campaign {
    ($tx:ident, $slug:expr) => {{
        let id: Option<i64> = sqlx::query_scalar(
            "UPDATE campaigns SET revision = revision + 1 WHERE slug = $1 RETURNING id",
        )
        .bind($slug)
        .fetch_optional(&mut *$tx)
        .await?;
        id
    }};
}

/// A `Debug` that prints only the named fields: for rows that hold a supporter's name, address
/// or message, which never go to a log.
macro_rules! opaque_debug {
    ($t:ty, $($field:ident),*) => {
        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($t))
                    $(.field(stringify!($field), &self.$field))*
                    .finish_non_exhaustive()
            }
        }
    };
}

pub(crate) use {in_transaction, on_pool, opaque_debug, touch_campaign};

impl Store {
    /// Opens a pool for the configured URL. SQLite files (and their folder) are created.
    pub async fn connect(settings: &DatabaseSettings) -> Result<Store, StoreError> {
        let url = settings.url.expose_secret();
        let acquire = Duration::from_secs(settings.acquire_timeout_secs);
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5));
            let path = options.get_filename();
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)?;
            }
            let pool = SqlitePoolOptions::new()
                .max_connections(settings.max_connections)
                .acquire_timeout(acquire)
                .connect_with(options)
                .await?;
            Ok(Store::Sqlite(pool))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url)?
                // Bound every statement: a stuck query must not hold a request forever.
                .options([("statement_timeout", "15s")]);
            let pool = PgPoolOptions::new()
                .max_connections(settings.max_connections)
                .acquire_timeout(acquire)
                .connect_with(options)
                .await?;
            Ok(Store::Postgres(pool))
        } else {
            Err(StoreError::Invalid(
                "database.url must start with sqlite:// or postgres://".into(),
            ))
        }
    }

    /// Applies pending migrations for this database.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(pool) => sqlx::migrate!("./migrations/sqlite").run(pool).await?,
            Store::Postgres(pool) => sqlx::migrate!("./migrations/postgres").run(pool).await?,
        }
        Ok(())
    }

    /// `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Postgres(_) => "postgres",
        }
    }

    /// Succeeds when the database answers a trivial query.
    pub async fn ping(&self) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        Ok(())
    }

    /// The pool's connections: (in use, idle), as the pool sees them now.
    pub fn pool_connections(&self) -> (u32, u32) {
        on_pool!(self, pool => {
            let idle = u32::try_from(pool.num_idle()).unwrap_or(u32::MAX);
            (pool.size().saturating_sub(idle), idle)
        })
    }

    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An in-memory SQLite store, migrated (one connection: the database lives in it).
    pub(crate) async fn memory_store() -> Store {
        let store = Store::connect(&DatabaseSettings {
            url: "sqlite::memory:".into(),
            max_connections: 1,
            acquire_timeout_secs: 5,
        })
        .await
        .expect("connect");
        store.migrate().await.expect("migrate");
        store
    }

    async fn insert_then(store: &Store, key: &str, fail: bool) -> Result<&'static str, StoreError> {
        in_transaction!(store, tx => {
            sqlx::query("INSERT INTO server_secrets (name, value, created_at) VALUES ($1, 'v', 0)")
                .bind(key)
                .execute(&mut *tx)
                .await?;
            if fail {
                return Err(StoreError::Invalid("refused".into()));
            }
            // An early return still commits.
            return Ok("early");
        })
    }

    #[tokio::test]
    async fn a_transaction_commits_on_ok_even_on_an_early_return_and_rolls_back_on_err() {
        let store = memory_store().await;
        assert_eq!(
            insert_then(&store, "kept", false).await.expect("ok"),
            "early"
        );
        assert!(matches!(
            insert_then(&store, "dropped", true).await,
            Err(StoreError::Invalid(_))
        ));
        let Store::Sqlite(pool) = &store else {
            unreachable!("an in-memory SQLite store")
        };
        let names: Vec<String> =
            sqlx::query_scalar("SELECT name FROM server_secrets ORDER BY name")
                .fetch_all(pool)
                .await
                .expect("read");
        assert_eq!(names, ["kept"]);
    }
}
