//! Reach reports: the message counts read back filtered and grouped (see `stats::reach`). One
//! SQL builder serves every grouping, the summary, the paged legislator table and the streamed
//! exports, so the dashboard, the CSV and the API cannot disagree.

use super::counts::month_of;
use super::{campaign_id, on_pool, Store, StoreError};
use crate::directory::Chamber;
use crate::domain::StateCode;
use crate::messages::Audience;
use crate::stats::reach::{GroupBy, Page, ReachFilter, ReachKey, ReachRow, SortKey, PAGE_SIZE};
use crate::stats::{Channel, ChannelCounts};
use chrono::{Datelike, NaiveDate};
use futures_util::stream::{BoxStream, StreamExt};

/// Rows of a report, read from the database as they are sent on.
pub type ReachStream = BoxStream<'static, Result<ReachRow, StoreError>>;

/// What a report's query groups by: one [`GroupBy`] (the legislator table optionally paged), one
/// [`GroupBy`] whole with the legislator table in a [`Page`]'s order (its page number unused:
/// exports), or nothing (one row: the headline figures; `Totals` the same without the
/// offices reached).
#[derive(Debug, Clone, Copy)]
enum Shape {
    Group(GroupBy, Option<Page>),
    Whole(GroupBy, Page),
    All,
    Totals,
}

impl Shape {
    /// The grouping, the order of the legislator table, and whether to cut one page of it.
    fn parts(self) -> Option<(GroupBy, Page, bool)> {
        match self {
            Shape::Group(group, paged) => Some((group, paged.unwrap_or_default(), paged.is_some())),
            Shape::Whole(group, order) => Some((group, order, false)),
            Shape::All | Shape::Totals => None,
        }
    }

    /// Whether the report can be read without knowing the office of each count: then the days
    /// of partial months come from the per-day roll-up instead of the count rows.
    fn office_free(self, filter: &ReachFilter) -> bool {
        filter.legislator.is_none()
            && match self {
                Shape::Totals => true,
                Shape::All => false,
                _ => matches!(
                    self.parts().map(|(group, _, _)| group),
                    Some(GroupBy::Channel | GroupBy::TemplateVersion)
                ),
            }
    }
}

#[derive(Debug, Clone)]
enum Bind {
    Int(i64),
    Text(String),
    Date(NaiveDate),
}

/// A query with its `$n` parameters, built in step.
struct Sql {
    text: String,
    binds: Vec<Bind>,
}

impl Sql {
    fn param(&mut self, bind: Bind) -> String {
        self.binds.push(bind);
        format!("${}", self.binds.len())
    }
}

/// Every row of every shape has these columns (NULL where a shape has nothing to say).
#[derive(sqlx::FromRow)]
struct RawRow {
    key_text: Option<String>,
    key_num: i64,
    name: Option<String>,
    title: Option<String>,
    chamber: Option<String>,
    state: Option<String>,
    district: Option<String>,
    sent: i64,
    draft_email: i64,
    contact_form: i64,
    offices: Option<i64>,
}

/// Messages per channel, and the distinct offices reached (a per-group sort: only the groupings
/// that show it pay for it).
const SUMS: &str = "CAST(COALESCE(SUM(CASE WHEN c.channel = 'sent' THEN c.count ELSE 0 END), 0) AS BIGINT) AS sent, \
     CAST(COALESCE(SUM(CASE WHEN c.channel = 'draft_email' THEN c.count ELSE 0 END), 0) AS BIGINT) AS draft_email, \
     CAST(COALESCE(SUM(CASE WHEN c.channel = 'contact_form' THEN c.count ELSE 0 END), 0) AS BIGINT) AS contact_form";
const OFFICES: &str = "CAST(COUNT(DISTINCT c.legislator_id) AS BIGINT) AS offices";
const NO_OFFICES: &str = "CAST(NULL AS BIGINT) AS offices";

const AUDIENCE: &str = "CASE WHEN c.chamber IN ('us_senate', 'us_house') THEN 'federal' \
     WHEN c.chamber IN ('state_upper', 'state_lower') THEN 'state' ELSE 'unknown' END";

