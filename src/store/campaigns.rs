//! Campaigns, rubrics and scorecards in the database.

use super::scorecards::{insert_revision, insert_state_bills, latest_revision, BASELINE_NOTE};
use super::staff::append_audit;
use super::{campaign_id, in_transaction, on_pool, Store, StoreError};
use crate::domain::StateCode;
use crate::scorecard::editor::{diff, summary, CLI_AUTHOR, SEED_AUTHOR};
use crate::scorecard::{Bill, Campaign, CampaignDoc, Criterion, Evaluation, StateBills};
use crate::staff::audit::{action, NewAudit, Origin};
use serde::Serialize;

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub slug: String,
    /// False when the database already held exactly this campaign (nothing was written).
    pub changed: bool,
    pub criteria: usize,
    pub states: usize,
    pub bills: usize,
    pub evaluations: usize,
    /// How many states got a new scorecard revision (their bills changed).
    pub revised_states: usize,
}

/// Who imports a campaign, for the revisions and audit rows it writes.
#[derive(Debug, Clone, Copy)]
pub struct ImportBy<'a> {
    /// The revisions' author: `seed`, `cli` or `staff:<id>`.
    pub author: &'a str,
    pub note: Option<&'a str>,
    /// Who to audit; `None` writes no audit row (the seed import at start-up).
    pub origin: Option<Origin>,
}

impl ImportBy<'static> {
    /// `advocate scorecard import`.
    pub fn cli() -> ImportBy<'static> {
        ImportBy {
            author: CLI_AUTHOR,
            note: Some("Imported from a campaign file"),
            origin: Some(Origin::cli()),
        }
    }

    /// The seed import into an empty database.
    pub fn seed() -> ImportBy<'static> {
        ImportBy {
            author: SEED_AUTHOR,
            note: Some("The seed campaign"),
            origin: None,
        }
    }
}

#[derive(sqlx::FromRow)]
struct CampaignRow {
    id: i64,
    slug: String,
    title: String,
    organisation: String,
    summary: String,
    url: String,
}

#[derive(sqlx::FromRow)]
struct CriterionRow {
    id: String,
    kind: String,
    label: String,
    ask: String,
}

#[derive(sqlx::FromRow)]
pub(super) struct BillRow {
    pub(super) id: i64,
    state: String,
    number: Option<String>,
    title: String,
    year: Option<i32>,
    status: String,
    source_url: String,
    featured: bool,
    note: Option<String>,
}

#[derive(sqlx::FromRow)]
pub(super) struct EvaluationRow {
    bill_id: i64,
    criterion_id: String,
    status: String,
    reason: String,
    quote: Option<String>,
    source: Option<String>,
}

impl From<CampaignRow> for Campaign {
    fn from(r: CampaignRow) -> Self {
        Campaign {
            slug: r.slug,
            title: r.title,
            organisation: r.organisation,
            summary: r.summary,
            url: r.url,
        }
    }
}

