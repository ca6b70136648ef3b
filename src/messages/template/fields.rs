//! The merge fields: everything a template can use, made from a state's scorecard, one
//! legislator and the supporter.

use crate::directory::{Chamber, Legislator};
use crate::domain::CriterionStatus;
use crate::scorecard::{CampaignDoc, Scorecard};
use serde::Serialize;

/// Everything a template can use. The field names are the template's API: see
/// `config/templates/state.txt` for the list staff see.
#[derive(Debug, Clone, Serialize)]
pub struct MergeFields {
    pub supporter: SupporterFields,
    pub legislator: LegislatorFields,
    pub state: StateFields,
    pub scorecard: ScorecardFields,
    pub campaign: CampaignFields,
}

/// One merge field as staff see it beside the editor: how a template names it, and what it
/// holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FieldDoc {
    pub name: &'static str,
    pub meaning: &'static str,
}

const fn field(name: &'static str, meaning: &'static str) -> FieldDoc {
    FieldDoc { name, meaning }
}

/// Every merge field of [`MergeFields`], in the order the editor lists them (a unit test keeps
/// this list and the struct in step).
pub const MERGE_FIELDS: &[FieldDoc] = &[
    field("supporter.name", "The supporter's name, as they typed it."),
    field(
        "supporter.city",
        "The supporter's city; empty when they gave none.",
    ),
    field("legislator.name", "The legislator's full name."),
    field("legislator.last_name", "The legislator's family name."),
    field(
        "legislator.title",
        "Their title as the directory has it: \"State Senator\", \"U.S. Representative\", ...",
    ),
    field(
        "legislator.salutation",
        "The title to greet them by: \"Senator\", \"Representative\", ...",
    ),
    field(
        "legislator.district",
        "Their district (\"7\", \"8th Suffolk\"); empty for U.S. senators.",
    ),
    field(
        "legislator.chamber",
        "\"State Senate\", \"State House\", \"U.S. Senate\" or \"U.S. House\".",
    ),
    field("state.code", "The state's two-letter code (\"MA\")."),
    field("state.name", "The state's name (\"Massachusetts\")."),
    field(
        "scorecard.bill",
        "The featured bill (\"SB 945\"); empty when no legislation has been evaluated.",
    ),
    field(
        "scorecard.status",
        "The bill's status: \"passed\", \"failed\", \"pending\", or empty without a bill.",
    ),
    field("scorecard.score", "The score, like \"end 3/4, start 1/5\"."),
    field(
        "scorecard.gaps",
        "A list: one ask per standard not (fully) met, as sentences; every standard for a \
         state without evaluated legislation.",
    ),
    field("scorecard.met", "A list: the labels of the standards met."),
    field(
        "scorecard.unknown",
        "A list: the labels of the standards not yet evaluated.",
    ),
    field("campaign.title", "The campaign's title."),
    field(
        "campaign.organisation",
        "The organisation running the campaign.",
    ),
    field("campaign.url", "The campaign's web address."),
];

