//! Submissions and the outbox: what a supporter asked to send, and every mail on its way.
//! Times are Unix seconds. See `migrations/*/0005_outbox.sql` for the life of a row.
//!
//! Claiming is the one place the dialects differ: claims keep the delivery caps, so they take
//! turns — PostgreSQL takes a transaction-level advisory lock first and picks due rows with
//! `FOR UPDATE SKIP LOCKED` (rows being confirmed meanwhile are skipped, not waited for);
//! SQLite has one writer at a time, and the claim runs under `BEGIN IMMEDIATE`.

use super::counts::{record_counts, record_office, Counted, Office};
use super::limits::{take_submission_limits, LimitConnection, LimitRefusal, SubmissionLimits};
use super::{campaign_id, in_transaction, on_pool, opaque_debug, Store, StoreError};
use crate::domain::StateCode;
use crate::limits::gcra::Gcra;
use crate::outbox::caps::{
    CampaignCaps, Candidate, Decision, DeliveryCaps, OfficeKey, Plan, Window, GLOBAL_WINDOW_SECS,
    OFFICE_WINDOW_SECS,
};
use crate::outbox::{Confirmed, MailKind, MailStatus, Outcome, SubmissionStatus, WaitReason};
use crate::stats::Channel;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// What a sent message is counted by: campaign id, state, legislator id, chamber, template
/// version.
type CountKey = (i64, String, String, String, i64);

/// A mail to write with its submission.
#[derive(Clone)]
pub struct NewMail {
    pub id: String,
    pub kind: MailKind,
    /// The office a message is written to (none for the confirmation).
    pub office: Option<Office>,
    pub recipient_name: String,
    pub recipient_title: String,
    pub to_address: String,
    pub from_name: String,
    pub reply_to: Option<String>,
    pub subject: String,
    pub body: String,
    pub message_id: String,
    pub template_version: Option<i64>,
    /// The revision of the state's scorecard a message was written from.
    pub scorecard_revision: Option<i64>,
}

/// A submission to write: its mails are the confirmation (queued at once) and the messages
/// (held until confirmed).
#[derive(Clone)]
pub struct NewSubmission {
    pub id: String,
    pub campaign_slug: String,
    pub state: StateCode,
    pub supporter_name: String,
    pub supporter_email: String,
    pub confirm_hash: String,
    pub receipt_hash: String,
    pub idempotency_hash: Option<String>,
    /// The rate limits the submission takes, all or none, in its transaction.
    pub limits: SubmissionLimits,
    pub created_at: i64,
    pub expires_at: i64,
    pub mails: Vec<NewMail>,
}

// These hold a supporter's name, address and message: never print them.
opaque_debug!(NewMail, id, kind);
opaque_debug!(NewSubmission, id, state);

/// What writing a submission did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Submitted {
    Created,
    /// The idempotency key was seen before: this is the submission it made.
    Existing {
        id: String,
    },
    /// Over a rate limit (the email address's unconfirmed submissions, or an office it already
    /// wrote to); nothing was written.
    Limited(LimitRefusal),
}

/// A mail claimed for sending, with everything needed to build it.
#[derive(Clone, sqlx::FromRow)]
pub struct ClaimedMail {
    pub id: String,
    pub kind: MailKind,
    pub recipient_name: String,
    pub to_address: Option<String>,
    pub from_name: Option<String>,
    pub reply_to: Option<String>,
    pub subject: Option<String>,
    pub body: Option<String>,
    pub message_id: String,
    /// Including this one.
    pub attempts: i64,
    pub lease_id: Option<String>,
}
opaque_debug!(ClaimedMail, id, kind, attempts);

/// What one claim took, and how many due mails it left waiting on each cap.
#[derive(Debug, Default)]
pub struct Claimed {
    pub mails: Vec<ClaimedMail>,
    /// Due mails left waiting: their office's hourly cap is reached.
    pub office_cap: usize,
    /// Due mails left waiting: the global rate is reached.
    pub global_rate: usize,
}

/// A due mail a claim considers.
#[derive(sqlx::FromRow)]
struct CandidateRow {
    id: String,
    kind: MailKind,
    legislator_id: Option<String>,
    campaign_id: i64,
    released_at: Option<i64>,
    next_attempt_at: Option<i64>,
    created_at: i64,
    position: i64,
}

/// The key of the advisory lock claims take turns under on PostgreSQL ("advocate" in ASCII).
const CLAIM_LOCK: i64 = 0x6164_766f_6361_7465;
/// Due mails one claim may leave waiting before it ends (the next claim goes on): a burst of
/// thousands of messages to one office is marked over a few claims, each short.
const MAX_WAITS_PER_CLAIM: usize = 512;

