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

async fn directory_check(state: &AppState) -> serde_json::Value {
    let max_age_days = state.settings.directory.max_age_days;
    let status = tokio::time::timeout(Duration::from_secs(2), state.store.directory_status()).await;
    match status {
        Ok(Ok(Some(dir))) => {
            let now = chrono::Utc::now();
            let stale = dir.is_stale(max_age_days, now);
            json!({
                "status": if stale { "stale" } else { "ok" },
                "synced_at": dir.synced_at,
                "age_days": now.signed_duration_since(dir.synced_at).num_days(),
                "max_age_days": max_age_days,
                "legislators": dir.legislators,
                "zips": dir.zips,
            })
        }
        Ok(Ok(None)) => json!({
            "status": "empty",
            "error": "no legislator directory: run `advocate directory sync`",
        }),
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "readiness check: directory status failed");
            json!({ "status": "error", "error": "directory status query failed" })
        }
        Err(_) => json!({ "status": "error", "error": "directory status timed out" }),
    }
}
