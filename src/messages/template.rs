//! Message templates: minijinja, evaluated at run time against a state's scorecard, one
//! legislator and the supporter.
//!
//! Templates are edited by staff, so a template is treated as untrusted code:
//! - no loader (no file system, no other template), no globals (`range`, `namespace`, `debug`),
//!   a short list of filters and tests that cannot multiply their input;
//! - statements are limited to `if`/`elif`/`else`/`for` (no `set`, `macro`, `call`, `include`,
//!   `recursive` loops ...) and the `*` operator is refused: without them a template has no way
//!   to build a value larger than a few times its own text;
//! - every render has a fuel budget (a hostile loop stops), a recursion limit, and an output cap;
//! - undefined variables are errors (`UndefinedBehavior::Strict`), and output is plain text
//!   (no auto-escaping: these are emails, not pages).
//!
//! A template is checked when it is saved by rendering it for every state (see [`check`]), so a
//! mistake is found by the person who made it and not by a supporter.

use crate::directory::{Chamber, Legislator};
use crate::domain::{Body, CriterionStatus, StateCode, Subject};
use crate::scorecard::{CampaignDoc, Scorecard};
use chrono::{DateTime, Utc};
use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde::Serialize;
use std::io;

/// The longest template subject accepted, in characters.
pub const MAX_TEMPLATE_SUBJECT_CHARS: usize = 200;
/// The longest template body accepted, in characters.
pub const MAX_TEMPLATE_BODY_CHARS: usize = 20_000;
/// Instructions one render may run. The built-in templates use a few hundred.
const FUEL: u64 = 20_000;
/// Bytes a rendered subject or body may reach before rendering stops (well above what the
/// length limits of [`Subject`] and [`Body`] allow, so that those give the clearer message).
const SUBJECT_OUTPUT_CAP: usize = 4 * 1024;
const BODY_OUTPUT_CAP: usize = 64 * 1024;
/// Nesting depth of blocks a render may reach.
const RECURSION_LIMIT: usize = 100;
/// Statements a template may use.
const ALLOWED_STATEMENTS: [&str; 6] = ["if", "elif", "else", "endif", "for", "endfor"];

/// Who a template is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// State senators and representatives.
    State,
    /// Members of Congress.
    Federal,
}

impl Audience {
    pub const ALL: [Audience; 2] = [Audience::State, Audience::Federal];

    pub fn as_str(&self) -> &'static str {
        match self {
            Audience::State => "state",
            Audience::Federal => "federal",
        }
    }

    pub fn parse(raw: &str) -> Option<Audience> {
        Audience::ALL.into_iter().find(|a| a.as_str() == raw)
    }

    pub fn of(chamber: Chamber) -> Audience {
        if chamber.is_federal() {
            Audience::Federal
        } else {
            Audience::State
        }
    }

    /// The chambers whose members receive this audience's messages.
    pub fn chambers(&self) -> [Chamber; 2] {
        match self {
            Audience::State => [Chamber::StateUpper, Chamber::StateLower],
            Audience::Federal => [Chamber::UsSenate, Chamber::UsHouse],
        }
    }
}

/// A template's text: a subject and a body, both minijinja.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateText {
    pub subject: String,
    pub body: String,
}

/// One stored version of a campaign's template for an audience.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MessageTemplate {
    pub audience: Audience,
    /// 1 for the seeded template, then one more for every save.
    pub version: i64,
    pub subject: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

impl MessageTemplate {
    pub fn text(&self) -> TemplateText {
        TemplateText {
            subject: self.subject.clone(),
            body: self.body.clone(),
        }
    }
}

/// Which part of a template a problem is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    Subject,
    Body,
}

impl Part {
    pub fn as_str(&self) -> &'static str {
        match self {
            Part::Subject => "subject",
            Part::Body => "body",
        }
    }
}

/// Why a template cannot be saved. Every message names the part and, for a render failure, the
/// state it failed for, with minijinja's own explanation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("the {} template is empty", .part.as_str())]
    Empty { part: Part },
    #[error("the {} template is too long ({chars} characters; the limit is {limit})", .part.as_str())]
    TooLong {
        part: Part,
        chars: usize,
        limit: usize,
    },
    #[error("the {} template uses {what}, which message templates do not allow", .part.as_str())]
    NotAllowed { part: Part, what: String },
    #[error("the {} template does not compile: {message}", .part.as_str())]
    Syntax { part: Part, message: String },
    #[error("the {} template fails for {state_name} ({state}): {message}", .part.as_str())]
    Render {
        part: Part,
        state: StateCode,
        state_name: &'static str,
        message: String,
    },
}

