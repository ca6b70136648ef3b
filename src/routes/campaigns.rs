//! `/api/v1/campaigns/...`: campaigns and their scorecards as JSON.

use super::AppState;
use crate::domain::StateCode;
use crate::error::ApiError;
use crate::scorecard::{CampaignDoc, Criterion};
use actix_web::{get, web, HttpResponse};
use serde_json::json;
use std::sync::Arc;

async fn load(state: &AppState, slug: &str) -> Result<Arc<CampaignDoc>, ApiError> {
    state
        .campaign(slug)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no campaign `{}`", clip(slug))))
}

fn clip(s: &str) -> String {
    s.chars().take(60).collect()
}

#[get("/campaigns")]
pub async fn list(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let campaigns = state.store.campaigns().await?;
    Ok(HttpResponse::Ok().json(json!({ "campaigns": campaigns })))
}

#[get("/campaigns/{slug}")]
pub async fn show(
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let doc = load(&state, &slug).await?;
    let criteria: Vec<&Criterion> = doc.criteria.iter().collect();
    Ok(HttpResponse::Ok().json(json!({
        "campaign": doc.campaign,
        "criteria": criteria,
        "states_evaluated": doc.states.len(),
    })))
}

#[get("/campaigns/{slug}/scorecards")]
pub async fn scorecards(
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let doc = load(&state, &slug).await?;
    Ok(HttpResponse::Ok().json(json!({ "scorecards": doc.scorecards() })))
}

#[get("/campaigns/{slug}/scorecards/{state}")]
pub async fn scorecard(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (slug, code) = path.into_inner();
    let code = StateCode::parse(&code).map_err(|e| ApiError::NotFound(e.to_string()))?;
    let doc = load(&state, &slug).await?;
    Ok(HttpResponse::Ok().json(doc.scorecard(code)))
}
