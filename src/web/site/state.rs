//! A state's page: its featured bill, every standard with the campaign's reasons, what we ask of
//! its legislators, and the other versions the campaign evaluated.

use super::text::{
    bill_name, bill_status_class, criterion_icon, criterion_short, points, safe_url, standards,
};
use super::Site;
use crate::domain::{BillStatus, CriterionKind, CriterionStatus, StateCode};
use crate::scorecard::{Bill, CampaignDoc, Scorecard, ScoredCriterion};
use askama::Template;

#[derive(Template)]
#[template(path = "site/state.html")]
pub struct StatePage {
    pub site: Site,
    pub title: String,
    pub state_name: &'static str,
    pub slug: String,
    pub bill: Option<BillView>,
    pub score: Option<ScoreView>,
    pub groups: Vec<CriterionGroup>,
    pub asks_intro: String,
    pub asks: Vec<String>,
    pub asks_note: Option<String>,
    pub other_bills: Vec<OtherBill>,
}

/// A bill as shown in a heading and badge.
#[derive(Debug, Clone)]
pub struct BillView {
    /// "SB 945: An Act relative to ..." or the title alone.
    pub name: String,
    pub year: Option<i32>,
    pub status: &'static str,
    pub status_class: &'static str,
    pub source_url: Option<String>,
    pub note: Option<String>,
}

impl BillView {
    fn build(bill: &Bill) -> BillView {
        BillView {
            name: bill_name(bill),
            year: bill.year,
            status: bill.status.label(),
            status_class: bill_status_class(bill.status),
            source_url: safe_url(&bill.source_url),
            note: bill.note.clone().filter(|n| !n.trim().is_empty()),
        }
    }
}

/// The score in numbers and in words.
#[derive(Debug, Clone)]
pub struct ScoreView {
    /// "3.5 of 9"
    pub headline: String,
    /// "end 3/4, start 0.5/5" (the scorecard summary)
    pub groups: String,
    /// "SB 945 fully meets 3 standards, partially meets 1 and does not meet 5."
    pub words: String,
    /// "2 standards have not been evaluated yet and count for nothing in the score."
    pub unknown: Option<String>,
}

/// One standard as it stands for a bill.
#[derive(Debug, Clone)]
pub struct CriterionView {
    pub label: String,
    pub icon: &'static str,
    pub status: &'static str,
    pub short_status: &'static str,
    /// CSS class suffix: `yes`, `partial`, `no`, `unknown`.
    pub status_class: &'static str,
    pub reason: String,
    pub quote: Option<String>,
    /// Where the quote comes from: a link when it is a web address, otherwise words.
    pub source_url: Option<String>,
    pub source_text: Option<String>,
}

impl CriterionView {
    fn build(c: &ScoredCriterion) -> CriterionView {
        let source = c.source.as_deref().map(str::trim).filter(|s| !s.is_empty());
        let source_url = source.and_then(safe_url);
        CriterionView {
            label: c.label.clone(),
            icon: criterion_icon(c.status),
            status: c.status.label(),
            short_status: criterion_short(c.status),
            status_class: c.status.as_str(),
            reason: c.reason.clone(),
            quote: c.quote.clone().filter(|q| !q.trim().is_empty()),
            source_text: match source_url {
                Some(_) => None,
                None => source.map(str::to_string),
            },
            source_url,
        }
    }
}

/// The standards of one kind, "Practices to end" or "Practices to start".
#[derive(Debug, Clone)]
pub struct CriterionGroup {
    pub id: &'static str,
    pub heading: &'static str,
    pub items: Vec<CriterionView>,
}

/// Another evaluated version of legislation in the state.
#[derive(Debug, Clone)]
pub struct OtherBill {
    pub bill: BillView,
    /// "3 of 9 — end 3/4, start 0/5"
    pub score: String,
    pub criteria: Vec<CriterionView>,
}

fn groups(criteria: &[ScoredCriterion]) -> Vec<CriterionGroup> {
    [
        (CriterionKind::End, "end", "Practices to end"),
        (CriterionKind::Start, "start", "Practices to start"),
    ]
    .into_iter()
    .map(|(kind, id, heading)| CriterionGroup {
        id,
        heading,
        items: criteria
            .iter()
            .filter(|c| c.kind == kind)
            .map(CriterionView::build)
            .collect(),
    })
    .filter(|g| !g.items.is_empty())
    .collect()
}