impl TemplateError {
    pub fn part(&self) -> Part {
        match self {
            TemplateError::Empty { part }
            | TemplateError::TooLong { part, .. }
            | TemplateError::NotAllowed { part, .. }
            | TemplateError::Syntax { part, .. }
            | TemplateError::Render { part, .. } => *part,
        }
    }
}

/// Why a stored template failed to make a message for one legislator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the {} template failed: {message}", .part.as_str())]
pub struct RenderError {
    pub part: Part,
    pub message: String,
}

// ---------------------------------------------------------------------------------------------
// Merge fields

/// Everything a template can use. The field names are the template's API: see
/// `config/templates/state.txt` for the list staff see.
#[derive(Debug, Clone, Serialize)]
pub struct MergeFields {
    pub supporter: SupporterFields,
    pub legislator: LegislatorFields,
    pub state: StateFields,
    pub scorecard: ScorecardFields,
    pub campaign: CampaignFields,
}

#[derive(Debug, Clone, Serialize)]
pub struct SupporterFields {
    pub name: String,
    /// Empty when the supporter gave none (so `{% if supporter.city %}` reads naturally).
    pub city: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct LegislatorFields {
    pub name: String,
    pub last_name: String,
    /// As the directory has it: "State Senator", "U.S. Representative", "Delegate", ...
    pub title: String,
    /// The title to greet them by: "Senator", "Representative", "Delegate", ...
    pub salutation: String,
    /// "7", "8th Suffolk"; empty for U.S. senators.
    pub district: String,
    /// "State Senate", "State House", "U.S. Senate" or "U.S. House".
    pub chamber: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct StateFields {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScorecardFields {
    /// "SB 945"; empty when no legislation has been evaluated in the state.
    pub bill: String,
    /// "passed", "failed", "pending"; empty without a bill.
    pub status: String,
    /// "end 3/4, start 1/5".
    pub score: String,
    /// One ask per standard not (fully) met, as sentences; every standard for a state without
    /// evaluated legislation ("Introduce legislation to ...").
    pub gaps: Vec<String>,
    /// The labels of the standards met.
    pub met: Vec<String>,
    /// The labels of the standards not evaluated.
    pub unknown: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CampaignFields {
    pub title: String,
    pub organisation: String,
    pub url: String,
}

impl MergeFields {
    pub fn new(
        doc: &CampaignDoc,
        card: &Scorecard,
        legislator: &Legislator,
        supporter: SupporterFields,
    ) -> MergeFields {
        let labels = |wanted: CriterionStatus| -> Vec<String> {
            card.criteria
                .iter()
                .filter(|c| c.status == wanted)
                .map(|c| c.label.clone())
                .collect()
        };
        MergeFields {
            supporter,
            legislator: LegislatorFields::from(legislator),
            state: StateFields {
                code: card.state.as_str().to_string(),
                name: card.state_name.to_string(),
            },
            scorecard: ScorecardFields {
                bill: card.bill.as_ref().map(bill_name).unwrap_or_default(),
                status: card
                    .bill
                    .as_ref()
                    .map(|b| b.status.as_str().to_string())
                    .unwrap_or_default(),
                score: card.summary.clone(),
                gaps: card.gaps.iter().map(|g| g.ask.clone()).collect(),
                met: labels(CriterionStatus::Yes),
                unknown: labels(CriterionStatus::Unknown),
            },
            campaign: CampaignFields {
                title: doc.campaign.title.clone(),
                organisation: doc.campaign.organisation.clone(),
                url: doc.campaign.url.clone(),
            },
        }
    }
}

impl From<&Legislator> for LegislatorFields {
    fn from(l: &Legislator) -> Self {
        let last_name = if l.family_name.trim().is_empty() {
            l.name.split_whitespace().last().unwrap_or_default()
        } else {
            l.family_name.trim()
        };
        LegislatorFields {
            name: l.name.clone(),
            last_name: last_name.to_string(),
            title: l.title.clone(),
            salutation: salutation(&l.title, l.chamber),
            district: if l.chamber == Chamber::UsSenate {
                String::new()
            } else {
                l.district.clone()
            },
            chamber: match l.chamber {
                Chamber::StateUpper => "State Senate",
                Chamber::StateLower => "State House",
                Chamber::UsSenate => "U.S. Senate",
                Chamber::UsHouse => "U.S. House",
            }
            .to_string(),
        }
    }
}

/// "State Senator" -> "Senator", "U.S. Representative" -> "Representative", "Assembly Member"
/// stays; an empty title falls back on the chamber.
fn salutation(title: &str, chamber: Chamber) -> String {
    let t = title.trim();
    let t = t
        .strip_prefix("State ")
        .or_else(|| t.strip_prefix("U.S. "))
        .or_else(|| t.strip_prefix("US "))
        .unwrap_or(t)
        .trim();
    if !t.is_empty() {
        return t.to_string();
    }
    match chamber {
        Chamber::StateUpper | Chamber::UsSenate => "Senator",
        Chamber::StateLower | Chamber::UsHouse => "Representative",
    }
    .to_string()
}

/// "SB 945", or the bill's title without a trailing parenthetical when the campaign's page names
/// no number ("Florida qualified immunity bill (earlier page version)" -> "Florida qualified
/// immunity bill"): the parentheses are notes for staff, not words for a legislator.
fn bill_name(bill: &crate::scorecard::Bill) -> String {
    if let Some(number) = bill
        .number
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        return number.to_string();
    }
    let title = bill.title.trim();
    match title.rfind(" (") {
        Some(cut) if title.ends_with(')') && cut > 0 => title[..cut].trim().to_string(),
        _ => title.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// Rendering

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

/// Statements other than `if`/`for`, and the `*` operator, are refused before compiling (see
/// the module docs). The scan follows minijinja's lexer closely enough to be conservative: it
/// skips comments and string literals as minijinja does, and anything it cannot follow is left
/// for the compiler to refuse.
fn check_allowed(source: &str, part: Part) -> Result<(), TemplateError> {
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
fn check_text(text: &TemplateText) -> Result<(), TemplateError> {
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

// ---------------------------------------------------------------------------------------------
// Checking a template for every state, and the built-in templates

/// A stand-in legislator of `chamber` in `state`, for checking templates.
fn sample_legislator(state: StateCode, chamber: Chamber) -> Legislator {
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

/// Checks a template before it is saved: its text (length, allowed statements), that it
/// compiles, and that it renders a valid subject and body for every state and DC, for each
/// chamber of `audience`, with and without a supporter's city. The first failure is returned,
/// naming the state.
pub fn check(
    doc: &CampaignDoc,
    audience: Audience,
    text: &TemplateText,
) -> Result<(), TemplateError> {
    let supporters = [
        SupporterFields {
            name: "Alexandra Example-Supporter".into(),
            city: "Springfield".into(),
        },
        SupporterFields {
            name: "Sam Example".into(),
            city: String::new(),
        },
    ];
    with_compiled(text, |compiled| {
        for state in StateCode::all() {
            let card = doc.scorecard(state);
            for chamber in audience.chambers() {
                let legislator = sample_legislator(state, chamber);
                for supporter in &supporters {
                    let fields = MergeFields::new(doc, &card, &legislator, supporter.clone());
                    compiled
                        .render(&fields)
                        .map_err(|err| TemplateError::Render {
                            part: err.part,
                            state,
                            state_name: state.name(),
                            message: err.message,
                        })?;
                }
            }
        }
        Ok(())
    })?
}

const BUILTIN_STATE: &str = include_str!("../../config/templates/state.txt");
const BUILTIN_FEDERAL: &str = include_str!("../../config/templates/federal.txt");

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
    use super::*;
    use proptest::prelude::*;
    use std::time::{Duration, Instant};

    fn doc() -> CampaignDoc {
        crate::scorecard::seed("").expect("built-in seed")
    }

    fn code(s: &str) -> StateCode {
        StateCode::parse(s).expect("state")
    }

    fn render(text: &TemplateText, state: &str, chamber: Chamber, city: &str) -> Rendered {
        let d = doc();
        let card = d.scorecard(code(state));
        let mut legislator = sample_legislator(code(state), chamber);
        legislator.name = "Patricia D. Jehlen".into();
        legislator.family_name = "Jehlen".into();
        let supporter = SupporterFields {
            name: "Jane Doe".into(),
            city: city.into(),
        };
        with_compiled(text, |c| {
            c.render(&MergeFields::new(&d, &card, &legislator, supporter))
        })
        .expect("compiles")
        .expect("renders")
    }

    fn text(subject: &str, body: &str) -> TemplateText {
        TemplateText {
            subject: subject.into(),
            body: body.into(),
        }
    }

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

    #[test]
    fn bill_names_drop_notes_for_staff() {
        let d = doc();
        let fields = |s: &str| {
            let card = d.scorecard(code(s));
            MergeFields::new(
                &d,
                &card,
                &sample_legislator(code(s), Chamber::StateLower),
                SupporterFields {
                    name: "x".into(),
                    city: String::new(),
                },
            )
        };
        assert_eq!(fields("MA").scorecard.bill, "SB 945");
        assert_eq!(
            fields("FL").scorecard.bill,
            "Florida qualified immunity bill"
        );
        assert_eq!(fields("WY").scorecard.bill, "");
        assert_eq!(fields("WY").scorecard.unknown.len(), 9);
        assert_eq!(fields("MA").scorecard.met.len(), 4, "end 3/4, start 1/5");
        assert_eq!(fields("MA").legislator.salutation, "Representative");
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
