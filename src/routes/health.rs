use super::AppState;
use actix_web::{get, web, HttpResponse};
use serde_json::json;
use std::time::Duration;

/// Liveness: the process answers.
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// Readiness: the database answers within two seconds.
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let backend = state.store.backend();
    match tokio::time::timeout(Duration::from_secs(2), state.store.ping()).await {
        Ok(Ok(())) => HttpResponse::Ok().json(json!({
            "status": "ready",
            "checks": { "database": { "status": "ok", "backend": backend } }
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