/// The columns a shape does not fill.
const NO_OFFICE: &str = "CAST(NULL AS TEXT) AS name, CAST(NULL AS TEXT) AS title, \
     CAST(NULL AS TEXT) AS chamber, CAST(NULL AS TEXT) AS state, CAST(NULL AS TEXT) AS district";

/// Where a report reads from, as `FROM ... c`: the columns state, legislator_id (not for the
/// daily chart), chamber, channel, template_version and count (and day, for the daily chart).
/// The daily chart reads the per-day roll-up (unless it is one office's); everything else reads
/// the whole months of the range from the per-month roll-up and only the days of its partial
/// months from `message_counts`: a year of a large campaign is a few thousand rows, not a million.
fn source(sql: &mut Sql, campaign: i64, filter: &ReachFilter, shape: Shape) -> String {
    let common = |sql: &mut Sql, alias: &str| {
        let mut out = vec![format!(
            "{alias}.campaign_id = {}",
            sql.param(Bind::Int(campaign))
        )];
        if let Some(state) = filter.state {
            let p = sql.param(Bind::Text(state.as_str().to_string()));
            out.push(format!("{alias}.state = {p}"));
        }
        if let Some(chamber) = filter.chamber {
            let p = sql.param(Bind::Text(chamber.as_str().to_string()));
            out.push(format!("{alias}.chamber = {p}"));
        }
        if let Some(channel) = filter.channel {
            let p = sql.param(Bind::Text(channel.as_str().to_string()));
            out.push(format!("{alias}.channel = {p}"));
        }
        if let Some(legislator) = &filter.legislator {
            let p = sql.param(Bind::Text(legislator.clone()));
            out.push(format!("{alias}.legislator_id = {p}"));
        }
        out
    };
    let days = |sql: &mut Sql, from: Option<NaiveDate>, to: Bound| {
        let mut out = Vec::new();
        if let Some(from) = from {
            out.push(format!("c.day >= {}", sql.param(Bind::Date(from))));
        }
        out.push(match to {
            Bound::Included(to) => format!("c.day <= {}", sql.param(Bind::Date(to))),
            Bound::Excluded(to) => format!("c.day < {}", sql.param(Bind::Date(to))),
        });
        out
    };
    if shape.parts().map(|(group, _, _)| group) == Some(GroupBy::Day) {
        let table = if filter.legislator.is_some() {
            "message_counts"
        } else {
            "message_count_days"
        };
        let mut conditions = common(sql, "c");
        conditions.extend(days(sql, filter.from, Bound::Included(filter.to)));
        return format!("FROM {table} c WHERE {}", conditions.join(" AND "));
    }
    // The days of partial months: from the per-day roll-up when no office is asked about.
    let (days_table, columns) = if shape.office_free(filter) {
        (
            "message_count_days",
            "c.state, CAST(NULL AS TEXT) AS legislator_id, c.chamber, c.channel, \
             c.template_version, c.count",
        )
    } else {
        (
            "message_counts",
            "c.state, c.legislator_id, c.chamber, c.channel, c.template_version, c.count",
        )
    };
    let Some((first, end)) = whole_months(filter.from, filter.to) else {
        let mut conditions = common(sql, "c");
        conditions.extend(days(sql, filter.from, Bound::Included(filter.to)));
        return format!(
            "FROM (SELECT {columns} FROM {days_table} c WHERE {}) c",
            conditions.join(" AND ")
        );
    };
    let mut parts = Vec::new();
    if let (Some(from), Some(first)) = (filter.from, first) {
        if from < first {
            let mut conditions = common(sql, "c");
            conditions.extend(days(sql, Some(from), Bound::Excluded(first)));
            parts.push(format!(
                "SELECT {columns} FROM {days_table} c WHERE {}",
                conditions.join(" AND ")
            ));
        }
    }
    let mut conditions = common(sql, "m");
    if let Some(first) = first {
        conditions.push(format!("m.month >= {}", sql.param(Bind::Date(first))));
    }
    conditions.push(format!("m.month < {}", sql.param(Bind::Date(end))));
    parts.push(format!(
        "SELECT m.state, m.legislator_id, m.chamber, m.channel, m.template_version, m.count \
         FROM message_count_months m WHERE {}",
        conditions.join(" AND ")
    ));
    if end <= filter.to {
        let mut conditions = common(sql, "c");
        conditions.extend(days(sql, Some(end), Bound::Included(filter.to)));
        parts.push(format!(
            "SELECT {columns} FROM {days_table} c WHERE {}",
            conditions.join(" AND ")
        ));
    }
    format!("FROM ({}) c", parts.join(" UNION ALL "))
}