#[derive(Debug, Clone, Serialize)]
pub struct SupporterFields {
    pub name: String,
    /// Empty when the supporter gave none (so `{% if supporter.city %}` reads naturally).
    pub city: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct LegislatorFields {
    pub name: String,
    pub last_name: String,
    /// As the directory has it: "State Senator", "U.S. Representative", "Delegate", ...
    pub title: String,
    /// The title to greet them by: "Senator", "Representative", "Delegate", ...
    pub salutation: String,
    /// "7", "8th Suffolk"; empty for U.S. senators.
    pub district: String,
    /// "State Senate", "State House", "U.S. Senate" or "U.S. House".
    pub chamber: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct StateFields {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScorecardFields {
    /// "SB 945"; empty when no legislation has been evaluated in the state.
    pub bill: String,
    /// "passed", "failed", "pending"; empty without a bill.
    pub status: String,
    /// "end 3/4, start 1/5".
    pub score: String,
    /// One ask per standard not (fully) met, as sentences; every standard for a state without
    /// evaluated legislation ("Introduce legislation to ...").
    pub gaps: Vec<String>,
    /// The labels of the standards met.
    pub met: Vec<String>,
    /// The labels of the standards not evaluated.
    pub unknown: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CampaignFields {
    pub title: String,
    pub organisation: String,
    pub url: String,
}

impl MergeFields {
    pub fn new(
        doc: &CampaignDoc,
        card: &Scorecard,
        legislator: &Legislator,
        supporter: SupporterFields,
    ) -> MergeFields {
        let labels = |wanted: CriterionStatus| -> Vec<String> {
            card.criteria
                .iter()
                .filter(|c| c.status == wanted)
                .map(|c| c.label.clone())
                .collect()
        };
        MergeFields {
            supporter,
            legislator: LegislatorFields::from(legislator),
            state: StateFields {
                code: card.state.as_str().to_string(),
                name: card.state_name.to_string(),
            },
            scorecard: ScorecardFields {
                bill: card.bill.as_ref().map(bill_name).unwrap_or_default(),
                status: card
                    .bill
                    .as_ref()
                    .map(|b| b.status.as_str().to_string())
                    .unwrap_or_default(),
                score: card.summary.clone(),
                gaps: card.gaps.iter().map(|g| g.ask.clone()).collect(),
                met: labels(CriterionStatus::Yes),
                unknown: labels(CriterionStatus::Unknown),
            },
            campaign: CampaignFields {
                title: doc.campaign.title.clone(),
                organisation: doc.campaign.organisation.clone(),
                url: doc.campaign.url.clone(),
            },
        }
    }
}

impl From<&Legislator> for LegislatorFields {
    fn from(l: &Legislator) -> Self {
        let last_name = if l.family_name.trim().is_empty() {
            l.name.split_whitespace().last().unwrap_or_default()
        } else {
            l.family_name.trim()
        };
        LegislatorFields {
            name: l.name.clone(),
            last_name: last_name.to_string(),
            title: l.title.clone(),
            salutation: salutation(&l.title, l.chamber),
            district: if l.chamber == Chamber::UsSenate {
                String::new()
            } else {
                l.district.clone()
            },
            chamber: match l.chamber {
                Chamber::StateUpper => "State Senate",
                Chamber::StateLower => "State House",
                Chamber::UsSenate => "U.S. Senate",
                Chamber::UsHouse => "U.S. House",
            }
            .to_string(),
        }
    }
}

/// "State Senator" -> "Senator", "U.S. Representative" -> "Representative", "Assembly Member"
/// stays; an empty title falls back on the chamber.
fn salutation(title: &str, chamber: Chamber) -> String {
    let t = title.trim();
    let t = t
        .strip_prefix("State ")
        .or_else(|| t.strip_prefix("U.S. "))
        .or_else(|| t.strip_prefix("US "))
        .unwrap_or(t)
        .trim();
    if !t.is_empty() {
        return t.to_string();
    }
    match chamber {
        Chamber::StateUpper | Chamber::UsSenate => "Senator",
        Chamber::StateLower | Chamber::UsHouse => "Representative",
    }
    .to_string()
}

/// "SB 945", or the bill's title without a trailing parenthetical when the campaign's page names
/// no number ("Florida qualified immunity bill (earlier page version)" -> "Florida qualified
/// immunity bill"): the parentheses are notes for staff, not words for a legislator.
fn bill_name(bill: &crate::scorecard::Bill) -> String {
    if let Some(number) = bill
        .number
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        return number.to_string();
    }
    let title = bill.title.trim();
    match title.rfind(" (") {
        Some(cut) if title.ends_with(')') && cut > 0 => title[..cut].trim().to_string(),
        _ => title.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::check::sample_legislator;
    use super::super::test_support::{code, doc};
    use super::*;

    #[test]
    fn bill_names_drop_notes_for_staff() {
        let d = doc();
        let fields = |s: &str| {
            let card = d.scorecard(code(s));
            MergeFields::new(
                &d,
                &card,
                &sample_legislator(code(s), Chamber::StateLower),
                SupporterFields {
                    name: "x".into(),
                    city: String::new(),
                },
            )
        };
        assert_eq!(fields("MA").scorecard.bill, "SB 945");
        assert_eq!(
            fields("FL").scorecard.bill,
            "Florida qualified immunity bill"
        );
        assert_eq!(fields("WY").scorecard.bill, "");
        assert_eq!(fields("WY").scorecard.unknown.len(), 9);
        assert_eq!(fields("MA").scorecard.met.len(), 4, "end 3/4, start 1/5");
        assert_eq!(fields("MA").legislator.salutation, "Representative");
    }

    #[test]
    fn the_documented_merge_fields_are_exactly_the_fields() {
        let d = doc();
        let card = d.scorecard(code("MA"));
        let fields = MergeFields::new(
            &d,
            &card,
            &sample_legislator(code("MA"), Chamber::StateUpper),
            SupporterFields {
                name: "x".into(),
                city: String::new(),
            },
        );
        let value = serde_json::to_value(&fields).expect("serialises");
        let mut names = Vec::new();
        for (group, inner) in value.as_object().expect("object") {
            for name in inner.as_object().expect("a group").keys() {
                names.push(format!("{group}.{name}"));
            }
        }
        names.sort();
        let mut documented: Vec<String> = MERGE_FIELDS.iter().map(|f| f.name.into()).collect();
        documented.sort();
        assert_eq!(names, documented);
        assert!(MERGE_FIELDS.iter().all(|f| !f.meaning.is_empty()));
    }
}
