//! Sending through the service: a supporter's messages become a submission (`submit`), wait
//! for the link in the confirmation email (`confirm`; a GET only shows them), then go out from
//! the durable outbox through the SMTP relay (`worker`). The receipt shows each message's state.
//!
//! - `mail`: building mails with lettre (headers, the confirmation text).
//! - `smtp`: the pooled, bounded relay and how its failures are sorted.
//! - `dkim`: the DKIM signature every mail gets when `smtp.dkim_*` are set.
//! - `worker`: claiming due mails, sending, retrying with backoff.
//! - `purge`: the retention purge, a scheduled task of its own.
//! - `lifecycle`: what a mail is and where it is (the kinds and statuses the database stores).
//! - `caps`: the per-office hourly caps and the global rate, and how a claim keeps them.
//! - `clock`: the time the worker reads, which tests move.
//!
//! Tokens: the confirmation token is random and single use; the receipt token is an HMAC of the
//! submission id under a server key, so a repeated request (same `Idempotency-Key`) can answer
//! with the same receipt link. Only SHA-256 hashes of both are stored.

pub mod caps;
pub mod clock;
pub mod dkim;
pub mod health;
mod lifecycle;
pub mod mail;
pub mod purge;
pub mod smtp;
pub mod worker;

pub use caps::DeliveryCaps;
pub use clock::Clock;
pub use lifecycle::{Confirmed, MailKind, MailStatus, Outcome, SubmissionStatus, WaitReason};
pub use purge::{PurgeReport, Purger};
pub use smtp::{Delivery, Mailer};
pub use worker::Worker;

use crate::config::Settings;
use crate::limits::{Limits, TooMany};
use crate::messages::{Draft, Supporter};
use crate::scorecard::CampaignDoc;
use crate::store::{MailRow, NewMail, NewSubmission, Store, StoreError, SubmissionView, Submitted};
use hmac::{Hmac, Mac};
use lettre::Address;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use tokio::sync::{Notify, OnceCell};

/// How long a confirmation link works; unconfirmed submissions are purged after it.
pub const CONFIRM_TTL: chrono::Duration = chrono::Duration::days(7);
/// Name of the receipt-token key in `server_secrets`.
const RECEIPT_KEY: &str = "receipt_token_key";
/// Longest `Idempotency-Key` accepted.
pub const MAX_IDEMPOTENCY_KEY: usize = 200;

/// Why a submission could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// No relay is configured (503).
    #[error("sending through the service is not available on this server; use mode draft")]
    Disabled,
    /// Some chosen offices publish no email address (422 on `targets`).
    #[error("{0} cannot be emailed through the service (no public email address); write to them with a draft and their web form")]
    NoEmail(String),
    /// The `Idempotency-Key` is unusable (422).
    #[error("the Idempotency-Key must be 1 to 200 visible ASCII characters")]
    BadKey,
    /// Over a rate limit (429): the email address's unconfirmed submissions
    /// (`limits.unconfirmed_per_day`) or offices it already wrote to today
    /// (`limits.sender_office_per_day`). Nothing was written.
    #[error(transparent)]
    TooMany(#[from] TooMany),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What `submit` made (or found, for a repeated request).
#[derive(Clone)]
pub struct Submission {
    pub id: String,
    pub receipt_token: String,
    /// False when an earlier request with the same idempotency key made it.
    pub created: bool,
}

impl std::fmt::Debug for Submission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Submission")
            .field("id", &self.id)
            .field("created", &self.created)
            .finish_non_exhaustive()
    }
}

/// A mail's state as the supporter's receipt shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptStatus {
    AwaitingConfirmation,
    Waiting,
    Sending,
    Retrying,
    Sent,
    Failed,
}

impl ReceiptStatus {
    pub fn of(mail: &MailRow) -> ReceiptStatus {
        match mail.status {
            MailStatus::Held => ReceiptStatus::AwaitingConfirmation,
            MailStatus::Queued if mail.attempts > 0 => ReceiptStatus::Retrying,
            MailStatus::Queued => ReceiptStatus::Waiting,
            MailStatus::Sending => ReceiptStatus::Sending,
            MailStatus::Sent => ReceiptStatus::Sent,
            MailStatus::Failed => ReceiptStatus::Failed,
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            ReceiptStatus::AwaitingConfirmation => "awaiting_confirmation",
            ReceiptStatus::Waiting => "waiting",
            ReceiptStatus::Sending => "sending",
            ReceiptStatus::Retrying => "retrying",
            ReceiptStatus::Sent => "sent",
            ReceiptStatus::Failed => "failed",
        }
    }

