//! Scorecard revisions: each save of one state's bills (the editor, an import, the seed) is a
//! numbered revision of that state holding the bills as JSON in the campaign file's shape. The
//! current bills stay in `bills`/`evaluations`, replaced in the same transaction as the
//! revision row and its audit row.

use super::campaigns::{bill_from, BillRow, EvaluationRow};
use super::staff::append_audit;
use super::{campaign_id, in_transaction, on_pool, touch_campaign, Store, StoreError};
use crate::domain::StateCode;
use crate::scorecard::editor::{Revision, SEED_AUTHOR};
use crate::scorecard::Bill;
use crate::staff::audit::NewAudit;
use chrono::{DateTime, Utc};

/// The note of the revision recorded for a state's bills as they stood before its first
/// recorded change (databases older than the revision history).
pub(super) const BASELINE_NOTE: &str = "As it stood before the revision history began";

/// The bills of one state, as JSON for a revision row.
pub(super) fn bills_json(bills: &[Bill]) -> Result<String, StoreError> {
    serde_json::to_string(bills)
        .map_err(|e| StoreError::Invalid(format!("cannot write a scorecard revision: {e}")))
}

/// Inserts `$bills` (a `&[Bill]`) as the bills of state `$state` (a `&str`) of campaign
/// `$campaign`, through transaction `$tx`, positions in the order given.
macro_rules! insert_state_bills {
    ($tx:ident, $campaign:expr, $state:expr, $bills:expr) => {{
        let bills: &[$crate::scorecard::Bill] = $bills;
        for (position, bill) in bills.iter().enumerate() {
            let bill_id: i64 = sqlx::query_scalar(
                "INSERT INTO bills (campaign_id, state, position, number, title, year, status, \
                 source_url, featured, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                 RETURNING id",
            )
            .bind($campaign)
            .bind($state)
            .bind(position as i32)
            .bind(&bill.number)
            .bind(&bill.title)
            .bind(bill.year)
            .bind(bill.status.as_str())
            .bind(&bill.source_url)
            .bind(bill.featured)
            .bind(&bill.note)
            .fetch_one(&mut *$tx)
            .await?;
            for eval in &bill.evaluations {
                sqlx::query(
                    "INSERT INTO evaluations (bill_id, campaign_id, criterion_id, status, reason, \
                     quote, source) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(bill_id)
                .bind($campaign)
                .bind(&eval.criterion)
                .bind(eval.status.as_str())
                .bind(&eval.reason)
                .bind(&eval.quote)
                .bind(&eval.source)
                .execute(&mut *$tx)
                .await?;
            }
        }
    }};
}

/// The latest revision number (0 for none) of state `$state` of campaign `$campaign`.
macro_rules! latest_revision {
    ($tx:ident, $campaign:expr, $state:expr) => {{
        let latest: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(revision), 0) FROM scorecard_revisions \
             WHERE campaign_id = $1 AND state = $2",
        )
        .bind($campaign)
        .bind($state)
        .fetch_one(&mut *$tx)
        .await?;
        latest
    }};
}

/// Inserts revision `$revision` of state `$state` of campaign `$campaign` holding `$bills`.
macro_rules! insert_revision {
    ($tx:ident, $campaign:expr, $state:expr, $revision:expr, $author:expr, $note:expr, $at:expr, $bills:expr) => {{
        let note: Option<&str> = $note;
        let at: chrono::DateTime<chrono::Utc> = $at;
        sqlx::query(
            "INSERT INTO scorecard_revisions (campaign_id, state, revision, author, note, \
             created_at, bills) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind($campaign)
        .bind($state)
        .bind($revision)
        .bind($author)
        .bind(note)
        .bind(at.timestamp())
        .bind($crate::store::scorecards::bills_json($bills)?)
        .execute(&mut *$tx)
        .await?;
    }};
}

pub(super) use {insert_revision, insert_state_bills, latest_revision};

/// A save of one state's bills.
#[derive(Debug, Clone)]
pub struct NewRevision<'a> {
    pub state: StateCode,
    /// Already checked (`scorecard::editor::validate`).
    pub bills: &'a [Bill],
    /// `cli` or `staff:<id>`.
    pub author: &'a str,
    pub note: Option<&'a str>,
    pub at: DateTime<Utc>,
    /// The revision the edit was made from, when the editor knows it: the save is refused
    /// ([`StateSave::Stale`]) when another save landed since.
    pub base: Option<i64>,
}

