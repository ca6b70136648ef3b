//! The scorecard editor for scripts, with a bearer token:
//! - `PUT /api/v1/campaigns/{slug}/scorecards/{state}` (editor): the document the public `GET`
//!   of the same path returns, edited, saved as the state's next revision → `201`;
//! - `GET /api/v1/campaigns/{slug}/scorecards/{state}/revisions` (organiser): every revision,
//!   newest first, with what each changed.
//!
//! The document (see [`ScorecardDocument`]): `bill` is the featured bill, `other_bills` the
//! rest, and `criteria` (when given) the featured bill's evaluations, which then replace
//! `bill.evaluations`; a criterion left `unknown` with the scorecard's stand-in reason is not
//! evaluated. What the service computes (`state_name`, `score`, `summary`, `gaps`, and each
//! criterion's `kind` and `label`) is accepted and ignored, so a `GET` edited and sent back
//! saves exactly the edit. `note` and `base_revision` are the save's own.

use crate::domain::{BillStatus, CriterionStatus, StateCode};
use crate::scorecard::edit::{self, Edit, EditError};
use crate::scorecard::editor::Place;
use crate::scorecard::{Bill, Evaluation};
use crate::web::error::{no_campaign, ApiError, PageError, Problem};
use crate::web::staff::auth::{Bearer, Editor, Organiser};
use crate::web::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, put, web, HttpResponse};
use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::{json, Value};

impl From<EditError> for Problem {
    fn from(err: EditError) -> Problem {
        match err {
            EditError::NoCampaign(slug) => no_campaign(&slug),
            EditError::NoRevision(_) => Problem::new(StatusCode::NOT_FOUND, err.to_string()),
            EditError::Invalid(e) => Problem::invalid(e.message, Some(e.place.path().as_str())),
            EditError::Stale { .. } => Problem::new(StatusCode::CONFLICT, err.to_string()),
            EditError::Preview(e) => match e.field() {
                Some(field) => Problem::invalid(e.to_string(), Some(field)),
                None => match e {
                    crate::messages::editor::PreviewError::Store(s) => s.into(),
                    other => Problem::internal(other),
                },
            },
            EditError::Message(e) => e.into(),
            EditError::Store(e) => e.into(),
        }
    }
}

impl From<EditError> for ApiError {
    fn from(err: EditError) -> ApiError {
        ApiError(err.into())
    }
}

impl From<EditError> for PageError {
    fn from(err: EditError) -> PageError {
        Problem::from(err).into()
    }
}

/// A state's scorecard as `PUT` takes it: the public document, edited.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScorecardDocument {
    /// The featured bill (`null` or absent: the state has no bills).
    #[serde(default)]
    pub bill: Option<DocBill>,
    #[serde(default)]
    pub other_bills: Vec<DocBill>,
    /// The featured bill's evaluations, one per criterion (replacing `bill.evaluations`).
    #[serde(default)]
    pub criteria: Option<Vec<DocCriterion>>,
    /// Why, kept with the revision.
    #[serde(default)]
    pub note: Option<String>,
    /// The revision the edit started from: refused (409) if another save landed since.
    #[serde(default)]
    pub base_revision: Option<i64>,
    /// Must be the path's state when given.
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    #[allow(dead_code)] // Computed by the service: accepted, ignored.
    pub state_name: Option<IgnoredAny>,
    #[serde(default)]
    #[allow(dead_code)] // Computed by the service: accepted, ignored.
    pub score: Option<IgnoredAny>,
    #[serde(default)]
    #[allow(dead_code)] // Computed by the service: accepted, ignored.
    pub summary: Option<IgnoredAny>,
    #[serde(default)]
    #[allow(dead_code)] // Computed by the service: accepted, ignored.
    pub gaps: Option<IgnoredAny>,
}

/// A bill of the document (the campaign file's bill; statuses as text, checked here).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocBill {
    #[serde(default)]
    pub number: Option<String>,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub year: Option<i32>,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub source_url: String,
    #[serde(default)]
    pub featured: Option<bool>,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub evaluations: Vec<DocEvaluation>,
}

/// An evaluation as `bill.evaluations` holds it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocEvaluation {
    #[serde(default)]
    pub criterion: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub quote: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
}

/// A criterion as the scorecard's `criteria` holds it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocCriterion {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub quote: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    #[allow(dead_code)] // Computed by the service: accepted, ignored.
    pub kind: Option<IgnoredAny>,
    #[serde(default)]
    #[allow(dead_code)] // Computed by the service: accepted, ignored.
    pub label: Option<IgnoredAny>,
}

/// Where each bill of the edit came from, to name a refused field in the document's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// Whether bill 0 is `bill` (else every bill is one of `other_bills`).
    has_bill: bool,
    /// Whether the featured bill's evaluations came from `criteria`.
    from_criteria: bool,
}

