//! The JSON API under `/api/v1`, one file per resource, described by the OpenAPI document at
//! `/api/openapi.json`. Errors are `{"error": "..."}` (with `"field"` when about one).

mod campaigns;
mod counter;
mod counts;
mod messages;
pub mod method_not_allowed;
mod openapi;
pub mod reach;
mod receipts;
mod scorecards;
mod targets;
mod templates;

use super::error::json_error;
use actix_web::http::StatusCode;
use actix_web::web;

pub use openapi::OPENAPI;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(openapi::document).service(
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
            .service(scorecards::save)
            .service(scorecards::revisions)
            .service(messages::create)
            .service(counts::counts)
            .service(counter::counter)
            .service(reach::reach)
            .service(receipts::show)
            .service(templates::current)
            .service(templates::versions)
            .service(templates::version)
            .service(templates::save)
            .service(templates::preview),
    );
}
