//! The scorecard editor's services, shared by the staff pages and the JSON API: save one state's
//! bills as its next revision (checked, audited, the in-process campaign cache refreshed),
//! restore an old revision as a new one, list the revisions with what each changed, compare two,
//! and preview an unsaved edit (the new score, the new gaps, and the message a legislator of the
//! state would now receive, rendered by the template editor's own preview).

use super::editor::{diff, revision_note, summary, validate, Change, EditInvalid, Revision};
use super::{Bill, CampaignCache, CampaignDoc, Scorecard, StateBills};
use crate::domain::StateCode;
use crate::messages::editor::{preview as preview_message, Preview, PreviewError};
use crate::messages::{self, Audience, MessageError};
use crate::staff::audit::{action, NewAudit, Origin};
use crate::store::{NewRevision, StateSave, Store, StoreError};
use chrono::Utc;
use serde::Serialize;

/// Why a scorecard was not saved, restored, read or previewed.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    /// No campaign with that slug (404).
    #[error("no campaign `{}`", .0.chars().take(60).collect::<String>())]
    NoCampaign(String),
    /// No such revision of the state (404).
    #[error("there is no revision {0} of this scorecard")]
    NoRevision(i64),
    /// The edit is refused (422), naming its place.
    #[error(transparent)]
    Invalid(#[from] EditInvalid),
    /// Someone saved the state since the edit began (409); nothing was stored.
    #[error("this scorecard was saved by someone else since you opened it (it is now at revision {current}); reload it and make your change again")]
    Stale { current: i64 },
    /// The preview's legislator is not one of the state's, or the template does not render (422).
    #[error(transparent)]
    Preview(#[from] PreviewError),
    #[error(transparent)]
    Message(#[from] MessageError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A saved revision and what it changed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Saved {
    pub state: StateCode,
    pub revision: i64,
    /// What changed from the bills before, criterion by criterion then bill by bill.
    pub changes: Vec<Change>,
    /// The audit row's summary, e.g. "MA: end_damage_caps no → yes".
    pub summary: String,
    /// The state's scorecard as saved.
    pub scorecard: Scorecard,
}

/// One state's edit.
#[derive(Debug, Clone)]
pub struct Edit<'a> {
    pub state: StateCode,
    /// Every bill of the state, the featured one marked.
    pub bills: Vec<Bill>,
    pub note: Option<&'a str>,
    /// The revision the edit was made from, when known (refused as stale if another save
    /// landed since).
    pub base: Option<i64>,
}

async fn campaign(store: &Store, slug: &str) -> Result<CampaignDoc, EditError> {
    store
        .campaign_doc(slug)
        .await?
        .ok_or_else(|| EditError::NoCampaign(slug.to_string()))
}

/// Checks `edit` and saves it as the state's next revision, by `origin` (a staff member or
/// the command line), with an audit row naming the state and what changed; refreshes `cache`.
/// Nothing is stored when the edit is refused.
pub async fn save(
    store: &Store,
    cache: &CampaignCache,
    slug: &str,
    origin: Origin,
    edit: Edit<'_>,
) -> Result<Saved, EditError> {
    save_as(store, cache, slug, origin, edit, action::SCORECARD_SAVED).await
}

async fn save_as(
    store: &Store,
    cache: &CampaignCache,
    slug: &str,
    origin: Origin,
    edit: Edit<'_>,
    action: &'static str,
) -> Result<Saved, EditError> {
    let doc = campaign(store, slug).await?;
    let bills = validate(&doc.criteria, edit.bills)?;
    let note = revision_note(edit.note)?;
    let author = origin.actor.label();
    // Stored in whole seconds.
    let now = Utc::now();
    let now = chrono::DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now);
    let state = edit.state;
    let object = format!("scorecard:{slug}/{}", state.as_str());
    let criteria = &doc.criteria;
    let new = NewRevision {
        state,
        bills: &bills,
        author: &author,
        note: note.as_deref(),
        at: now,
        base: edit.base,
    };
    let saved = store
        .save_state_scorecard(slug, &new, |previous, revision| {
            let changes = diff(criteria, previous, &bills);
            NewAudit::new(
                now,
                origin,
                action,
                object.clone(),
                format!("{} (revision {revision})", summary(state, &changes)),
            )
        })
        .await?;
    let (revision, previous) = match saved {
        StateSave::Saved { revision, previous } => (revision, previous),
        StateSave::NoCampaign => return Err(EditError::NoCampaign(slug.to_string())),
        StateSave::Stale { current } => return Err(EditError::Stale { current }),
    };
    cache.forget(slug);
    let changes = diff(criteria, &previous, &bills);
    tracing::info!(
        campaign = slug,
        state = state.as_str(),
        revision,
        author = author.as_str(),
        changes = changes.len(),
        "saved a scorecard"
    );
    Ok(Saved {
        state,
        revision,
        summary: summary(state, &changes),
        changes,
        scorecard: Scorecard::build(criteria, state, &bills),
    })
}