/// `$first, $first+1, ...`: `n` placeholders.
fn placeholders(first: usize, n: usize) -> String {
    (0..n)
        .map(|i| format!("${}", first + i))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One mail as the supporter's receipt (and the confirmation page) shows it.
#[derive(Clone, sqlx::FromRow)]
pub struct MailRow {
    pub id: String,
    pub kind: MailKind,
    pub legislator_id: Option<String>,
    pub recipient_name: String,
    pub recipient_title: String,
    pub to_address: Option<String>,
    pub subject: Option<String>,
    pub body: Option<String>,
    pub status: MailStatus,
    pub attempts: i64,
    pub next_attempt_at: Option<i64>,
    pub last_error: Option<String>,
    pub finished_at: Option<i64>,
    /// The template version a message was written from (none for a confirmation).
    pub template_version: Option<i64>,
    /// The state's scorecard revision it was written from (none for a confirmation, or for
    /// messages written before revisions were recorded).
    pub scorecard_revision: Option<i64>,
    /// Why a queued mail waits past its time (a delivery cap), if it does.
    pub waiting_on: Option<WaitReason>,
}
opaque_debug!(MailRow, id, kind, status, attempts, waiting_on);

/// A submission with its mails, in order.
#[derive(Clone)]
pub struct SubmissionView {
    pub id: String,
    pub campaign_slug: String,
    pub state: StateCode,
    pub confirmed: bool,
    pub supporter_name: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub confirmed_at: Option<i64>,
    pub mails: Vec<MailRow>,
}
opaque_debug!(SubmissionView, id, state, confirmed);

#[derive(sqlx::FromRow)]
struct SubmissionRow {
    id: String,
    slug: String,
    state: String,
    status: SubmissionStatus,
    supporter_name: Option<String>,
    created_at: i64,
    expires_at: i64,
    confirmed_at: Option<i64>,
}

/// What the purge removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Purged {
    /// Unconfirmed submissions past their expiry, deleted with their mails.
    pub expired_submissions: u64,
    /// Finished mails whose text was removed.
    pub mail_texts: u64,
    /// Submissions whose supporter name and email were removed.
    pub supporters: u64,
}

/// True for a unique-constraint violation (SQLite 2067/1555, PostgreSQL 23505).
fn is_unique_violation(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(db) => matches!(
            db.code().as_deref(),
            Some("23505") | Some("2067") | Some("1555")
        ),
        _ => false,
    }
}

const MAIL_COLUMNS: &str = "SELECT id, kind, legislator_id, recipient_name, recipient_title, \
     to_address, subject, body, status, attempts, next_attempt_at, last_error, finished_at, \
     template_version, scorecard_revision, waiting_on FROM outbox WHERE submission_id = $1 \
     ORDER BY position";

const SUBMISSION_COLUMNS: &str = "SELECT s.id, c.slug, s.state, s.status, s.supporter_name, \
     s.created_at, s.expires_at, s.confirmed_at \
     FROM submissions s JOIN campaigns c ON c.id = s.campaign_id";

/// Columns a claim returns.
const CLAIMED: &str = "id, kind, recipient_name, to_address, from_name, reply_to, subject, body, \
     message_id, attempts, lease_id";

impl Store {
    /// Writes a submission and all its mails in one transaction. With an idempotency hash
    /// seen before, writes nothing and names the earlier submission.
    pub async fn insert_submission(&self, new: &NewSubmission) -> Result<Submitted, StoreError> {
        match self.try_insert_submission(new).await {
            // The limits' refusal rolled the transaction back.
            Err(StoreError::Limited(refusal)) => Ok(Submitted::Limited(refusal)),
            Err(StoreError::Database(e)) if is_unique_violation(&e) => {
                // Two requests with one key raced; the other one won.
                match self.submission_by_idempotency(new).await? {
                    Some(id) => Ok(Submitted::Existing { id }),
                    None => Err(StoreError::Database(e)),
                }
            }
            other => other,
        }
    }

