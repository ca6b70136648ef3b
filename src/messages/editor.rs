//! The template editor's services, shared by the staff pages, the JSON API and the command line:
//! save a checked edit (with its author and note, counting the states whose messages change),
//! preview an edit for one legislator without saving it, list and read versions, compare two
//! versions line by line, and restore an old version as a new one.
//!
//! Every save goes through [`save_template`], so every version passes [`template::check`];
//! messages and drafts name the version they were written from (`Draft::template_version`).

use super::template::{
    self, sample_legislator, sample_supporter, with_compiled, Audience, MergeFields,
    MessageTemplate, TemplateError, TemplateText, TemplateVersion,
};
use super::{current_or_seed, MessageError};
use crate::directory::Legislator;
use crate::domain::{InvalidField, StateCode};
use crate::scorecard::CampaignDoc;
use crate::staff::audit::action;
use crate::staff::{Actor, NewAudit, Origin};
use crate::store::{NewTemplateVersion, Store, StoreError};
use chrono::Utc;
use serde::Serialize;
use std::time::Duration;

/// The author of the built-in template a campaign starts with (version 1).
pub const SEED_AUTHOR: &str = "seed";
/// The author of versions saved with `advocate template save`.
pub const CLI_AUTHOR: &str = "cli";
/// Longest note kept with a version, in characters.
pub const MAX_NOTE_CHARS: usize = 500;

/// Why a template was not saved (or restored).
#[derive(Debug, thiserror::Error)]
pub enum SaveTemplateError {
    /// No campaign with that slug (404).
    #[error("no campaign `{0}`")]
    NoCampaign(String),
    /// Restore of a version that does not exist (404).
    #[error("there is no version {0} of this template")]
    NoVersion(i64),
    /// The template is refused (422); the message names the part and, for render failures,
    /// the state ([`SaveTemplateError::state`]) and the line.
    #[error(transparent)]
    Invalid(#[from] TemplateError),
    /// The note (or the author) is not acceptable (422, with its field).
    #[error(transparent)]
    Field(#[from] InvalidField),
    #[error(transparent)]
    Other(#[from] MessageError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SaveTemplateError {
    /// The state a refused template failed for (the JSON API's `"state"`).
    pub fn state(&self) -> Option<StateCode> {
        match self {
            SaveTemplateError::Invalid(e) => e.state(),
            _ => None,
        }
    }

    /// The input field the error is about: `subject`, `body`, `note` or `author`.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            SaveTemplateError::Invalid(e) => Some(e.part().as_str()),
            SaveTemplateError::Field(e) => Some(e.field),
            _ => None,
        }
    }
}

/// A saved version, and what it changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SavedTemplate {
    /// The new version as stored.
    pub template: TemplateVersion,
    /// The version it was compared with (the current one when the save began; a concurrent
    /// save may have landed in between).
    pub previous_version: i64,
    /// The states (of every state and DC) whose messages now read differently, in the order
    /// of [`StateCode::all`].
    pub changed_states: Vec<StateCode>,
}

impl SavedTemplate {
    /// The new version's number.
    pub fn version(&self) -> i64 {
        self.template.template.version
    }

    /// How many states' messages changed.
    pub fn changed(&self) -> usize {
        self.changed_states.len()
    }
}

/// The author as stored for `actor` (`staff:ID` or `cli`) and the note: trimmed, an empty one
/// dropped. Nobody anonymous saves a template.
fn authorship(actor: Actor, note: Option<&str>) -> Result<(String, Option<&str>), InvalidField> {
    let author = match actor {
        Actor::Staff(_) | Actor::Cli => actor.label(),
        Actor::Anonymous => {
            return Err(InvalidField::new(
                "author",
                "Only a staff member or the command line saves a template.",
            ))
        }
    };
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if let Some(n) = note {
        if n.chars().count() > MAX_NOTE_CHARS {
            return Err(InvalidField::new(
                "note",
                format!("Please keep the note to {MAX_NOTE_CHARS} characters."),
            ));
        }
    }
    Ok((author, note))
}

/// What a save is, for its audit row.
#[derive(Debug, Clone, Copy)]
enum SaveKind {
    Edit,
    Restore(i64),
}

/// What a save's audit row says besides the new version's number.
#[derive(Debug, Clone, Copy)]
struct SaveAudit {
    origin: Origin,
    at: chrono::DateTime<Utc>,
    kind: SaveKind,
    /// The version current when the save began.
    previous: i64,
    /// How many states' messages changed.
    changed: usize,
}