/// Saves revision `revision`'s bills as the state's next revision (checked like any save);
/// the note defaults to "Restored revision N".
pub async fn restore(
    store: &Store,
    cache: &CampaignCache,
    slug: &str,
    origin: Origin,
    state: StateCode,
    revision: i64,
    note: Option<&str>,
) -> Result<Saved, EditError> {
    campaign(store, slug).await?;
    let old = store
        .scorecard_revision(slug, state, revision)
        .await?
        .ok_or(EditError::NoRevision(revision))?;
    let default_note = format!("Restored revision {revision}");
    let note = note
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or(&default_note);
    let edit = Edit {
        state,
        bills: old.bills,
        note: Some(note),
        base: None,
    };
    save_as(store, cache, slug, origin, edit, action::SCORECARD_RESTORED).await
}

/// A revision and what it changed from the one before (from no bills, for the first).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryEntry {
    #[serde(flatten)]
    pub revision: Revision,
    pub changes: Vec<Change>,
}

/// Every revision of `state`, newest first, each with what it changed.
pub async fn history(
    store: &Store,
    slug: &str,
    state: StateCode,
) -> Result<Vec<HistoryEntry>, EditError> {
    let doc = campaign(store, slug).await?;
    let revisions = store
        .scorecard_revisions(slug, state)
        .await?
        .ok_or_else(|| EditError::NoCampaign(slug.to_string()))?;
    let mut entries = Vec::with_capacity(revisions.len());
    for (i, revision) in revisions.iter().enumerate() {
        let before = revisions
            .get(i + 1)
            .map(|r| r.bills.as_slice())
            .unwrap_or(&[]);
        entries.push(HistoryEntry {
            changes: diff(&doc.criteria, before, &revision.bills),
            revision: revision.clone(),
        });
    }
    Ok(entries)
}

/// What changed from revision `a` to revision `b` (either order: from the older).
pub async fn diff_revisions(
    store: &Store,
    slug: &str,
    state: StateCode,
    a: i64,
    b: i64,
) -> Result<Vec<Change>, EditError> {
    let doc = campaign(store, slug).await?;
    let (a, b) = (a.min(b), a.max(b));
    let read = |n: i64| async move {
        store
            .scorecard_revision(slug, state, n)
            .await?
            .ok_or(EditError::NoRevision(n))
    };
    let (from, to) = (read(a).await?, read(b).await?);
    Ok(diff(&doc.criteria, &from.bills, &to.bills))
}

/// An unsaved edit as it would read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScorecardPreview {
    /// The state's scorecard with the edit: score, summary, gaps.
    pub scorecard: Scorecard,
    /// What changed from the current bills.
    pub changes: Vec<Change>,
    /// The message the state's template makes for one of its legislators with the edit.
    pub message: Preview,
}

/// `doc` with `state`'s bills replaced by `bills`.
pub fn with_state_bills(doc: &CampaignDoc, state: StateCode, bills: Vec<Bill>) -> CampaignDoc {
    let mut doc = doc.clone();
    doc.states.retain(|s| s.code != state);
    if !bills.is_empty() {
        doc.states.push(StateBills { code: state, bills });
        doc.states.sort_by_key(|s| s.code);
    }
    doc
}

/// Checks `bills` (an unsaved edit of `state`) and shows what it would make: the new score and
/// gaps, what changed, and the message the state template makes for the legislator
/// `legislator_id` (by default the first state legislator of the directory). Nothing is stored.
pub async fn preview(
    store: &Store,
    doc: &CampaignDoc,
    state: StateCode,
    bills: Vec<Bill>,
    legislator_id: Option<&str>,
) -> Result<ScorecardPreview, EditError> {
    let bills = validate(&doc.criteria, bills)?;
    let current = doc
        .states
        .iter()
        .find(|s| s.code == state)
        .map(|s| s.bills.as_slice())
        .unwrap_or(&[]);
    let changes = diff(&doc.criteria, current, &bills);
    let edited = with_state_bills(doc, state, bills);
    let templates = messages::templates(store, &doc.campaign.slug).await?;
    let message = preview_message(
        store,
        &edited,
        Audience::State,
        &templates.state.text(),
        state,
        legislator_id,
    )
    .await?;
    Ok(ScorecardPreview {
        scorecard: edited.scorecard(state),
        changes,
        message,
    })
}

impl EditError {
    /// The place of a refused edit, in the campaign file's terms.
    pub fn place(&self) -> Option<&super::editor::Place> {
        match self {
            EditError::Invalid(e) => Some(&e.place),
            _ => None,
        }
    }
}
