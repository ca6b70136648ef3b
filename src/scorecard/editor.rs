//! The scorecard editor's rules, shared by the staff pages, the JSON API, the command line's
//! import and the seed: what one state's bills may hold ([`validate`]), what changed between two
//! versions of them ([`diff`], criterion by criterion and bill by bill), and the revisions that
//! record each save (author, time, note, and the state's bills as they then stood).
//!
//! The services that store a save, restore a revision and preview an edit are in
//! [`crate::scorecard::edit`]; this module is pure.

use super::{Bill, Criterion, Evaluation};
use crate::domain::{CriterionStatus, StateCode};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::HashSet;

/// The author of revisions the seed import records.
pub const SEED_AUTHOR: &str = "seed";
/// The author of revisions `advocate scorecard import` records.
pub const CLI_AUTHOR: &str = "cli";

/// At most this many bills per state.
pub const MAX_BILLS: usize = 50;
/// Longest bill number, in characters.
pub const MAX_NUMBER: usize = 40;
/// Longest bill title, in characters.
pub const MAX_TITLE: usize = 300;
/// Longest reason, quote or bill note, in characters.
pub const MAX_TEXT: usize = 2000;
/// Longest URL or evaluation source, in characters.
pub const MAX_URL: usize = 2048;
/// Longest note kept with a revision, in characters.
pub const MAX_NOTE: usize = 500;

/// What the scorecard says of a criterion nobody evaluated (see `Scorecard::build`): a
/// document read back with these reasons has no evaluation for the criterion.
const FILLER_REASONS: [&str; 2] = [
    "Not captured from the campaign's page.",
    "No legislation has been evaluated in this state.",
];

/// One save of one state's scorecard.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Revision {
    pub state: StateCode,
    /// 1, 2, ... per campaign and state.
    pub revision: i64,
    /// `seed`, `cli` or `staff:<id>`.
    pub author: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
    /// The state's bills as saved (the campaign file's shape).
    pub bills: Vec<Bill>,
}

/// Where in an edit a problem is; each caller names it in its own terms (the API's document,
/// the page's inputs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// The state's bills as a whole (how many, which is featured).
    Bills,
    /// Bill `index` (in the order given), field `field`.
    Bill { index: usize, field: &'static str },
    /// Evaluation `index` of bill `bill` (in the order given), about `criterion` when its id is
    /// known, field `field`.
    Evaluation {
        bill: usize,
        index: usize,
        criterion: Option<String>,
        field: &'static str,
    },
    /// The revision's note.
    Note,
}

impl Place {
    /// The place as a path in the campaign file's shape: `bills[1].title`,
    /// `bills[0].evaluations[3].status`, `bills`, `note`.
    pub fn path(&self) -> String {
        match self {
            Place::Bills => "bills".to_string(),
            Place::Bill { index, field } => format!("bills[{index}].{field}"),
            Place::Evaluation {
                bill, index, field, ..
            } => format!("bills[{bill}].evaluations[{index}].{field}"),
            Place::Note => "note".to_string(),
        }
    }
}

/// Why an edit was refused: where, and a sentence saying what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", .place.path())]
pub struct EditInvalid {
    pub place: Place,
    pub message: String,
}

impl EditInvalid {
    pub fn new(place: Place, message: impl Into<String>) -> EditInvalid {
        EditInvalid {
            place,
            message: message.into(),
        }
    }
}

/// One line of text: at most `max` characters, no control characters (line breaks included).
fn one_line(value: &str, max: usize, what: &str) -> Result<(), String> {
    if value.chars().count() > max {
        return Err(format!("The {what} must be at most {max} characters."));
    }
    if value.chars().any(is_forbidden_in_line) {
        return Err(format!(
            "The {what} must be one line, without control characters."
        ));
    }
    Ok(())
}

/// Text that may span lines: at most `max` characters, no control characters but line breaks
/// and tabs.
fn text(value: &str, max: usize, what: &str) -> Result<(), String> {
    if value.chars().count() > max {
        return Err(format!("The {what} must be at most {max} characters."));
    }
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(format!("The {what} must not contain control characters."));
    }
    Ok(())
}

