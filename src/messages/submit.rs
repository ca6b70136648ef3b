//! The supporter's flow, written once for the API and the pages alike: find the legislators
//! (under the client's lookup limit), compose one message per chosen legislator, then hand
//! out drafts or submit the messages for sending (after the supporter confirms their email).
//!
//! The rules live here and nowhere else:
//! - recipients come from the server's own lookup; an id that is not among its legislators is
//!   refused ([`MessageError::UnknownTarget`]) and nothing is done;
//! - a send goes to the chosen offices that publish an email address, and the same answer
//!   hands back drafts (with their web-form links) for the others;
//! - a send where no chosen office publishes an email address is refused
//!   ([`FlowError::NoEmailableOffice`], about `targets`) and nothing is stored.

use super::{
    draft, drafts, select_targets, Draft, IssuedDraft, MessageError, Overrides, Supporter,
    TemplateCache,
};
use crate::civic::{Locator, Lookup, LookupFailure, LookupForm};
use crate::limits::{Limits, TooMany};
use crate::outbox::{Outbox, SendError, Submission};
use crate::scorecard::{CampaignCache, CampaignDoc};
use crate::store::Store;
use std::net::IpAddr;
use std::sync::Arc;

/// What the supporter wrote: who they are, whom they chose, and their edits.
#[derive(Debug, Clone)]
pub struct Letter {
    pub supporter: Supporter,
    /// Legislator ids, each checked against the lookup.
    pub targets: Vec<String>,
    pub overrides: Overrides,
}

/// Drafts for the supporter to send, or sending through the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Draft,
    /// `key` makes a repeated request return the first submission (the API's
    /// `Idempotency-Key`, or the page's nonce with a digest of the form).
    Send {
        key: Option<String>,
    },
}

/// What the flow did.
#[derive(Debug)]
pub enum Outcome {
    /// Drafts with their counting links, one per chosen legislator.
    Drafts(Vec<IssuedDraft>),
    /// A submission waiting for the supporter's confirmation.
    Submitted {
        submission: Submission,
        /// The messages it will send (offices with an email address).
        sending: Vec<Draft>,
        /// Drafts for the chosen offices that take mail only through a web form.
        drafts: Vec<IssuedDraft>,
    },
}

