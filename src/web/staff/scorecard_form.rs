//! The scorecard page's form: its inputs as the page shows them (built from the stored bills,
//! or from a posted form so a refused edit is shown again as typed), and the reader that turns
//! a posted form into the state's bills ([`FormInput::bills`]).
//!
//! Inputs: per bill row `i` (the stored bills, then one blank row to add a bill) `b{i}_number`,
//! `b{i}_title`, `b{i}_year`, `b{i}_status`, `b{i}_source_url`, `b{i}_remove`; the radio
//! `featured` (a row's index); per criterion `c_{id}_status`, `c_{id}_reason`, `c_{id}_quote`,
//! `c_{id}_source`, the evaluations of row `criteria_bill` (the featured bill when the page was
//! made); `note`, `base_revision`, `legislator` (the preview's), `action` (`preview` or `save`).
//! A bill's note and the evaluations of bills that are not featured are kept from the stored
//! bills (the save is refused when the state changed since `base_revision`).

use crate::domain::{BillStatus, CriterionStatus};
use crate::scorecard::editor::{Place, MAX_BILLS};
use crate::scorecard::{Bill, Criterion, Evaluation};

/// Longest value read from any one input, in characters (the editor's own limits are lower;
/// this bounds what is kept to show the form again).
const MAX_INPUT: usize = 10_000;

/// A bill row as the form shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BillInput {
    pub index: usize,
    pub number: String,
    pub title: String,
    pub year: String,
    pub status: String,
    pub source_url: String,
    pub featured: bool,
    pub remove: bool,
    /// The blank row for a new bill.
    pub is_new: bool,
}

impl BillInput {
    fn is_blank(&self) -> bool {
        self.number.trim().is_empty()
            && self.title.trim().is_empty()
            && self.year.trim().is_empty()
            && self.source_url.trim().is_empty()
    }
}

/// A criterion of the featured bill as the form shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CriterionInput {
    pub id: String,
    pub label: String,
    pub status: String,
    pub reason: String,
    pub quote: String,
    pub source: String,
}

/// A refused form: the input's id and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormError {
    pub id: String,
    pub message: String,
}

impl FormError {
    fn new(id: impl Into<String>, message: impl Into<String>) -> FormError {
        FormError {
            id: id.into(),
            message: message.into(),
        }
    }
}

/// The form's inputs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormInput {
    pub bills: Vec<BillInput>,
    pub criteria: Vec<CriterionInput>,
    /// The row whose evaluations the criteria are.
    pub criteria_bill: usize,
    pub note: String,
    pub base_revision: Option<i64>,
    pub legislator: String,
    /// True for Save, false for Preview.
    pub save: bool,
}

/// At most [`MAX_INPUT`] characters, line breaks as `\n` (browsers post `\r\n`).
fn clip(value: &str) -> String {
    value
        .chars()
        .take(MAX_INPUT)
        .collect::<String>()
        .replace("\r\n", "\n")
}

fn blank_row(index: usize, featured: bool) -> BillInput {
    BillInput {
        index,
        status: BillStatus::Pending.as_str().to_string(),
        featured,
        is_new: true,
        ..BillInput::default()
    }
}

impl FormInput {
    /// The form for the stored `bills` at revision `base` (0: none yet).
    pub fn from_bills(criteria: &[Criterion], bills: &[Bill], base: i64) -> FormInput {
        let mut rows: Vec<BillInput> = bills
            .iter()
            .enumerate()
            .map(|(index, b)| BillInput {
                index,
                number: b.number.clone().unwrap_or_default(),
                title: b.title.clone(),
                year: b.year.map(|y| y.to_string()).unwrap_or_default(),
                status: b.status.as_str().to_string(),
                source_url: b.source_url.clone(),
                featured: b.featured,
                remove: false,
                is_new: false,
            })
            .collect();
        if rows.len() < MAX_BILLS {
            rows.push(blank_row(rows.len(), bills.is_empty()));
        }
        let criteria_bill = bills.iter().position(|b| b.featured).unwrap_or(0);
        let featured = bills.get(criteria_bill).filter(|b| b.featured);
        let criteria = criteria
            .iter()
            .map(|c| {
                let eval =
                    featured.and_then(|b| b.evaluations.iter().find(|e| e.criterion == c.id));
                CriterionInput {
                    id: c.id.clone(),
                    label: c.label.clone(),
                    status: eval
                        .map(|e| e.status)
                        .unwrap_or(CriterionStatus::Unknown)
                        .as_str()
                        .to_string(),
                    reason: eval.map(|e| e.reason.clone()).unwrap_or_default(),
                    quote: eval.and_then(|e| e.quote.clone()).unwrap_or_default(),
                    source: eval.and_then(|e| e.source.clone()).unwrap_or_default(),
                }
            })
            .collect();
        FormInput {
            bills: rows,
            criteria,
            criteria_bill,
            note: String::new(),
            base_revision: Some(base),
            legislator: String::new(),
            save: false,
        }
    }

