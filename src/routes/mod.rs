//! HTTP handlers, one file per resource. Handlers parse input, call one function, render.

mod act;
mod campaigns;
mod counts;
mod drafts;
mod health;
mod messages;
mod method_not_allowed;
mod openapi;
mod pages;
mod receipts;
mod submissions;
pub mod targets;

use crate::civic::Locator;
use crate::config::Settings;
use crate::error::json_error;
use crate::store::Store;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use std::sync::Arc;

/// What every handler can reach.
pub struct AppState {
    pub store: Store,
    pub settings: Arc<Settings>,
    pub locator: Arc<Locator>,
    pub limits: crate::limits::Limits,
    pub campaigns: crate::scorecard::CampaignCache,
    /// Submissions, confirmations and receipts (sending through the service).
    pub outbox: Arc<crate::outbox::Outbox>,
}

impl AppState {
    /// A campaign by slug, through the short-lived in-memory cache.
    pub async fn campaign(
        &self,
        slug: &str,
    ) -> Result<Option<Arc<crate::scorecard::CampaignDoc>>, crate::store::StoreError> {
        self.campaigns.get(&self.store, slug).await
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(health::healthz)
        .service(health::readyz)
        .service(openapi::document)
        .service(
            web::scope("/api/v1")
                .app_data(web::QueryConfig::default().error_handler(|err, _req| {
                    let message = format!("invalid query: {err}");
                    actix_web::error::InternalError::from_response(
                        err,
                        json_error(StatusCode::BAD_REQUEST, &message),
                    )
                    .into()
                }))
                .service(campaigns::list)
                .service(targets::targets)
                .service(campaigns::show)
                .service(campaigns::scorecards)
                .service(campaigns::scorecard)
                .service(messages::create)
                .service(counts::counts)
                .service(receipts::show),
        )
        .service(pages::home)
        .service(act::choose)
        .service(act::act)
        .service(drafts::compose)
        .service(drafts::drafts_page)
        .service(drafts::follow)
        .service(submissions::send_page)
        .service(submissions::confirm_page)
        .service(submissions::confirm)
        .service(receipts::page)
        .service(pages::state_page)
        .service(pages::stylesheet)
        .service(pages::copy_script)
        .default_service(web::to(not_found));
}

/// Unknown paths: JSON under /api (405 with `Allow` for a documented path), a page elsewhere.
async fn not_found(req: HttpRequest) -> HttpResponse {
    if let Some(res) = method_not_allowed::response(&req) {
        return res;
    }
    if req.path().starts_with("/api/") {
        json_error(StatusCode::NOT_FOUND, "no such resource")
    } else {
        use actix_web::ResponseError;
        crate::error::PageError::NotFound("We could not find that page.".into()).error_response()
    }
}
