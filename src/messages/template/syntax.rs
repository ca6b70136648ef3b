//! What a template's text may hold, checked before compiling: length limits, and a scan for
//! statements and operators the sandbox refuses (see the module docs of `template`).

use super::{Part, TemplateError, TemplateText};

/// The longest template subject accepted, in characters.
pub const MAX_TEMPLATE_SUBJECT_CHARS: usize = 200;
/// The longest template body accepted, in characters.
pub const MAX_TEMPLATE_BODY_CHARS: usize = 20_000;
/// Statements a template may use.
const ALLOWED_STATEMENTS: [&str; 6] = ["if", "elif", "else", "endif", "for", "endfor"];

/// Statements other than `if`/`for`, and the `*` operator, are refused before compiling (see
/// the module docs). The scan follows minijinja's lexer closely enough to be conservative: it
/// skips comments and string literals as minijinja does, and anything it cannot follow is left
/// for the compiler to refuse.
pub(super) fn check_allowed(source: &str, part: Part) -> Result<(), TemplateError> {
    let not_allowed = |what: String| TemplateError::NotAllowed { part, what };
    let bytes = source.as_bytes();
    let mut i = 0;
    while i + 1 < bytes.len() {
        if bytes[i] != b'{' || !matches!(bytes[i + 1], b'{' | b'%' | b'#') {
            i += 1;
            continue;
        }
        let opener = bytes[i + 1];
        i += 2;
        if opener == b'#' {
            // A comment ends at the first `#}`, whatever it holds.
            match source[i..].find("#}") {
                Some(end) => i += end + 2,
                None => return Ok(()),
            }
            continue;
        }
        let closer = if opener == b'{' { b'}' } else { b'%' };
        let start = i;
        let mut end = None;
        // Like minijinja's lexer, a tag only ends outside brackets: `{{ {'a': {'b': 1}} }}`.
        let mut depth: isize = 0;
        while i < bytes.len() {
            match bytes[i] {
                quote @ (b'"' | b'\'') => {
                    i += 1;
                    while i < bytes.len() && bytes[i] != quote {
                        i += if bytes[i] == b'\\' { 2 } else { 1 };
                    }
                    i += 1;
                }
                b if depth == 0 && b == closer && bytes.get(i + 1) == Some(&b'}') => {
                    end = Some(i);
                    i += 2;
                    break;
                }
                b'(' | b'[' | b'{' => {
                    depth += 1;
                    i += 1;
                }
                b')' | b']' | b'}' => {
                    depth -= 1;
                    i += 1;
                }
                _ => i += 1,
            }
        }
        let Some(end) = end else { return Ok(()) };
        let inner = source
            .get(start..end)
            .unwrap_or_default()
            .trim_matches(|c: char| c == '-' || c == '+' || c == '~' || c.is_whitespace());
        if strip_strings(inner).contains('*') {
            return Err(not_allowed("the `*` operator".into()));
        }
        if opener == b'%' {
            let word: String = inner
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !ALLOWED_STATEMENTS.contains(&word.as_str()) {
                return Err(not_allowed(format!(
                    "`{{% {} %}}` (only if, elif, else, for and their ends are allowed)",
                    word.chars().take(20).collect::<String>()
                )));
            }
            if strip_strings(inner)
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .any(|w| w == "recursive")
            {
                return Err(not_allowed("recursive loops".into()));
            }
        }
    }
    Ok(())
}

/// `inner` with the contents of string literals removed (so `"*"` is not an operator).
fn strip_strings(inner: &str) -> String {
    let mut out = String::with_capacity(inner.len());
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in inner.chars() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                    out.push(c);
                }
            }
            None => {
                if c == '"' || c == '\'' {
                    quote = Some(c);
                }
                out.push(c);
            }
        }
    }
    out
}

/// Length limits and the statement rules of a template's text.
pub(super) fn check_text(text: &TemplateText) -> Result<(), TemplateError> {
    for (part, source, limit) in [
        (Part::Subject, &text.subject, MAX_TEMPLATE_SUBJECT_CHARS),
        (Part::Body, &text.body, MAX_TEMPLATE_BODY_CHARS),
    ] {
        if source.trim().is_empty() {
            return Err(TemplateError::Empty { part });
        }
        let chars = source.chars().count();
        if chars > limit {
            return Err(TemplateError::TooLong { part, chars, limit });
        }
        check_allowed(source, part)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{doc, text};
    use super::super::{check, Audience};
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn syntax_errors_and_oversized_text_are_refused() {
        let d = doc();
        assert!(matches!(
            check(&d, Audience::State, &text("Hi", "{% if %}")),
            Err(TemplateError::Syntax {
                part: Part::Body,
                ..
            })
        ));
        assert!(matches!(
            check(&d, Audience::State, &text(&"s".repeat(201), "x")),
            Err(TemplateError::TooLong {
                part: Part::Subject,
                ..
            })
        ));
        assert!(matches!(
            check(&d, Audience::State, &text("s", &"b".repeat(20_001))),
            Err(TemplateError::TooLong {
                part: Part::Body,
                ..
            })
        ));
        assert!(matches!(
            check(&d, Audience::State, &text(" ", "x")),
            Err(TemplateError::Empty {
                part: Part::Subject
            })
        ));
    }

    #[test]
    fn hostile_templates_are_refused_quickly() {
        let d = doc();
        let started = Instant::now();
        for hostile in [
            "{% for i in range(100000000) %}x{% endfor %}",
            "{% for a in scorecard.unknown %}{% for b in scorecard.unknown %}{% for c in scorecard.unknown %}{% for d in scorecard.unknown %}{% for e in scorecard.unknown %}{{ a }}{% endfor %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}",
            "{{ 'x' * 100000000 }}",
            "{% set a = campaign.title %}{{ a }}",
            "{% macro m(x) %}{{ m(x ~ x) }}{% endmacro %}{{ m('x') }}",
            "{%- set a = 1 -%}",
            "{# ok #}{% include 'x' %}",
            "{% for x in scorecard.gaps recursive %}{{ loop(x) }}{% endfor %}",
            "{{ '}}' }}{% set a = 1 %}",
            "{{ {'a': {'b': 1}} ~ 'x' * 100000000 }}",
            "{{ (('x')) ~ ['y'][0] * 3 }}",
            "{{ scorecard.gaps|indent(100000000) }}",
            "{{ debug() }}",
        ] {
            assert!(
                check(&d, Audience::State, &text("s", hostile)).is_err(),
                "{hostile} was accepted"
            );
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        // The scan ends a tag where minijinja does, outside brackets and strings.
        for sneaky in [
            "{{ {'a': {'b': 1}} ~ 'x' * 2 }}",
            "{{ ['}}'] ~ 'x' * 2 }}",
            "{{ '%}' }}{%- set a = 1 -%}",
        ] {
            assert!(
                matches!(
                    check_allowed(sneaky, Part::Body),
                    Err(TemplateError::NotAllowed { .. })
                ),
                "{sneaky}"
            );
        }
        // What is allowed still works, string literals included.
        check(
            &d,
            Audience::State,
            &text(
                "{{ state.name|upper }} {{ '*' }}",
                "{# a note: {% set %} #}{% for g in scorecard.gaps %}{{ loop.index }}. {{ g }}\n{% endfor %}x",
            ),
        )
        .expect("plain loops, filters, comments and strings are fine");
    }
}