impl SaveAudit {
    /// The audit row of version `version`: the object and what changed, never the text.
    fn row(&self, slug: &str, audience: Audience, version: i64) -> NewAudit {
        let (changed, previous) = (self.changed, self.previous);
        let states = if changed == 1 { "state" } else { "states" };
        let (action, what) = match self.kind {
            SaveKind::Edit => (
                action::TEMPLATE_SAVED,
                format!("saved version {version} (was {previous})"),
            ),
            SaveKind::Restore(from) => (
                action::TEMPLATE_RESTORED,
                format!("restored version {from} as version {version} (was {previous})"),
            ),
        };
        NewAudit::new(
            self.at,
            self.origin,
            action,
            format!("template:{slug}/{}/{version}", audience.as_str()),
            format!(
                "{} template: {what}; the messages of {changed} {states} changed",
                audience.as_str()
            ),
        )
    }
}

/// Saves `text` as the next version of campaign `slug`'s template for `audience`, by whoever
/// `origin` names (a staff member, or the command line: the author is [`Actor::label`]) with
/// an optional `note`, after checking that it renders for every state and DC (see
/// [`template::check`]); nothing is stored when it does not. The audit row (who, from where,
/// which version, how many states changed; never the text) is written in the same
/// transaction. Returns the new version and the states whose messages it changes compared
/// with the current version.
pub async fn save_template(
    store: &Store,
    slug: &str,
    audience: Audience,
    text: &TemplateText,
    origin: Origin,
    note: Option<&str>,
) -> Result<SavedTemplate, SaveTemplateError> {
    save(store, slug, audience, text, origin, note, SaveKind::Edit).await
}

async fn save(
    store: &Store,
    slug: &str,
    audience: Audience,
    text: &TemplateText,
    origin: Origin,
    note: Option<&str>,
    kind: SaveKind,
) -> Result<SavedTemplate, SaveTemplateError> {
    let (author, note) = authorship(origin.actor, note)?;
    let doc = store
        .campaign_doc(slug)
        .await?
        .ok_or_else(|| SaveTemplateError::NoCampaign(slug.to_string()))?;
    // The seed comes first, so the first saved edit is version 2 and version 1 stays on record.
    let previous = current_or_seed(store, slug, audience).await?;
    let (old, new) = (previous.text(), text.clone());
    // Rendering 400-odd messages twice is CPU work: keep it off the async workers.
    let checked =
        tokio::task::spawn_blocking(move || template::changed_states(&doc, audience, &old, &new));
    let changed_states = match checked.await {
        Ok(result) => result?,
        Err(join) => {
            return Err(SaveTemplateError::Store(StoreError::Invalid(format!(
                "the template check stopped: {join}"
            ))))
        }
    };
    // Stored in whole seconds; answer with what a later read returns.
    let now = Utc::now();
    let now = chrono::DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now);
    let changed = changed_states.len();
    let audit = SaveAudit {
        origin,
        at: now,
        kind,
        previous: previous.version,
        changed,
    };
    let audit = |version: i64| audit.row(slug, audience, version);
    let version = store
        .add_template_version(
            slug,
            audience,
            &NewTemplateVersion {
                text,
                author: &author,
                note,
                at: now,
            },
            &audit,
        )
        .await?
        .ok_or_else(|| SaveTemplateError::NoCampaign(slug.to_string()))?;
    tracing::info!(
        campaign = slug,
        audience = audience.as_str(),
        version,
        author,
        changed_states = changed,
        "saved a message template"
    );
    Ok(SavedTemplate {
        template: TemplateVersion {
            template: MessageTemplate {
                audience,
                version,
                subject: text.subject.clone(),
                body: text.body.clone(),
                created_at: now,
            },
            author,
            note: note.map(str::to_string),
        },
        previous_version: previous.version,
        changed_states,
    })
}

/// Saves version `version`'s text as a new version (through the same check and audit as any
/// save), by whoever `origin` names; the note defaults to "Restored version N".
pub async fn restore(
    store: &Store,
    slug: &str,
    audience: Audience,
    version: i64,
    origin: Origin,
    note: Option<&str>,
) -> Result<SavedTemplate, SaveTemplateError> {
    // Seeds, and tells an unknown campaign from an unknown version.
    current_or_seed(store, slug, audience).await?;
    let old = store
        .template_version(slug, audience, version)
        .await?
        .ok_or(SaveTemplateError::NoVersion(version))?;
    let default_note = format!("Restored version {version}");
    let note = note
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or(&default_note);
    save(
        store,
        slug,
        audience,
        &old.template.text(),
        origin,
        Some(note),
        SaveKind::Restore(version),
    )
    .await
}

