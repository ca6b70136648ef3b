//! Server-rendered pages for supporters.

use super::AppState;
use crate::domain::StateCode;
use crate::error::PageError;
use crate::scorecard::CampaignDoc;
use actix_web::http::header;
use actix_web::{get, web, HttpResponse};
use std::sync::Arc;

async fn default_campaign(state: &AppState) -> Result<Arc<CampaignDoc>, PageError> {
    let slug = &state.settings.campaign.default;
    state
        .campaign(slug)
        .await?
        .ok_or_else(|| PageError::NotFound("This campaign is not set up yet.".into()))
}

fn html(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(body)
}

#[get("/")]
pub async fn home(state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    let doc = default_campaign(&state).await?;
    Ok(html(crate::pages::home(&doc)?))
}

#[get("/states/{code}")]
pub async fn state_page(
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let code = StateCode::parse(&code)
        .map_err(|_| PageError::NotFound("There is no U.S. state with that code.".into()))?;
    let doc = default_campaign(&state).await?;
    Ok(html(crate::pages::state(&doc, code)?))
}

#[get("/static/style.css")]
pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(crate::pages::STYLESHEET)
}

/// The drafts' copy buttons (progressive enhancement; the pages work without it).
#[get("/static/copy.js")]
pub async fn copy_script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(include_str!("../../templates/copy.js"))
}
