//! Message counts: one row per (campaign, state, legislator, UTC day, channel), incremented with
//! an upsert that both databases accept. No personal data.

use super::{campaign_id, on_pool, Store, StoreError};
use crate::domain::StateCode;
use crate::stats::{Channel, CountRow};
use chrono::NaiveDate;

/// Adds `$6` to a count, creating its row at `$6`. Binds: campaign id, state, legislator id,
/// day, channel, amount. Shared with the draft-link redirect and the outbox, which count inside
/// their own transactions.
pub(super) const INCREMENT: &str = "INSERT INTO message_counts \
     (campaign_id, state, legislator_id, day, channel, count) VALUES ($1, $2, $3, $4, $5, $6) \
     ON CONFLICT (campaign_id, state, legislator_id, day, channel) \
     DO UPDATE SET count = message_counts.count + excluded.count";

#[derive(sqlx::FromRow)]
struct TotalRow {
    state: String,
    channel: String,
    total: i64,
}

#[derive(sqlx::FromRow)]
struct DetailRow {
    state: String,
    legislator_id: String,
    day: NaiveDate,
    channel: String,
    count: i64,
}

impl Store {
    /// Counts one message to `legislator_id` on `day` through `channel`. Returns false (and
    /// counts nothing) for an unknown campaign.
    pub async fn count_message(
        &self,
        slug: &str,
        state: StateCode,
        legislator_id: &str,
        day: NaiveDate,
        channel: Channel,
    ) -> Result<bool, StoreError> {
        on_pool!(self, pool => {
            let Some(id) = campaign_id(pool, slug).await? else { return Ok(false) };
            sqlx::query(INCREMENT)
                .bind(id)
                .bind(state.as_str())
                .bind(legislator_id)
                .bind(day)
                .bind(channel.as_str())
                .bind(1_i64)
                .execute(pool)
                .await?;
        });
        Ok(true)
    }

    /// A campaign's counts summed by state and channel, or `None` for an unknown campaign.
    pub async fn count_totals(
        &self,
        slug: &str,
    ) -> Result<Option<Vec<(StateCode, Channel, i64)>>, StoreError> {
        let rows: Vec<TotalRow> = on_pool!(self, pool => {
            let Some(id) = campaign_id(pool, slug).await? else { return Ok(None) };
            // SUM is NUMERIC on PostgreSQL: cast so both databases give a 64-bit integer.
            sqlx::query_as(
                "SELECT state, channel, CAST(SUM(count) AS BIGINT) AS total FROM message_counts \
                 WHERE campaign_id = $1 GROUP BY state, channel ORDER BY state, channel",
            )
            .bind(id)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|r| {
                Ok((
                    StateCode::parse(&r.state)
                        .map_err(|e| StoreError::corrupt("message_counts.state", e))?,
                    Channel::parse(&r.channel)
                        .map_err(|e| StoreError::corrupt("message_counts.channel", e))?,
                    r.total,
                ))
            })
            .collect::<Result<Vec<_>, StoreError>>()
            .map(Some)
    }

    /// Every count row of a campaign (for organisers' reports and exports), by day, state,
    /// legislator and channel; `None` for an unknown campaign.
    pub async fn message_counts(&self, slug: &str) -> Result<Option<Vec<CountRow>>, StoreError> {
        let rows: Vec<DetailRow> = on_pool!(self, pool => {
            let Some(id) = campaign_id(pool, slug).await? else { return Ok(None) };
            sqlx::query_as(
                "SELECT state, legislator_id, day, channel, count FROM message_counts \
                 WHERE campaign_id = $1 ORDER BY day, state, legislator_id, channel",
            )
            .bind(id)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|r| {
                Ok(CountRow {
                    state: StateCode::parse(&r.state)
                        .map_err(|e| StoreError::corrupt("message_counts.state", e))?,
                    legislator_id: r.legislator_id,
                    day: r.day,
                    channel: Channel::parse(&r.channel)
                        .map_err(|e| StoreError::corrupt("message_counts.channel", e))?,
                    count: r.count,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()
            .map(Some)
    }
}

impl Store {
    /// The public counter's stored figures: every counted message of the campaign (all
    /// channels) and its goal; `None` for an unknown campaign. One query.
    pub async fn counter_figures(
        &self,
        slug: &str,
    ) -> Result<Option<(i64, Option<i64>)>, StoreError> {
        let row: Option<(i64, Option<i64>)> = on_pool!(self, pool => {
            // SUM is NUMERIC on PostgreSQL: cast so both databases give a 64-bit integer.
            sqlx::query_as(
                "SELECT CAST(COALESCE((SELECT SUM(m.count) FROM message_counts m \
                   WHERE m.campaign_id = c.id), 0) AS BIGINT) AS total, c.goal \
                 FROM campaigns c WHERE c.slug = $1",
            )
            .bind(slug)
            .fetch_optional(pool)
            .await?
        });
        Ok(row)
    }
}
