//! The web layer: thin handlers over the services, in three areas that share one set of
//! extractors, responses and error mapping:
//! - [`api`]: JSON under `/api/v1` (one file per resource) and the OpenAPI document;
//! - [`site`]: the supporters' pages (each handler beside its view model);
//! - [`staff`]: the staff workspace under `/staff`, with its own middleware;
//! - [`health`]: `/healthz`, `/readyz`;
//! - [`metrics`]: `/metrics` (Prometheus) and the middleware that counts every request.
//!
//! Handlers parse input into domain types ([`extract`]), call one function, and render
//! ([`respond`], askama); failures become responses in one place ([`error`]).

pub mod api;
pub mod error;
pub mod extract;
mod health;
pub mod metrics;
pub mod respond;
pub mod site;
pub mod staff;

use crate::civic::Locator;
use crate::config::Settings;
use crate::messages::{Flow, TemplateCache};
use crate::outbox::Outbox;
use crate::scorecard::{CampaignCache, CampaignDoc};
use crate::staff::{Letters, Staff};
use crate::store::{Store, StoreError};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use std::sync::Arc;

/// What every handler can reach.
pub struct AppState {
    pub store: Store,
    pub settings: Arc<Settings>,
    pub locator: Arc<Locator>,
    /// Campaigns (and their latest scorecard revisions) in memory, fresh across instances.
    pub campaigns: Arc<CampaignCache>,
    /// The current message templates in memory, fresh across instances.
    pub templates: Arc<TemplateCache>,
    /// Submissions, confirmations and receipts (sending through the service).
    pub outbox: Arc<Outbox>,
    /// The supporter's flow: lookup, compose, draft or submit.
    pub flow: Flow,
    /// Staff accounts, sessions and the audit log (the workspace under `/staff`).
    pub staff: Staff,
    /// The password links the staff workspace emails (through the relay, when one is set).
    pub letters: Letters,
}

impl AppState {
    /// A campaign by slug, through the in-memory cache.
    pub async fn campaign(&self, slug: &str) -> Result<Option<Arc<CampaignDoc>>, StoreError> {
        self.campaigns.get(&self.store, slug).await
    }

    /// A change to campaign `slug` (its templates, scorecards, rubric) was just saved through
    /// this instance: nothing kept in memory from before is used here again (other instances
    /// see the change at their next poll of the campaigns' revisions, see [`crate::fresh`]).
    pub fn saved(&self, slug: &str) {
        self.campaigns.forget(slug);
    }

    /// An absolute URL for a path of this service, from `server.public_url`.
    pub fn absolute(&self, path: &str) -> String {
        self.settings.server.link(path)
    }
}

/// Every route: operations, the API, the staff workspace, then the supporters' site; unknown
/// paths last. Bodies over `max_body` bytes are refused (413).
pub fn configure(cfg: &mut web::ServiceConfig, max_body: usize) {
    cfg.app_data(web::PayloadConfig::new(max_body))
        .app_data(web::FormConfig::default().limit(max_body))
        // JSON errors (a body over the limit, malformed JSON, a wrong content type) answer in
        // JSON like every other API error; actix answers in plain text by default.
        .app_data(
            web::JsonConfig::default()
                .limit(max_body)
                .error_handler(move |err, _req| {
                    use actix_web::error::JsonPayloadError as E;
                    // A body that is not JSON at all is 415 (actix says 400).
                    let status = match &err {
                        E::ContentType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
                        other => other.status_code(),
                    };
                    let message = match &err {
                        E::Overflow { .. } | E::OverflowKnownLength { .. } => {
                            format!("the request body is larger than {max_body} bytes")
                        }
                        other => other.to_string(),
                    };
                    let res = error::json_error(status, &message);
                    actix_web::error::InternalError::from_response(err, res).into()
                }),
        );
    health::configure(cfg);
    metrics::configure(cfg);
    api::configure(cfg);
    staff::configure(cfg);
    site::configure(cfg);
    cfg.default_service(web::to(not_found));
}

/// Unknown paths: JSON under /api (405 with `Allow` for a documented path), a page elsewhere.
async fn not_found(req: HttpRequest) -> HttpResponse {
    if let Some(res) = api::method_not_allowed::response(&req) {
        return res;
    }
    if req.path().starts_with("/api/") {
        error::json_error(StatusCode::NOT_FOUND, "no such resource")
    } else {
        error::PageError::not_found("We could not find that page.").error_response()
    }
}
