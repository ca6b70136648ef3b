//! The home page: what the campaign is, the nine standards, the map and every state's standing.

use super::map::MapView;
use super::text::{bill_status_class, points};
use super::Site;
use crate::domain::CriterionKind;
use crate::scorecard::{CampaignDoc, Scorecard};
use askama::Template;

#[derive(Template)]
#[template(path = "site/home.html")]
pub struct HomePage {
    pub site: Site,
    pub title: String,
    pub summary: String,
    pub end_labels: Vec<String>,
    pub start_labels: Vec<String>,
    pub rubric_size: usize,
    pub map: MapView,
    pub rows: Vec<StateRow>,
    /// "12 of 51 states have evaluated legislation".
    pub coverage: String,
}

/// One row of the table of states.
#[derive(Debug, Clone)]
pub struct StateRow {
    pub slug: String,
    pub name: &'static str,
    pub bill: Option<BillCell>,
    /// The featured bill's year, or a dash.
    pub year: String,
    /// "Passed", "Failed", "Pending" or "No evaluated legislation".
    pub status: &'static str,
    /// CSS class suffix: `passed`, `failed`, `pending`, `none`.
    pub status_class: &'static str,
    /// "3.5/9", or "Not scored" without legislation.
    pub score: String,
    /// The scorecard's summary, "end 3/4, start 0.5/5"; empty without legislation.
    pub summary: String,
    pub note: Option<String>,
}

#[derive(Debug, Clone)]
pub struct BillCell {
    pub number: Option<String>,
    pub title: String,
}

impl StateRow {
    pub fn build(card: &Scorecard) -> StateRow {
        let slug = card.state.as_str().to_ascii_lowercase();
        match card.bill.as_ref() {
            Some(bill) => StateRow {
                slug,
                name: card.state_name,
                bill: Some(BillCell {
                    number: bill.number.clone().filter(|n| !n.trim().is_empty()),
                    title: bill.title.clone(),
                }),
                year: bill.year.map_or_else(|| "—".to_string(), |y| y.to_string()),
                status: bill.status.label(),
                status_class: bill_status_class(bill.status),
                score: format!("{}/{}", points(card.score.total()), card.score.total_of()),
                summary: card.summary.clone(),
                note: (card.score.unknown > 0).then(|| {
                    format!(
                        "{} of {} standards not yet evaluated",
                        card.score.unknown,
                        card.score.total_of()
                    )
                }),
            },
            None => StateRow {
                slug,
                name: card.state_name,
                bill: None,
                year: "—".to_string(),
                status: "No evaluated legislation",
                status_class: "none",
                score: "Not scored".to_string(),
                summary: String::new(),
                note: None,
            },
        }
    }
}

impl HomePage {
    pub fn build(doc: &CampaignDoc) -> HomePage {
        let cards = doc.scorecards();
        let labels = |kind: CriterionKind| -> Vec<String> {
            doc.criteria
                .iter()
                .filter(|c| c.kind == kind)
                .map(|c| c.label.clone())
                .collect()
        };
        let with_bills = cards.iter().filter(|c| c.bill.is_some()).count();
        HomePage {
            site: Site::from_campaign(&doc.campaign),
            title: doc.campaign.title.clone(),
            summary: doc.campaign.summary.clone(),
            end_labels: labels(CriterionKind::End),
            start_labels: labels(CriterionKind::Start),
            rubric_size: doc.criteria.len(),
            map: MapView::build(&cards, doc.criteria.len()),
            rows: cards.iter().map(StateRow::build).collect(),
            coverage: format!(
                "{} has evaluated legislation in {with_bills} of the 50 states and DC.",
                doc.campaign.organisation
            ),
        }
    }
}

/// `GET /`: the campaign, its standards, the map and table of every state, the address form.
#[actix_web::get("/")]
pub async fn page(
    crate::web::extract::SiteCampaign(doc): crate::web::extract::SiteCampaign,
) -> Result<actix_web::HttpResponse, crate::web::error::PageError> {
    Ok(crate::web::respond::public_page(super::home(&doc)?))
}
