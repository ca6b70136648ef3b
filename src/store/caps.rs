//! Staff overrides of the delivery caps (`office_caps`, migration 0013): a campaign's default
//! for every office and caps of single offices; and what waits on them. The claim that keeps
//! the caps is in `outbox.rs` (`claim_mails`).

use super::staff::append_audit;
use super::{in_transaction, on_pool, Store, StoreError};
use crate::outbox::WaitReason;
use crate::staff::audit::NewAudit;

/// One office's own cap, as the staff page lists it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OfficeCapRow {
    pub legislator_id: String,
    /// From the directory, or the reach tables once it has left the directory.
    pub name: Option<String>,
    pub title: Option<String>,
    pub state: Option<String>,
    pub per_hour: i64,
    /// Messages of the campaign to this office waiting on its cap now.
    pub waiting: i64,
    pub updated_at: i64,
}

/// A campaign's overrides and what waits on the caps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CampaignCapsView {
    /// The campaign's default for every office without its own (`None`: the setting applies).
    pub default: Option<i64>,
    pub offices: Vec<OfficeCapRow>,
    /// The campaign's queued messages waiting on an office's cap, and mails on the global rate.
    pub waiting_office_cap: i64,
    pub waiting_global_rate: i64,
}

/// What a save changed: the cap before and after (`None`: no override).
pub type CapChange = super::Change<u32>;

/// How a save ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CapSaved {
    NoCampaign,
    /// The office is neither in the directory nor among the offices messages were written to or
    /// the campaign counted.
    UnknownOffice,
    Saved(CapChange),
}

impl Store {
    /// Campaign `slug`'s cap overrides, offices by id, and the mails waiting on caps; `None` for
    /// an unknown campaign.
    pub async fn campaign_caps(&self, slug: &str) -> Result<Option<CampaignCapsView>, StoreError> {
        Ok(on_pool!(self, pool => {
            let Some(id) = super::campaign_id(pool, slug).await? else { return Ok(None) };
            let default: Option<i64> = sqlx::query_scalar(
                "SELECT per_hour FROM office_caps WHERE campaign_id = $1 AND legislator_id IS NULL",
            )
            .bind(id)
            .fetch_optional(pool)
            .await?;
            let offices: Vec<OfficeCapRow> = sqlx::query_as(
                "SELECT c.legislator_id AS legislator_id, COALESCE(d.name, r.name) AS name, \
                 COALESCE(d.title, r.title) AS title, COALESCE(d.state, r.state) AS state, \
                 c.per_hour AS per_hour, c.updated_at AS updated_at, \
                 (SELECT CAST(COUNT(*) AS BIGINT) FROM outbox o \
                  JOIN submissions s ON s.id = o.submission_id \
                  WHERE o.waiting_on = 'office_cap' AND o.legislator_id = c.legislator_id \
                  AND o.status = 'queued' AND s.campaign_id = c.campaign_id) AS waiting \
                 FROM office_caps c \
                 LEFT JOIN directory_legislators d ON d.id = c.legislator_id \
                 LEFT JOIN reach_offices r ON r.legislator_id = c.legislator_id \
                 WHERE c.campaign_id = $1 AND c.legislator_id IS NOT NULL \
                 ORDER BY c.legislator_id",
            )
            .bind(id)
            .fetch_all(pool)
            .await?;
            let waiting: Vec<(WaitReason, i64)> = sqlx::query_as(
                "SELECT o.waiting_on, CAST(COUNT(*) AS BIGINT) FROM outbox o \
                 JOIN submissions s ON s.id = o.submission_id \
                 WHERE s.campaign_id = $1 AND o.waiting_on IS NOT NULL AND o.status = 'queued' \
                 GROUP BY o.waiting_on",
            )
            .bind(id)
            .fetch_all(pool)
            .await?;
            let mut view = CampaignCapsView {
                default,
                offices,
                ..CampaignCapsView::default()
            };
            for (reason, n) in waiting {
                match reason {
                    WaitReason::OfficeCap => view.waiting_office_cap += n,
                    WaitReason::GlobalRate => view.waiting_global_rate += n,
                }
            }
            Some(view)
        }))
    }