impl Layout {
    /// The document's name for `place`: `bill.title`, `other_bills[1].status`,
    /// `criteria[3].status`, `bill.evaluations[0].reason`, `note`.
    pub fn field(&self, place: &Place) -> String {
        let bill = |index: usize| match (self.has_bill, index) {
            (true, 0) => "bill".to_string(),
            (true, i) => format!("other_bills[{}]", i - 1),
            (false, i) => format!("other_bills[{i}]"),
        };
        match place {
            Place::Bills => "bill".to_string(),
            Place::Note => "note".to_string(),
            Place::Bill { index, field } => format!("{}.{field}", bill(*index)),
            Place::Evaluation {
                bill: 0,
                index,
                field,
                ..
            } if self.has_bill && self.from_criteria => {
                let field = if *field == "criterion" { "id" } else { field };
                format!("criteria[{index}].{field}")
            }
            Place::Evaluation {
                bill: b,
                index,
                field,
                ..
            } => format!("{}.evaluations[{index}].{field}", bill(*b)),
        }
    }
}

fn invalid(field: String, message: impl Into<String>) -> Problem {
    Problem::invalid(message, Some(field.as_str()))
}

fn criterion_status(raw: &str, field: String) -> Result<CriterionStatus, Problem> {
    raw.trim().parse().map_err(|_| {
        invalid(
            field,
            "The status must be one of: yes, partial, no, unknown.",
        )
    })
}

fn bill_of(doc: DocBill, name: &str, featured: bool) -> Result<Bill, Problem> {
    let status: BillStatus = doc.status.trim().parse().map_err(|_| {
        invalid(
            format!("{name}.status"),
            "The bill's status must be one of: passed, failed, pending.",
        )
    })?;
    let evaluations = doc
        .evaluations
        .into_iter()
        .enumerate()
        .map(|(i, e)| {
            Ok(Evaluation {
                status: criterion_status(&e.status, format!("{name}.evaluations[{i}].status"))?,
                criterion: e.criterion,
                reason: e.reason,
                quote: e.quote,
                source: e.source,
            })
        })
        .collect::<Result<Vec<_>, Problem>>()?;
    Ok(Bill {
        number: doc.number,
        title: doc.title,
        year: doc.year,
        status,
        source_url: doc.source_url,
        featured,
        note: doc.note,
        evaluations,
    })
}

/// The bills a document describes for `state`, and how to name their fields. Statuses are
/// parsed here; everything else is checked by the editor's `validate`.
pub fn read_document(
    doc: ScorecardDocument,
    state: StateCode,
) -> Result<(Vec<Bill>, Layout), Problem> {
    if let Some(named) = &doc.state {
        if StateCode::parse(named).ok() != Some(state) {
            return Err(invalid(
                "state".into(),
                format!(
                    "This document is for another state than {} (the path's).",
                    state.as_str()
                ),
            ));
        }
    }
    let layout = Layout {
        has_bill: doc.bill.is_some(),
        from_criteria: doc.criteria.is_some(),
    };
    let mut bills = Vec::with_capacity(doc.other_bills.len() + 1);
    if let Some(b) = doc.bill {
        if b.featured == Some(false) {
            return Err(invalid(
                "bill.featured".into(),
                "`bill` is the featured bill; move a bill that is not featured to `other_bills`.",
            ));
        }
        let mut bill = bill_of(b, "bill", true)?;
        if let Some(criteria) = doc.criteria {
            bill.evaluations = criteria
                .into_iter()
                .enumerate()
                .map(|(i, c)| {
                    Ok(Evaluation {
                        status: criterion_status(&c.status, format!("criteria[{i}].status"))?,
                        criterion: c.id,
                        reason: c.reason,
                        quote: c.quote,
                        source: c.source,
                    })
                })
                .collect::<Result<Vec<_>, Problem>>()?;
        }
        bills.push(bill);
    } else if doc.criteria.as_ref().is_some_and(|c| {
        c.iter()
            .any(|c| !c.status.trim().eq_ignore_ascii_case("unknown"))
    }) {
        return Err(invalid(
            "bill".into(),
            "Evaluations need a featured bill: give `bill`.",
        ));
    }
    for (i, b) in doc.other_bills.into_iter().enumerate() {
        let featured = b.featured == Some(true);
        bills.push(bill_of(b, &format!("other_bills[{i}]"), featured)?);
    }
    Ok((bills, layout))
}

fn state_of(raw: &str) -> Result<StateCode, ApiError> {
    StateCode::parse(raw).map_err(|e| ApiError::not_found(e.to_string()))
}

