//! A supporter's receipt: each message's state (waiting, sent, retrying, failed and why).
//! `GET /receipts/{token}` (page) and `GET /api/v1/receipts/{token}` (JSON). The token is the
//! link's secret; an unknown one is a 404 either way.

use super::AppState;
use crate::error::{json_error, PageError};
use crate::outbox::{Outbox, Receipt};
use crate::pages::ReceiptPage;
use crate::store::StoreError;
use actix_web::http::StatusCode;
use actix_web::{get, web, HttpResponse};
use askama::Template;

const UNKNOWN: &str = "This receipt does not exist. Receipts are kept while your messages are \
                       delivered and for some weeks after.";

async fn receipt(app: &AppState, token: &str) -> Result<Option<Receipt>, StoreError> {
    match app.outbox.receipt(token).await? {
        Some(view) => Ok(Some(Receipt::of(&view)?)),
        None => Ok(None),
    }
}

#[get("/receipts/{token}")]
pub async fn page(
    app: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let Some(receipt) = receipt(&app, &token).await? else {
        return Err(PageError::NotFound(UNKNOWN.into()));
    };
    let doc = app
        .campaign(&receipt.campaign)
        .await?
        .ok_or_else(|| PageError::NotFound(UNKNOWN.into()))?;
    let page = ReceiptPage::build(&doc, &receipt, Outbox::receipt_path(&token));
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(page.render()?))
}

#[get("/receipts/{token}")]
pub async fn show(app: web::Data<AppState>, token: web::Path<String>) -> HttpResponse {
    match receipt(&app, &token).await {
        Ok(Some(receipt)) => HttpResponse::Ok()
            .insert_header(("Cache-Control", "no-store"))
            .json(receipt),
        Ok(None) => json_error(StatusCode::NOT_FOUND, "no such receipt"),
        Err(err) => {
            tracing::error!(error = %err, "receipt lookup failed");
            json_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "the service is temporarily unavailable; please try again shortly",
            )
        }
    }
}
