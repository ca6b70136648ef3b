use super::{Bill, Criterion};
use crate::domain::{CriterionKind, CriterionStatus, StateCode};
use serde::Serialize;

/// Points per group. Partial counts 0.5; unknown criteria are counted apart and score nothing.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Score {
    pub end: f64,
    pub end_of: usize,
    pub start: f64,
    pub start_of: usize,
    /// Criteria not evaluated, in both groups.
    pub unknown: usize,
    pub end_unknown: usize,
    pub start_unknown: usize,
}

impl Score {
    pub fn total(&self) -> f64 {
        self.end + self.start
    }

    pub fn total_of(&self) -> usize {
        self.end_of + self.start_of
    }

    /// "end 3/4, start 1.5/5"; groups with unknowns say how many ("start 1/5, 2 of 5 unknown").
    pub fn summary(&self) -> String {
        format!(
            "end {}, start {}",
            group(self.end, self.end_of, self.end_unknown),
            group(self.start, self.start_of, self.start_unknown)
        )
    }
}

fn group(points: f64, of: usize, unknown: usize) -> String {
    if unknown == of && of > 0 {
        format!("{unknown} of {of} unknown")
    } else if unknown > 0 {
        format!("{}/{of} ({unknown} of {of} unknown)", fmt_points(points))
    } else {
        format!("{}/{of}", fmt_points(points))
    }
}

/// 3 -> "3", 1.5 -> "1.5".
pub fn fmt_points(points: f64) -> String {
    if points.fract() == 0.0 {
        format!("{points:.0}")
    } else {
        format!("{points:.1}")
    }
}

/// One criterion as it stands for a state.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoredCriterion {
    pub id: String,
    pub kind: CriterionKind,
    pub label: String,
    pub status: CriterionStatus,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quote: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// A standard the state's legislation falls short of, and what to ask for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gap {
    pub id: String,
    pub label: String,
    /// A sentence such as "End qualified immunity for every police officer."
    pub ask: String,
    /// `no` or `partial`; `unknown` when the state has no evaluated legislation at all.
    pub status: CriterionStatus,
}

/// A state's standing on a campaign's rubric, built from its featured bill.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scorecard {
    pub state: StateCode,
    pub state_name: &'static str,
    pub bill: Option<Bill>,
    pub other_bills: Vec<Bill>,
    pub criteria: Vec<ScoredCriterion>,
    pub score: Score,
    pub summary: String,
    pub gaps: Vec<Gap>,
}

impl Scorecard {
    pub fn build(rubric: &[Criterion], state: StateCode, bills: &[Bill]) -> Scorecard {
        let featured = bills.iter().find(|b| b.featured).cloned();
        let other_bills: Vec<Bill> = bills.iter().filter(|b| !b.featured).cloned().collect();

        let criteria: Vec<ScoredCriterion> = rubric
            .iter()
            .map(|c| {
                let eval = featured
                    .as_ref()
                    .and_then(|b| b.evaluations.iter().find(|e| e.criterion == c.id));
                ScoredCriterion {
                    id: c.id.clone(),
                    kind: c.kind,
                    label: c.label.clone(),
                    status: eval.map(|e| e.status).unwrap_or(CriterionStatus::Unknown),
                    reason: eval.map(|e| e.reason.clone()).unwrap_or_else(|| {
                        if featured.is_some() {
                            "Not captured from the campaign's page.".to_string()
                        } else {
                            "No legislation has been evaluated in this state.".to_string()
                        }
                    }),
                    quote: eval.and_then(|e| e.quote.clone()),
                    source: eval.and_then(|e| e.source.clone()),
                }
            })
            .collect();

        let mut score = Score {
            end: 0.0,
            end_of: 0,
            start: 0.0,
            start_of: 0,
            unknown: 0,
            end_unknown: 0,
            start_unknown: 0,
        };
        for c in &criteria {
            let (points, of, unknown) = match c.kind {
                CriterionKind::End => (&mut score.end, &mut score.end_of, &mut score.end_unknown),
                CriterionKind::Start => (
                    &mut score.start,
                    &mut score.start_of,
                    &mut score.start_unknown,
                ),
            };
            *of += 1;
            match c.status.points() {
                Some(p) => *points += p,
                None => {
                    *unknown += 1;
                    score.unknown += 1;
                }
            }
        }

        let gaps = if featured.is_some() {
            criteria
                .iter()
                .filter(|c| c.status.is_gap())
                .filter_map(|c| {
                    let ask = &rubric.iter().find(|r| r.id == c.id)?.ask;
                    Some(Gap {
                        id: c.id.clone(),
                        label: c.label.clone(),
                        ask: sentence(ask),
                        status: c.status,
                    })
                })
                .collect()
        } else {
            // Nothing to improve on: ask for a bill that meets every standard.
            rubric
                .iter()
                .map(|c| Gap {
                    id: c.id.clone(),
                    label: c.label.clone(),
                    ask: format!("Introduce legislation to {}.", c.ask.trim_end_matches('.')),
                    status: CriterionStatus::Unknown,
                })
                .collect()
        };

        Scorecard {
            state,
            state_name: state.name(),
            bill: featured,
            other_bills,
            summary: score.summary(),
            criteria,
            score,
            gaps,
        }
    }