/// The end of a date condition.
#[derive(Debug, Clone, Copy)]
enum Bound {
    Included(NaiveDate),
    Excluded(NaiveDate),
}

/// The whole calendar months inside `from..=to` (`from` `None`: since the first), as the first
/// day of the first of them (`None`: from the first month there is) and the first day after the
/// last; `None` when the range holds no whole month.
fn whole_months(from: Option<NaiveDate>, to: NaiveDate) -> Option<(Option<NaiveDate>, NaiveDate)> {
    let next_month = |d: NaiveDate| {
        let first = month_of(d);
        first.checked_add_months(chrono::Months::new(1))
    };
    let first = match from {
        None => None,
        Some(from) if from.day() == 1 => Some(from),
        Some(from) => Some(next_month(from)?),
    };
    let end = match to.succ_opt() {
        Some(after) if after.day() == 1 => after,
        _ => month_of(to),
    };
    match first {
        Some(first) if first >= end => None,
        _ => Some((first, end)),
    }
}

fn build(campaign: i64, filter: &ReachFilter, shape: Shape) -> Sql {
    let mut sql = Sql {
        text: String::new(),
        binds: Vec::new(),
    };
    let filtered = source(&mut sql, campaign, filter, shape);
    let simple = |key_text: &str, key_num: &str, group: &str, offices: &str| {
        format!(
            "SELECT {key_text} AS key_text, {key_num} AS key_num, {NO_OFFICE}, {SUMS}, {offices} \
             {filtered} GROUP BY {group} ORDER BY {group}"
        )
    };
    let Some((group, page, paged)) = shape.parts() else {
        let offices = if matches!(shape, Shape::Totals) {
            NO_OFFICES
        } else {
            OFFICES
        };
        sql.text = format!(
            "SELECT CAST(NULL AS TEXT) AS key_text, CAST(0 AS BIGINT) AS key_num, {NO_OFFICE}, \
             {SUMS}, {offices} {filtered}"
        );
        return sql;
    };
    sql.text = match group {
        GroupBy::Day => simple(
            "CAST(c.day AS TEXT)",
            "CAST(0 AS BIGINT)",
            "c.day",
            NO_OFFICES,
        ),
        GroupBy::State => simple("c.state", "CAST(0 AS BIGINT)", "c.state", OFFICES),
        GroupBy::Channel => simple("c.channel", "CAST(0 AS BIGINT)", "c.channel", NO_OFFICES),
        GroupBy::TemplateVersion => format!(
            "SELECT {AUDIENCE} AS key_text, c.template_version AS key_num, {NO_OFFICE}, {SUMS}, \
             {NO_OFFICES} \
             {filtered} GROUP BY {AUDIENCE}, c.template_version \
             ORDER BY {AUDIENCE}, c.template_version"
        ),
        GroupBy::Legislator => {
            let order = match page.sort {
                SortKey::Office => "COALESCE(o.name, g.legislator_id)",
                SortKey::Chamber => "COALESCE(o.chamber, g.chamber, '')",
                SortKey::State => "COALESCE(o.state, g.state)",
                SortKey::District => "COALESCE(o.district, '')",
                SortKey::Total => "(g.sent + g.draft_email + g.contact_form)",
                SortKey::Sent => "g.sent",
                SortKey::DraftEmail => "g.draft_email",
                SortKey::ContactForm => "g.contact_form",
            };
            let dir = if page.descending { "DESC" } else { "ASC" };
            let mut text = format!(
                "SELECT g.legislator_id AS key_text, CAST(0 AS BIGINT) AS key_num, \
                 o.name AS name, o.title AS title, COALESCE(o.chamber, g.chamber) AS chamber, \
                 COALESCE(o.state, g.state) AS state, o.district AS district, \
                 g.sent AS sent, g.draft_email AS draft_email, g.contact_form AS contact_form, \
                 CAST(NULL AS BIGINT) AS offices \
                 FROM (SELECT c.legislator_id AS legislator_id, MAX(c.state) AS state, \
                 MAX(CASE WHEN c.chamber = 'unknown' THEN NULL ELSE c.chamber END) AS chamber, \
                 {SUMS} {filtered} GROUP BY c.legislator_id) g \
                 LEFT JOIN reach_offices o ON o.legislator_id = g.legislator_id \
                 ORDER BY {order} {dir}, g.legislator_id ASC"
            );
            if paged {
                let limit = sql.param(Bind::Int(PAGE_SIZE));
                let offset = sql.param(Bind::Int(page.offset()));
                text.push_str(&format!(" LIMIT {limit} OFFSET {offset}"));
            }
            text
        }
    };
    sql
}