fn is_forbidden_in_line(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

fn http_url(value: &str) -> bool {
    url::Url::parse(value)
        .map(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .unwrap_or(false)
}

/// Trimmed; `None` when empty.
fn optional(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// Checks one state's bills against the campaign's rubric and returns them as stored: text
/// trimmed, empty optional fields dropped, evaluations in rubric order, and an `unknown`
/// evaluation without a reason of its own (what a scorecard shows for a criterion nobody
/// evaluated) dropped. The first problem found is the error, naming its place.
pub fn validate(criteria: &[Criterion], bills: Vec<Bill>) -> Result<Vec<Bill>, EditInvalid> {
    if bills.len() > MAX_BILLS {
        return Err(EditInvalid::new(
            Place::Bills,
            format!("A state can have at most {MAX_BILLS} bills."),
        ));
    }
    let featured = bills.iter().filter(|b| b.featured).count();
    if !bills.is_empty() && featured != 1 {
        let message = if featured == 0 {
            "Choose the featured bill: the scorecard is built from exactly one."
        } else {
            "Only one bill can be featured: the scorecard is built from exactly one."
        };
        // Point at the second featured bill when there are two.
        let place = bills
            .iter()
            .enumerate()
            .filter(|(_, b)| b.featured)
            .nth(1)
            .map(|(index, _)| Place::Bill {
                index,
                field: "featured",
            })
            .unwrap_or(Place::Bills);
        return Err(EditInvalid::new(place, message));
    }
    bills
        .into_iter()
        .enumerate()
        .map(|(index, bill)| validate_bill(criteria, index, bill))
        .collect()
}

fn validate_bill(criteria: &[Criterion], index: usize, bill: Bill) -> Result<Bill, EditInvalid> {
    let at = |field: &'static str| {
        move |message: String| EditInvalid {
            place: Place::Bill { index, field },
            message,
        }
    };
    let number = optional(bill.number);
    if let Some(n) = &number {
        one_line(n, MAX_NUMBER, "bill number").map_err(at("number"))?;
    }
    let title = bill.title.trim().to_string();
    if title.is_empty() {
        return Err(at("title")("Give the bill a title.".to_string()));
    }
    one_line(&title, MAX_TITLE, "title").map_err(at("title"))?;
    if let Some(year) = bill.year {
        if !(1900..=2100).contains(&year) {
            return Err(at("year")(
                "The year must be between 1900 and 2100.".to_string(),
            ));
        }
    }
    let source_url = bill.source_url.trim().to_string();
    one_line(&source_url, MAX_URL, "source URL").map_err(at("source_url"))?;
    if !http_url(&source_url) {
        return Err(at("source_url")(
            "The source URL must be an http:// or https:// address.".to_string(),
        ));
    }
    let note = optional(bill.note);
    if let Some(n) = &note {
        text(n, MAX_TEXT, "bill's note").map_err(at("note"))?;
    }

    let mut seen = HashSet::new();
    let mut evaluations = Vec::with_capacity(bill.evaluations.len());
    for (e, eval) in bill.evaluations.into_iter().enumerate() {
        let known = criteria.iter().any(|c| c.id == eval.criterion);
        let place = |field: &'static str| Place::Evaluation {
            bill: index,
            index: e,
            criterion: known.then(|| eval.criterion.clone()),
            field,
        };
        if !known {
            return Err(EditInvalid::new(
                place("criterion"),
                format!(
                    "`{}` is not a criterion of this campaign.",
                    eval.criterion.chars().take(60).collect::<String>()
                ),
            ));
        }
        if !seen.insert(eval.criterion.clone()) {
            return Err(EditInvalid::new(
                place("criterion"),
                format!(
                    "Criterion `{}` is evaluated twice for this bill.",
                    eval.criterion
                ),
            ));
        }
        let reason = eval.reason.trim().to_string();
        if eval.status == CriterionStatus::Unknown
            && (reason.is_empty() || FILLER_REASONS.contains(&reason.as_str()))
        {
            // Not evaluated: nothing to store.
            continue;
        }
        if reason.is_empty() {
            return Err(EditInvalid::new(
                place("reason"),
                "Give the reason for this evaluation.",
            ));
        }
        text(&reason, MAX_TEXT, "reason").map_err(|m| EditInvalid::new(place("reason"), m))?;
        let quote = optional(eval.quote);
        if let Some(q) = &quote {
            text(q, MAX_TEXT, "quote").map_err(|m| EditInvalid::new(place("quote"), m))?;
        }
        let source = optional(eval.source);
        if let Some(s) = &source {
            one_line(s, MAX_URL, "source").map_err(|m| EditInvalid::new(place("source"), m))?;
        }
        evaluations.push(Evaluation {
            criterion: eval.criterion,
            status: eval.status,
            reason,
            quote,
            source,
        });
    }
    evaluations.sort_by_key(|e| criteria.iter().position(|c| c.id == e.criterion));
    Ok(Bill {
        number,
        title,
        year: bill.year,
        status: bill.status,
        source_url,
        featured: bill.featured,
        note,
        evaluations,
    })
}

/// A revision's note: trimmed, an empty one dropped, at most [`MAX_NOTE`] characters.
pub fn revision_note(note: Option<&str>) -> Result<Option<String>, EditInvalid> {
    let Some(note) = note.map(str::trim).filter(|n| !n.is_empty()) else {
        return Ok(None);
    };
    text(note, MAX_NOTE, "note").map_err(|m| EditInvalid::new(Place::Note, m))?;
    Ok(Some(note.to_string()))
}

/// One difference between two versions of a state's bills.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// What changed: a criterion's id (for the featured bill's evaluations), or a bill
    /// (`bill SB 945`, `bill 2` when it has no number).
    pub subject: String,
    /// The criterion's label, or the bill's title.
    pub label: String,
    /// For a criterion: `status`, `reason`, `quote` or `source`; for a bill: `number`,
    /// `title`, `year`, `bill_status`, `source_url`, `featured`, `note`, `evaluations` (of a bill
    /// that is not featured), or `bill` (added or removed).
    pub field: &'static str,
    /// The value before and after, for short fields (statuses, numbers, years); `None` for
    /// long text, or when there was no value.
    pub from: Option<String>,
    pub to: Option<String>,
}

