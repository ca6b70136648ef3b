//! Message counts: one row per (campaign, state, legislator, UTC day, channel, template
//! version), incremented with an upsert that both databases accept, beside an hourly total per
//! campaign (the public counter's last 24 hours) and the office table reach reports name
//! offices from. No personal data.

use super::{campaign_id, in_transaction, on_pool, Store, StoreError};
use crate::directory::Chamber;
use crate::domain::StateCode;
use crate::stats::{Channel, CountRow};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use std::collections::BTreeMap;

/// Adds `$8` to a count, creating its row at `$8`. Binds: campaign id, state, legislator id,
/// day, channel, template version, chamber, amount. Run through [`record_counts!`].
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

/// One count to record inside a transaction: what the row is keyed by, how many, and when.
#[derive(Debug, Clone, Copy)]
pub(super) struct Counted<'a> {
    pub campaign: i64,
    pub state: &'a str,
    pub legislator: &'a str,
    pub chamber: &'a str,
    pub channel: &'a str,
    pub version: i64,
    pub n: i64,
    pub at: DateTime<Utc>,
}

/// Row keys: campaign, day (or month), state, legislator (or chamber), channel, version.
type Key<'a> = (i64, NaiveDate, &'a str, &'a str, &'a str, i64);

/// The upserts that record some counts: the count rows, the per-day and per-month roll-ups and
/// the hourly totals, each summed by its key. The rows of each table are written in key order
/// and the tables always in this order, so two transactions that count overlapping rows (two
/// workers, a worker and a followed draft link, on one PostgreSQL) take their row locks in the
/// same order and wait for each other instead of deadlocking: the roll-up and hourly rows are
/// shared by many offices.
#[derive(Debug, Default)]
pub(super) struct CountPlan<'a> {
    /// Value: chamber, amount.
    pub rows: BTreeMap<Key<'a>, (&'a str, i64)>,
    /// Keyed by chamber in the fourth place.
    pub days: BTreeMap<Key<'a>, i64>,
    /// Value: chamber, amount.
    pub months: BTreeMap<Key<'a>, (&'a str, i64)>,
    /// Campaign, hour start.
    pub hours: BTreeMap<(i64, i64), i64>,
}

impl<'a> CountPlan<'a> {
    pub fn of(counts: &[Counted<'a>]) -> CountPlan<'a> {
        let mut plan = CountPlan::default();
        for c in counts {
            let day = c.at.date_naive();
            let row = (c.campaign, day, c.state, c.legislator, c.channel, c.version);
            plan.rows.entry(row).or_insert((c.chamber, 0)).1 += c.n;
            let by_day = (c.campaign, day, c.state, c.chamber, c.channel, c.version);
            *plan.days.entry(by_day).or_default() += c.n;
            let by_month = (
                c.campaign,
                month_of(day),
                c.state,
                c.legislator,
                c.channel,
                c.version,
            );
            plan.months.entry(by_month).or_insert((c.chamber, 0)).1 += c.n;
            *plan.hours.entry((c.campaign, hour_of(c.at))).or_default() += c.n;
        }
        plan
    }
}

/// Records `$counts` (a slice of [`Counted`]) inside the transaction `$tx`, through a
/// [`CountPlan`]: the count rows, then the day and month roll-ups, then the hourly totals.
macro_rules! record_counts {
    ($tx:expr, $counts:expr) => {{
        use $crate::store::counts::{
            CountPlan, INCREMENT, INCREMENT_DAY, INCREMENT_HOUR, INCREMENT_MONTH,
        };
        let plan = CountPlan::of($counts);
        for ((campaign, day, state, legislator, channel, version), (chamber, n)) in &plan.rows {
            sqlx::query(INCREMENT)
                .bind(campaign)
                .bind(state)
                .bind(legislator)
                .bind(day)
                .bind(channel)
                .bind(version)
                .bind(chamber)
                .bind(n)
                .execute(&mut *$tx)
                .await?;
        }
        for ((campaign, day, state, chamber, channel, version), n) in &plan.days {
            sqlx::query(INCREMENT_DAY)
                .bind(campaign)
                .bind(day)
                .bind(state)
                .bind(chamber)
                .bind(channel)
                .bind(version)
                .bind(n)
                .execute(&mut *$tx)
                .await?;
        }
        for ((campaign, month, state, legislator, channel, version), (chamber, n)) in &plan.months {
            sqlx::query(INCREMENT_MONTH)
                .bind(campaign)
                .bind(month)
                .bind(state)
                .bind(chamber)
                .bind(channel)
                .bind(version)
                .bind(n)
                .bind(legislator)
                .execute(&mut *$tx)
                .await?;
        }
        for ((campaign, hour), n) in &plan.hours {
            sqlx::query(INCREMENT_HOUR)
                .bind(campaign)
                .bind(hour)
                .bind(n)
                .execute(&mut *$tx)
                .await?;
        }
    }};
}
pub(crate) use record_counts;

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
            let counts: Vec<Counted> = events
                .iter()
                .map(|e| Counted {
                    campaign: id,
                    state: e.state.as_str(),
                    legislator: e.legislator_id.as_str(),
                    chamber: e.chamber.as_str(),
                    channel: e.channel.as_str(),
                    version: e.template_version,
                    n: e.n,
                    at: e.at,
                })
                .collect();
            record_counts!(tx, &counts);
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_plan_sums_by_key_and_keeps_every_table_in_key_order() {
        let at = Utc
            .with_ymd_and_hms(2026, 11, 30, 12, 30, 0)
            .single()
            .expect("time");
        let c = |legislator, chamber, n| Counted {
            campaign: 1,
            state: "MA",
            legislator,
            chamber,
            channel: "sent",
            version: 2,
            n,
            at,
        };
        let plan = CountPlan::of(&[
            c("ma-2", "state_lower", 1),
            c("ma-1", "state_upper", 2),
            c("ma-2", "state_lower", 3),
        ]);
        let rows: Vec<_> = plan.rows.iter().map(|(k, v)| (k.3, v.1)).collect();
        assert_eq!(
            rows,
            vec![("ma-1", 2), ("ma-2", 4)],
            "sorted by office, summed"
        );
        let days: Vec<_> = plan.days.iter().map(|(k, n)| (k.3, *n)).collect();
        assert_eq!(days, vec![("state_lower", 4), ("state_upper", 2)]);
        assert_eq!(plan.months.len(), 2);
        assert!(plan
            .months
            .keys()
            .all(|k| k.1 == NaiveDate::from_ymd_opt(2026, 11, 1).expect("day")));
        assert_eq!(
            plan.hours.into_iter().collect::<Vec<_>>(),
            vec![((1, hour_of(at)), 6)],
            "one hourly row for the campaign"
        );
    }
}