fn convert(shape: Shape, raw: RawRow) -> Result<ReachRow, StoreError> {
    let key_text = || {
        raw.key_text
            .clone()
            .ok_or_else(|| StoreError::corrupt("message_counts", "a group without its key"))
    };
    let state = |raw: &str| {
        StateCode::parse(raw).map_err(|e| StoreError::corrupt("message_counts.state", e))
    };
    let Some((group, _, _)) = shape.parts() else {
        return Ok(row(ReachKey::All, &raw));
    };
    let key = match group {
        GroupBy::Day => {
            let text = key_text()?;
            ReachKey::Day {
                day: NaiveDate::parse_from_str(&text, "%Y-%m-%d")
                    .map_err(|e| StoreError::corrupt("message_counts.day", e))?,
            }
        }
        GroupBy::State => ReachKey::State {
            state: state(&key_text()?)?,
        },
        GroupBy::Channel => ReachKey::Channel {
            channel: Channel::parse(&key_text()?)
                .map_err(|e| StoreError::corrupt("message_counts.channel", e))?,
        },
        GroupBy::TemplateVersion => ReachKey::TemplateVersion {
            audience: match key_text()?.as_str() {
                "state" => Some(Audience::State),
                "federal" => Some(Audience::Federal),
                _ => None,
            },
            template_version: raw.key_num,
        },
        GroupBy::Legislator => {
            let id = key_text()?;
            ReachKey::Legislator {
                name: raw.name.clone().unwrap_or_else(|| id.clone()),
                title: raw.title.clone().unwrap_or_default(),
                chamber: raw.chamber.as_deref().and_then(Chamber::parse),
                state: state(raw.state.as_deref().unwrap_or_default())?,
                district: raw.district.clone().unwrap_or_default(),
                legislator_id: id,
            }
        }
    };
    Ok(row(key, &raw))
}

fn row(key: ReachKey, raw: &RawRow) -> ReachRow {
    let counts = ChannelCounts {
        sent: raw.sent,
        draft_email: raw.draft_email,
        contact_form: raw.contact_form,
    };
    ReachRow {
        key,
        total: counts.total(),
        counts,
        offices: raw.offices,
    }
}

/// Binds `$binds` to `$query` in order.
macro_rules! bind_all {
    ($query:expr, $binds:expr) => {{
        let mut query = $query;
        for bind in $binds {
            query = match bind {
                Bind::Int(v) => query.bind(*v),
                Bind::Text(v) => query.bind(v.clone()),
                Bind::Date(v) => query.bind(*v),
            };
        }
        query
    }};
}

