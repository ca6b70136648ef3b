//! `GET /api/v1/campaigns/{slug}/counter`: the public counter, `{"total", "last_24h", "goal"?}`,
//! for a campaign's own site. Cacheable for a minute by anyone, readable from any origin (no
//! credentials, no personal data).

use crate::stats;
use crate::web::error::ApiError;
use crate::web::AppState;
use actix_web::http::header::{ACCESS_CONTROL_ALLOW_ORIGIN, CACHE_CONTROL};
use actix_web::{get, web, HttpResponse};

#[get("/campaigns/{slug}/counter")]
pub async fn counter(
    app: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let counter = stats::counter::counter(&app.store, &slug, chrono::Utc::now())
        .await?
        .ok_or_else(|| ApiError::no_campaign(&slug))?;
    Ok(HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, "public, max-age=60"))
        .insert_header((ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .json(counter))
}
