//! Rate limits (`rate_limits`, migration 0016): one GCRA row per key (see `crate::limits::gcra`
//! for the arithmetic), taken with ONE atomic upsert on the database's own clock, so every
//! instance sharing the database keeps one limit, whatever their clocks say:
//!
//! ```sql
//! WITH clock AS (SELECT <now in microseconds> AS now)
//! INSERT INTO rate_limits (key, tat, expires_at) SELECT $1, now + T, now + T FROM clock WHERE T <= C
//! ON CONFLICT (key) DO UPDATE SET tat = max(tat, now) + T, ...
//!     WHERE max(tat, now) + T - now <= C      -- allowed
//! RETURNING tat                               -- no row: refused
//! ```
//!
//! `now` is carried into the update as `excluded.tat - T` (an `ON CONFLICT` update sees only the
//! row and `excluded`). The dialects differ only in the clock (PostgreSQL `clock_timestamp()`,
//! evaluated once in the `WITH`; SQLite's `'now'`, fixed for a statement, whole seconds from
//! `unixepoch` plus the milliseconds of `strftime('%f')`, exact integer arithmetic) and
//! in `GREATEST` / `MAX`. A refusal reads the row back for how long to wait.

use super::{on_pool, Store, StoreError};
use crate::limits::gcra::{Decision, Gcra};
use futures_util::future::BoxFuture;

/// One rule to take for a key, inside a submission's transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitTake {
    pub key: String,
    pub rule: Gcra,
}

/// The limits a submission takes, all or none: the email address's unconfirmed submissions,
/// then one per office written to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmissionLimits {
    pub unconfirmed: LimitTake,
    pub offices: Vec<LimitTake>,
}

/// Why a submission was refused; nothing was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LimitRefusal {
    /// The email address has its unconfirmed submissions.
    Unconfirmed { retry_after: std::time::Duration },
    /// These offices (indices into [`SubmissionLimits::offices`]) had their messages from the
    /// email address; `retry_after` is when all of them may be written to again.
    Offices {
        refused: Vec<usize>,
        retry_after: std::time::Duration,
    },
}

/// The SQL of one dialect.
struct Dialect {
    take: &'static str,
    read: &'static str,
    refund: &'static str,
    purge: &'static str,
}

const POSTGRES: Dialect = Dialect {
    take: "WITH clock AS (SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000000 AS BIGINT) AS us) \
         INSERT INTO rate_limits (key, tat, expires_at) \
         SELECT $1, clock.us + $2, clock.us + $2 FROM clock WHERE $2 <= $3 \
         ON CONFLICT (key) DO UPDATE SET \
         tat = GREATEST(rate_limits.tat, excluded.tat - $2) + $2, \
         expires_at = GREATEST(rate_limits.tat, excluded.tat - $2) + $2 \
         WHERE GREATEST(rate_limits.tat, excluded.tat - $2) + $2 - (excluded.tat - $2) <= $3 \
         RETURNING tat",
    read: "SELECT tat, CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000000 AS BIGINT) \
         FROM rate_limits WHERE key = $1",
    refund: "WITH clock AS (SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000000 AS BIGINT) AS us) \
         UPDATE rate_limits SET tat = GREATEST(tat - $2, clock.us), \
         expires_at = GREATEST(tat - $2, clock.us) FROM clock WHERE key = $1",
    purge: "DELETE FROM rate_limits \
         WHERE expires_at <= CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000000 AS BIGINT)",
};

// `WHERE` on the `SELECT` is also what SQLite needs to read `ON CONFLICT` as the upsert's.
const SQLITE: Dialect = Dialect {
    take: "WITH clock AS (SELECT (unixepoch('now') * 1000000 + CAST(substr(strftime('%f', 'now'), 4) AS INTEGER) * 1000) AS us) \
         INSERT INTO rate_limits (key, tat, expires_at) \
         SELECT $1, clock.us + $2, clock.us + $2 FROM clock WHERE $2 <= $3 \
         ON CONFLICT (key) DO UPDATE SET \
         tat = MAX(rate_limits.tat, excluded.tat - $2) + $2, \
         expires_at = MAX(rate_limits.tat, excluded.tat - $2) + $2 \
         WHERE MAX(rate_limits.tat, excluded.tat - $2) + $2 - (excluded.tat - $2) <= $3 \
         RETURNING tat",
    read: "SELECT tat, (unixepoch('now') * 1000000 + CAST(substr(strftime('%f', 'now'), 4) AS INTEGER) * 1000) \
         FROM rate_limits WHERE key = $1",
    refund: "WITH clock AS (SELECT (unixepoch('now') * 1000000 + CAST(substr(strftime('%f', 'now'), 4) AS INTEGER) * 1000) AS us) \
         UPDATE rate_limits SET tat = MAX(tat - $2, clock.us), \
         expires_at = MAX(tat - $2, clock.us) FROM clock WHERE key = $1",
    purge: "DELETE FROM rate_limits \
         WHERE expires_at <= (unixepoch('now') * 1000000 + CAST(substr(strftime('%f', 'now'), 4) AS INTEGER) * 1000)",
};

/// The rate-limit queries on one connection (a pool's, or a transaction's), so a submission
/// takes its limits inside its own transaction.
pub(crate) trait LimitConnection {
    /// Takes one action of `rule` for `key`: the upsert, and on a refusal how long to wait.
    fn take_limit<'a>(
        &'a mut self,
        key: &'a str,
        rule: Gcra,
    ) -> BoxFuture<'a, Result<Decision, StoreError>>;

    /// Gives back one action of `rule` taken for `key` (never above the full allowance).
    fn refund_limit<'a>(
        &'a mut self,
        key: &'a str,
        rule: Gcra,
    ) -> BoxFuture<'a, Result<(), StoreError>>;
}

