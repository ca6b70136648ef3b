//! `GET /api/v1/campaigns/{slug}/targets`: who represents an address, with the state's scorecard.

use crate::web::error::ApiError;
use crate::web::extract::{ApiCampaign, ClientAddr, LookupQuery};
use crate::web::AppState;
use actix_web::{get, web, HttpResponse};
use serde_json::json;

#[get("/campaigns/{slug}/targets")]
pub async fn targets(
    app: web::Data<AppState>,
    ApiCampaign(doc): ApiCampaign,
    ClientAddr(client): ClientAddr,
    LookupQuery(form): LookupQuery,
) -> Result<HttpResponse, ApiError> {
    let lookup = app.flow.find(client, &form).await?;
    Ok(HttpResponse::Ok().json(json!({
        "state": lookup.state,
        "zip": lookup.zip,
        "accuracy": lookup.accuracy,
        "warnings": lookup.warnings,
        "targets": lookup.targets,
        "choices": lookup.choices,
        "scorecard": doc.scorecard(lookup.state),
    })))
}