impl Store {
    /// A report of campaign `slug`: the counts `filter` selects, grouped by `group` (the
    /// legislator table one `page` of it when given, all of it otherwise). `None` for an
    /// unknown campaign.
    pub async fn reach(
        &self,
        slug: &str,
        filter: &ReachFilter,
        group: GroupBy,
        page: Option<Page>,
    ) -> Result<Option<Vec<ReachRow>>, StoreError> {
        self.reach_rows(slug, filter, Shape::Group(group, page))
            .await
    }

    /// The whole report `group` of `filter`, the legislator table in `order`'s order (its page
    /// number is not used). `None` for an unknown campaign.
    pub async fn reach_ordered(
        &self,
        slug: &str,
        filter: &ReachFilter,
        group: GroupBy,
        order: Page,
    ) -> Result<Option<Vec<ReachRow>>, StoreError> {
        self.reach_rows(slug, filter, Shape::Whole(group, order))
            .await
    }

    /// The headline figures of `filter`: messages per channel and distinct offices reached.
    /// `None` for an unknown campaign.
    pub async fn reach_summary(
        &self,
        slug: &str,
        filter: &ReachFilter,
    ) -> Result<Option<ReachRow>, StoreError> {
        Ok(self
            .reach_rows(slug, filter, Shape::All)
            .await?
            .and_then(|rows| rows.into_iter().next()))
    }

    /// The messages per channel of `filter`, without the offices reached (cheaper: the
    /// previous period and the totals since launch). `None` for an unknown campaign.
    pub async fn reach_totals(
        &self,
        slug: &str,
        filter: &ReachFilter,
    ) -> Result<Option<ReachRow>, StoreError> {
        Ok(self
            .reach_rows(slug, filter, Shape::Totals)
            .await?
            .and_then(|rows| rows.into_iter().next()))
    }

    async fn reach_rows(
        &self,
        slug: &str,
        filter: &ReachFilter,
        shape: Shape,
    ) -> Result<Option<Vec<ReachRow>>, StoreError> {
        let raw: Vec<RawRow> = on_pool!(self, pool => {
            let Some(id) = campaign_id(pool, slug).await? else { return Ok(None) };
            let sql = build(id, filter, shape);
            bind_all!(sqlx::query_as::<_, RawRow>(&sql.text), &sql.binds)
                .fetch_all(pool)
                .await?
        });
        raw.into_iter()
            .map(|r| convert(shape, r))
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// The whole report `group` of `filter`, as a stream read from the database while it is
    /// sent on (for CSV downloads: nothing is gathered in memory). `None` for an unknown
    /// campaign. The rows come through a small channel from a task that holds one
    /// connection until the last row is taken or the receiver is dropped.
    pub async fn reach_stream(
        &self,
        slug: &str,
        filter: &ReachFilter,
        group: GroupBy,
    ) -> Result<Option<ReachStream>, StoreError> {
        self.reach_stream_ordered(slug, filter, group, Page::default())
            .await
    }

    /// [`Store::reach_stream`] with the legislator table in `order`'s order (its page number
    /// is not used).
    pub async fn reach_stream_ordered(
        &self,
        slug: &str,
        filter: &ReachFilter,
        group: GroupBy,
        order: Page,
    ) -> Result<Option<ReachStream>, StoreError> {
        let shape = Shape::Whole(group, order);
        let id = on_pool!(self, pool => campaign_id(pool, slug).await?);
        let Some(id) = id else { return Ok(None) };
        let sql = build(id, filter, shape);
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<ReachRow, StoreError>>(64);
        let store = self.clone();
        tokio::spawn(async move {
            on_pool!(&store, pool => {
                let mut rows = bind_all!(sqlx::query_as::<_, RawRow>(&sql.text), &sql.binds)
                    .fetch(pool);
                while let Some(row) = rows.next().await {
                    let item = row.map_err(StoreError::from).and_then(|r| convert(shape, r));
                    let failed = item.is_err();
                    if tx.send(item).await.is_err() || failed {
                        break;
                    }
                }
            })
        });
        let stream = futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|item| (item, rx))
        });
        Ok(Some(stream.boxed()))
    }
}
