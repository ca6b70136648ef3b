//! `GET /api/v1/receipts/{token}`: each message's state (waiting, sent, retrying, failed and
//! why). The token is the link's secret; an unknown one is a 404.

use crate::web::error::ApiError;
use crate::web::AppState;
use actix_web::{get, web, HttpResponse};

#[get("/receipts/{token}")]
pub async fn show(
    app: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let receipt = app
        .outbox
        .receipt_of(&token)
        .await?
        .ok_or_else(|| ApiError::not_found("no such receipt"))?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(receipt))
}