/// Why the flow stopped; nothing was stored.
#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    /// The client is over its lookup limit (429, with when to try again).
    #[error(transparent)]
    TooMany(#[from] TooMany),
    #[error(transparent)]
    Lookup(#[from] LookupFailure),
    #[error(transparent)]
    Message(#[from] MessageError),
    #[error(transparent)]
    Send(#[from] SendError),
    /// The legislator directory is still loading (503 with `Retry-After`).
    #[error(transparent)]
    DirectoryLoading(#[from] crate::jobs::DirectoryLoading),
    /// A send where none of the chosen offices publishes an email address (422, `targets`).
    #[error("None of the offices you chose publishes an email address, so we cannot send to them. Get drafts instead, to write to them through their web forms.")]
    NoEmailableOffice,
}

impl FlowError {
    /// The input field the error is about, when it is about one.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            FlowError::Lookup(failure) => Some(failure.field()),
            FlowError::Message(err) => err.field(),
            FlowError::Send(SendError::NoEmail(_)) | FlowError::NoEmailableOffice => {
                Some("targets")
            }
            FlowError::Send(SendError::BadKey) => Some("Idempotency-Key"),
            _ => None,
        }
    }
}

/// The services the flow uses.
pub struct Flow {
    store: Store,
    locator: Arc<Locator>,
    limits: Arc<Limits>,
    outbox: Arc<Outbox>,
    /// Each state's latest scorecard revision, from memory.
    campaigns: Arc<CampaignCache>,
    /// The current templates, from memory.
    templates: Arc<TemplateCache>,
    directory: Arc<crate::jobs::DirectoryGate>,
}

/// The in-memory copies the flow reads instead of the database (see [`crate::fresh`]).
pub struct FlowCaches {
    pub campaigns: Arc<CampaignCache>,
    pub templates: Arc<TemplateCache>,
    /// Holds lookups back while the start-up sync loads an empty directory.
    pub directory: Arc<crate::jobs::DirectoryGate>,
}

impl Flow {
    pub fn new(
        store: Store,
        locator: Arc<Locator>,
        limits: Arc<Limits>,
        outbox: Arc<Outbox>,
        caches: FlowCaches,
    ) -> Flow {
        Flow {
            store,
            locator,
            limits,
            outbox,
            campaigns: caches.campaigns,
            templates: caches.templates,
            directory: caches.directory,
        }
    }

    /// Whether the service can send (a relay is configured).
    pub fn can_send(&self) -> bool {
        self.outbox.enabled()
    }

    /// The legislators for `form`. Input is checked first (bad input costs nothing), then
    /// the lookup counts against `client`'s limit.
    pub async fn find(
        &self,
        client: Option<IpAddr>,
        form: &LookupForm,
    ) -> Result<Lookup, FlowError> {
        let request = form.parse().map_err(LookupFailure::from)?;
        self.directory.check(&self.store).await?;
        self.limits.check_lookup(client).await?;
        Ok(self
            .locator
            .find(&request)
            .await
            .map_err(LookupFailure::from)?)
    }

    /// The messages of `letter` to legislators of `lookup`, as the supporter will see them.
    pub async fn compose(
        &self,
        doc: &CampaignDoc,
        lookup: &Lookup,
        letter: &Letter,
    ) -> Result<Vec<Draft>, FlowError> {
        let chosen = select_targets(lookup, &letter.targets)?;
        let slug = &doc.campaign.slug;
        let templates = self.templates.get(&self.store, slug).await?;
        let revision = self
            .campaigns
            .latest_revision(&self.store, slug, chosen.state)
            .await
            .map_err(MessageError::from)?;
        Ok(draft(
            doc,
            &templates,
            revision,
            &chosen,
            &letter.supporter,
            &letter.overrides,
        )?)
    }

    /// Composes `letter` for the legislators of `lookup`, then issues drafts or submits.
    pub async fn write(
        &self,
        doc: &CampaignDoc,
        lookup: &Lookup,
        letter: &Letter,
        mode: Mode,
    ) -> Result<Outcome, FlowError> {
        let messages = self.compose(doc, lookup, letter).await?;
        let key = match mode {
            Mode::Draft => return Ok(Outcome::Drafts(self.issue(doc, messages).await?)),
            Mode::Send { key } => key,
        };
        if !self.outbox.enabled() {
            return Err(SendError::Disabled.into());
        }
        let (sending, by_form): (Vec<Draft>, Vec<Draft>) =
            messages.into_iter().partition(|d| d.to.is_some());
        if sending.is_empty() {
            return Err(FlowError::NoEmailableOffice);
        }
        let submission = self
            .outbox
            .submit(doc, &sending, &letter.supporter, key.as_deref())
            .await?;
        let drafts = self.issue(doc, by_form).await?;
        Ok(Outcome::Submitted {
            submission,
            sending,
            drafts,
        })
    }

    /// The whole flow from one request: find, compose, draft or submit.
    pub async fn submit(
        &self,
        doc: &CampaignDoc,
        client: Option<IpAddr>,
        form: &LookupForm,
        letter: &Letter,
        mode: Mode,
    ) -> Result<Outcome, FlowError> {
        let lookup = self.find(client, form).await?;
        self.write(doc, &lookup, letter, mode).await
    }

    async fn issue(
        &self,
        doc: &CampaignDoc,
        messages: Vec<Draft>,
    ) -> Result<Vec<IssuedDraft>, MessageError> {
        if messages.is_empty() {
            return Ok(Vec::new());
        }
        let slug = &doc.campaign.slug;
        drafts::issue(&self.store, slug, messages, chrono::Utc::now())
            .await?
            .ok_or_else(|| MessageError::NoCampaign(slug.clone()))
    }
}