    /// Criteria fully met, for map colouring: partial counts half, rounded down.
    pub fn met_bucket(&self) -> Option<u8> {
        self.bill.as_ref()?;
        Some(self.score.total().floor() as u8)
    }
}

/// "end qualified immunity" -> "End qualified immunity."
fn sentence(ask: &str) -> String {
    let trimmed = ask.trim().trim_end_matches('.');
    let mut chars = trimmed.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::BillStatus;
    use crate::scorecard::Evaluation;

    fn rubric() -> Vec<Criterion> {
        let mk = |id: &str, kind| Criterion {
            id: id.into(),
            kind,
            label: format!("label {id}"),
            ask: format!("do {id}"),
        };
        vec![
            mk("e1", CriterionKind::End),
            mk("e2", CriterionKind::End),
            mk("s1", CriterionKind::Start),
            mk("s2", CriterionKind::Start),
            mk("s3", CriterionKind::Start),
        ]
    }

    fn bill(evals: &[(&str, CriterionStatus)]) -> Bill {
        Bill {
            number: Some("HB 1".into()),
            title: "t".into(),
            year: Some(2021),
            status: BillStatus::Failed,
            source_url: "https://example.org".into(),
            featured: true,
            note: None,
            evaluations: evals
                .iter()
                .map(|(id, s)| Evaluation {
                    criterion: (*id).into(),
                    status: *s,
                    reason: "r".into(),
                    quote: None,
                    source: None,
                })
                .collect(),
        }
    }

    fn state() -> StateCode {
        StateCode::parse("MA").expect("MA is a state")
    }

    #[test]
    fn partial_counts_half_and_gaps_follow_rubric_order() {
        use CriterionStatus::*;
        let b = bill(&[
            ("e1", Yes),
            ("e2", No),
            ("s1", Partial),
            ("s2", Yes),
            ("s3", No),
        ]);
        let card = Scorecard::build(&rubric(), state(), &[b]);
        assert_eq!(card.score.end, 1.0);
        assert_eq!(card.score.start, 1.5);
        assert_eq!(card.summary, "end 1/2, start 1.5/3");
        let ids: Vec<_> = card.gaps.iter().map(|g| g.id.as_str()).collect();
        assert_eq!(ids, ["e2", "s1", "s3"]);
        assert_eq!(card.gaps[0].ask, "Do e2.");
    }

    #[test]
    fn unknown_is_excluded_and_shown() {
        use CriterionStatus::*;
        let b = bill(&[("e1", Yes), ("e2", Yes), ("s1", Yes)]);
        let card = Scorecard::build(&rubric(), state(), &[b]);
        assert_eq!(card.score.unknown, 2);
        assert_eq!(card.summary, "end 2/2, start 1/3 (2 of 3 unknown)");
        assert!(card.gaps.is_empty());
    }

    #[test]
    fn a_state_without_legislation_is_asked_for_every_standard() {
        let card = Scorecard::build(&rubric(), state(), &[]);
        assert_eq!(card.gaps.len(), 5);
        assert_eq!(card.gaps[0].ask, "Introduce legislation to do e1.");
        assert_eq!(card.summary, "end 2 of 2 unknown, start 3 of 3 unknown");
        assert_eq!(card.met_bucket(), None);
    }
}
