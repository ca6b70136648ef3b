//! The PostgreSQL side of a singleton job: a session-level advisory lock held on a connection
//! of its own (never a pooled one: a pooled connection goes back to the pool and would carry
//! the lock to whatever borrows it next). Closing the connection, or the database ending the
//! session, releases the lock.

use sqlx::postgres::PgPool;
use sqlx::{Connection, PgConnection};
use std::time::Duration;

/// A held advisory lock and the connection holding it.
pub struct Lock {
    conn: PgConnection,
    bound: Duration,
}

/// Why a lock could not be tried (the database is down, or the connect timed out).
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("cannot connect for the job's lock: {0}")]
    Connect(sqlx::Error),
    #[error("the job's lock: {0}")]
    Query(sqlx::Error),
    #[error("the job's lock: no answer within {0:?}")]
    TimedOut(Duration),
}

impl Lock {
    /// Opens a connection of its own (same settings as `pool`'s, named `application_name`) and
    /// tries lock `key` on it; `None` when another session holds it. Each wait is bounded by
    /// `bound`.
    pub async fn try_take(
        pool: &PgPool,
        key: i64,
        application_name: &str,
        bound: Duration,
    ) -> Result<Option<Lock>, LockError> {
        let options = (*pool.connect_options())
            .clone()
            .application_name(application_name);
        let mut conn = tokio::time::timeout(bound, PgConnection::connect_with(&options))
            .await
            .map_err(|_| LockError::TimedOut(bound))?
            .map_err(LockError::Connect)?;
        let taken = tokio::time::timeout(
            bound,
            sqlx::query_scalar::<_, bool>("SELECT pg_try_advisory_lock($1)")
                .bind(key)
                .fetch_one(&mut conn),
        )
        .await;
        match taken {
            Ok(Ok(true)) => Ok(Some(Lock { conn, bound })),
            Ok(Ok(false)) => {
                close(conn, bound).await;
                Ok(None)
            }
            Ok(Err(err)) => {
                close(conn, bound).await;
                Err(LockError::Query(err))
            }
            Err(_) => Err(LockError::TimedOut(bound)),
        }
    }

    /// Whether the lock's connection answers within the bound (a terminated session, a
    /// restarted database or a cut network answers no: the lock is then gone).
    pub async fn healthy(&mut self) -> bool {
        matches!(
            tokio::time::timeout(self.bound, sqlx::query("SELECT 1").execute(&mut self.conn)).await,
            Ok(Ok(_))
        )
    }

    /// Lets the lock go (the session ends, and the lock with it).
    pub async fn release(self) {
        close(self.conn, self.bound).await;
    }
}

/// Closes `conn` politely, within `bound` (a connection that does not answer is dropped, which
/// closes its socket).
async fn close(conn: PgConnection, bound: Duration) {
    let _ = tokio::time::timeout(bound, conn.close()).await;
}