#[put("/campaigns/{slug}/scorecards/{state}")]
pub async fn save(
    app: web::Data<AppState>,
    bearer: Bearer<Editor>,
    path: web::Path<(String, String)>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let (slug, state) = path.into_inner();
    let state = state_of(&state)?;
    let body = body.into_inner();
    // serde would read `[]` as a struct of defaults, and a missing `bill` as "no bills": a
    // document is an object that says which bill is featured (null: none).
    if !body.is_object() {
        return Err(Problem::invalid("A scorecard document is a JSON object.", None).into());
    }
    if body.get("bill").is_none() {
        return Err(invalid(
            "bill".into(),
            "Give `bill`: the featured bill, or null for a state with no evaluated bill.",
        )
        .into());
    }
    let doc: ScorecardDocument = serde_json::from_value(body)
        .map_err(|e| Problem::invalid(format!("This is not a scorecard document: {e}"), None))?;
    let note = doc.note.clone();
    let base = doc.base_revision;
    let (bills, layout) = read_document(doc, state)?;
    let edit = Edit {
        state,
        bills,
        note: note.as_deref(),
        base,
    };
    let saved = edit::save(&app.store, &app.campaigns, &slug, bearer.origin(), edit)
        .await
        .map_err(|err| match err {
            EditError::Invalid(e) => ApiError(invalid(layout.field(&e.place), e.message)),
            other => other.into(),
        })?;
    Ok(HttpResponse::Created().json(json!({
        "revision": saved.revision,
        "state": saved.state,
        "summary": saved.summary,
        "changes": saved.changes,
        "scorecard": saved.scorecard,
    })))
}

#[get("/campaigns/{slug}/scorecards/{state}/revisions")]
pub async fn revisions(
    app: web::Data<AppState>,
    _bearer: Bearer<Organiser>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (slug, state) = path.into_inner();
    let state = state_of(&state)?;
    let entries = edit::history(&app.store, &slug, state).await?;
    Ok(HttpResponse::Ok().json(json!({ "state": state, "revisions": entries })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ma() -> StateCode {
        StateCode::parse("MA").expect("MA")
    }

    fn public_ma() -> Value {
        let doc = crate::scorecard::seed("").expect("seed");
        serde_json::to_value(doc.scorecard(ma())).expect("json")
    }

    fn read(value: Value) -> Result<(Vec<Bill>, Layout), Problem> {
        let doc: ScorecardDocument =
            serde_json::from_value(value).map_err(|e| Problem::invalid(e.to_string(), None))?;
        read_document(doc, ma())
    }

    #[test]
    fn the_public_document_reads_back_to_the_stored_bills() {
        let doc = crate::scorecard::seed("").expect("seed");
        let stored = doc.states.iter().find(|s| s.code == ma()).expect("MA");
        let (bills, _) = read(public_ma()).expect("reads");
        let checked = crate::scorecard::editor::validate(&doc.criteria, bills).expect("valid");
        assert_eq!(checked, stored.bills);
    }

    #[test]
    fn an_edited_criterion_is_the_featured_bills_evaluation() {
        let mut value = public_ma();
        let caps = value["criteria"]
            .as_array()
            .expect("criteria")
            .iter()
            .position(|c| c["id"] == "end_damage_caps")
            .expect("caps");
        value["criteria"][caps]["status"] = json!("yes");
        let (bills, _) = read(value).expect("reads");
        let eval = bills[0]
            .evaluations
            .iter()
            .find(|e| e.criterion == "end_damage_caps")
            .expect("caps");
        assert_eq!(eval.status, CriterionStatus::Yes);
    }

    #[test]
    fn refusals_name_the_documents_field() {
        let field = |value: Value| read(value).expect_err("refused").field;
        let mut v = public_ma();
        v["criteria"][2]["status"] = json!("maybe");
        assert_eq!(field(v).as_deref(), Some("criteria[2].status"));
        let mut v = public_ma();
        v["other_bills"][0]["status"] = json!("vetoed");
        assert_eq!(field(v).as_deref(), Some("other_bills[0].status"));
        let mut v = public_ma();
        v["bill"]["featured"] = json!(false);
        assert_eq!(field(v).as_deref(), Some("bill.featured"));
        let mut v = public_ma();
        v["state"] = json!("CT");
        assert_eq!(field(v).as_deref(), Some("state"));

        let layout = Layout {
            has_bill: true,
            from_criteria: true,
        };
        let place = Place::Evaluation {
            bill: 0,
            index: 4,
            criterion: None,
            field: "criterion",
        };
        assert_eq!(layout.field(&place), "criteria[4].id");
        let place = Place::Bill {
            index: 2,
            field: "featured",
        };
        assert_eq!(layout.field(&place), "other_bills[1].featured");
    }

    proptest! {
        #[test]
        fn any_json_document_is_read_or_refused_without_panicking(
            status in ".{0,12}",
            title in ".{0,40}",
            year in proptest::option::of(any::<i32>()),
            id in "[a-z_]{0,20}",
            featured in proptest::option::of(any::<bool>()),
        ) {
            let value = json!({
                "bill": {"title": title, "status": status, "year": year, "featured": featured,
                         "source_url": "https://example.org"},
                "criteria": [{"id": id, "status": status, "reason": title}],
                "other_bills": [{"title": title, "status": "pending", "featured": featured,
                                 "source_url": "https://example.org"}],
            });
            if let Ok((bills, layout)) = read(value) {
                let rubric = crate::scorecard::seed("").expect("seed").criteria;
                if let Err(e) = crate::scorecard::editor::validate(&rubric, bills) {
                    let field = layout.field(&e.place);
                    prop_assert!(field.starts_with("bill") || field.starts_with("other_bills") || field.starts_with("criteria"), "{}", field);
                }
            }
        }
    }
}
