//! Operations: `/healthz` (the process answers) and `/readyz` (the database answers; the
//! directory's age and the outbox's backlog are reported).

use super::AppState;
use actix_web::{get, web, HttpResponse};
use serde_json::json;
use std::time::Duration;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(healthz).service(readyz);
}

/// Liveness: the process answers.
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// Readiness: the database answers within two seconds. Also reports the legislator
/// directory's age (a stale or empty directory is reported, but does not fail readiness) and
/// the outbox's backlog.
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let backend = state.store.backend();
    match tokio::time::timeout(Duration::from_secs(2), state.store.ping()).await {
        Ok(Ok(())) => HttpResponse::Ok().json(json!({
            "status": "ready",
            "checks": {
                "database": { "status": "ok", "backend": backend },
                "directory": directory_check(&state).await,
                "outbox": outbox_check(&state).await,
            }
        })),
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "readiness check: database failed");
            not_ready(backend, "database query failed")
        }
        Err(_) => not_ready(backend, "database did not answer within 2 seconds"),
    }
}

fn not_ready(backend: &str, why: &str) -> HttpResponse {
    HttpResponse::ServiceUnavailable().json(json!({
        "status": "unavailable",
        "checks": { "database": { "status": "error", "backend": backend, "error": why } }
    }))
}

/// Sending: off, or on with the number of mails due or being sent (a growing number means the
/// relay is not taking mail).
async fn outbox_check(state: &AppState) -> serde_json::Value {
    if !state.outbox.enabled() {
        return json!({ "status": "off" });
    }
    match tokio::time::timeout(Duration::from_secs(2), state.store.pending_mails()).await {
        Ok(Ok(pending)) => json!({
            "status": "ok",
            "pending": pending,
            "worker_in_process": state.settings.outbox.worker,
        }),
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "readiness check: outbox count failed");
            json!({ "status": "error", "error": "outbox query failed" })
        }
        Err(_) => json!({ "status": "error", "error": "outbox count timed out" }),
    }
}

/// The directory's state (`state`: ready, stale, loading, failed or empty; `status` keeps the
/// older names ok, stale, loading, failed, empty). A directory that is loading or failed does
/// not fail readiness: the rest of the service works, and lookups say "loading".
async fn directory_check(state: &AppState) -> serde_json::Value {
    use crate::jobs::DirectoryState;
    let settings = &state.settings.directory;
    let max_age_days = settings.max_age_days;
    let found = tokio::time::timeout(
        Duration::from_secs(2),
        crate::jobs::directory_state(&state.store, settings),
    )
    .await;
    match found {
        Ok(Ok(DirectoryState::Ready(status))) => present(&status, false, max_age_days),
        Ok(Ok(DirectoryState::Stale(status))) => present(&status, true, max_age_days),
        Ok(Ok(DirectoryState::Loading)) => json!({
            "status": "loading",
            "state": "loading",
            "message": "the legislator directory is loading (directory.sync_on_start); lookups answer 503 until it is there",
        }),
        Ok(Ok(DirectoryState::Failed { reason, at })) => json!({
            "status": "failed",
            "state": "failed",
            "error": reason,
            "failed_at": chrono::DateTime::from_timestamp(at, 0),
            "message": "the directory sync failed and is retried with backoff",
        }),
        Ok(Ok(DirectoryState::Empty)) => json!({
            "status": "empty",
            "state": "empty",
            "error": "no legislator directory: run `advocate directory sync`",
        }),
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "readiness check: directory status failed");
            json!({ "status": "error", "error": "directory status query failed" })
        }
        Err(_) => json!({ "status": "error", "error": "directory status timed out" }),
    }
}

/// A stored directory: when it was synced, how old it is, what it holds.
fn present(
    status: &crate::directory::DirectoryStatus,
    stale: bool,
    max_age_days: u64,
) -> serde_json::Value {
    let now = chrono::Utc::now();
    json!({
        "status": if stale { "stale" } else { "ok" },
        "state": if stale { "stale" } else { "ready" },
        "synced_at": status.synced_at,
        "age_days": now.signed_duration_since(status.synced_at).num_days(),
        "max_age_days": max_age_days,
        "legislators": status.legislators,
        "zips": status.zips,
    })
}
