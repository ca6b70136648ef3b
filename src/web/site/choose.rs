//! `GET /act/choose?state=XX`: the supporter picks their legislators from the state's
//! directory by hand (the answer is marked unverified).

use super::Site;
use crate::directory::{Chamber, Legislator};
use crate::domain::StateCode;
use crate::scorecard::CampaignDoc;
use crate::web::error::PageError;
use crate::web::extract::{LookupQuery, SiteCampaign};
use crate::web::respond::private_page;
use crate::web::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, web, HttpResponse};
use askama::Template;

/// One legislator the supporter may tick on the choose-them-yourself page.
pub struct PickView {
    pub id: String,
    pub label: String,
}

pub struct PickGroup {
    pub legend: &'static str,
    /// For element ids: `state_upper`, ...
    pub slug: &'static str,
    pub items: Vec<PickView>,
}

/// `/act/choose`: the supporter picks their legislators from the directory (unverified).
#[derive(Template)]
#[template(path = "site/choose.html")]
pub struct ChoosePage {
    pub site: Site,
    pub title: String,
    pub state_code: String,
    pub state_name: String,
    pub groups: Vec<PickGroup>,
}

impl ChoosePage {
    pub fn build(
        doc: &CampaignDoc,
        state: crate::domain::StateCode,
        people: &[Legislator],
    ) -> ChoosePage {
        let group = |chamber: Chamber, legend: &'static str| PickGroup {
            legend,
            slug: chamber.as_str(),
            items: people
                .iter()
                .filter(|p| p.chamber == chamber)
                .map(|p| PickView {
                    id: p.id.clone(),
                    label: match (&p.party, p.chamber) {
                        (_, Chamber::UsSenate) => format!(
                            "{} ({})",
                            p.name,
                            p.party.as_deref().unwrap_or("no party listed")
                        ),
                        (party, _) => format!(
                            "{}, district {} ({})",
                            p.name,
                            p.district,
                            party.as_deref().unwrap_or("no party listed")
                        ),
                    },
                })
                .collect(),
        };
        ChoosePage {
            site: Site::from_campaign(&doc.campaign),
            title: format!(
                "Choose your legislators in {} · {}",
                state.name(),
                doc.campaign.title
            ),
            state_code: state.as_str().to_string(),
            state_name: state.name().to_string(),
            groups: [
                group(Chamber::StateUpper, "State senators"),
                group(Chamber::StateLower, "State representatives"),
                group(Chamber::UsSenate, "U.S. senators"),
                group(Chamber::UsHouse, "U.S. representatives"),
            ]
            .into_iter()
            .filter(|g| !g.items.is_empty())
            .collect(),
        }
    }
}

#[get("/act/choose")]
pub async fn page(
    app: web::Data<AppState>,
    SiteCampaign(doc): SiteCampaign,
    LookupQuery(form): LookupQuery,
) -> Result<HttpResponse, PageError> {
    let state = StateCode::parse(form.address.state.as_deref().unwrap_or(""))
        .map_err(|_| PageError::not_found("There is no U.S. state with that code."))?;
    let people = app.store.legislators_of_state(state, None).await?;
    let page = ChoosePage::build(&doc, state, &people);
    Ok(private_page(StatusCode::OK, page.render()?))
}
