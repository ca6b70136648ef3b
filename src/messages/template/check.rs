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
