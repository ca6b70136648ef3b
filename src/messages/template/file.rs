//! The layout of template files (`#` note lines, a `Subject:` line, a blank line, the body)
//! and the built-in templates in `config/templates/`.

use super::{Audience, Part, TemplateError, TemplateText};

const BUILTIN_STATE: &str = include_str!("../../../config/templates/state.txt");
const BUILTIN_FEDERAL: &str = include_str!("../../../config/templates/federal.txt");

/// The template a campaign starts with, from `config/templates/{state,federal}.txt` (compiled
/// in). Those files hold `#` note lines, a `Subject:` line, a blank line, then the body.
pub fn builtin(audience: Audience) -> Result<TemplateText, TemplateError> {
    let file = match audience {
        Audience::State => BUILTIN_STATE,
        Audience::Federal => BUILTIN_FEDERAL,
    };
    parse_template_file(file)
}

/// Reads the layout of the files in `config/templates/`.
pub fn parse_template_file(file: &str) -> Result<TemplateText, TemplateError> {
    let mut lines = file
        .lines()
        .skip_while(|l| l.starts_with('#') || l.trim().is_empty());
    let subject = lines
        .next()
        .and_then(|l| l.strip_prefix("Subject:"))
        .map(|s| s.trim().to_string())
        .ok_or(TemplateError::Empty {
            part: Part::Subject,
        })?;
    let body = lines.collect::<Vec<_>>().join("\n").trim().to_string();
    Ok(TemplateText { subject, body })
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{code, doc, render};
    use super::*;
    use crate::directory::Chamber;

    #[test]
    fn the_state_message_greets_names_the_bill_and_asks_one_line_per_gap() {
        let t = builtin(Audience::State).expect("parses");
        let r = render(&t, "MA", Chamber::StateUpper, "Boston");
        let body = r.body.as_str();
        assert!(body.starts_with("Dear Senator Jehlen,\n\n"), "{body}");
        assert!(body.contains("SB 945"), "{body}");
        assert!(body.contains("it did not pass"), "{body}");
        let card = doc().scorecard(code("MA"));
        assert_eq!(card.gaps.len(), 5);
        for gap in &card.gaps {
            assert!(
                body.contains(&format!("\n- {}\n", gap.ask)),
                "{} in {body}",
                gap.ask
            );
        }
        assert!(body.contains("It already meets these standards:"));
        assert!(
            body.ends_with("Sincerely,\nJane Doe\nBoston, Massachusetts"),
            "{body}"
        );
        assert!(!body.contains("\n\n\n"), "no runs of blank lines");
        assert_eq!(
            r.subject.as_str(),
            "Please end qualified immunity in Massachusetts"
        );
    }

    #[test]
    fn a_state_without_legislation_is_asked_for_a_bill_meeting_all_nine() {
        for audience in Audience::ALL {
            let t = builtin(audience).expect("parses");
            let r = render(&t, "WY", audience.chambers()[1], "");
            let body = r.body.as_str();
            assert!(
                body.contains("No legislation to end qualified immunity in Wyoming"),
                "{body}"
            );
            assert!(body.contains("all nine standards"), "{body}");
            assert_eq!(
                body.matches("\n- Introduce legislation to ").count(),
                9,
                "{body}"
            );
            assert!(body.ends_with("Jane Doe\nWyoming"), "{body}");
        }
    }

    #[test]
    fn the_federal_message_greets_members_of_congress() {
        let t = builtin(Audience::Federal).expect("parses");
        let r = render(&t, "MA", Chamber::UsSenate, "Boston");
        assert!(r.body.as_str().starts_with("Dear Senator Jehlen,"));
        let r = render(&t, "MA", Chamber::UsHouse, "");
        assert!(r.body.as_str().starts_with("Dear Representative Jehlen,"));
        assert!(r.body.as_str().contains("in Massachusetts."));
    }

    #[test]
    fn template_files_parse_with_notes_and_subject() {
        let t = parse_template_file(
            "# note\n# more\nSubject: Hello {{ state.name }}\n\nDear {{ x }},\nbye\n",
        )
        .expect("parses");
        assert_eq!(t.subject, "Hello {{ state.name }}");
        assert_eq!(t.body, "Dear {{ x }},\nbye");
        assert!(parse_template_file("# only notes\n").is_err());
    }
}
