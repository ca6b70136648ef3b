//! The save-time check: a template is rendered for every state and DC, for each chamber of its
//! audience, before it is stored, so a mistake is found by the person who made it.

use super::fields::{MergeFields, SupporterFields};
use super::sandbox::{with_compiled, Compiled};
use super::{Audience, TemplateError, TemplateText};
use crate::directory::{Chamber, Legislator};
use crate::domain::StateCode;
use crate::scorecard::CampaignDoc;
use chrono::{DateTime, Utc};

/// A stand-in legislator of `chamber` in `state`, for checking templates (and previewing them
/// when the directory has nobody for the state).
pub fn sample_legislator(state: StateCode, chamber: Chamber) -> Legislator {
    let (title, district) = match chamber {
        Chamber::StateUpper => ("State Senator", "First Sample"),
        Chamber::StateLower => ("State Representative", "12th Sample"),
        Chamber::UsSenate => ("U.S. Senator", ""),
        Chamber::UsHouse => ("U.S. Representative", "7"),
    };
    Legislator {
        id: format!("sample:{}", chamber.as_str()),
        name: "Jordan Q. Sampleton-Whitfield".into(),
        given_name: "Jordan".into(),
        family_name: "Sampleton-Whitfield".into(),
        title: title.into(),
        chamber,
        state,
        district: district.into(),
        division_id: String::new(),
        party: None,
        email: None,
        contact_form: None,
        phone: None,
        photo_url: None,
        source: "sample".into(),
        synced_at: DateTime::<Utc>::UNIX_EPOCH,
    }
}

/// The supporters every check renders for: one with a city, one without. The first also signs
/// the staff preview.
fn sample_supporters() -> [SupporterFields; 2] {
    [
        sample_supporter(),
        SupporterFields {
            name: "Sam Example".into(),
            city: String::new(),
        },
    ]
}

/// A stand-in supporter (with a city), for checking and previewing templates.
pub fn sample_supporter() -> SupporterFields {
    SupporterFields {
        name: "Alexandra Example-Supporter".into(),
        city: "Springfield".into(),
    }
}

/// Checks a template before it is saved: its text (length, allowed statements), that it
/// compiles, and that it renders a valid subject and body for every state and DC, for each
/// chamber of `audience`, with and without a supporter's city. The first failure is returned,
/// naming the state.
pub fn check(
    doc: &CampaignDoc,
    audience: Audience,
    text: &TemplateText,
) -> Result<(), TemplateError> {
    with_compiled(text, |new| render_every_state(doc, audience, new, None))?.map(|_| ())
}

/// [`check`]s `text`, then says which states' messages it changes compared with `previous`
/// (the current version): a state counts when any of its sample messages (the same stand-ins
/// as the check) differs in subject or body. A previous version that no longer compiles or
/// renders counts as different everywhere it fails.
pub fn changed_states(
    doc: &CampaignDoc,
    audience: Audience,
    previous: &TemplateText,
    text: &TemplateText,
) -> Result<Vec<StateCode>, TemplateError> {
    with_compiled(text, |new| {
        match with_compiled(previous, |old| {
            render_every_state(doc, audience, new, Some(old))
        }) {
            Ok(changed) => changed,
            // The old text fails today's checks (stricter rules): every message differs.
            Err(_) => {
                render_every_state(doc, audience, new, None).map(|_| StateCode::all().collect())
            }
        }
    })?
}