/// A stored bill with its evaluations (found among `evaluations` by the bill's id).
pub(super) fn bill_from(row: BillRow, evaluations: &[EvaluationRow]) -> Result<Bill, StoreError> {
    Ok(Bill {
        number: row.number,
        title: row.title,
        year: row.year,
        status: row
            .status
            .parse()
            .map_err(|e| StoreError::corrupt("bills.status", e))?,
        source_url: row.source_url,
        featured: row.featured,
        note: row.note,
        evaluations: evaluations
            .iter()
            .filter(|e| e.bill_id == row.id)
            .map(|e| {
                Ok(Evaluation {
                    criterion: e.criterion_id.clone(),
                    status: e
                        .status
                        .parse()
                        .map_err(|err| StoreError::corrupt("evaluations.status", err))?,
                    reason: e.reason.clone(),
                    quote: e.quote.clone(),
                    source: e.source.clone(),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?,
    })
}

const CAMPAIGN_COLUMNS: &str = "SELECT id, slug, title, organisation, summary, url FROM campaigns";

impl Store {
    /// Every campaign, by slug.
    pub async fn campaigns(&self) -> Result<Vec<Campaign>, StoreError> {
        let sql = format!("{CAMPAIGN_COLUMNS} ORDER BY slug");
        let rows: Vec<CampaignRow> = on_pool!(self, pool => {
            sqlx::query_as(&sql).fetch_all(pool).await?
        });
        Ok(rows.into_iter().map(Campaign::from).collect())
    }

    /// A whole campaign (rubric and every state's bills), or `None` for an unknown slug.
    pub async fn campaign_doc(&self, slug: &str) -> Result<Option<CampaignDoc>, StoreError> {
        let sql = format!("{CAMPAIGN_COLUMNS} WHERE slug = $1");
        let (campaign, criteria, bills, evaluations) = on_pool!(self, pool => {
            let campaign: Option<CampaignRow> =
                sqlx::query_as(&sql).bind(slug).fetch_optional(pool).await?;
            let Some(campaign) = campaign else { return Ok(None) };
            let criteria: Vec<CriterionRow> = sqlx::query_as(
                "SELECT id, kind, label, ask FROM criteria WHERE campaign_id = $1 ORDER BY position",
            )
            .bind(campaign.id)
            .fetch_all(pool)
            .await?;
            let bills: Vec<BillRow> = sqlx::query_as(
                "SELECT id, state, number, title, year, status, source_url, featured, note \
                 FROM bills WHERE campaign_id = $1 ORDER BY state, position",
            )
            .bind(campaign.id)
            .fetch_all(pool)
            .await?;
            let evaluations: Vec<EvaluationRow> = sqlx::query_as(
                "SELECT e.bill_id, e.criterion_id, e.status, e.reason, e.quote, e.source \
                 FROM evaluations e JOIN criteria c \
                   ON c.campaign_id = e.campaign_id AND c.id = e.criterion_id \
                 WHERE e.campaign_id = $1 ORDER BY e.bill_id, c.position",
            )
            .bind(campaign.id)
            .fetch_all(pool)
            .await?;
            (campaign, criteria, bills, evaluations)
        });

        let criteria = criteria
            .into_iter()
            .map(|r| {
                Ok(Criterion {
                    kind: r
                        .kind
                        .parse()
                        .map_err(|e| StoreError::corrupt("criteria.kind", e))?,
                    id: r.id,
                    label: r.label,
                    ask: r.ask,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;

        let mut states: Vec<StateBills> = Vec::new();
        for row in bills {
            let code =
                StateCode::parse(&row.state).map_err(|e| StoreError::corrupt("bills.state", e))?;
            let bill = bill_from(row, &evaluations)?;
            match states.last_mut() {
                Some(last) if last.code == code => last.bills.push(bill),
                _ => states.push(StateBills {
                    code,
                    bills: vec![bill],
                }),
            }
        }

        Ok(Some(CampaignDoc {
            campaign: campaign.into(),
            criteria,
            states,
        }))
    }

    /// Whether any campaign is stored (start-up seeds an empty database).
    pub async fn has_campaigns(&self) -> Result<bool, StoreError> {
        let count: i64 = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM campaigns").fetch_one(pool).await?
        });
        Ok(count > 0)
    }

    /// Every campaign's id and revision (see [`touch_campaign!`](super::touch_campaign)), by
    /// id: one small read, polled by every instance to tell when its in-memory copies of a
    /// campaign (scorecards, templates) are out of date.
    pub async fn campaign_revisions(&self) -> Result<Vec<(i64, i64)>, StoreError> {
        on_pool!(self, pool => {
            Ok(sqlx::query_as("SELECT id, revision FROM campaigns ORDER BY id")
                .fetch_all(pool)
                .await?)
        })
    }

    /// Stores a campaign, replacing its rubric and bills, in one transaction. Importing the same
    /// document twice changes nothing the second time.
    ///
    /// Every state whose bills change gets a revision by `cli` (see [`Store::import_campaign_by`]).
    pub async fn import_campaign(&self, doc: &CampaignDoc) -> Result<ImportReport, StoreError> {
        self.import_campaign_by(doc, &ImportBy::cli()).await
    }

    /// [`Store::import_campaign`] by `by`: every state whose bills change (added, edited or
    /// left out) gets a revision with `by`'s author and note, and, when `by` names an origin,
    /// an audit row saying what changed, in the same transaction.
    pub async fn import_campaign_by(
        &self,
        doc: &CampaignDoc,
        by: &ImportBy<'_>,
    ) -> Result<ImportReport, StoreError> {
        let doc = doc.normalised();
        let mut report = ImportReport {
            slug: doc.campaign.slug.clone(),
            changed: false,
            criteria: doc.criteria.len(),
            states: doc.states.len(),
            bills: doc.states.iter().map(|s| s.bills.len()).sum(),
            evaluations: doc
                .states
                .iter()
                .flat_map(|s| &s.bills)
                .map(|b| b.evaluations.len())
                .sum(),
            revised_states: 0,
        };
        let old = self.campaign_doc(&doc.campaign.slug).await?;
        if old.as_ref() == Some(&doc) {
            return Ok(report);
        }
        // The states whose bills change, with their bills before and after. The previous
        // campaign was read outside the transaction: an edit landing in between is still
        // replaced, and its revision stays on record.
        let bills_of = |d: Option<&CampaignDoc>, code: StateCode| -> Vec<Bill> {
            d.and_then(|d| d.states.iter().find(|s| s.code == code))
                .map(|s| s.bills.clone())
                .unwrap_or_default()
        };
        let revised: Vec<(StateCode, Vec<Bill>, Vec<Bill>)> = StateCode::all()
            .map(|code| {
                (
                    code,
                    bills_of(old.as_ref(), code),
                    bills_of(Some(&doc), code),
                )
            })
            .filter(|(_, old, new)| old != new)
            .collect();
        report.revised_states = revised.len();
        // The campaign's own fields or rubric change (or it is new): audited on its own, since no
        // state's revision says so.
        let campaign_changed = old
            .as_ref()
            .is_none_or(|o| o.campaign != doc.campaign || o.criteria != doc.criteria);
        let now = chrono::Utc::now();
        let c = &doc.campaign;
        in_transaction!(self, tx => {
            let existing = campaign_id(&mut *tx, &c.slug).await?;
            let id: i64 = match existing {
                Some(id) => {
                    sqlx::query(
                        "UPDATE campaigns SET title = $2, organisation = $3, summary = $4, url = $5, \
                         updated_at = $6, revision = revision + 1 WHERE id = $1",
                    )
                    .bind(id).bind(&c.title).bind(&c.organisation).bind(&c.summary).bind(&c.url).bind(now)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query("DELETE FROM bills WHERE campaign_id = $1").bind(id).execute(&mut *tx).await?;
                    sqlx::query("DELETE FROM criteria WHERE campaign_id = $1").bind(id).execute(&mut *tx).await?;
                    id
                }
                None => {
                    sqlx::query_scalar(
                        "INSERT INTO campaigns (slug, title, organisation, summary, url, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                    )
                    .bind(&c.slug).bind(&c.title).bind(&c.organisation).bind(&c.summary).bind(&c.url).bind(now)
                    .fetch_one(&mut *tx)
                    .await?
                }
            };
            for (position, criterion) in doc.criteria.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO criteria (campaign_id, id, position, kind, label, ask) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(id)
                .bind(&criterion.id)
                .bind(position as i32)
                .bind(criterion.kind.as_str())
                .bind(&criterion.label)
                .bind(&criterion.ask)
                .execute(&mut *tx)
                .await?;
            }
            for state in &doc.states {
                insert_state_bills!(tx, id, state.code.as_str(), &state.bills);
            }
            for (code, old, new) in &revised {
                let mut latest = latest_revision!(tx, id, code.as_str());
                if latest == 0 && !old.is_empty() {
                    insert_revision!(tx, id, code.as_str(), 1_i64, SEED_AUTHOR, Some(BASELINE_NOTE), now, old);
                    latest = 1;
                }
                insert_revision!(tx, id, code.as_str(), latest + 1, by.author, by.note, now, new);
                if let Some(origin) = by.origin {
                    let changes = diff(&doc.criteria, old, new);
                    let audit = NewAudit::new(
                        now,
                        origin,
                        action::SCORECARD_IMPORTED,
                        format!("scorecard:{}/{}", doc.campaign.slug, code.as_str()),
                        format!("{} (revision {}, imported)", summary(*code, &changes), latest + 1),
                    );
                    append_audit!(&mut *tx, &audit);
                }
            }
            if let (true, Some(origin)) = (campaign_changed, by.origin) {
                let audit = NewAudit::new(
                    now,
                    origin,
                    action::CAMPAIGN_IMPORTED,
                    format!("campaign:{}", doc.campaign.slug),
                    format!(
                        "campaign details and rubric imported ({} criteria)",
                        doc.criteria.len()
                    ),
                );
                append_audit!(&mut *tx, &audit);
            }
            Ok(())
        })?;
        report.changed = true;
        Ok(report)
    }
}

/// What setting a campaign's goal did.
pub type GoalChange = super::Change<i64>;

impl Store {
    /// A campaign's goal (`Ok(None)` for an unknown campaign, `Ok(Some(None))` for no goal).
    pub async fn campaign_goal(&self, slug: &str) -> Result<Option<Option<i64>>, StoreError> {
        on_pool!(self, pool => {
            let goal: Option<Option<i64>> =
                sqlx::query_scalar("SELECT goal FROM campaigns WHERE slug = $1")
                    .bind(slug)
                    .fetch_optional(pool)
                    .await?;
            Ok(goal)
        })
    }

    /// Sets (or, with `None`, clears) a campaign's goal and, when that changes it, appends
    /// `audit(old, new)` in the same transaction; `None` for an unknown campaign. The goal must
    /// already be valid (see `stats::parse_goal`); the table refuses anything below 1.
    pub async fn set_campaign_goal(
        &self,
        slug: &str,
        goal: Option<i64>,
        audit: impl Fn(GoalChange) -> NewAudit + Send + Sync,
    ) -> Result<Option<GoalChange>, StoreError> {
        in_transaction!(self, tx => {
            // Lock the row first (a no-op update), so the old value read next is the one this
            // change replaces even when two people save at once.
            let locked = sqlx::query("UPDATE campaigns SET goal = goal WHERE slug = $1")
                .bind(slug)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if locked == 0 {
                return Ok(None);
            }
            let (id, old): (i64, Option<i64>) =
                sqlx::query_as("SELECT id, goal FROM campaigns WHERE slug = $1")
                    .bind(slug)
                    .fetch_one(&mut *tx)
                    .await?;
            let change = GoalChange { old, new: goal };
            if change.changed() {
                // A new revision: every instance drops what it keeps of the campaign.
                sqlx::query("UPDATE campaigns SET goal = $2, revision = revision + 1 WHERE id = $1")
                    .bind(id)
                    .bind(goal)
                    .execute(&mut *tx)
                    .await?;
                append_audit!(&mut *tx, &audit(change));
            }
            Ok(Some(change))
        })
    }
}