    /// Sets (`per_hour` `Some`) or removes (`None`) campaign `slug`'s cap override for `office`,
    /// or its default without an office, at `now`, with the audit row `audit` makes of the
    /// change in the same transaction (none when nothing changed). An office must be in the
    /// directory, among the offices messages were written to, or among those the campaign
    /// counted (the reach dashboard's); a cap already set may always be removed. The campaign's messages waiting on the caps it changes are due again at once,
    /// so the next claim weighs them against the new cap (first in, first out as before).
    pub async fn set_office_cap(
        &self,
        slug: &str,
        office: Option<&str>,
        per_hour: Option<u32>,
        now: i64,
        audit: impl Fn(CapChange) -> NewAudit + Send + Sync,
    ) -> Result<CapSaved, StoreError> {
        let per_hour = per_hour.map(i64::from);
        in_transaction!(self, tx => {
            // Lock the campaign's row first (a no-op update), so two saves of one campaign's
            // caps take turns and the old value read next is the one this change replaces.
            let locked = sqlx::query("UPDATE campaigns SET goal = goal WHERE slug = $1")
                .bind(slug)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if locked == 0 {
                return Ok(CapSaved::NoCampaign);
            }
            let campaign: i64 = sqlx::query_scalar("SELECT id FROM campaigns WHERE slug = $1")
                .bind(slug)
                .fetch_one(&mut *tx)
                .await?;
            let old: Option<i64> = sqlx::query_scalar(
                "SELECT per_hour FROM office_caps WHERE campaign_id = $1 \
                 AND ((legislator_id IS NULL AND $2 IS NULL) OR legislator_id = $2)",
            )
            .bind(campaign)
            .bind(office)
            .fetch_optional(&mut *tx)
            .await?;
            if let (Some(id), Some(_)) = (office, per_hour) {
                let known: i64 = sqlx::query_scalar(
                    "SELECT CAST(COUNT(*) AS BIGINT) FROM (\
                     SELECT id FROM directory_legislators WHERE id = $1 \
                     UNION ALL SELECT legislator_id FROM reach_offices WHERE legislator_id = $1 \
                     UNION ALL SELECT legislator_id FROM message_counts \
                     WHERE campaign_id = $2 AND legislator_id = $1\
                     ) AS known",
                )
                .bind(id)
                .bind(campaign)
                .fetch_one(&mut *tx)
                .await?;
                if known == 0 {
                    return Ok(CapSaved::UnknownOffice);
                }
            }
            let as_cap = |v: Option<i64>| v.and_then(|n| u32::try_from(n).ok());
            let change = CapChange {
                old: as_cap(old),
                new: as_cap(per_hour),
            };
            if !change.changed() {
                return Ok(CapSaved::Saved(change));
            }
            match (old, per_hour) {
                (Some(_), Some(n)) => {
                    sqlx::query(
                        "UPDATE office_caps SET per_hour = $3, updated_at = $4 \
                         WHERE campaign_id = $1 \
                         AND ((legislator_id IS NULL AND $2 IS NULL) OR legislator_id = $2)",
                    )
                    .bind(campaign)
                    .bind(office)
                    .bind(n)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
                (None, Some(n)) => {
                    sqlx::query(
                        "INSERT INTO office_caps (campaign_id, legislator_id, per_hour, updated_at) \
                         VALUES ($1, $2, $3, $4)",
                    )
                    .bind(campaign)
                    .bind(office)
                    .bind(n)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
                (_, None) => {
                    sqlx::query(
                        "DELETE FROM office_caps WHERE campaign_id = $1 \
                         AND ((legislator_id IS NULL AND $2 IS NULL) OR legislator_id = $2)",
                    )
                    .bind(campaign)
                    .bind(office)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            // What waits on the changed caps is weighed again by the next claim.
            sqlx::query(
                "UPDATE outbox SET next_attempt_at = $2 WHERE status = 'queued' \
                 AND waiting_on = 'office_cap' AND next_attempt_at > $2 \
                 AND ($3 IS NULL OR legislator_id = $3) \
                 AND submission_id IN (SELECT id FROM submissions WHERE campaign_id = $1)",
            )
            .bind(campaign)
            .bind(now)
            .bind(office)
            .execute(&mut *tx)
            .await?;
            append_audit!(&mut *tx, &audit(change));
            Ok(CapSaved::Saved(change))
        })
    }
}