/// Why versions could not be read.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// No campaign with that slug (404).
    #[error("no campaign `{0}`")]
    NoCampaign(String),
    /// No such version (404).
    #[error("there is no version {0} of this template")]
    NoVersion(i64),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The built-in template could not be seeded (500).
    #[error(transparent)]
    Other(MessageError),
}

impl From<MessageError> for HistoryError {
    fn from(err: MessageError) -> Self {
        match err {
            MessageError::NoCampaign(slug) => HistoryError::NoCampaign(slug),
            MessageError::Store(e) => HistoryError::Store(e),
            other => HistoryError::Other(other),
        }
    }
}

/// The current version of campaign `slug`'s template for `audience` (seeding the built-in one
/// if needed).
pub async fn current(
    store: &Store,
    slug: &str,
    audience: Audience,
) -> Result<TemplateVersion, HistoryError> {
    let current = current_or_seed(store, slug, audience).await?;
    version(store, slug, audience, current.version).await
}

/// Every version, newest first, with author, time and note.
pub async fn history(
    store: &Store,
    slug: &str,
    audience: Audience,
) -> Result<Vec<TemplateVersion>, HistoryError> {
    current_or_seed(store, slug, audience).await?;
    Ok(store.template_history(slug, audience).await?)
}

/// Version `n`.
pub async fn version(
    store: &Store,
    slug: &str,
    audience: Audience,
    n: i64,
) -> Result<TemplateVersion, HistoryError> {
    current_or_seed(store, slug, audience).await?;
    store
        .template_version(slug, audience, n)
        .await?
        .ok_or(HistoryError::NoVersion(n))
}

/// What a diff line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    /// In both texts.
    Same,
    /// Only in the newer text.
    Added,
    /// Only in the older text.
    Removed,
}

/// One line of a diff, without its line ending.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiffLine {
    pub kind: LineKind,
    /// 1-based line number in the older text (none for an added line).
    pub old_line: Option<usize>,
    /// 1-based line number in the newer text (none for a removed line).
    pub new_line: Option<usize>,
    pub text: String,
}

/// The line diff of one part (subject or body).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartDiff {
    /// Every line of both texts in order, each marked same, added or removed.
    pub lines: Vec<DiffLine>,
    pub added: usize,
    pub removed: usize,
    /// The same as a unified diff (3 lines of context; empty when the texts are equal).
    pub unified: String,
}

impl PartDiff {
    pub fn is_unchanged(&self) -> bool {
        self.added == 0 && self.removed == 0
    }
}

/// The line diff of two template texts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TemplateDiff {
    pub subject: PartDiff,
    pub body: PartDiff,
}

/// Two versions and their diff (`from` is the older text, whatever the order asked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionDiff {
    pub from: TemplateVersion,
    pub to: TemplateVersion,
    pub diff: TemplateDiff,
}

/// Bounds the diff of two hostile 10,000-line texts; past it the diff is coarser, still right.
const DIFF_TIMEOUT: Duration = Duration::from_millis(250);