/// Renders `new` for every sample legislator and supporter of every state, failing on the first
/// error; with `old`, returns the states where any rendering differs from `old`'s.
fn render_every_state(
    doc: &CampaignDoc,
    audience: Audience,
    new: &Compiled<'_, '_>,
    old: Option<&Compiled<'_, '_>>,
) -> Result<Vec<StateCode>, TemplateError> {
    let supporters = sample_supporters();
    let mut changed = Vec::new();
    for state in StateCode::all() {
        let card = doc.scorecard(state);
        let mut differs = false;
        for chamber in audience.chambers() {
            let legislator = sample_legislator(state, chamber);
            for supporter in &supporters {
                let fields = MergeFields::new(doc, &card, &legislator, supporter.clone());
                let rendered = new.render(&fields).map_err(|err| TemplateError::Render {
                    part: err.part,
                    state,
                    state_name: state.name(),
                    message: err.message,
                })?;
                if let Some(old) = old {
                    differs |= old.render(&fields).as_ref() != Ok(&rendered);
                }
            }
        }
        if differs {
            changed.push(state);
        }
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{doc, text};
    use super::super::{builtin, Part};
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_built_in_templates_pass_their_own_check_for_every_state() {
        let d = doc();
        for audience in Audience::ALL {
            let t = builtin(audience).expect("parses");
            assert!(!t.subject.is_empty() && !t.body.contains("# "), "{t:?}");
            check(&d, audience, &t).expect("built-in template is valid");
        }
    }

    #[test]
    fn unknown_variables_are_errors_naming_a_state() {
        let err = check(
            &doc(),
            Audience::State,
            &text("Hi", "Dear {{ legislator.nickname }}"),
        )
        .expect_err("unknown field");
        match &err {
            TemplateError::Render {
                part,
                state_name,
                message,
                ..
            } => {
                assert_eq!(*part, Part::Body);
                assert_eq!(*state_name, "Alabama");
                assert!(message.contains("undefined"), "{message}");
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(err.to_string().contains("Alabama"), "{err}");
        let err = check(&doc(), Audience::State, &text("{{ nope }}", "x")).expect_err("unknown");
        assert_eq!(err.part(), Part::Subject);
    }

    #[test]
    fn an_identical_edit_changes_no_state() {
        let t = builtin(Audience::State).expect("parses");
        let changed = changed_states(&doc(), Audience::State, &t, &t).expect("valid");
        assert!(changed.is_empty(), "{changed:?}");
    }

    #[test]
    fn a_new_sentence_changes_every_state() {
        let old = builtin(Audience::Federal).expect("parses");
        let mut new = old.clone();
        new.body.push_str("\nP.S. Thank you.");
        let changed = changed_states(&doc(), Audience::Federal, &old, &new).expect("valid");
        assert_eq!(changed.len(), StateCode::all().count());
    }

    #[test]
    fn only_the_states_whose_text_differs_are_counted() {
        let d = doc();
        let old = text("About {{ state.name }}", "Dear {{ legislator.name }}");
        // Differs only where Massachusetts is concerned, and in the subject only.
        let new = text(
            "About {{ state.name }}{% if state.code == 'MA' %} (MA){% endif %}",
            "Dear {{ legislator.name }}",
        );
        let changed = changed_states(&d, Audience::State, &old, &new).expect("valid");
        assert_eq!(changed, [StateCode::parse("MA").expect("MA")]);
        // Mentioning the gaps changes exactly the states that have some.
        let with_gaps = text(
            "About {{ state.name }}",
            "Dear {{ legislator.name }}{% for g in scorecard.gaps %}\n- {{ g }}{% endfor %}",
        );
        let changed = changed_states(&d, Audience::State, &old, &with_gaps).expect("valid");
        let expected: Vec<_> = StateCode::all()
            .filter(|s| !d.scorecard(*s).gaps.is_empty())
            .collect();
        assert!(!expected.is_empty());
        assert_eq!(changed, expected);
    }

    #[test]
    fn a_previous_version_that_no_longer_passes_counts_as_changed_everywhere() {
        let old = text("s", "{% set x = 1 %}{{ x }}");
        let new = text("s", "body");
        let changed = changed_states(&doc(), Audience::State, &old, &new).expect("valid");
        assert_eq!(changed.len(), StateCode::all().count());
    }

    #[test]
    fn an_invalid_edit_is_refused_before_anything_is_compared() {
        let old = builtin(Audience::State).expect("parses");
        let err = changed_states(&doc(), Audience::State, &old, &text("s", "{{ nope }}"))
            .expect_err("refused");
        assert_eq!(err.state(), StateCode::parse("AL").ok());
        assert_eq!(err.part(), Part::Body);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn arbitrary_template_text_never_panics(subject in any::<String>(), body in any::<String>()) {
            let _ = check(&doc(), Audience::State, &text(&subject, &body));
        }

        #[test]
        fn template_like_text_never_panics(
            parts in prop::collection::vec(prop::sample::select(vec![
                "{{", "}}", "{%", "%}", "{#", "#}", " if ", " for ", " in ", " endif ", " endfor ",
                " else ", "scorecard.gaps", "state.name", "legislator.", "supporter.city", "|join",
                "|upper", "'", "\"", "(", ")", "[", "]", "~", "+", "-", "*", " x ", "\n", "loop.index",
                " recursive ", " set ", "range(9)", ",", ".", "1", "9999999999999999999999",
            ]), 0..40)
        ) {
            let source: String = parts.concat();
            let _ = check(&doc(), Audience::Federal, &text("s", &source));
        }
    }
}
