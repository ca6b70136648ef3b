//! The sandbox every template runs in: minijinja with no loader and no globals, a short list
//! of filters and tests, a fuel budget, a recursion limit and a cap on the output.

use super::fields::MergeFields;
use super::syntax::check_text;
use super::{Part, RenderError, TemplateError, TemplateText};
use crate::domain::{Body, Subject};
use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use std::io;

/// Instructions one render may run. The built-in templates use a few hundred.
const FUEL: u64 = 20_000;
/// Bytes a rendered subject or body may reach before rendering stops (well above what the
/// length limits of [`Subject`] and [`Body`] allow, so that those give the clearer message).
const SUBJECT_OUTPUT_CAP: usize = 4 * 1024;
const BODY_OUTPUT_CAP: usize = 64 * 1024;
/// Nesting depth of blocks a render may reach.
const RECURSION_LIMIT: usize = 100;

/// The sandboxed environment every template runs in.
fn environment<'src>() -> Environment<'src> {
    use minijinja::{filters, tests};
    let mut env = Environment::empty();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_fuel(Some(FUEL));
    env.set_recursion_limit(RECURSION_LIMIT);
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.set_debug(false);
    env.add_filter("upper", filters::upper);
    env.add_filter("lower", filters::lower);
    env.add_filter("title", filters::title);
    env.add_filter("capitalize", filters::capitalize);
    env.add_filter("trim", filters::trim);
    env.add_filter("length", filters::length);
    env.add_filter("count", filters::length);
    env.add_filter("first", filters::first);
    env.add_filter("last", filters::last);
    env.add_filter("join", filters::join);
    env.add_filter("default", filters::default);
    env.add_filter("d", filters::default);
    env.add_filter("reverse", filters::reverse);
    env.add_filter("sort", filters::sort);
    env.add_filter("string", filters::string);
    env.add_filter("int", filters::int);
    env.add_filter("abs", filters::abs);
    env.add_filter("round", filters::round);
    env.add_test("defined", tests::is_defined);
    env.add_test("undefined", tests::is_undefined);
    env.add_test("none", tests::is_none);
    env.add_test("string", tests::is_string);
    env.add_test("number", tests::is_number);
    env.add_test("sequence", tests::is_sequence);
    env.add_test("even", tests::is_even);
    env.add_test("odd", tests::is_odd);
    env.add_test("eq", tests::is_eq);
    env.add_test("ne", tests::is_ne);
    env.add_test("in", tests::is_in);
    env
}

/// minijinja's explanation, on one line, with the template line when known.
fn describe(err: &minijinja::Error) -> String {
    let mut message = match err.detail() {
        Some(detail) => format!("{}: {detail}", err.kind()),
        None => err.kind().to_string(),
    };
    if let Some(line) = err.line() {
        message.push_str(&format!(" (line {line})"));
    }
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A sink that refuses to grow past `limit` bytes, so a render cannot fill memory.
struct CappedOutput {
    buf: Vec<u8>,
    limit: usize,
}

impl io::Write for CappedOutput {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.buf.len() + data.len() > self.limit {
            return Err(io::Error::other("output too large"));
        }
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn render_capped(
    template: &minijinja::Template<'_, '_>,
    fields: &MergeFields,
    limit: usize,
) -> Result<String, String> {
    let mut out = CappedOutput {
        buf: Vec::new(),
        limit,
    };
    match template.render_captured_to(fields, &mut out) {
        Ok(_) => String::from_utf8(out.buf).map_err(|_| "the output is not valid text".into()),
        Err(err) if err.kind() == minijinja::ErrorKind::WriteFailure => {
            Err(format!("the output is larger than {limit} bytes"))
        }
        Err(err) => Err(describe(&err)),
    }
}

/// Tidies a rendered body: trailing spaces go, runs of blank lines become one, and the text
/// starts and ends with a non-blank line. Templates can then be laid out for their readers.
fn tidy_body(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut blank_run = 0;
    for line in raw.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank_run += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank_run > 0 { "\n\n" } else { "\n" });
        }
        blank_run = 0;
        out.push_str(line);
    }
    out
}

/// A template compiled once and rendered for many legislators.
pub struct Compiled<'env, 'src> {
    subject: minijinja::Template<'env, 'src>,
    body: minijinja::Template<'env, 'src>,
}

/// What a template made for one legislator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: Subject,
    pub body: Body,
}

impl Compiled<'_, '_> {
    /// Renders the subject and body; a result that is not a valid [`Subject`]/[`Body`] (empty,
    /// too long) is an error like any other.
    pub fn render(&self, fields: &MergeFields) -> Result<Rendered, RenderError> {
        let subject = render_capped(&self.subject, fields, SUBJECT_OUTPUT_CAP)
            .and_then(|s| Subject::from_rendered(&s).map_err(|e| rendered_problem(&e.reason)))
            .map_err(|message| RenderError {
                part: Part::Subject,
                message,
            })?;
        let body = render_capped(&self.body, fields, BODY_OUTPUT_CAP)
            .and_then(|b| Body::parse(&tidy_body(&b)).map_err(|e| rendered_problem(&e.reason)))
            .map_err(|message| RenderError {
                part: Part::Body,
                message,
            })?;
        Ok(Rendered { subject, body })
    }
}

/// "Please enter a subject." is written for supporters; say what it means for a template.
fn rendered_problem(reason: &str) -> String {
    format!("the rendered text is not usable: {reason}")
}

/// Runs `f` with `text` checked and compiled in the sandbox.
pub fn with_compiled<T>(
    text: &TemplateText,
    f: impl FnOnce(&Compiled<'_, '_>) -> T,
) -> Result<T, TemplateError> {
    check_text(text)?;
    let env = environment();
    let syntax = |part: Part, err: minijinja::Error| TemplateError::Syntax {
        part,
        message: describe(&err),
    };
    let subject = env
        .template_from_str(&text.subject)
        .map_err(|e| syntax(Part::Subject, e))?;
    let body = env
        .template_from_str(&text.body)
        .map_err(|e| syntax(Part::Body, e))?;
    Ok(f(&Compiled { subject, body }))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{doc, text};
    use super::super::{check, Audience};

    #[test]
    fn output_is_capped() {
        // Nine gaps, nested three deep with a long literal: well within fuel, over the cap.
        let long = "y".repeat(150);
        let body = format!(
            "{{% for a in scorecard.gaps %}}{{% for b in scorecard.gaps %}}{{% for c in scorecard.gaps %}}{long}{{% endfor %}}{{% endfor %}}{{% endfor %}}"
        );
        let err = check(&doc(), Audience::State, &text("s", &body)).expect_err("too large");
        assert!(
            err.to_string().contains("larger than") || err.to_string().contains("too long"),
            "{err}"
        );
    }
}