/// `text` ending with a line break, so that a last line is the same line with or without one.
fn terminated(text: &str) -> String {
    let mut text = text.to_string();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

fn diff_part(old: &str, new: &str, name: &str) -> PartDiff {
    use similar::{ChangeTag, TextDiff};
    let (old, new) = (terminated(old), terminated(new));
    let diff = TextDiff::configure()
        .timeout(DIFF_TIMEOUT)
        .diff_lines(&old, &new);
    let mut out = PartDiff {
        lines: Vec::new(),
        added: 0,
        removed: 0,
        unified: String::new(),
    };
    for change in diff.iter_all_changes() {
        let kind = match change.tag() {
            ChangeTag::Equal => LineKind::Same,
            ChangeTag::Insert => {
                out.added += 1;
                LineKind::Added
            }
            ChangeTag::Delete => {
                out.removed += 1;
                LineKind::Removed
            }
        };
        let text = change.value();
        let text = text.strip_suffix('\n').unwrap_or(text);
        out.lines.push(DiffLine {
            kind,
            old_line: change.old_index().map(|i| i + 1),
            new_line: change.new_index().map(|i| i + 1),
            text: text.strip_suffix('\r').unwrap_or(text).to_string(),
        });
    }
    if !out.is_unchanged() {
        out.unified = diff
            .unified_diff()
            .context_radius(3)
            .header(&format!("a/{name}"), &format!("b/{name}"))
            .to_string();
    }
    out
}

/// The line diff from `old` to `new`, subject and body apart.
pub fn diff(old: &TemplateText, new: &TemplateText) -> TemplateDiff {
    TemplateDiff {
        subject: diff_part(&old.subject, &new.subject, "subject"),
        body: diff_part(&old.body, &new.body, "body"),
    }
}

/// The diff between versions `a` and `b` (either order: the older is `from`).
pub async fn diff_versions(
    store: &Store,
    slug: &str,
    audience: Audience,
    a: i64,
    b: i64,
) -> Result<VersionDiff, HistoryError> {
    let (a, b) = (a.min(b), a.max(b));
    let from = version(store, slug, audience, a).await?;
    let to = version(store, slug, audience, b).await?;
    let diff = diff(&from.template.text(), &to.template.text());
    Ok(VersionDiff { from, to, diff })
}

/// The state a preview shows when none is chosen: the first with a bill and gaps (the common
/// case for a message), else the first with gaps, else the first state.
pub fn default_preview_state(doc: &CampaignDoc) -> StateCode {
    let rank = |state: StateCode| {
        let card = doc.scorecard(state);
        match (card.gaps.is_empty(), card.bill.is_some()) {
            (false, true) => 0,
            (false, false) => 1,
            (true, _) => 2,
        }
    };
    // min_by_key keeps the first of equals: states in name order.
    StateCode::all()
        .min_by_key(|s| rank(*s))
        .unwrap_or(StateCode::FIRST)
}

/// The legislators of `state` a preview for `audience` can be written to (from the directory,
/// in the directory's order: upper chamber first).
pub async fn preview_legislators(
    store: &Store,
    state: StateCode,
    audience: Audience,
) -> Result<Vec<Legislator>, StoreError> {
    let chambers = audience.chambers();
    let mut all = store.legislators_of_state(state, None).await?;
    all.retain(|l| chambers.contains(&l.chamber));
    Ok(all)
}

/// Who a preview is addressed to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PreviewRecipient {
    pub id: String,
    pub name: String,
    pub title: String,
    /// False when the directory has nobody for the state and a stand-in was used.
    pub from_directory: bool,
}

/// An edit rendered for one legislator, signed by a stand-in supporter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Preview {
    pub state: StateCode,
    pub legislator: PreviewRecipient,
    pub subject: String,
    pub body: String,
}

/// Why a preview could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PreviewError {
    /// The edit does not compile or render (422); names the part, the state and the line.
    #[error(transparent)]
    Invalid(#[from] TemplateError),
    /// `legislator_id` is not a legislator of the audience in the state (422).
    #[error("`{}` is not one of the legislators of {} this template is for", .id.chars().take(100).collect::<String>(), .state.name())]
    UnknownLegislator { id: String, state: StateCode },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl PreviewError {
    /// The input field the error is about: `subject`, `body` or `legislator_id`.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            PreviewError::Invalid(e) => Some(e.part().as_str()),
            PreviewError::UnknownLegislator { .. } => Some("legislator_id"),
            PreviewError::Store(_) => None,
        }
    }
}

