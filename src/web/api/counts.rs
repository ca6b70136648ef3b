//! `GET /api/v1/campaigns/{slug}/counts`: public totals of messages sent and drafted, by state
//! and channel. No personal data.

use crate::stats;
use crate::web::error::ApiError;
use crate::web::AppState;
use actix_web::{get, web, HttpResponse};

#[get("/campaigns/{slug}/counts")]
pub async fn counts(
    app: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let totals = stats::totals(&app.store, &slug)
        .await?
        .ok_or_else(|| ApiError::no_campaign(&slug))?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=15"))
        .json(totals))
}