    /// For people.
    pub fn label(&self) -> &'static str {
        match self {
            ReceiptStatus::AwaitingConfirmation => "Waiting for your confirmation",
            ReceiptStatus::Waiting => "Waiting to be sent",
            ReceiptStatus::Sending => "Sending",
            ReceiptStatus::Retrying => "Retrying",
            ReceiptStatus::Sent => "Sent",
            ReceiptStatus::Failed => "Failed",
        }
    }
}

/// One message on a receipt. Holds no text and no address of the supporter's.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ReceiptLine {
    pub target_id: Option<String>,
    pub name: String,
    pub title: String,
    pub status: ReceiptStatus,
    pub attempts: i64,
    /// Why the last attempt failed (the mail server's reply), when it did.
    pub reason: Option<String>,
    /// When the message was accepted by the mail server (RFC 3339).
    pub sent_at: Option<String>,
    /// When the next attempt is due, while retrying or waiting on a delivery cap (RFC 3339).
    pub next_attempt_at: Option<String>,
    /// Why a waiting or retrying message waits past its time: its office's hourly cap
    /// (`office_cap`) or the service's sending rate (`global_rate`); `null` otherwise.
    pub waiting_on: Option<WaitReason>,
    /// The template version the message was written from: shown to staff on the receipt page,
    /// not part of the supporter's JSON receipt.
    #[serde(skip)]
    pub template_version: Option<i64>,
    /// The state's scorecard revision it was written from: shown to staff like the version.
    #[serde(skip)]
    pub scorecard_revision: Option<i64>,
}

/// What the receipt page and `GET /api/v1/receipts/{token}` show.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Receipt {
    pub id: String,
    pub campaign: String,
    pub state: crate::domain::StateCode,
    /// `awaiting_confirmation` or `confirmed`.
    pub status: &'static str,
    /// The confirmation email's own state.
    pub confirmation: ReceiptStatus,
    pub messages: Vec<ReceiptLine>,
}