macro_rules! limit_connection {
    ($connection:ty, $dialect:expr) => {
        impl LimitConnection for $connection {
            fn take_limit<'a>(
                &'a mut self,
                key: &'a str,
                rule: Gcra,
            ) -> BoxFuture<'a, Result<Decision, StoreError>> {
                Box::pin(async move {
                    let taken: Option<i64> = sqlx::query_scalar($dialect.take)
                        .bind(key)
                        .bind(rule.emission_us())
                        .bind(rule.capacity_us())
                        .fetch_optional(&mut *self)
                        .await?;
                    if let Some(tat) = taken {
                        return Ok(Decision::Allowed { tat });
                    }
                    let row: Option<(i64, i64)> = sqlx::query_as($dialect.read)
                        .bind(key)
                        .fetch_optional(&mut *self)
                        .await?;
                    // Refused a moment ago; the row as it is now says how long to wait (at
                    // least a microsecond, should it have been freed meanwhile).
                    let retry_after = match row.map(|(tat, now)| rule.take(Some(tat), now)) {
                        Some(Decision::Refused { retry_after }) => retry_after,
                        _ => std::time::Duration::from_micros(1),
                    };
                    Ok(Decision::Refused { retry_after })
                })
            }

            fn refund_limit<'a>(
                &'a mut self,
                key: &'a str,
                rule: Gcra,
            ) -> BoxFuture<'a, Result<(), StoreError>> {
                Box::pin(async move {
                    sqlx::query($dialect.refund)
                        .bind(key)
                        .bind(rule.emission_us())
                        .execute(&mut *self)
                        .await?;
                    Ok(())
                })
            }
        }
    };
}

limit_connection!(sqlx::SqliteConnection, SQLITE);
limit_connection!(sqlx::PgConnection, POSTGRES);

/// Takes every limit of a submission on `conn` (inside its transaction): the unconfirmed rule
/// first (a refusal there stops), then every office's, in key order so two transactions never
/// wait on each other's rows in opposite orders. `Some` refusal: the caller rolls back.
pub(crate) async fn take_submission_limits<C: LimitConnection + ?Sized>(
    conn: &mut C,
    limits: &SubmissionLimits,
) -> Result<Option<LimitRefusal>, StoreError> {
    let unconfirmed = &limits.unconfirmed;
    if let Decision::Refused { retry_after } =
        conn.take_limit(&unconfirmed.key, unconfirmed.rule).await?
    {
        return Ok(Some(LimitRefusal::Unconfirmed { retry_after }));
    }
    let mut order: Vec<usize> = (0..limits.offices.len()).collect();
    order.sort_by(|&a, &b| limits.offices[a].key.cmp(&limits.offices[b].key));
    let mut refused = Vec::new();
    let mut longest = std::time::Duration::ZERO;
    for i in order {
        let take = &limits.offices[i];
        if let Decision::Refused { retry_after } = conn.take_limit(&take.key, take.rule).await? {
            refused.push(i);
            longest = longest.max(retry_after);
        }
    }
    if refused.is_empty() {
        return Ok(None);
    }
    refused.sort_unstable();
    Ok(Some(LimitRefusal::Offices {
        refused,
        retry_after: longest,
    }))
}

impl Store {
    /// Takes one action of `rule` for `key`, on the database's clock.
    pub async fn take_limit(&self, key: &str, rule: Gcra) -> Result<Decision, StoreError> {
        on_pool!(self, pool => {
            let mut conn = pool.acquire().await?;
            conn.take_limit(key, rule).await
        })
    }

    /// Gives back one action of `rule` taken for `key`.
    pub async fn refund_limit(&self, key: &str, rule: Gcra) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            let mut conn = pool.acquire().await?;
            conn.refund_limit(key, rule).await
        })
    }

    /// Deletes the rows whose allowance is full again (they say no more than a missing row);
    /// how many.
    pub async fn purge_rate_limits(&self) -> Result<u64, StoreError> {
        Ok(on_pool!(self, pool => {
            let sql = match self {
                Store::Sqlite(_) => SQLITE.purge,
                Store::Postgres(_) => POSTGRES.purge,
            };
            sqlx::query(sql).execute(pool).await?.rows_affected()
        }))
    }

    /// The stored `tat` of `key` (for tests and the operator's eye).
    pub async fn rate_limit_tat(&self, key: &str) -> Result<Option<i64>, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar("SELECT tat FROM rate_limits WHERE key = $1")
                .bind(key)
                .fetch_optional(pool)
                .await?
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::memory_store;
    use std::num::NonZeroU32;
    use std::time::Duration;

    fn rule(count: u32, period: Duration) -> Gcra {
        Gcra::new(NonZeroU32::new(count).unwrap_or(NonZeroU32::MIN), period)
    }

    #[tokio::test]
    async fn the_sqlite_upsert_takes_refuses_and_tells_how_long_to_wait() {
        let store = memory_store().await;
        let three = rule(3, Duration::from_secs(3600));
        for _ in 0..3 {
            assert!(matches!(
                store.take_limit("k", three).await.expect("take"),
                Decision::Allowed { .. }
            ));
        }
        match store.take_limit("k", three).await.expect("take") {
            Decision::Refused { retry_after } => {
                assert!(retry_after > Duration::from_secs(1190), "{retry_after:?}");
                assert!(retry_after <= Duration::from_secs(1200), "{retry_after:?}");
            }
            allowed => panic!("{allowed:?}"),
        }
        store.refund_limit("k", three).await.expect("refund");
        assert!(matches!(
            store.take_limit("k", three).await.expect("take"),
            Decision::Allowed { .. }
        ));
        assert!(matches!(
            store.take_limit("other", three).await.expect("take"),
            Decision::Allowed { .. }
        ));
    }
}