fn score_view(card: &Scorecard, bill: &Bill) -> ScoreView {
    let count =
        |status: CriterionStatus| card.criteria.iter().filter(|c| c.status == status).count();
    let (yes, partial, no) = (
        count(CriterionStatus::Yes),
        count(CriterionStatus::Partial),
        count(CriterionStatus::No),
    );
    let subject = match bill
        .number
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        Some(number) => number.to_string(),
        None if bill.status == BillStatus::Passed => "The law".to_string(),
        None => "The bill".to_string(),
    };
    // "fully meets 3 standards, partially meets 1 and does not meet 5": the noun once, first.
    let mut clauses = Vec::new();
    for (n, verb) in [
        (yes, "fully meets"),
        (partial, "partially meets"),
        (no, "does not meet"),
    ] {
        if n == 0 {
            continue;
        }
        let count = if clauses.is_empty() {
            standards(n)
        } else {
            n.to_string()
        };
        clauses.push(format!("{verb} {count}"));
    }
    let words = match clauses.split_last() {
        None => format!("{subject} has not been evaluated against any standard yet."),
        Some((last, [])) => format!("{subject} {last}."),
        Some((last, rest)) => format!("{subject} {} and {last}.", rest.join(", ")),
    };
    let s = &card.score;
    ScoreView {
        headline: format!("{} of {}", points(s.total()), s.total_of()),
        // The campaign's own wording ("end 3/4, start 1.5/5"), as the API and the lookup show it.
        groups: card.summary.clone(),
        words,
        unknown: match s.unknown {
            0 => None,
            1 => Some(
                "1 standard has not been evaluated yet; it is not counted in the score."
                    .to_string(),
            ),
            n => Some(format!(
                "{n} standards have not been evaluated yet; they are not counted in the score."
            )),
        },
    }
}

impl StatePage {
    pub fn build(doc: &CampaignDoc, code: StateCode) -> StatePage {
        let card = doc.scorecard(code);
        let name = card.state_name;
        let site = Site::from_campaign(&doc.campaign);
        let title = format!("{name} scorecard · {}", site.title);

        let (asks_intro, asks_note) = match (&card.bill, card.gaps.is_empty()) {
            (None, _) => (
                format!(
                    "No legislation in {name} has been evaluated against the rubric yet. \
                     We ask legislators in {name} to introduce a bill that meets every standard:"
                ),
                None,
            ),
            (Some(_), false) => (
                format!("Where legislation in {name} falls short, we ask legislators to:"),
                (card.score.unknown > 0).then(|| {
                    "Standards not yet evaluated are not listed here; they may be gaps too."
                        .to_string()
                }),
            ),
            (Some(_), true) if card.score.unknown > 0 => (
                format!(
                    "The legislation in {name} meets every standard evaluated so far; the rest \
                     have not been evaluated yet."
                ),
                None,
            ),
            (Some(_), true) => (
                format!("The legislation in {name} meets every standard in the rubric."),
                None,
            ),
        };

        let other_bills = card
            .other_bills
            .iter()
            .map(|bill| {
                // Score each version on its own, exactly as if it were the featured bill.
                let mut alone = bill.clone();
                alone.featured = true;
                let other = Scorecard::build(&doc.criteria, code, std::slice::from_ref(&alone));
                OtherBill {
                    bill: BillView::build(bill),
                    score: format!(
                        "{} of {} — {}",
                        points(other.score.total()),
                        other.score.total_of(),
                        other.summary
                    ),
                    criteria: other.criteria.iter().map(CriterionView::build).collect(),
                }
            })
            .collect();

        StatePage {
            title,
            state_name: name,
            slug: code.as_str().to_ascii_lowercase(),
            bill: card.bill.as_ref().map(BillView::build),
            score: card.bill.as_ref().map(|b| score_view(&card, b)),
            groups: if card.bill.is_some() {
                groups(&card.criteria)
            } else {
                Vec::new()
            },
            asks_intro,
            asks: card.gaps.iter().map(|g| g.ask.clone()).collect(),
            asks_note,
            other_bills,
            site,
        }
    }
}

/// `GET /states/{code}`: a state's scorecard.
#[actix_web::get("/states/{code}")]
pub async fn page(
    code: actix_web::web::Path<String>,
    crate::web::extract::SiteCampaign(doc): crate::web::extract::SiteCampaign,
) -> Result<actix_web::HttpResponse, crate::web::error::PageError> {
    let code = StateCode::parse(&code).map_err(|_| {
        crate::web::error::PageError::not_found("There is no U.S. state with that code.")
    })?;
    Ok(crate::web::respond::public_page(super::state(&doc, code)?))
}
