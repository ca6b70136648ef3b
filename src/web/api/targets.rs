//! `GET /api/v1/campaigns/{slug}/targets`: who represents an address, with the state's scorecard.

use crate::civic::{Accuracy, Choice, Lookup};
use crate::directory::Legislator;
use crate::domain::{StateCode, Zip};
use crate::scorecard::Scorecard;
use crate::web::error::ApiError;
use crate::web::extract::{ApiCampaign, ClientAddr, LookupQuery};
use crate::web::AppState;
use actix_web::{get, web, HttpResponse};
use serde::Serialize;

/// The answer, serialised straight from the lookup (no intermediate JSON tree: the scorecard
/// with its quotes is most of the ~15 KB).
#[derive(Serialize)]
struct Answer<'a> {
    state: StateCode,
    zip: &'a Option<Zip>,
    accuracy: Accuracy,
    warnings: &'a [String],
    targets: &'a [Legislator],
    choices: &'a [Choice],
    scorecard: Scorecard,
}

impl<'a> Answer<'a> {
    fn of(lookup: &'a Lookup, scorecard: Scorecard) -> Answer<'a> {
        Answer {
            state: lookup.state,
            zip: &lookup.zip,
            accuracy: lookup.accuracy,
            warnings: &lookup.warnings,
            targets: &lookup.targets,
            choices: &lookup.choices,
            scorecard,
        }
    }
}

#[get("/campaigns/{slug}/targets")]
pub async fn targets(
    app: web::Data<AppState>,
    ApiCampaign(doc): ApiCampaign,
    ClientAddr(client): ClientAddr,
    LookupQuery(form): LookupQuery,
) -> Result<HttpResponse, ApiError> {
    let lookup = app.flow.find(client, &form).await?;
    Ok(HttpResponse::Ok().json(Answer::of(&lookup, doc.scorecard(lookup.state))))
}