    /// The form as posted (`pairs`), for a state with `stored` bill rows. Unknown criterion
    /// inputs are refused; everything else is kept as typed (clipped) to be shown again.
    pub fn from_posted(
        criteria: &[Criterion],
        stored: usize,
        pairs: &[(String, String)],
    ) -> Result<FormInput, FormError> {
        let get = |key: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| clip(v))
                .unwrap_or_default()
        };
        for (key, _) in pairs {
            if let Some(rest) = key.strip_prefix("c_") {
                let known = ["_status", "_reason", "_quote", "_source"]
                    .iter()
                    .any(|suffix| {
                        rest.strip_suffix(suffix)
                            .is_some_and(|id| criteria.iter().any(|c| c.id == id))
                    });
                if !known {
                    return Err(FormError::new(
                        "criteria",
                        format!(
                            "`{}` is not an input of this campaign's criteria.",
                            key.chars().take(60).collect::<String>()
                        ),
                    ));
                }
            }
        }
        let featured = get("featured");
        let rows = (stored + 1).min(MAX_BILLS);
        let bills = (0..rows)
            .map(|i| {
                let field = |name: &str| get(&format!("b{i}_{name}"));
                BillInput {
                    index: i,
                    number: field("number"),
                    title: field("title"),
                    year: field("year"),
                    status: field("status"),
                    source_url: field("source_url"),
                    featured: featured.trim() == i.to_string(),
                    remove: !field("remove").is_empty(),
                    is_new: i >= stored,
                }
            })
            .collect();
        let criteria_inputs = criteria
            .iter()
            .map(|c| {
                let field = |name: &str| get(&format!("c_{}_{name}", c.id));
                CriterionInput {
                    id: c.id.clone(),
                    label: c.label.clone(),
                    status: field("status"),
                    reason: field("reason"),
                    quote: field("quote"),
                    source: field("source"),
                }
            })
            .collect();
        let criteria_bill = get("criteria_bill").trim().parse().unwrap_or(0);
        let base_revision = match get("base_revision").trim() {
            "" => None,
            raw => Some(raw.parse().map_err(|_| {
                FormError::new(
                    "note",
                    "This form is damaged; reload the page and try again.",
                )
            })?),
        };
        Ok(FormInput {
            bills,
            criteria: criteria_inputs,
            criteria_bill,
            note: get("note"),
            base_revision,
            legislator: get("legislator"),
            save: get("action") == "save",
        })
    }

    /// The state's bills this form describes, with `stored` (the bills the form was made from)
    /// supplying each kept bill's note and the evaluations of the bills whose criteria the form
    /// does not show; and, per bill of the result, its row. Statuses and years are read here;
    /// the rest is checked by the editor's `validate`.
    pub fn bills(&self, stored: &[Bill]) -> Result<(Vec<Bill>, Vec<usize>), FormError> {
        let mut bills = Vec::new();
        let mut rows = Vec::new();
        for row in &self.bills {
            if row.remove || (row.is_new && row.is_blank()) {
                continue;
            }
            let i = row.index;
            let status: BillStatus = row.status.trim().parse().map_err(|_| {
                FormError::new(
                    format!("b{i}_status"),
                    "Choose the bill's status: passed, failed or pending.",
                )
            })?;
            let year = match row.year.trim() {
                "" => None,
                raw => Some(raw.parse::<i32>().map_err(|_| {
                    FormError::new(
                        format!("b{i}_year"),
                        "The year must be a number such as 2023.",
                    )
                })?),
            };
            let kept = stored.get(i).filter(|_| !row.is_new);
            let evaluations = if i == self.criteria_bill {
                self.evaluations()?
            } else {
                kept.map(|b| b.evaluations.clone()).unwrap_or_default()
            };
            bills.push(Bill {
                number: Some(row.number.clone()),
                title: row.title.clone(),
                year,
                status,
                source_url: row.source_url.clone(),
                featured: row.featured,
                note: kept.and_then(|b| b.note.clone()),
                evaluations,
            });
            rows.push(i);
        }
        Ok((bills, rows))
    }

    fn evaluations(&self) -> Result<Vec<Evaluation>, FormError> {
        self.criteria
            .iter()
            .map(|c| {
                let status: CriterionStatus = c.status.trim().parse().map_err(|_| {
                    FormError::new(
                        format!("c_{}_status", c.id),
                        "Choose a status: yes, partial, no or unknown.",
                    )
                })?;
                Ok(Evaluation {
                    criterion: c.id.clone(),
                    status,
                    reason: c.reason.clone(),
                    quote: Some(c.quote.clone()),
                    source: Some(c.source.clone()),
                })
            })
            .collect()
    }

    /// The input an editor's refusal at `place` is about, given each bill's row (`rows`).
    pub fn input_of(&self, place: &Place, rows: &[usize]) -> String {
        let row = |index: usize| rows.get(index).copied().unwrap_or(0);
        match place {
            Place::Bills => format!("featured_{}", self.bills.first().map_or(0, |b| b.index)),
            Place::Note => "note".to_string(),
            Place::Bill {
                index,
                field: "featured",
            } => format!("featured_{}", row(*index)),
            Place::Bill {
                index,
                field: "note",
            } => format!("b{}_title", row(*index)),
            Place::Bill { index, field } => format!("b{}_{field}", row(*index)),
            Place::Evaluation {
                bill,
                criterion: Some(id),
                field,
                ..
            } if row(*bill) == self.criteria_bill => {
                let field = if *field == "criterion" {
                    "status"
                } else {
                    field
                };
                format!("c_{id}_{field}")
            }
            Place::Evaluation { bill, .. } => format!("b{}_title", row(*bill)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scorecard::editor::validate;
    use proptest::prelude::*;

    fn seed() -> crate::scorecard::CampaignDoc {
        crate::scorecard::seed("").expect("seed")
    }

    fn ma_bills() -> Vec<Bill> {
        let doc = seed();
        doc.states
            .iter()
            .find(|s| s.code.as_str() == "MA")
            .expect("MA")
            .bills
            .clone()
    }

    /// The pairs a browser posts for `form`.
    fn pairs(form: &FormInput) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for b in &form.bills {
            let i = b.index;
            out.push((format!("b{i}_number"), b.number.clone()));
            out.push((format!("b{i}_title"), b.title.clone()));
            out.push((format!("b{i}_year"), b.year.clone()));
            out.push((format!("b{i}_status"), b.status.clone()));
            out.push((format!("b{i}_source_url"), b.source_url.clone()));
            if b.featured {
                out.push(("featured".into(), i.to_string()));
            }
        }
        for c in &form.criteria {
            out.push((format!("c_{}_status", c.id), c.status.clone()));
            out.push((format!("c_{}_reason", c.id), c.reason.clone()));
            out.push((format!("c_{}_quote", c.id), c.quote.clone()));
            out.push((format!("c_{}_source", c.id), c.source.clone()));
        }
        out.push(("criteria_bill".into(), form.criteria_bill.to_string()));
        out.push(("base_revision".into(), "3".into()));
        out.push(("action".into(), "save".into()));
        out
    }

    #[test]
    fn the_unchanged_form_reads_back_to_the_stored_bills() {
        let doc = seed();
        let stored = ma_bills();
        let form = FormInput::from_bills(&doc.criteria, &stored, 3);
        let posted =
            FormInput::from_posted(&doc.criteria, stored.len(), &pairs(&form)).expect("reads");
        assert!(posted.save);
        assert_eq!(posted.base_revision, Some(3));
        let (bills, rows) = posted.bills(&stored).expect("bills");
        assert_eq!(rows, [0, 1]);
        assert_eq!(validate(&doc.criteria, bills).expect("valid"), stored);
    }

    #[test]
    fn a_changed_status_an_added_bill_and_refusals() {
        let doc = seed();
        let stored = ma_bills();
        let form = FormInput::from_bills(&doc.criteria, &stored, 3);
        let mut p = pairs(&form);
        for (k, v) in p.iter_mut() {
            match k.as_str() {
                "c_end_damage_caps_status" => *v = "yes".into(),
                "b2_title" => *v = "A new bill".into(),
                "b2_source_url" => *v = "https://example.org/new".into(),
                _ => {}
            }
        }
        let posted = FormInput::from_posted(&doc.criteria, stored.len(), &p).expect("reads");
        let (bills, _) = posted.bills(&stored).expect("bills");
        let bills = validate(&doc.criteria, bills).expect("valid");
        assert_eq!(bills.len(), 3);
        assert!(bills[0]
            .evaluations
            .iter()
            .any(|e| e.criterion == "end_damage_caps" && e.status == CriterionStatus::Yes));
        assert_eq!(bills[1].evaluations, stored[1].evaluations);

        let mut bad = pairs(&form);
        bad.push(("c_forged_status".into(), "yes".into()));
        assert_eq!(
            FormInput::from_posted(&doc.criteria, stored.len(), &bad)
                .expect_err("forged")
                .id,
            "criteria"
        );
        let mut bad = pairs(&form);
        for (k, v) in bad.iter_mut() {
            if k == "c_end_damage_caps_status" {
                *v = "maybe".into();
            }
        }
        let posted = FormInput::from_posted(&doc.criteria, stored.len(), &bad).expect("reads");
        assert_eq!(
            posted.bills(&stored).expect_err("status").id,
            "c_end_damage_caps_status"
        );
    }

    proptest! {
        #[test]
        fn any_posted_form_is_read_or_refused_without_panicking(
            keys in proptest::collection::vec("(b[0-9]{1,2}_(number|title|year|status|source_url|remove)|c_[a-z_]{0,30}|featured|criteria_bill|base_revision|note|action|[a-z_]{0,8})", 0..40),
            values in proptest::collection::vec(".{0,30}", 40),
        ) {
            let doc = seed();
            let stored = ma_bills();
            let pairs: Vec<(String, String)> =
                keys.into_iter().zip(values).collect();
            if let Ok(form) = FormInput::from_posted(&doc.criteria, stored.len(), &pairs) {
                if let Ok((bills, rows)) = form.bills(&stored) {
                    prop_assert_eq!(bills.len(), rows.len());
                    if let Err(e) = validate(&doc.criteria, bills) {
                        let id = form.input_of(&e.place, &rows);
                        prop_assert!(!id.is_empty());
                    }
                }
            }
        }
    }
}
