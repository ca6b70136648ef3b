//! `/api/v1/campaigns/...`: campaigns and their scorecards as JSON.

use crate::domain::StateCode;
use crate::scorecard::Criterion;
use crate::web::error::ApiError;
use crate::web::extract::ApiCampaign;
use crate::web::AppState;
use actix_web::{get, web, HttpResponse};
use serde_json::json;

#[get("/campaigns")]
pub async fn list(app: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let campaigns = app.store.campaigns().await?;
    Ok(HttpResponse::Ok().json(json!({ "campaigns": campaigns })))
}

#[get("/campaigns/{slug}")]
pub async fn show(ApiCampaign(doc): ApiCampaign) -> HttpResponse {
    let criteria: Vec<&Criterion> = doc.criteria.iter().collect();
    HttpResponse::Ok().json(json!({
        "campaign": doc.campaign,
        "criteria": criteria,
        "states_evaluated": doc.states.len(),
    }))
}

#[get("/campaigns/{slug}/scorecards")]
pub async fn scorecards(ApiCampaign(doc): ApiCampaign) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "scorecards": doc.scorecards() }))
}

#[get("/campaigns/{slug}/scorecards/{state}")]
pub async fn scorecard(
    path: web::Path<(String, String)>,
    ApiCampaign(doc): ApiCampaign,
) -> Result<HttpResponse, ApiError> {
    let code = StateCode::parse(&path.1).map_err(|e| ApiError::not_found(e.to_string()))?;
    Ok(HttpResponse::Ok().json(doc.scorecard(code)))
}
