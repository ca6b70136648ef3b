//! What the template pages read from a request: the editor's form (`subject`, `body`, `note`,
//! the preview's `state` and `legislator`, and the button pressed: `action`), the editor's
//! query (the preview's choice, and what a save just did) and the history's diff query
//! (`from`, `to`). Readers never fail on what a browser sends: a choice that cannot be read
//! falls back on the default; only an unknown `action` is refused.

use crate::domain::StateCode;
use crate::messages::TemplateText;

/// The longest legislator id kept from a request (the directory's are far shorter).
const MAX_ID_CHARS: usize = 200;

/// The button pressed in the editor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Render the edit for the chosen state and legislator; nothing is saved.
    Preview,
    /// Check the edit against every state and save it as the next version.
    Save,
    /// Drop the edit: back to the current version.
    Discard,
}

impl Action {
    /// `preview`, `save` or `discard`; none (Enter pressed in a text field, which submits
    /// with the form's first button) is a preview, which changes nothing.
    fn read(raw: Option<&str>) -> Option<Action> {
        match raw.map(str::trim) {
            None | Some("") | Some("preview") => Some(Action::Preview),
            Some("save") => Some(Action::Save),
            Some("discard") => Some(Action::Discard),
            Some(_) => None,
        }
    }
}

/// The editor's form as posted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditForm {
    /// Line endings as `\n` (browsers post `\r\n`), so an unchanged text is the same text.
    pub text: TemplateText,
    pub note: String,
    pub choice: PreviewChoice,
    pub action: Action,
}

/// The form names an action the editor does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Choose Preview, Save or Discard.")]
pub struct UnknownAction;

/// The state and legislator a preview is for, as chosen (either may be absent: the page then
/// uses the default state, and the state's first legislator).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PreviewChoice {
    pub state: Option<StateCode>,
    pub legislator: Option<String>,
}

impl PreviewChoice {
    fn read(state: Option<&str>, legislator: Option<&str>) -> PreviewChoice {
        PreviewChoice {
            state: state.and_then(|s| StateCode::parse(s.trim()).ok()),
            legislator: legislator
                .map(str::trim)
                .filter(|id| !id.is_empty() && !id.chars().any(char::is_control))
                .map(|id| id.chars().take(MAX_ID_CHARS).collect()),
        }
    }
}

/// The first value of `key` among `pairs`.
fn first<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// `\r\n` and lone `\r` as `\n`.
fn unix_lines(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

impl EditForm {
    /// Reads the posted pairs (the first of a repeated key counts; unknown keys, such as
    /// `csrf_token`, are ignored).
    pub fn read(pairs: &[(String, String)]) -> Result<EditForm, UnknownAction> {
        let action = Action::read(first(pairs, "action")).ok_or(UnknownAction)?;
        let text = |key| unix_lines(first(pairs, key).unwrap_or_default());
        Ok(EditForm {
            // A subject is one line: a line break pasted into it goes.
            text: TemplateText {
                subject: text("subject").replace('\n', " "),
                body: text("body"),
            },
            note: text("note"),
            choice: PreviewChoice::read(first(pairs, "state"), first(pairs, "legislator")),
            action,
        })
    }
}

/// The editor's query: the preview's choice, and the save just made (`saved`, `changed`: the
/// page after a save says what it did).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EditQuery {
    pub choice: PreviewChoice,
    pub saved: Option<(i64, usize)>,
}

impl EditQuery {
    pub fn read(pairs: &[(String, String)]) -> EditQuery {
        let number = |key| first(pairs, key).and_then(|v| v.trim().parse::<u32>().ok());
        EditQuery {
            choice: PreviewChoice::read(first(pairs, "state"), first(pairs, "legislator")),
            saved: match (number("saved"), number("changed")) {
                (Some(v), Some(n)) if v > 0 => Some((i64::from(v), n as usize)),
                _ => None,
            },
        }
    }
}

