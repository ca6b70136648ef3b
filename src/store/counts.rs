//! Message counts: one row per (campaign, state, legislator, UTC day, channel, template
//! version), incremented with an upsert that both databases accept, beside an hourly total per
//! campaign (the public counter's last 24 hours) and the office table reach reports name
//! offices from. No personal data.

use super::{campaign_id, in_transaction, on_pool, Store, StoreError};
use crate::directory::Chamber;
use crate::domain::StateCode;
use crate::stats::{Channel, CountRow};
use chrono::{DateTime, Datelike, NaiveDate, Utc};

/// Adds `$8` to a count, creating its row at `$8`. Binds: campaign id, state, legislator id,
/// day, channel, template version, chamber, amount. Run through [`record_count!`].
pub(super) const INCREMENT: &str = "INSERT INTO message_counts \
     (campaign_id, state, legislator_id, day, channel, template_version, chamber, count) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
     ON CONFLICT (campaign_id, day, state, legislator_id, channel, template_version) \
     DO UPDATE SET count = message_counts.count + excluded.count";

/// Adds `$3` to a campaign's total of the hour starting at `$2` (Unix seconds).
pub(super) const INCREMENT_HOUR: &str = "INSERT INTO message_count_hours (campaign_id, hour, count) \
     VALUES ($1, $2, $3) \
     ON CONFLICT (campaign_id, hour) DO UPDATE SET count = message_count_hours.count + excluded.count";

/// The same into the roll-ups the reports read: per day without the office, per month with it.
/// Binds: campaign id, day (or month), state, chamber, channel, template version, amount (and,
/// for the month, the legislator id as `$8`).
pub(super) const INCREMENT_DAY: &str = "INSERT INTO message_count_days \
     (campaign_id, day, state, chamber, channel, template_version, count) \
     VALUES ($1, $2, $3, $4, $5, $6, $7) \
     ON CONFLICT (campaign_id, day, state, chamber, channel, template_version) \
     DO UPDATE SET count = message_count_days.count + excluded.count";
pub(super) const INCREMENT_MONTH: &str = "INSERT INTO message_count_months \
     (campaign_id, month, state, chamber, channel, template_version, count, legislator_id) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
     ON CONFLICT (campaign_id, month, state, legislator_id, channel, template_version) \
     DO UPDATE SET count = message_count_months.count + excluded.count";

/// Records an office as the lookup described it; refreshed at most once a day (a message's
/// write path should not rewrite the same row every time). Binds: legislator id, state,
/// chamber, district, name, title, now (Unix seconds).
pub(super) const UPSERT_OFFICE: &str = "INSERT INTO reach_offices \
     (legislator_id, state, chamber, district, name, title, seen_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7) \
     ON CONFLICT (legislator_id) DO UPDATE SET state = excluded.state, \
     chamber = excluded.chamber, district = excluded.district, name = excluded.name, \
     title = excluded.title, seen_at = excluded.seen_at \
     WHERE reach_offices.seen_at < excluded.seen_at - 86400";

/// `n` messages to one office on one UTC day through one channel, written from one version of
/// the audience's template: what a count row is keyed by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountEvent {
    pub state: StateCode,
    pub legislator_id: String,
    pub chamber: Chamber,
    pub channel: Channel,
    /// 0 when the version is not known (counted before versions were recorded).
    pub template_version: i64,
    pub n: i64,
    /// When it happened: its UTC day keys the count, its hour the hourly total.
    pub at: DateTime<Utc>,
}

/// An office a message was written to, as the lookup gave it (public data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Office {
    pub legislator_id: String,
    pub state: StateCode,
    pub chamber: Chamber,
    pub district: String,
    pub name: String,
    pub title: String,
}