    async fn submission_by_idempotency(
        &self,
        new: &NewSubmission,
    ) -> Result<Option<String>, StoreError> {
        let Some(key) = &new.idempotency_hash else {
            return Ok(None);
        };
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar("SELECT id FROM submissions WHERE idempotency_hash = $1")
                .bind(key)
                .fetch_optional(pool)
                .await?
        }))
    }

    async fn try_insert_submission(&self, new: &NewSubmission) -> Result<Submitted, StoreError> {
        in_transaction!(self, tx => {
            if let Some(key) = &new.idempotency_hash {
                let existing: Option<String> =
                    sqlx::query_scalar("SELECT id FROM submissions WHERE idempotency_hash = $1")
                        .bind(key)
                        .fetch_optional(&mut *tx)
                        .await?;
                if let Some(id) = existing {
                    return Ok(Submitted::Existing { id });
                }
            }
            // A refusal is an error here, so the limits taken before it are rolled back.
            if let Some(refusal) = take_submission_limits(&mut *tx, &new.limits).await? {
                return Err(StoreError::Limited(refusal));
            }
            let campaign = campaign_id(&mut *tx, &new.campaign_slug).await?.ok_or_else(|| {
                StoreError::Invalid(format!("no campaign `{}`", new.campaign_slug))
            })?;
            sqlx::query(
                "INSERT INTO submissions (id, campaign_id, state, status, supporter_name, \
                 supporter_email, confirm_hash, receipt_hash, idempotency_hash, created_at, \
                 expires_at, unconfirmed_key) \
                 VALUES ($1, $2, $3, 'awaiting_confirmation', $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(&new.id)
            .bind(campaign)
            .bind(new.state.as_str())
            .bind(&new.supporter_name)
            .bind(&new.supporter_email)
            .bind(&new.confirm_hash)
            .bind(&new.receipt_hash)
            .bind(&new.idempotency_hash)
            .bind(new.created_at)
            .bind(new.expires_at)
            .bind(&new.limits.unconfirmed.key)
            .execute(&mut *tx)
            .await?;
            for (position, mail) in new.mails.iter().enumerate() {
                let (status, due) = match mail.kind {
                    MailKind::Confirmation => (MailStatus::Queued, Some(new.created_at)),
                    MailKind::Message => (MailStatus::Held, None),
                };
                sqlx::query(
                    "INSERT INTO outbox (id, submission_id, kind, position, legislator_id, \
                     recipient_name, recipient_title, to_address, from_name, reply_to, subject, \
                     body, message_id, template_version, status, next_attempt_at, created_at, \
                     scorecard_revision, chamber) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
                     $16, $17, $18, $19)",
                )
                .bind(&mail.id)
                .bind(&new.id)
                .bind(mail.kind)
                .bind(position as i64)
                .bind(mail.office.as_ref().map(|o| o.legislator_id.as_str()))
                .bind(&mail.recipient_name)
                .bind(&mail.recipient_title)
                .bind(&mail.to_address)
                .bind(&mail.from_name)
                .bind(&mail.reply_to)
                .bind(&mail.subject)
                .bind(&mail.body)
                .bind(&mail.message_id)
                .bind(mail.template_version)
                .bind(status)
                .bind(due)
                .bind(new.created_at)
                .bind(mail.scorecard_revision)
                .bind(mail.office.as_ref().map(|o| o.chamber.as_str()))
                .execute(&mut *tx)
                .await?;
            }
            // In id order, as every writer of this table does (no lock-order deadlock).
            let mut offices: Vec<&Office> = new.mails.iter().filter_map(|m| m.office.as_ref()).collect();
            offices.sort_by(|a, b| a.legislator_id.cmp(&b.legislator_id));
            for office in offices {
                record_office!(tx, office, new.created_at);
            }
            Ok(Submitted::Created)
        })
    }

    /// The submission whose confirmation token hashes to `confirm_hash`.
    pub async fn submission_by_confirm_hash(
        &self,
        confirm_hash: &str,
    ) -> Result<Option<SubmissionView>, StoreError> {
        self.submission_where("s.confirm_hash = $1", confirm_hash)
            .await
    }

    /// The submission whose receipt token hashes to `receipt_hash`.
    pub async fn submission_by_receipt_hash(
        &self,
        receipt_hash: &str,
    ) -> Result<Option<SubmissionView>, StoreError> {
        self.submission_where("s.receipt_hash = $1", receipt_hash)
            .await
    }

    /// The submission `id`.
    pub async fn submission(&self, id: &str) -> Result<Option<SubmissionView>, StoreError> {
        self.submission_where("s.id = $1", id).await
    }

    async fn submission_where(
        &self,
        condition: &str,
        value: &str,
    ) -> Result<Option<SubmissionView>, StoreError> {
        let sql = format!("{SUBMISSION_COLUMNS} WHERE {condition}");
        let (row, mails): (Option<SubmissionRow>, Vec<MailRow>) = on_pool!(self, pool => {
            let row: Option<SubmissionRow> = sqlx::query_as(&sql)
                .bind(value)
                .fetch_optional(pool)
                .await?;
            let mails = match &row {
                Some(r) => sqlx::query_as(MAIL_COLUMNS).bind(&r.id).fetch_all(pool).await?,
                None => Vec::new(),
            };
            (row, mails)
        });
        let Some(r) = row else { return Ok(None) };
        Ok(Some(SubmissionView {
            state: StateCode::parse(&r.state)
                .map_err(|e| StoreError::corrupt("submissions.state", e))?,
            id: r.id,
            campaign_slug: r.slug,
            confirmed: r.status == SubmissionStatus::Confirmed,
            supporter_name: r.supporter_name,
            created_at: r.created_at,
            expires_at: r.expires_at,
            confirmed_at: r.confirmed_at,
            mails,
        }))
    }

    /// Confirms the submission of `confirm_hash` and queues its messages, in one transaction.
    /// A submission is confirmed once: a second call answers `Already` and queues nothing.
    ///
    /// Only unconfirmed submissions count against `unconfirmed` (the email address's rule):
    /// confirming gives back the action the submission took, in the same transaction.
    pub async fn confirm_submission(
        &self,
        confirm_hash: &str,
        now: i64,
        unconfirmed: Gcra,
    ) -> Result<Confirmed, StoreError> {
        in_transaction!(self, tx => {
            let found: Option<(String, SubmissionStatus, i64, Option<String>)> = sqlx::query_as(
                "SELECT id, status, expires_at, unconfirmed_key FROM submissions \
                 WHERE confirm_hash = $1",
            )
            .bind(confirm_hash)
            .fetch_optional(&mut *tx)
            .await?;
            match found {
                None => Ok(Confirmed::NotFound),
                Some((id, SubmissionStatus::Confirmed, _, _)) => Ok(Confirmed::Already { id }),
                Some((_, _, expires_at, _)) if expires_at <= now => Ok(Confirmed::Expired),
                Some((id, _, _, limit_key)) => {
                    let confirmed = sqlx::query(
                        "UPDATE submissions SET status = 'confirmed', confirmed_at = $2, \
                         unconfirmed_key = NULL WHERE id = $1 AND status = 'awaiting_confirmation'",
                    )
                    .bind(&id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if let (1, Some(key)) = (confirmed, limit_key) {
                        tx.refund_limit(&key, unconfirmed).await?;
                    }
                    sqlx::query(
                        "UPDATE outbox SET status = 'queued', next_attempt_at = $2 \
                         WHERE submission_id = $1 AND status = 'held'",
                    )
                    .bind(&id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    Ok(Confirmed::Now { id })
                }
            }
        })
    }

    /// Claims up to `limit` due mails for `lease_until` under `lease_id`, counting an attempt
    /// for each, longest due first, under the delivery caps (`outbox::caps`): `caps` from the
    /// settings, and the campaigns' overrides in `office_caps`. A due mail over a cap is left
    /// queued, marked with why and due again when a slot is expected to free (its attempts
    /// untouched). Mails whose lease ran out (their worker died) are queued again first, in the
    /// same transaction, so one index on (status, next_attempt_at) serves every claim however
    /// long the backlog.
    ///
    /// Claims take turns, so two workers never both take an office's last slot: PostgreSQL
    /// takes a transaction-level advisory lock first (claims are short), SQLite's `BEGIN
    /// IMMEDIATE` holds the write lock from the start.
    pub async fn claim_mails(
        &self,
        now: i64,
        lease_id: &str,
        lease_until: i64,
        limit: u32,
        caps: &DeliveryCaps,
    ) -> Result<Claimed, StoreError> {
        const REQUEUE: &str = "UPDATE outbox SET status = 'queued', next_attempt_at = $1, \
             lease_id = NULL, lease_until = NULL WHERE status = 'sending' AND lease_until <= $1";
        // PostgreSQL: rows being confirmed or given back meanwhile are skipped, not waited for.
        let (postgres, skip_locked) = match self {
            Store::Postgres(_) => (true, " FOR UPDATE OF o SKIP LOCKED"),
            Store::Sqlite(_) => (false, ""),
        };
        let chunk = i64::from(limit.max(64));
        let pick = format!(
            "SELECT o.id, o.kind, o.legislator_id, s.campaign_id, o.released_at, \
             o.next_attempt_at, o.created_at, o.position \
             FROM outbox o JOIN submissions s ON s.id = o.submission_id \
             WHERE o.status = 'queued' AND o.next_attempt_at <= $1 \
             ORDER BY o.next_attempt_at LIMIT $2{skip_locked}"
        );
        let limit = limit as usize;
        in_transaction!(self, tx => {
            if postgres {
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(CLAIM_LOCK)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query(REQUEUE).bind(now).execute(&mut *tx).await?;
            let global = if caps.deliveries_per_minute > 0 {
                let releases: Vec<i64> =
                    sqlx::query_scalar("SELECT released_at FROM outbox WHERE released_at > $1")
                        .bind(now - GLOBAL_WINDOW_SECS)
                        .fetch_all(&mut *tx)
                        .await?;
                let (waiting, confirmations): (i64, i64) = sqlx::query_as(
                    "SELECT CAST(COUNT(*) AS BIGINT), \
                     CAST(COALESCE(SUM(CASE WHEN kind = 'confirmation' THEN 1 ELSE 0 END), 0) \
                     AS BIGINT) FROM outbox WHERE waiting_on = 'global_rate' \
                     AND status = 'queued' AND next_attempt_at > $1",
                )
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                let count = |n: i64| u64::try_from(n).unwrap_or(0);
                (
                    Window::new(GLOBAL_WINDOW_SECS, caps.deliveries_per_minute, now, releases, count(waiting)),
                    count(confirmations),
                )
            } else {
                (Window::unlimited(), 0)
            };
            let mut plan = Plan::new(now, global.0, global.1);
            let mut overrides: HashMap<i64, CampaignCaps> = HashMap::new();
            let mut claimed: Vec<ClaimedMail> = Vec::new();
            let mut waits = 0usize;
            let mut waiting = Claimed::default();
            while claimed.len() < limit && waits < MAX_WAITS_PER_CLAIM {
                let mut rows: Vec<CandidateRow> = sqlx::query_as(&pick)
                    .bind(now)
                    .bind(chunk)
                    .fetch_all(&mut *tx)
                    .await?;
                if rows.is_empty() {
                    break;
                }
                let exhausted = (rows.len() as i64) < chunk;
                // Confirmations first (a supporter waits for the link), then first due, then
                // first in (a submission's messages in their order).
                rows.sort_by_key(|r| {
                    (
                        r.kind != MailKind::Confirmation,
                        r.next_attempt_at,
                        r.created_at,
                        r.position,
                    )
                });
                // The caps of campaigns not seen yet in this claim.
                let campaigns: BTreeSet<i64> = rows
                    .iter()
                    .map(|r| r.campaign_id)
                    .filter(|c| !overrides.contains_key(c))
                    .collect();
                if !campaigns.is_empty() {
                    let sql = format!(
                        "SELECT campaign_id, legislator_id, per_hour FROM office_caps \
                         WHERE campaign_id IN ({})",
                        placeholders(1, campaigns.len())
                    );
                    let mut query = sqlx::query_as::<_, (i64, Option<String>, i64)>(&sql);
                    for c in &campaigns {
                        query = query.bind(*c);
                    }
                    for c in &campaigns {
                        overrides.insert(*c, CampaignCaps::default());
                    }
                    for (campaign, office, per_hour) in query.fetch_all(&mut *tx).await? {
                        let per_hour = u32::try_from(per_hour).unwrap_or(0);
                        if let Some(found) = overrides.get_mut(&campaign) {
                            found.set(office, per_hour);
                        }
                    }
                }
                // The windows of offices not seen yet: their caps, releases in the last hour and
                // messages already waiting for them (offices without a cap need neither).
                let mut new_offices: BTreeMap<OfficeKey, u32> = BTreeMap::new();
                for r in &rows {
                    let Some(legislator) = &r.legislator_id else { continue };
                    let key = (r.campaign_id, legislator.clone());
                    if r.kind == MailKind::Message && !plan.knows(&key) {
                        let cap = overrides
                            .get(&r.campaign_id)
                            .map_or(caps.office_per_hour, |c| c.cap_for(legislator, caps.office_per_hour));
                        new_offices.insert(key, cap);
                    }
                }
                let capped: BTreeSet<&str> = new_offices
                    .iter()
                    .filter(|(_, cap)| **cap > 0)
                    .map(|((_, l), _)| l.as_str())
                    .collect();
                let mut releases: HashMap<OfficeKey, Vec<i64>> = HashMap::new();
                let mut queued: HashMap<OfficeKey, u64> = HashMap::new();
                if !capped.is_empty() {
                    let list = placeholders(2, capped.len());
                    let sql = format!(
                        "SELECT s.campaign_id, o.legislator_id, o.released_at FROM outbox o \
                         JOIN submissions s ON s.id = o.submission_id \
                         WHERE o.legislator_id IN ({list}) AND o.released_at > $1 \
                         AND o.kind = 'message'"
                    );
                    let mut query = sqlx::query_as::<_, (i64, String, i64)>(&sql)
                        .bind(now - OFFICE_WINDOW_SECS);
                    for l in &capped {
                        query = query.bind(*l);
                    }
                    for (campaign, legislator, at) in query.fetch_all(&mut *tx).await? {
                        releases.entry((campaign, legislator)).or_default().push(at);
                    }
                    let sql = format!(
                        "SELECT s.campaign_id, o.legislator_id, CAST(COUNT(*) AS BIGINT) \
                         FROM outbox o JOIN submissions s ON s.id = o.submission_id \
                         WHERE o.waiting_on = 'office_cap' AND o.legislator_id IN ({list}) \
                         AND o.status = 'queued' AND o.next_attempt_at > $1 \
                         GROUP BY s.campaign_id, o.legislator_id"
                    );
                    let mut query = sqlx::query_as::<_, (i64, String, i64)>(&sql).bind(now);
                    for l in &capped {
                        query = query.bind(*l);
                    }
                    for (campaign, legislator, n) in query.fetch_all(&mut *tx).await? {
                        queued.insert((campaign, legislator), u64::try_from(n).unwrap_or(0));
                    }
                }
                for (key, cap) in new_offices {
                    let office_releases = releases.remove(&key).unwrap_or_default();
                    let ahead = queued.get(&key).copied().unwrap_or(0);
                    plan.add_office(key, cap, office_releases, ahead);
                }
                // Decide, in order, until the batch is full.
                let mut take: Vec<&str> = Vec::new();
                let mut wait: BTreeMap<(WaitReason, i64), Vec<&str>> = BTreeMap::new();
                for r in &rows {
                    if claimed.len() + take.len() >= limit {
                        break;
                    }
                    let candidate = Candidate {
                        kind: r.kind,
                        office: r.legislator_id.clone().map(|l| (r.campaign_id, l)),
                        released_at: r.released_at,
                    };
                    match plan.decide(&candidate) {
                        Decision::Claim => take.push(&r.id),
                        Decision::Wait { reason, until } => {
                            match reason {
                                WaitReason::OfficeCap => waiting.office_cap += 1,
                                WaitReason::GlobalRate => waiting.global_rate += 1,
                            }
                            waits += 1;
                            wait.entry((reason, until)).or_default().push(&r.id);
                        }
                    }
                }
                if !take.is_empty() {
                    let sql = format!(
                        "UPDATE outbox SET status = 'sending', lease_id = $1, lease_until = $2, \
                         attempts = attempts + 1, waiting_on = NULL, \
                         released_at = CASE WHEN released_at IS NULL OR released_at <= $3 \
                         THEN $4 ELSE released_at END WHERE id IN ({}) RETURNING {CLAIMED}",
                        placeholders(5, take.len())
                    );
                    let mut query = sqlx::query_as::<_, ClaimedMail>(&sql)
                        .bind(lease_id)
                        .bind(lease_until)
                        .bind(now - OFFICE_WINDOW_SECS)
                        .bind(now);
                    for id in &take {
                        query = query.bind(*id);
                    }
                    claimed.extend(query.fetch_all(&mut *tx).await?);
                }
                for ((reason, until), ids) in wait {
                    let sql = format!(
                        "UPDATE outbox SET waiting_on = $1, next_attempt_at = $2 \
                         WHERE id IN ({})",
                        placeholders(3, ids.len())
                    );
                    let mut query = sqlx::query(&sql).bind(reason).bind(until);
                    for id in ids {
                        query = query.bind(id);
                    }
                    query.execute(&mut *tx).await?;
                }
                if exhausted {
                    break;
                }
            }
            waiting.mails = claimed;
            Ok(waiting)
        })
    }

    /// Records how the attempts on claimed mails ended, all in one transaction (one commit for a
    /// whole batch of sends). A sent message is counted (channel `sent`); a sent or failed
    /// confirmation loses its text (it holds the confirmation link). A mail whose lease
    /// `lease_id` no longer holds (it ran out and another worker took the mail) is left alone:
    /// the answer is, for each outcome, whether it was recorded.
    pub async fn finish_mails(
        &self,
        lease_id: &str,
        outcomes: &[(String, Outcome)],
        now: i64,
    ) -> Result<Vec<bool>, StoreError> {
        let at = chrono::DateTime::from_timestamp(now, 0)
            .ok_or_else(|| StoreError::Invalid(format!("time {now} is out of range")))?;
        // Sent mails (nearly all) are recorded with one statement, and counted with one upsert
        // per legislator; retries and failures one by one.
        let sent: Vec<&str> = outcomes
            .iter()
            .filter(|(_, o)| *o == Outcome::Sent)
            .map(|(id, _)| id.as_str())
            .collect();
        let ids = (0..sent.len())
            .map(|i| format!("${}", i + 3))
            .collect::<Vec<_>>()
            .join(", ");
        let mark_sent = format!(
            "UPDATE outbox SET status = 'sent', finished_at = $2, lease_id = NULL, \
             lease_until = NULL, last_error = NULL, \
             body = CASE WHEN kind = 'confirmation' THEN NULL ELSE body END \
             WHERE lease_id = $1 AND status = 'sending' AND id IN ({ids}) RETURNING id"
        );
        // The mails a lost lease kept out are not among those marked: placeholders per mark.
        let targets = |marked: usize| {
            format!(
                "SELECT s.campaign_id, s.state, o.legislator_id, \
                 COALESCE(o.chamber, 'unknown'), COALESCE(o.template_version, 0) FROM outbox o \
                 JOIN submissions s ON s.id = o.submission_id \
                 WHERE o.kind = 'message' AND o.legislator_id IS NOT NULL AND o.id IN ({})",
                (0..marked)
                    .map(|i| format!("${}", i + 1))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        in_transaction!(self, tx => {
            let mut recorded: std::collections::HashSet<String> = std::collections::HashSet::new();
            if !sent.is_empty() {
                let mut query = sqlx::query_scalar::<_, String>(&mark_sent).bind(lease_id).bind(now);
                for id in &sent {
                    query = query.bind(*id);
                }
                let marked: Vec<String> = query.fetch_all(&mut *tx).await?;
                if !marked.is_empty() {
                    let targets = targets(marked.len());
                    let mut query = sqlx::query_as::<_, CountKey>(&targets);
                    for id in &marked {
                        query = query.bind(id.as_str());
                    }
                    let rows = query.fetch_all(&mut *tx).await?;
                    let mut per_target: std::collections::BTreeMap<CountKey, i64> =
                        std::collections::BTreeMap::new();
                    for row in rows {
                        *per_target.entry(row).or_default() += 1;
                    }
                    let counts: Vec<Counted> = per_target
                        .iter()
                        .map(|((campaign, state, legislator, chamber, version), n)| Counted {
                            campaign: *campaign,
                            state,
                            legislator,
                            chamber,
                            channel: Channel::Sent.as_str(),
                            version: *version,
                            n: *n,
                            at,
                        })
                        .collect();
                    record_counts!(tx, &counts);
                }
                recorded.extend(marked);
            }
            for (id, outcome) in outcomes {
                let updated = match outcome {
                    Outcome::Sent => continue,
                    Outcome::Retry { at, error } => sqlx::query(
                        "UPDATE outbox SET status = 'queued', next_attempt_at = $3, \
                         last_error = $4, lease_id = NULL, lease_until = NULL \
                         WHERE id = $1 AND lease_id = $2 AND status = 'sending'",
                    )
                    .bind(id)
                    .bind(lease_id)
                    .bind(at)
                    .bind(error)
                    .execute(&mut *tx)
                    .await?,
                    Outcome::Failed { error } => sqlx::query(
                        "UPDATE outbox SET status = 'failed', finished_at = $3, last_error = $4, \
                         lease_id = NULL, lease_until = NULL, \
                         body = CASE WHEN kind = 'confirmation' THEN NULL ELSE body END \
                         WHERE id = $1 AND lease_id = $2 AND status = 'sending'",
                    )
                    .bind(id)
                    .bind(lease_id)
                    .bind(now)
                    .bind(error)
                    .execute(&mut *tx)
                    .await?,
                };
                if updated.rows_affected() == 1 {
                    recorded.insert(id.clone());
                }
            }
            Ok(outcomes.iter().map(|(id, _)| recorded.contains(id)).collect())
        })
    }

    /// Gives back a claimed mail that was not tried (the worker is stopping): due again at
    /// once, and the attempt not counted.
    pub async fn release_mail(&self, id: &str, lease_id: &str) -> Result<bool, StoreError> {
        let done = on_pool!(self, pool => {
            sqlx::query(
                "UPDATE outbox SET status = 'queued', attempts = attempts - 1, lease_id = NULL, \
                 lease_until = NULL WHERE id = $1 AND lease_id = $2 AND status = 'sending'",
            )
            .bind(id)
            .bind(lease_id)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(done == 1)
    }

    /// Mails due or being sent, for status and tests.
    pub async fn pending_mails(&self) -> Result<i64, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM outbox WHERE status IN ('queued', 'sending')",
            )
            .fetch_one(pool)
            .await?
        }))
    }

    /// How many mails are in each status (statuses with none are left out).
    pub async fn mails_by_status(&self) -> Result<Vec<(MailStatus, i64)>, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as("SELECT status, COUNT(*) FROM outbox GROUP BY status")
                .fetch_all(pool)
                .await?
        }))
    }

    /// Deletes unconfirmed submissions past their expiry (with their mails), and removes the
    /// text, names and addresses of mails finished before `text_cutoff`, then the supporter's
    /// name and email from confirmed submissions with nothing left to send and confirmed before
    /// `text_cutoff`. Counts are kept.
    pub async fn purge_submissions(
        &self,
        now: i64,
        text_cutoff: i64,
    ) -> Result<Purged, StoreError> {
        in_transaction!(self, tx => {
            // Mails first: SQLite enforces the cascade only where foreign keys are on, so say it.
            sqlx::query(
                "DELETE FROM outbox WHERE submission_id IN (SELECT id FROM submissions \
                 WHERE status = 'awaiting_confirmation' AND expires_at <= $1)",
            )
            .bind(now)
            .execute(&mut *tx)
            .await?;
            let expired = sqlx::query(
                "DELETE FROM submissions WHERE status = 'awaiting_confirmation' AND expires_at <= $1",
            )
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            let texts = sqlx::query(
                "UPDATE outbox SET subject = NULL, body = NULL, from_name = NULL, reply_to = NULL, \
                 last_error = CASE WHEN kind = 'confirmation' THEN NULL ELSE last_error END, \
                 to_address = CASE WHEN kind = 'confirmation' THEN NULL ELSE to_address END, \
                 recipient_name = CASE WHEN kind = 'confirmation' THEN '' ELSE recipient_name END \
                 WHERE status IN ('sent', 'failed') AND finished_at <= $1 \
                 AND (body IS NOT NULL OR subject IS NOT NULL OR reply_to IS NOT NULL)",
            )
            .bind(text_cutoff)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            let supporters = sqlx::query(
                "UPDATE submissions SET supporter_name = NULL, supporter_email = NULL, \
                 email_hash = NULL, purged_at = $1 WHERE status = 'confirmed' AND purged_at IS NULL \
                 AND confirmed_at <= $2 AND NOT EXISTS (SELECT 1 FROM outbox o \
                 WHERE o.submission_id = submissions.id \
                 AND (o.status NOT IN ('sent', 'failed') OR o.finished_at > $2))",
            )
            .bind(now)
            .bind(text_cutoff)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            Ok(Purged {
                expired_submissions: expired,
                mail_texts: texts,
                supporters,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::memory_store;

    #[tokio::test]
    async fn an_unknown_kind_or_status_in_the_database_is_a_corrupt_row_not_a_panic() {
        let store = memory_store().await;
        let doc = crate::scorecard::seed("").expect("seed");
        store.import_campaign(&doc).await.expect("import");
        let Store::Sqlite(pool) = &store else {
            unreachable!("an in-memory SQLite store")
        };
        // Only a schema changed by hand (or another version) lets such a value in.
        sqlx::query("PRAGMA ignore_check_constraints = ON")
            .execute(pool)
            .await
            .expect("pragma");
        sqlx::query(
            "INSERT INTO submissions (id, campaign_id, state, status, confirm_hash, receipt_hash, \
             created_at, expires_at) SELECT 's1', id, 'MA', 'confirmed', 'c', 'r', 0, 0 \
             FROM campaigns",
        )
        .execute(pool)
        .await
        .expect("submission");
        for (kind, status) in [("pigeon", "sent"), ("message", "lost")] {
            sqlx::query("DELETE FROM outbox")
                .execute(pool)
                .await
                .expect("clear");
            sqlx::query(
                "INSERT INTO outbox (id, submission_id, kind, position, recipient_name, \
                 recipient_title, message_id, status, created_at) \
                 VALUES ('m1', 's1', $1, 0, 'x', 'y', '<m1@x>', $2, 0)",
            )
            .bind(kind)
            .bind(status)
            .execute(pool)
            .await
            .expect("mail");
            match store.submission("s1").await {
                Err(StoreError::Corrupt { what, value }) => {
                    assert!(what.contains("kind") || what.contains("status"), "{what}");
                    assert!(value.contains(kind) || value.contains(status), "{value}");
                }
                other => panic!("{kind}/{status}: expected a corrupt row, got {other:?}"),
            }
        }
    }
}
