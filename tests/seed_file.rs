//! The shipped campaign seed parses, and its fully evaluated states score as the campaign's pages say.

use advocate::domain::{CriterionStatus, StateCode};
use advocate::scorecard::{file, CampaignDoc};

const SEED: &str = include_str!("../config/seed/end-qualified-immunity.toml");

fn seed() -> CampaignDoc {
    file::parse(SEED).unwrap_or_else(|e| panic!("seed file is invalid: {e}"))
}

fn state(code: &str) -> StateCode {
    StateCode::parse(code).expect("a state code")
}

#[test]
fn the_seed_has_the_nine_criteria_in_rubric_order() {
    let doc = seed();
    let ids: Vec<&str> = doc.criteria.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "end_all_police",
            "end_all_public_employees",
            "end_all_constitutional_violations",
            "end_damage_caps",
            "start_failure_to_intervene",
            "start_full_compensation",
            "start_attorney_fees",
            "start_individual_accountability",
            "start_public_records",
        ]
    );
    assert_eq!(doc.campaign.slug, "end-qualified-immunity");
}

#[test]
fn every_listed_state_features_exactly_one_bill() {
    let doc = seed();
    assert!(doc.states.len() >= 30, "{} states", doc.states.len());
    for s in &doc.states {
        assert_eq!(
            s.bills.iter().filter(|b| b.featured).count(),
            1,
            "{}",
            s.code
        );
    }
}

#[test]
fn the_seed_states_score_as_their_pages_say() {
    let doc = seed();
    for (code, summary, gaps) in [
        (
            "MA",
            "end 3/4, start 1/5",
            &[
                "end_damage_caps",
                "start_failure_to_intervene",
                "start_full_compensation",
                "start_attorney_fees",
                "start_individual_accountability",
            ][..],
        ),
        (
            "MO",
            "end 3/4, start 3/5",
            &[
                "end_all_public_employees",
                "start_failure_to_intervene",
                "start_public_records",
            ][..],
        ),
        (
            "CT",
            "end 2/4, start 1.5/5",
            &[
                "end_all_police",
                "end_all_public_employees",
                "start_failure_to_intervene",
                "start_attorney_fees",
                "start_individual_accountability",
                "start_public_records",
            ][..],
        ),
    ] {
        let card = doc.scorecard(state(code));
        assert_eq!(card.summary, summary, "{code}");
        let ids: Vec<&str> = card.gaps.iter().map(|g| g.id.as_str()).collect();
        assert_eq!(ids, gaps, "{code}");
        assert!(
            card.criteria
                .iter()
                .all(|c| c.status != CriterionStatus::Unknown),
            "{code}"
        );
    }
    let ct = doc.scorecard(state("CT"));
    let records = ct
        .criteria
        .iter()
        .find(|c| c.id == "start_public_records")
        .expect("criterion");
    assert_eq!(records.status, CriterionStatus::Partial);
}

#[test]
fn a_state_without_a_page_asks_for_a_bill() {
    let card = seed().scorecard(state("WY"));
    assert!(card.bill.is_none());
    assert_eq!(card.gaps.len(), 9);
}

#[test]
fn the_seed_round_trips_through_export() {
    let doc = seed();
    let again = file::parse(&file::render(&doc).expect("renders")).expect("re-parses");
    assert_eq!(doc, again);
}