/// What a save did.
#[derive(Debug, Clone, PartialEq)]
pub enum StateSave {
    /// Stored as `revision`; the state's bills before it were `previous`.
    Saved {
        revision: i64,
        previous: Vec<Bill>,
    },
    NoCampaign,
    /// Nothing stored: the state is at revision `current`, not at the edit's base.
    Stale {
        current: i64,
    },
}

#[derive(sqlx::FromRow)]
struct RevisionRow {
    state: String,
    revision: i64,
    author: String,
    note: Option<String>,
    created_at: i64,
    bills: String,
}

impl TryFrom<RevisionRow> for Revision {
    type Error = StoreError;

    fn try_from(r: RevisionRow) -> Result<Revision, StoreError> {
        Ok(Revision {
            state: StateCode::parse(&r.state)
                .map_err(|e| StoreError::corrupt("scorecard_revisions.state", e))?,
            revision: r.revision,
            author: r.author,
            note: r.note,
            created_at: DateTime::from_timestamp(r.created_at, 0).ok_or_else(|| {
                StoreError::corrupt("scorecard_revisions.created_at", r.created_at)
            })?,
            bills: serde_json::from_str(&r.bills)
                .map_err(|e| StoreError::corrupt("scorecard_revisions.bills", e))?,
        })
    }
}

const REVISION_COLUMNS: &str = "SELECT r.state, r.revision, r.author, r.note, r.created_at, \
     r.bills FROM scorecard_revisions r JOIN campaigns c ON c.id = r.campaign_id";

impl Store {
    /// Replaces the bills of one state of campaign `slug` with `new.bills` and records them as
    /// the state's next revision, with the audit row `audit` makes from the bills before and
    /// the new revision's number, all in one transaction. A state whose bills predate the
    /// revision history first gets a revision holding them (by `seed`), so that they can be
    /// restored.
    pub async fn save_state_scorecard(
        &self,
        slug: &str,
        new: &NewRevision<'_>,
        audit: impl Fn(&[Bill], i64) -> NewAudit + Send + Sync,
    ) -> Result<StateSave, StoreError> {
        let state = new.state.as_str();
        // Two saves at once on PostgreSQL may pick the same number; the primary key refuses
        // the second, which then sees the first (and is stale when it named its base).
        let mut attempt = 0;
        loop {
            attempt += 1;
            let saved = in_transaction!(self, tx => {
                let Some(id) = touch_campaign!(tx, slug) else {
                    return Ok(StateSave::NoCampaign);
                };
                let mut latest = latest_revision!(tx, id, state);
                if let Some(base) = new.base {
                    if base != latest {
                        return Ok(StateSave::Stale { current: latest });
                    }
                }
                let rows: Vec<BillRow> = sqlx::query_as(
                    "SELECT id, state, number, title, year, status, source_url, featured, note \
                     FROM bills WHERE campaign_id = $1 AND state = $2 ORDER BY position",
                )
                .bind(id)
                .bind(state)
                .fetch_all(&mut *tx)
                .await?;
                let evaluations: Vec<EvaluationRow> = sqlx::query_as(
                    "SELECT e.bill_id, e.criterion_id, e.status, e.reason, e.quote, e.source \
                     FROM evaluations e \
                     JOIN bills b ON b.id = e.bill_id \
                     JOIN criteria c ON c.campaign_id = e.campaign_id AND c.id = e.criterion_id \
                     WHERE e.campaign_id = $1 AND b.state = $2 ORDER BY e.bill_id, c.position",
                )
                .bind(id)
                .bind(state)
                .fetch_all(&mut *tx)
                .await?;
                let previous = rows
                    .into_iter()
                    .map(|row| bill_from(row, &evaluations))
                    .collect::<Result<Vec<Bill>, StoreError>>()?;
                if latest == 0 && !previous.is_empty() {
                    insert_revision!(tx, id, state, 1_i64, SEED_AUTHOR, Some(BASELINE_NOTE), new.at, &previous);
                    latest = 1;
                }
                sqlx::query("DELETE FROM bills WHERE campaign_id = $1 AND state = $2")
                    .bind(id)
                    .bind(state)
                    .execute(&mut *tx)
                    .await?;
                insert_state_bills!(tx, id, state, new.bills);
                let revision = latest + 1;
                insert_revision!(tx, id, state, revision, new.author, new.note, new.at, new.bills);
                let row = audit(&previous, revision);
                append_audit!(&mut *tx, &row);
                Ok(StateSave::Saved { revision, previous })
            });
            match saved {
                Err(StoreError::Database(sqlx::Error::Database(e)))
                    if e.is_unique_violation() && attempt < 3 =>
                {
                    continue
                }
                other => return other,
            }
        }
    }

