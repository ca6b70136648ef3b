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
//! A template is checked when it is saved by rendering it for every state (see [`check()`]), so a
//! mistake is found by the person who made it and not by a supporter.
//!
//! One file per concern: `fields` (what a template can use), `syntax` (what text is allowed,
//! scanned before compiling), `sandbox` (compiling and rendering under limits), `check` (the
//! save-time check against every state) and `file` (the layout of template files and the
//! built-in templates).

mod check;
mod fields;
mod file;
mod sandbox;
mod syntax;

pub use check::{changed_states, check, sample_legislator, sample_supporter};
pub use fields::{
    CampaignFields, FieldDoc, LegislatorFields, MergeFields, ScorecardFields, StateFields,
    SupporterFields, MERGE_FIELDS,
};
pub use file::{builtin, parse_template_file};
pub use sandbox::{with_compiled, Compiled, Rendered};
pub use syntax::{MAX_TEMPLATE_BODY_CHARS, MAX_TEMPLATE_SUBJECT_CHARS};

use crate::directory::Chamber;
use crate::domain::StateCode;
use chrono::{DateTime, Utc};
use serde::Serialize;

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

/// One stored version with its history: who saved it and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TemplateVersion {
    #[serde(flatten)]
    pub template: MessageTemplate,
    /// `seed` (the built-in template), `cli` (the command line) or the staff id that saved it.
    pub author: String,
    /// What the author said about the change, if anything.
    pub note: Option<String>,
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
    /// The state a render failure happened for (the JSON API's `state`).
    pub fn state(&self) -> Option<StateCode> {
        match self {
            TemplateError::Render { state, .. } => Some(*state),
            _ => None,
        }
    }

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

/// Helpers shared by the unit tests of the template modules.
#[cfg(test)]
mod test_support {
    use super::check::sample_legislator;
    use super::*;
    use crate::scorecard::CampaignDoc;

    pub(super) fn doc() -> CampaignDoc {
        crate::scorecard::seed("").expect("built-in seed")
    }

    pub(super) fn code(s: &str) -> StateCode {
        StateCode::parse(s).expect("state")
    }

    pub(super) fn render(
        text: &TemplateText,
        state: &str,
        chamber: Chamber,
        city: &str,
    ) -> Rendered {
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

    pub(super) fn text(subject: &str, body: &str) -> TemplateText {
        TemplateText {
            subject: subject.into(),
            body: body.into(),
        }
    }
}