/// The first day of `day`'s month.
pub(crate) fn month_of(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

/// The start of `at`'s UTC hour, in Unix seconds.
pub(super) fn hour_of(at: DateTime<Utc>) -> i64 {
    at.timestamp().div_euclid(3600) * 3600
}

/// Counts `$n` messages inside the transaction `$tx`: the count row, the campaign's hourly
/// total and the day and month roll-ups. Arguments: campaign id, state, legislator id, chamber, channel (all `&str`), template
/// version, amount, time (`DateTime<Utc>`).
macro_rules! record_count {
    ($tx:expr, $campaign:expr, $state:expr, $legislator:expr, $chamber:expr, $channel:expr,
     $version:expr, $n:expr, $at:expr) => {{
        let at: chrono::DateTime<chrono::Utc> = $at;
        let n: i64 = $n;
        sqlx::query($crate::store::counts::INCREMENT)
            .bind($campaign)
            .bind($state)
            .bind($legislator)
            .bind(at.date_naive())
            .bind($channel)
            .bind($version)
            .bind($chamber)
            .bind(n)
            .execute(&mut *$tx)
            .await?;
        sqlx::query($crate::store::counts::INCREMENT_HOUR)
            .bind($campaign)
            .bind($crate::store::counts::hour_of(at))
            .bind(n)
            .execute(&mut *$tx)
            .await?;
        for (sql, day) in [
            ($crate::store::counts::INCREMENT_DAY, at.date_naive()),
            (
                $crate::store::counts::INCREMENT_MONTH,
                $crate::store::counts::month_of(at.date_naive()),
            ),
        ] {
            let query = sqlx::query(sql)
                .bind($campaign)
                .bind(day)
                .bind($state)
                .bind($chamber)
                .bind($channel)
                .bind($version)
                .bind(n);
            let query = if sql == $crate::store::counts::INCREMENT_MONTH {
                query.bind($legislator)
            } else {
                query
            };
            query.execute(&mut *$tx).await?;
        }
    }};
}
pub(crate) use record_count;

/// Records `$office` (an [`Office`]) inside `$tx` at `$now` (Unix seconds).
macro_rules! record_office {
    ($tx:expr, $office:expr, $now:expr) => {{
        let office: &$crate::store::Office = $office;
        sqlx::query($crate::store::counts::UPSERT_OFFICE)
            .bind(&office.legislator_id)
            .bind(office.state.as_str())
            .bind(office.chamber.as_str())
            .bind(&office.district)
            .bind(&office.name)
            .bind(&office.title)
            .bind($now)
            .execute(&mut *$tx)
            .await?;
    }};
}
pub(crate) use record_office;

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
    chamber: String,
    day: NaiveDate,
    channel: String,
    template_version: i64,
    count: i64,
}

impl Store {
    /// Counts `events` (in one transaction), as the draft links and the outbox do: for seeding
    /// reports, imports and tests. Returns false (and counts nothing) for an unknown campaign.
    pub async fn count_messages(
        &self,
        slug: &str,
        events: &[CountEvent],
    ) -> Result<bool, StoreError> {
        in_transaction!(self, tx => {
            let Some(id) = campaign_id(&mut *tx, slug).await? else { return Ok(false) };
            for e in events {
                record_count!(
                    tx,
                    id,
                    e.state.as_str(),
                    e.legislator_id.as_str(),
                    e.chamber.as_str(),
                    e.channel.as_str(),
                    e.template_version,
                    e.n,
                    e.at
                );
            }
            Ok(true)
        })
    }

    /// Messages counted since `since` (to the hour: counts are kept per hour), or `None` for an
    /// unknown campaign.
    pub async fn messages_since(
        &self,
        slug: &str,
        since: DateTime<Utc>,
    ) -> Result<Option<i64>, StoreError> {
        let total: Option<i64> = on_pool!(self, pool => {
            let Some(id) = campaign_id(pool, slug).await? else { return Ok(None) };
            sqlx::query_scalar(
                "SELECT CAST(SUM(count) AS BIGINT) FROM message_count_hours \
                 WHERE campaign_id = $1 AND hour >= $2",
            )
            .bind(id)
            .bind(hour_of(since))
            .fetch_one(pool)
            .await?
        });
        Ok(Some(total.unwrap_or(0)))
    }

    /// A campaign's counts summed by state and channel (from the month roll-up: a public
    /// endpoint must not read every count row), or `None` for an unknown campaign.
    pub async fn count_totals(
        &self,
        slug: &str,
    ) -> Result<Option<Vec<(StateCode, Channel, i64)>>, StoreError> {
        let rows: Vec<TotalRow> = on_pool!(self, pool => {
            let Some(id) = campaign_id(pool, slug).await? else { return Ok(None) };
            // SUM is NUMERIC on PostgreSQL: cast so both databases give a 64-bit integer.
            sqlx::query_as(
                "SELECT state, channel, CAST(SUM(count) AS BIGINT) AS total \
                 FROM message_count_months \
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
                "SELECT state, legislator_id, chamber, day, channel, template_version, count \
                 FROM message_counts WHERE campaign_id = $1 \
                 ORDER BY day, state, legislator_id, channel, template_version",
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
                    chamber: Chamber::parse(&r.chamber),
                    day: r.day,
                    channel: Channel::parse(&r.channel)
                        .map_err(|e| StoreError::corrupt("message_counts.channel", e))?,
                    template_version: r.template_version,
                    count: r.count,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()
            .map(Some)
    }
}

impl Store {
    /// The public counter's stored figures: every counted message of the campaign (all
    /// channels) and its goal; `None` for an unknown campaign. One query, over the month
    /// roll-up (a public endpoint must not read every count row).
    pub async fn counter_figures(
        &self,
        slug: &str,
    ) -> Result<Option<(i64, Option<i64>)>, StoreError> {
        let row: Option<(i64, Option<i64>)> = on_pool!(self, pool => {
            // SUM is NUMERIC on PostgreSQL: cast so both databases give a 64-bit integer.
            sqlx::query_as(
                "SELECT CAST(COALESCE((SELECT SUM(m.count) FROM message_count_months m \
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