    /// Every revision of one state of campaign `slug`, newest first; `None` for an unknown
    /// campaign.
    pub async fn scorecard_revisions(
        &self,
        slug: &str,
        state: StateCode,
    ) -> Result<Option<Vec<Revision>>, StoreError> {
        let sql = format!(
            "{REVISION_COLUMNS} WHERE c.slug = $1 AND r.state = $2 ORDER BY r.revision DESC"
        );
        let rows: Option<Vec<RevisionRow>> = on_pool!(self, pool => {
            if campaign_id(pool, slug).await?.is_none() {
                None
            } else {
                Some(sqlx::query_as(&sql).bind(slug).bind(state.as_str()).fetch_all(pool).await?)
            }
        });
        rows.map(|rows| rows.into_iter().map(Revision::try_from).collect())
            .transpose()
    }

    /// Revision `revision` of one state of campaign `slug`, if there is one.
    pub async fn scorecard_revision(
        &self,
        slug: &str,
        state: StateCode,
        revision: i64,
    ) -> Result<Option<Revision>, StoreError> {
        let sql =
            format!("{REVISION_COLUMNS} WHERE c.slug = $1 AND r.state = $2 AND r.revision = $3");
        let row: Option<RevisionRow> = on_pool!(self, pool => {
            sqlx::query_as(&sql)
                .bind(slug)
                .bind(state.as_str())
                .bind(revision)
                .fetch_optional(pool)
                .await?
        });
        row.map(Revision::try_from).transpose()
    }

    /// The latest revision number of one state of campaign `slug`, if it has one.
    pub async fn scorecard_latest_revision(
        &self,
        slug: &str,
        state: StateCode,
    ) -> Result<Option<i64>, StoreError> {
        let latest: Option<i64> = on_pool!(self, pool => {
            sqlx::query_scalar(
                "SELECT MAX(r.revision) FROM scorecard_revisions r \
                 JOIN campaigns c ON c.id = r.campaign_id WHERE c.slug = $1 AND r.state = $2",
            )
            .bind(slug)
            .bind(state.as_str())
            .fetch_one(pool)
            .await?
        });
        Ok(latest)
    }

    /// The latest revision number of every state of campaign `slug` that has one.
    pub async fn scorecard_latest_revisions(
        &self,
        slug: &str,
    ) -> Result<Vec<(StateCode, i64)>, StoreError> {
        let rows: Vec<(String, i64)> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT r.state, MAX(r.revision) FROM scorecard_revisions r \
                 JOIN campaigns c ON c.id = r.campaign_id WHERE c.slug = $1 GROUP BY r.state",
            )
            .bind(slug)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|(state, n)| {
                StateCode::parse(&state)
                    .map(|code| (code, n))
                    .map_err(|e| StoreError::corrupt("scorecard_revisions.state", e))
            })
            .collect()
    }
}
