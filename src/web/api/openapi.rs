use actix_web::{get, HttpResponse};

/// The API description; `tests/api/openapi.rs` checks it against the routes that exist.
pub const OPENAPI: &str = include_str!("openapi.json");

#[get("/api/openapi.json")]
pub async fn document() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(OPENAPI)
}