impl Change {
    /// "end_damage_caps no → yes", "bill SB 945 title edited", "bill HB 1 added".
    pub fn line(&self) -> String {
        let short = |v: &Option<String>| v.clone().unwrap_or_else(|| "none".to_string());
        match self.field {
            "status" => format!(
                "{} {} → {}",
                self.subject,
                short(&self.from),
                short(&self.to)
            ),
            "bill" if self.to.is_some() => format!("{} added", self.subject),
            "bill" => format!("{} removed", self.subject),
            "featured" => format!("{} is now featured", self.subject),
            "number" | "year" | "bill_status" => format!(
                "{} {}: {} → {}",
                self.subject,
                self.field.trim_start_matches("bill_"),
                short(&self.from),
                short(&self.to)
            ),
            field => format!("{} {field} edited", self.subject),
        }
    }
}

/// A one-line summary of `changes` for `state` (the audit row's summary): "MA: end_damage_caps
/// no → yes; bill SB 1 title edited", clipped after a few changes.
pub fn summary(state: StateCode, changes: &[Change]) -> String {
    const SHOWN: usize = 6;
    if changes.is_empty() {
        return format!("{}: no change", state.as_str());
    }
    let mut parts: Vec<String> = changes.iter().take(SHOWN).map(Change::line).collect();
    if changes.len() > SHOWN {
        parts.push(format!("and {} more", changes.len() - SHOWN));
    }
    format!("{}: {}", state.as_str(), parts.join("; "))
}

fn bill_name(bill: &Bill, index: usize) -> String {
    match &bill.number {
        Some(n) => format!("bill {n}"),
        None => format!("bill {}", index + 1),
    }
}