fn rfc3339(secs: Option<i64>) -> Option<String> {
    secs.and_then(|s| chrono::DateTime::from_timestamp(s, 0))
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

impl Receipt {
    pub fn of(view: &SubmissionView) -> Result<Receipt, StoreError> {
        let mut confirmation = ReceiptStatus::Waiting;
        let mut messages = Vec::new();
        for mail in &view.mails {
            let status = ReceiptStatus::of(mail);
            match mail.kind {
                MailKind::Confirmation => confirmation = status,
                MailKind::Message => messages.push(ReceiptLine {
                    target_id: mail.legislator_id.clone(),
                    name: mail.recipient_name.clone(),
                    title: mail.recipient_title.clone(),
                    status,
                    attempts: mail.attempts,
                    reason: match status {
                        ReceiptStatus::Retrying | ReceiptStatus::Failed => mail.last_error.clone(),
                        _ => None,
                    },
                    sent_at: match status {
                        ReceiptStatus::Sent => rfc3339(mail.finished_at),
                        _ => None,
                    },
                    next_attempt_at: match (status, mail.waiting_on) {
                        (ReceiptStatus::Retrying, _) | (ReceiptStatus::Waiting, Some(_)) => {
                            rfc3339(mail.next_attempt_at)
                        }
                        _ => None,
                    },
                    waiting_on: match status {
                        ReceiptStatus::Waiting | ReceiptStatus::Retrying => mail.waiting_on,
                        _ => None,
                    },
                    template_version: mail.template_version,
                    scorecard_revision: mail.scorecard_revision,
                }),
            }
        }
        Ok(Receipt {
            id: view.id.clone(),
            campaign: view.campaign_slug.clone(),
            state: view.state,
            status: if view.confirmed {
                "confirmed"
            } else {
                "awaiting_confirmation"
            },
            confirmation,
            messages,
        })
    }
}

/// The messages of a submission, for the confirmation page and the receipt.
pub fn messages(view: &SubmissionView) -> impl Iterator<Item = &MailRow> {
    view.mails.iter().filter(|m| m.kind == MailKind::Message)
}

/// SHA-256 (hex) of a token: what the database holds.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// True for something shaped like one of our tokens (64 hex digits): anything else is answered
/// 404 without asking the database.
/// A usable `Idempotency-Key`: 1 to [`MAX_IDEMPOTENCY_KEY`] visible ASCII characters.
pub fn is_idempotency_key(key: &str) -> bool {
    !key.is_empty() && key.len() <= MAX_IDEMPOTENCY_KEY && key.bytes().all(|b| b.is_ascii_graphic())
}

pub fn is_token(raw: &str) -> bool {
    raw.len() == 64
        && raw
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// Submissions, confirmations and receipts, shared by the handlers.
pub struct Outbox {
    store: Store,
    settings: Arc<Settings>,
    /// The configured sender address; `None` when sending is off.
    from: Option<Address>,
    receipt_key: OnceCell<Vec<u8>>,
    /// Wakes a worker in this process when messages become due.
    wake: Arc<Notify>,
    /// The per-sender rate limits a submission takes.
    limits: Arc<Limits>,
}

impl Outbox {
    /// An outbox with rate limits of its own making (from `settings.limits`).
    pub fn new(store: Store, settings: Arc<Settings>, wake: Arc<Notify>) -> Outbox {
        let limits = Arc::new(Limits::new(store.clone(), &settings));
        Outbox::with_limits(store, settings, wake, limits)
    }

    /// An outbox under `limits` (the server's, shared with the lookups).
    pub fn with_limits(
        store: Store,
        settings: Arc<Settings>,
        wake: Arc<Notify>,
        limits: Arc<Limits>,
    ) -> Outbox {
        let from = if settings.smtp.enabled() {
            settings.smtp.from_address.clone()
        } else {
            None
        };
        Outbox {
            store,
            settings,
            from,
            receipt_key: OnceCell::new(),
            wake,
            limits,
        }
    }

    /// Wakes a worker in this process: mails may be due (a delivery cap was raised, say).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// True when a relay is configured.
    pub fn enabled(&self) -> bool {
        self.from.is_some()
    }

    async fn key(&self) -> Result<&[u8], StoreError> {
        self.receipt_key
            .get_or_try_init(|| async {
                let candidate = hex::encode(rand::random::<[u8; 32]>());
                let stored = self
                    .store
                    .server_secret(RECEIPT_KEY, &candidate, chrono::Utc::now().timestamp())
                    .await?;
                Ok(hex::decode(&stored).unwrap_or_else(|_| stored.into_bytes()))
            })
            .await
            .map(Vec::as_slice)
    }

    /// The receipt token of submission `id`.
    pub async fn receipt_token(&self, id: &str) -> Result<String, StoreError> {
        let key = self.key().await?;
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
            .map_err(|e| StoreError::Invalid(format!("receipt key: {e}")))?;
        mac.update(b"receipt\0");
        mac.update(id.as_bytes());
        Ok(hex::encode(mac.finalize().into_bytes()))
    }

    pub fn receipt_path(token: &str) -> String {
        format!("/receipts/{token}")
    }

    /// Writes a submission for `drafts` (every one must have an office email address) and
    /// queues its confirmation email. With an `idempotency_key` seen before for this campaign,
    /// writes nothing and answers with the earlier submission. Over the supporter's rate limits
    /// (unconfirmed submissions, offices already written to today) writes nothing and answers
    /// [`SendError::TooMany`].
    pub async fn submit(
        &self,
        doc: &CampaignDoc,
        drafts: &[Draft],
        supporter: &Supporter,
        idempotency_key: Option<&str>,
    ) -> Result<Submission, SendError> {
        let from = self.from.as_ref().ok_or(SendError::Disabled)?;
        let idempotency_hash = match idempotency_key {
            None => None,
            Some(key) if is_idempotency_key(key) => {
                Some(token_hash(&format!("{}\0{key}", doc.campaign.slug)))
            }
            Some(_) => return Err(SendError::BadKey),
        };
        let unreachable: Vec<&str> = drafts
            .iter()
            .filter(|d| d.to.is_none())
            .map(|d| d.name.as_str())
            .collect();
        if !unreachable.is_empty() {
            return Err(SendError::NoEmail(unreachable.join(", ")));
        }
        let Some(first) = drafts.first() else {
            return Err(SendError::NoEmail("nobody".into()));
        };
        let id = uuid::Uuid::new_v4().to_string();
        let receipt_token = self.receipt_token(&id).await?;
        let confirm_token = hex::encode(rand::random::<[u8; 32]>());
        let now = chrono::Utc::now();
        let supporter_name = supporter.name.as_str();
        let campaign = &doc.campaign.title;

        let mut mails = Vec::with_capacity(drafts.len() + 1);
        let recipients: Vec<mail::Recipient<'_>> = drafts
            .iter()
            .map(|d| mail::Recipient {
                name: &d.name,
                title: &d.title,
            })
            .collect();
        let (subject, body) = mail::confirmation_text(
            supporter_name,
            campaign,
            &recipients,
            &self
                .settings
                .server
                .link(&format!("/confirm/{confirm_token}")),
            &self
                .settings
                .server
                .link(&Self::receipt_path(&receipt_token)),
            CONFIRM_TTL.num_days(),
        );
        let confirmation_id = uuid::Uuid::new_v4().to_string();
        mails.push(NewMail {
            message_id: mail::message_id(&confirmation_id, from),
            id: confirmation_id,
            kind: MailKind::Confirmation,
            office: None,
            recipient_name: supporter_name.to_string(),
            recipient_title: "you".to_string(),
            to_address: supporter.email.as_str().to_string(),
            from_name: self.settings.smtp.from_name.clone(),
            reply_to: None,
            subject,
            body,
            template_version: None,
            scorecard_revision: None,
        });
        for d in drafts {
            let mail_id = uuid::Uuid::new_v4().to_string();
            mails.push(NewMail {
                message_id: mail::message_id(&mail_id, from),
                id: mail_id,
                kind: MailKind::Message,
                office: Some(d.office()),
                recipient_name: d.name.clone(),
                recipient_title: d.title.clone(),
                to_address: d
                    .to
                    .as_ref()
                    .map(|e| e.as_str().to_string())
                    .unwrap_or_default(),
                from_name: mail::via(supporter_name, campaign),
                reply_to: Some(supporter.email.as_str().to_string()),
                subject: d.subject.as_str().to_string(),
                body: d.body.as_str().to_string(),
                template_version: Some(d.template_version),
                scorecard_revision: d.scorecard_revision,
            });
        }
        // Named in a refusal as the supporter saw them: "State Senator Jane Roe".
        let labels: Vec<String> = drafts
            .iter()
            .map(|d| format!("{} {}", d.title, d.name))
            .collect();
        let offices: Vec<(&str, &str)> = drafts
            .iter()
            .zip(&labels)
            .map(|(d, label)| (d.target_id.as_str(), label.as_str()))
            .collect();
        let (limits, office_names) = self
            .limits
            .submission(&supporter.email, &doc.campaign.slug, &offices)
            .await?;
        let new = NewSubmission {
            id: id.clone(),
            campaign_slug: doc.campaign.slug.clone(),
            state: first.state,
            supporter_name: supporter_name.to_string(),
            supporter_email: supporter.email.as_str().to_string(),
            confirm_hash: token_hash(&confirm_token),
            receipt_hash: token_hash(&receipt_token),
            idempotency_hash,
            limits,
            created_at: now.timestamp(),
            expires_at: (now + CONFIRM_TTL).timestamp(),
            mails,
        };
        let submission = match self.store.insert_submission(&new).await? {
            Submitted::Created => {
                tracing::info!(
                    submission = %id,
                    campaign = %doc.campaign.slug,
                    state = first.state.as_str(),
                    messages = drafts.len(),
                    "submission awaiting confirmation"
                );
                self.wake.notify_one();
                Submission {
                    id,
                    receipt_token,
                    created: true,
                }
            }
            Submitted::Existing { id } => Submission {
                receipt_token: self.receipt_token(&id).await?,
                id,
                created: false,
            },
            Submitted::Limited(refusal) => {
                return Err(Limits::refused(refusal, &office_names).into())
            }
        };
        Ok(submission)
    }

    /// The submission a confirmation link names, to show before sending. Reading changes
    /// nothing.
    pub async fn preview(&self, confirm_token: &str) -> Result<Option<SubmissionView>, StoreError> {
        if !is_token(confirm_token) {
            return Ok(None);
        }
        self.store
            .submission_by_confirm_hash(&token_hash(confirm_token))
            .await
    }

    /// Confirms the submission a link names: its messages are queued, and the worker woken.
    pub async fn confirm(&self, confirm_token: &str) -> Result<Confirmed, StoreError> {
        if !is_token(confirm_token) {
            return Ok(Confirmed::NotFound);
        }
        let outcome = self
            .store
            .confirm_submission(
                &token_hash(confirm_token),
                chrono::Utc::now().timestamp(),
                self.limits.unconfirmed_rule(),
            )
            .await?;
        if let Confirmed::Now { id } = &outcome {
            tracing::info!(submission = %id, "submission confirmed; messages queued");
            self.wake.notify_one();
        }
        Ok(outcome)
    }

    /// The submission a receipt link names.
    pub async fn receipt(&self, receipt_token: &str) -> Result<Option<SubmissionView>, StoreError> {
        if !is_token(receipt_token) {
            return Ok(None);
        }
        self.store
            .submission_by_receipt_hash(&token_hash(receipt_token))
            .await
    }

    /// The receipt a receipt link names: each message's state.
    pub async fn receipt_of(&self, receipt_token: &str) -> Result<Option<Receipt>, StoreError> {
        match self.receipt(receipt_token).await? {
            Some(view) => Ok(Some(Receipt::of(&view)?)),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_64_lowercase_hex_digits() {
        assert!(is_token(&"a".repeat(64)));
        assert!(!is_token(&"A".repeat(64)));
        assert!(!is_token(&"a".repeat(63)));
        assert!(!is_token("../../etc/passwd"));
        assert_ne!(token_hash("a"), token_hash("b"));
        assert!(is_token(&token_hash("x")));
    }
}
