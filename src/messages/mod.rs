//! Messages to legislators: templates (`template`) and the staff's editing of them (`editor`),
//! composing one message per legislator (`compose`), and drafts the supporter sends themselves
//! (`drafts`).
//!
//! The supporter's flow, one for the API and the pages, is [`submit::Flow`]: find the
//! legislators, choose targets, take the current templates (from memory: [`TemplateCache`]),
//! [`draft`] (compose), then
//! [`drafts::issue`] (store the counting links) or submit for sending through the service
//! (confirmation, outbox, SMTP), which builds on the same [`compose::Draft`]s.

pub mod cache;
pub mod compose;
pub mod drafts;
pub mod editor;
pub mod submit;
pub mod template;

pub use cache::TemplateCache;
pub use compose::{compose, select_targets, Draft, Edit, Overrides, Supporter, Templates};
pub use drafts::{DraftLinks, IssuedDraft, DRAFT_LINK_TTL};
pub use editor::{save_template, SaveTemplateError, SavedTemplate, CLI_AUTHOR, SEED_AUTHOR};
pub use submit::{Flow, FlowCaches, FlowError, Letter, Mode, Outcome};
pub use template::{
    Audience, MergeFields, MessageTemplate, Part, RenderError, TemplateError, TemplateText,
    TemplateVersion,
};

use crate::civic::Lookup;
use crate::domain::InvalidField;
use crate::scorecard::CampaignDoc;
use crate::store::{Store, StoreError};
use chrono::Utc;

/// Why messages could not be made.
#[derive(Debug, thiserror::Error)]
pub enum MessageError {
    /// A supporter's input is not valid (422, with its field).
    #[error(transparent)]
    Invalid(#[from] InvalidField),
    /// No campaign with that slug (404).
    #[error("no campaign `{0}`")]
    NoCampaign(String),
    /// An id that is not among the legislators found for the address (422): recipients come
    /// from the lookup alone.
    #[error("`{}` is not one of the legislators found for this address", .0.chars().take(100).collect::<String>())]
    UnknownTarget(String),
    /// The supporter chose nobody (422).
    #[error("Please choose at least one legislator to write to.")]
    NoTargets,
    /// A stored template failed for this legislator (500; logged).
    #[error("the message template could not be rendered")]
    Render(#[source] RenderError),
    /// A built-in template is broken (500; a bug caught by the unit tests).
    #[error("the built-in message template is invalid")]
    Builtin(#[source] TemplateError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl MessageError {
    /// The input field the error is about, for 422s.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            MessageError::Invalid(e) => Some(e.field),
            MessageError::UnknownTarget(_) | MessageError::NoTargets => Some("targets"),
            _ => None,
        }
    }
}

/// The current template of each audience for campaign `slug`, seeding the built-in ones the
/// first time a campaign needs them.
pub async fn templates(store: &Store, slug: &str) -> Result<Templates, MessageError> {
    let state = current_or_seed(store, slug, Audience::State).await?;
    let federal = current_or_seed(store, slug, Audience::Federal).await?;
    Ok(Templates { state, federal })
}

/// The current version, seeding the built-in template first if there is none.
pub(crate) async fn current_or_seed(
    store: &Store,
    slug: &str,
    audience: Audience,
) -> Result<MessageTemplate, MessageError> {
    if let Some(t) = store.current_template(slug, audience).await? {
        return Ok(t);
    }
    let text = template::builtin(audience).map_err(MessageError::Builtin)?;
    if store
        .seed_template(slug, audience, &text, Utc::now())
        .await?
    {
        tracing::info!(
            campaign = slug,
            audience = audience.as_str(),
            "seeded the message template"
        );
    }
    store
        .current_template(slug, audience)
        .await?
        .ok_or_else(|| MessageError::NoCampaign(slug.to_string()))
}

/// Seeds the built-in templates of every campaign that has none (for start-up; the first
/// message of a campaign does the same).
pub async fn seed_templates(store: &Store) -> Result<(), MessageError> {
    for campaign in store.campaigns().await? {
        templates(store, &campaign.slug).await?;
    }
    Ok(())
}

/// The drafts for the legislators `ids` chosen from `lookup` (every id must be one of the
/// lookup's targets), written from `templates`; `revision` is the state's latest scorecard
/// revision, stored with each message.
pub fn draft(
    doc: &CampaignDoc,
    templates: &Templates,
    revision: Option<i64>,
    chosen: &Lookup,
    supporter: &Supporter,
    overrides: &Overrides,
) -> Result<Vec<Draft>, MessageError> {
    let mut drafts =
        compose(doc, templates, chosen, supporter, overrides).map_err(MessageError::Render)?;
    for d in &mut drafts {
        d.scorecard_revision = revision;
    }
    Ok(drafts)
}