/// What changed from `old` to `new` (one state's bills): first the featured bill's evaluations,
/// criterion by criterion in rubric order, then the bills, position by position.
pub fn diff(criteria: &[Criterion], old: &[Bill], new: &[Bill]) -> Vec<Change> {
    let mut changes = Vec::new();
    let old_featured = old.iter().find(|b| b.featured);
    let new_featured = new.iter().find(|b| b.featured);
    let eval_of = |bill: Option<&Bill>, id: &str| -> Option<Evaluation> {
        bill.and_then(|b| b.evaluations.iter().find(|e| e.criterion == id).cloned())
    };
    for c in criteria {
        let (a, b) = (eval_of(old_featured, &c.id), eval_of(new_featured, &c.id));
        if a == b {
            continue;
        }
        let change = |field: &'static str, from: Option<String>, to: Option<String>| Change {
            subject: c.id.clone(),
            label: c.label.clone(),
            field,
            from,
            to,
        };
        let status = |e: &Option<Evaluation>| {
            e.as_ref()
                .map(|e| e.status)
                .unwrap_or(CriterionStatus::Unknown)
                .as_str()
                .to_string()
        };
        if status(&a) != status(&b) {
            changes.push(change("status", Some(status(&a)), Some(status(&b))));
        }
        let text = |e: &Option<Evaluation>| {
            e.as_ref()
                .map(|e| (e.reason.clone(), e.quote.clone(), e.source.clone()))
                .unwrap_or_default()
        };
        let ((a_reason, a_quote, a_source), (b_reason, b_quote, b_source)) = (text(&a), text(&b));
        if a_reason != b_reason {
            changes.push(change("reason", None, None));
        }
        if a_quote != b_quote {
            changes.push(change("quote", None, None));
        }
        if a_source != b_source {
            changes.push(change("source", None, None));
        }
    }

    for i in 0..old.len().max(new.len()) {
        match (old.get(i), new.get(i)) {
            (Some(a), None) => changes.push(Change {
                subject: bill_name(a, i),
                label: a.title.clone(),
                field: "bill",
                from: Some(a.title.clone()),
                to: None,
            }),
            (None, Some(b)) => changes.push(Change {
                subject: bill_name(b, i),
                label: b.title.clone(),
                field: "bill",
                from: None,
                to: Some(b.title.clone()),
            }),
            (Some(a), Some(b)) if a != b => {
                let mut push = |field: &'static str, from: Option<String>, to: Option<String>| {
                    changes.push(Change {
                        subject: bill_name(b, i),
                        label: b.title.clone(),
                        field,
                        from,
                        to,
                    })
                };
                if a.number != b.number {
                    push("number", a.number.clone(), b.number.clone());
                }
                if a.title != b.title {
                    push("title", None, None);
                }
                if a.year != b.year {
                    push(
                        "year",
                        a.year.map(|y| y.to_string()),
                        b.year.map(|y| y.to_string()),
                    );
                }
                if a.status != b.status {
                    push(
                        "bill_status",
                        Some(a.status.as_str().to_string()),
                        Some(b.status.as_str().to_string()),
                    );
                }
                if a.source_url != b.source_url {
                    push("source_url", None, None);
                }
                if !a.featured && b.featured {
                    push("featured", None, None);
                }
                if a.note != b.note {
                    push("note", None, None);
                }
                // The featured bill's evaluations are listed criterion by criterion above.
                if a.evaluations != b.evaluations && !(a.featured && b.featured) {
                    push("evaluations", None, None);
                }
            }
            _ => {}
        }
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::BillStatus;

    fn rubric() -> Vec<Criterion> {
        crate::scorecard::seed("").expect("seed").criteria
    }

    fn bill(featured: bool) -> Bill {
        Bill {
            number: Some(" SB 1 ".into()),
            title: " A bill ".into(),
            year: Some(2021),
            status: BillStatus::Pending,
            source_url: "https://example.org/sb1".into(),
            featured,
            note: Some("  ".into()),
            evaluations: vec![
                Evaluation {
                    criterion: "end_damage_caps".into(),
                    status: CriterionStatus::No,
                    reason: "Caps stay.".into(),
                    quote: None,
                    source: Some(String::new()),
                },
                Evaluation {
                    criterion: "end_all_police".into(),
                    status: CriterionStatus::Unknown,
                    reason: FILLER_REASONS[0].into(),
                    quote: None,
                    source: None,
                },
            ],
        }
    }

    #[test]
    fn every_seed_state_passes_unchanged() {
        let doc = crate::scorecard::seed("").expect("seed");
        for state in &doc.states {
            let checked = validate(&doc.criteria, state.bills.clone()).expect("valid");
            assert_eq!(checked, state.bills, "{}", state.code.as_str());
        }
    }

    #[test]
    fn an_edit_is_trimmed_and_an_unevaluated_criterion_dropped() {
        let checked = validate(&rubric(), vec![bill(true)]).expect("valid");
        let b = &checked[0];
        assert_eq!(b.number.as_deref(), Some("SB 1"));
        assert_eq!(b.title, "A bill");
        assert_eq!(b.note, None);
        assert_eq!(b.evaluations.len(), 1);
        assert_eq!(b.evaluations[0].source, None);
    }

    #[test]
    fn refusals_name_their_place() {
        let r = rubric();
        let place = |bills: Vec<Bill>| validate(&r, bills).expect_err("refused").place.path();
        assert_eq!(place(vec![bill(true), bill(true)]), "bills[1].featured");
        assert_eq!(place(vec![bill(false)]), "bills");
        let mut b = bill(true);
        b.title = "x".repeat(MAX_TITLE + 1);
        assert_eq!(place(vec![b]), "bills[0].title");
        let mut b = bill(true);
        b.source_url = "javascript:alert(1)".into();
        assert_eq!(place(vec![b]), "bills[0].source_url");
        let mut b = bill(true);
        b.number = Some("SB\n1".into());
        assert_eq!(place(vec![b]), "bills[0].number");
        let mut b = bill(true);
        b.year = Some(1800);
        assert_eq!(place(vec![b]), "bills[0].year");
        let mut b = bill(true);
        b.evaluations[0].criterion = "forged".into();
        assert_eq!(place(vec![b]), "bills[0].evaluations[0].criterion");
        let mut b = bill(true);
        b.evaluations[1] = b.evaluations[0].clone();
        assert_eq!(place(vec![b]), "bills[0].evaluations[1].criterion");
        let mut b = bill(true);
        b.evaluations[0].reason = "r".repeat(MAX_TEXT + 1);
        assert_eq!(place(vec![b]), "bills[0].evaluations[0].reason");
        let mut b = bill(true);
        b.evaluations[0].reason = " ".into();
        assert_eq!(place(vec![b]), "bills[0].evaluations[0].reason");
        assert_eq!(place(vec![bill(false); MAX_BILLS + 1]), "bills");
        assert!(validate(&r, Vec::new()).expect("no bills").is_empty());
    }

    #[test]
    fn the_diff_lists_criteria_then_bills_and_summarises_them() {
        let r = rubric();
        let old = validate(&r, vec![bill(true), bill(false)]).expect("valid");
        let mut new = old.clone();
        new[0].evaluations[0].status = CriterionStatus::Yes;
        new[0].evaluations[0].reason = "Caps end.".into();
        new[1].year = Some(2022);
        new.push(Bill {
            number: None,
            ..new[1].clone()
        });
        let changes = diff(&r, &old, &new);
        let lines: Vec<String> = changes.iter().map(Change::line).collect();
        assert_eq!(
            lines,
            [
                "end_damage_caps no → yes",
                "end_damage_caps reason edited",
                "bill SB 1 year: 2021 → 2022",
                "bill 3 added",
            ]
        );
        let ma = StateCode::parse("MA").expect("MA");
        assert_eq!(summary(ma, &changes[..1]), "MA: end_damage_caps no → yes");
        assert_eq!(summary(ma, &[]), "MA: no change");
        assert!(diff(&r, &new, &new).is_empty());
    }

    #[test]
    fn notes_are_trimmed_and_bounded() {
        assert_eq!(
            revision_note(Some("  why ")).expect("ok").as_deref(),
            Some("why")
        );
        assert_eq!(revision_note(Some("  ")).expect("ok"), None);
        assert_eq!(
            revision_note(Some(&"n".repeat(MAX_NOTE + 1)))
                .expect_err("long")
                .place,
            Place::Note
        );
    }
}