/// Renders `text` (an unsaved edit) for `state` and one of its legislators of `audience`: the
/// one with `legislator_id` (see [`preview_legislators`]), or by default the first; a stand-in
/// when the directory has nobody for the state. Nothing is stored.
pub async fn preview(
    store: &Store,
    doc: &CampaignDoc,
    audience: Audience,
    text: &TemplateText,
    state: StateCode,
    legislator_id: Option<&str>,
) -> Result<Preview, PreviewError> {
    let choices = preview_legislators(store, state, audience).await?;
    let chosen = match legislator_id.map(str::trim).filter(|id| !id.is_empty()) {
        Some(id) => Some(choices.into_iter().find(|l| l.id == id).ok_or_else(|| {
            PreviewError::UnknownLegislator {
                id: id.to_string(),
                state,
            }
        })?),
        None => choices.into_iter().next(),
    };
    let from_directory = chosen.is_some();
    let legislator = chosen.unwrap_or_else(|| sample_legislator(state, audience.chambers()[0]));
    let card = doc.scorecard(state);
    let fields = MergeFields::new(doc, &card, &legislator, sample_supporter());
    let rendered =
        with_compiled(text, |c| c.render(&fields))?.map_err(|err| TemplateError::Render {
            part: err.part,
            state,
            state_name: state.name(),
            message: err.message,
        })?;
    Ok(Preview {
        state,
        legislator: PreviewRecipient {
            id: legislator.id,
            name: legislator.name,
            title: legislator.title,
            from_directory,
        },
        subject: rendered.subject.as_str().to_string(),
        body: rendered.body.as_str().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(subject: &str, body: &str) -> TemplateText {
        TemplateText {
            subject: subject.into(),
            body: body.into(),
        }
    }

    fn kinds(part: &PartDiff) -> Vec<(LineKind, &str)> {
        part.lines
            .iter()
            .map(|l| (l.kind, l.text.as_str()))
            .collect()
    }

    #[test]
    fn the_diff_marks_each_line_same_added_or_removed_with_its_numbers() {
        let old = text("Hello", "Dear X,\nline two\nline three\nBye");
        let new = text("Hello", "Dear X,\nline 2\nline three\nBye\nP.S.");
        let d = diff(&old, &new);
        assert!(d.subject.is_unchanged());
        assert_eq!(kinds(&d.subject), [(LineKind::Same, "Hello")]);
        assert!(d.subject.unified.is_empty());
        assert_eq!(
            kinds(&d.body),
            [
                (LineKind::Same, "Dear X,"),
                (LineKind::Removed, "line two"),
                (LineKind::Added, "line 2"),
                (LineKind::Same, "line three"),
                (LineKind::Same, "Bye"),
                (LineKind::Added, "P.S."),
            ]
        );
        assert_eq!((d.body.added, d.body.removed), (2, 1));
        let removed = &d.body.lines[1];
        assert_eq!((removed.old_line, removed.new_line), (Some(2), None));
        let added = &d.body.lines[5];
        assert_eq!((added.old_line, added.new_line), (None, Some(5)));
        let same = &d.body.lines[3];
        assert_eq!((same.old_line, same.new_line), (Some(3), Some(3)));
        assert!(
            d.body.unified.starts_with("--- a/body\n+++ b/body\n@@"),
            "{}",
            d.body.unified
        );
        assert!(
            d.body.unified.contains("\n-line two\n+line 2\n"),
            "{}",
            d.body.unified
        );
    }

    #[test]
    fn a_diff_of_a_text_with_itself_is_all_same() {
        let t = text("S", "a\r\nb\n\nc");
        let d = diff(&t, &t);
        assert!(d.body.is_unchanged() && d.subject.is_unchanged());
        assert_eq!(
            kinds(&d.body),
            [
                (LineKind::Same, "a"),
                (LineKind::Same, "b"),
                (LineKind::Same, ""),
                (LineKind::Same, "c"),
            ]
        );
    }

    #[test]
    fn a_diff_from_or_to_nothing_is_all_added_or_all_removed() {
        let d = diff(&text("", ""), &text("New", "one\ntwo"));
        assert_eq!((d.body.added, d.body.removed), (2, 0));
        assert_eq!(kinds(&d.subject), [(LineKind::Added, "New")]);
        let d = diff(&text("New", "one\ntwo"), &text("New", ""));
        assert_eq!((d.body.added, d.body.removed), (0, 2));
    }

    #[test]
    fn notes_are_trimmed_and_bounded_and_an_author_is_required() {
        assert_eq!(
            authorship(Actor::Staff(7), Some("  why  ")).expect("ok"),
            ("staff:7".to_string(), Some("why"))
        );
        assert_eq!(
            authorship(Actor::Cli, Some("   ")).expect("ok"),
            ("cli".to_string(), None)
        );
        let long = "n".repeat(MAX_NOTE_CHARS + 1);
        assert_eq!(
            authorship(Actor::Cli, Some(&long)).expect_err("long").field,
            "note"
        );
        assert_eq!(
            authorship(Actor::Anonymous, None)
                .expect_err("anonymous")
                .field,
            "author"
        );
    }

    #[test]
    fn a_save_is_audited_by_object_and_count_never_by_text() {
        let at = Utc::now();
        let a = SaveAudit {
            origin: Origin::cli(),
            at,
            kind: SaveKind::Restore(2),
            previous: 4,
            changed: 1,
        }
        .row("eqi", Audience::State, 5);
        assert_eq!(a.action, action::TEMPLATE_RESTORED);
        assert_eq!(a.object, "template:eqi/state/5");
        assert_eq!(
            a.summary,
            "state template: restored version 2 as version 5 (was 4); the messages of 1 state changed"
        );
    }

    #[test]
    fn the_default_preview_state_has_a_bill_and_gaps() {
        let doc = crate::scorecard::seed("").expect("built-in seed");
        let card = doc.scorecard(default_preview_state(&doc));
        assert!(
            card.bill.is_some() && !card.gaps.is_empty(),
            "{}",
            card.state.as_str()
        );
    }
}