/// The two versions to compare, when both are given as version numbers.
pub fn diff_query(pairs: &[(String, String)]) -> Option<(i64, i64)> {
    let version = |key| {
        first(pairs, key)
            .and_then(|v| v.trim().parse::<u32>().ok())
            .filter(|v| *v > 0)
            .map(i64::from)
    };
    Some((version("from")?, version("to")?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_form_reads_its_fields_with_unix_line_endings() {
        let form = EditForm::read(&pairs(&[
            ("csrf_token", "x"),
            ("subject", "Hello\r\n{{ state.name }}"),
            ("body", "Dear X,\r\n\r\nThanks\r"),
            ("note", " why "),
            ("state", " ma "),
            ("legislator", " ocd-person/1 "),
            ("action", "save"),
        ]))
        .expect("reads");
        assert_eq!(form.text.subject, "Hello {{ state.name }}");
        assert_eq!(form.text.body, "Dear X,\n\nThanks\n");
        assert_eq!(form.note, " why ");
        assert_eq!(form.choice.state, StateCode::parse("MA").ok());
        assert_eq!(form.choice.legislator.as_deref(), Some("ocd-person/1"));
        assert_eq!(form.action, Action::Save);
    }

    #[test]
    fn no_action_is_a_preview_and_an_unknown_one_is_refused() {
        assert_eq!(
            EditForm::read(&pairs(&[("subject", "s")])).map(|f| f.action),
            Ok(Action::Preview)
        );
        assert_eq!(
            EditForm::read(&pairs(&[("action", "discard")])).map(|f| f.action),
            Ok(Action::Discard)
        );
        assert_eq!(
            EditForm::read(&pairs(&[("action", "delete")])),
            Err(UnknownAction)
        );
    }

    #[test]
    fn the_queries_read_numbers_and_ignore_the_rest() {
        assert_eq!(
            diff_query(&pairs(&[("from", "2"), ("to", " 5 ")])),
            Some((2, 5))
        );
        assert_eq!(diff_query(&pairs(&[("from", "2")])), None);
        assert_eq!(diff_query(&pairs(&[("from", "0"), ("to", "1")])), None);
        assert_eq!(diff_query(&pairs(&[("from", "-1"), ("to", "1")])), None);
        let q = EditQuery::read(&pairs(&[
            ("saved", "4"),
            ("changed", "51"),
            ("state", "XX"),
        ]));
        assert_eq!(q.saved, Some((4, 51)));
        assert_eq!(q.choice, PreviewChoice::default());
        assert_eq!(EditQuery::read(&pairs(&[("saved", "4")])).saved, None);
    }

    fn any_pairs() -> impl Strategy<Value = Vec<(String, String)>> {
        let key = prop_oneof![
            Just("subject".to_string()),
            Just("body".to_string()),
            Just("note".to_string()),
            Just("state".to_string()),
            Just("legislator".to_string()),
            Just("action".to_string()),
            Just("from".to_string()),
            Just("to".to_string()),
            Just("saved".to_string()),
            Just("changed".to_string()),
            "\\PC{0,8}",
        ];
        prop::collection::vec((key, "\\PC{0,40}|[\\r\\n a-zA-Z0-9]{0,40}"), 0..12)
    }

    proptest! {
        #[test]
        fn the_readers_never_panic_and_keep_their_promises(pairs in any_pairs()) {
            if let Ok(form) = EditForm::read(&pairs) {
                prop_assert!(!form.text.body.contains('\r'));
                prop_assert!(!form.text.subject.contains(['\r', '\n']));
                prop_assert!(!form.note.contains('\r'));
                if let Some(id) = &form.choice.legislator {
                    prop_assert!(!id.is_empty() && id.chars().count() <= MAX_ID_CHARS);
                    prop_assert_eq!(id.trim(), id.as_str());
                }
            }
            let query = EditQuery::read(&pairs);
            if let Some((version, _)) = query.saved {
                prop_assert!(version > 0);
            }
            if let Some((a, b)) = diff_query(&pairs) {
                prop_assert!(a > 0 && b > 0);
            }
        }

        #[test]
        fn every_state_code_is_read_back_in_either_case(i in 0usize..100, lower in any::<bool>()) {
            let code = StateCode::all().nth(i % StateCode::all().count()).expect("a state");
            let raw = if lower { code.as_str().to_lowercase() } else { code.as_str().to_string() };
            let form = EditForm::read(&[("state".to_string(), raw)]).expect("reads");
            prop_assert_eq!(form.choice.state, Some(code));
        }

        #[test]
        fn any_text_keeps_its_lines_whatever_the_line_endings(
            lines in prop::collection::vec("[^\\r\\n]{0,20}", 0..8),
            ending in prop_oneof![Just("\n"), Just("\r\n"), Just("\r")],
        ) {
            let posted = lines.join(ending);
            let form = EditForm::read(&[("body".to_string(), posted)]).expect("reads");
            prop_assert_eq!(form.text.body, lines.join("\n"));
        }
    }
}
