//! What the reach pages show, worked out from the store's reports so the templates only place
//! text.

use super::chart::{chart, ChartView};
use super::{csv_path, dashboard_path, health_csv_path, legislator_path, query};
use crate::directory::Chamber;
use crate::domain::StateCode;
use crate::messages::Audience;
use crate::outbox::health::{DeliveryHealth, HealthTable};
use crate::scorecard::CampaignDoc;
use crate::stats::reach::{
    daily_series, DayPoint, GroupBy, Page, Preset, ReachFilter, ReachKey, ReachParamError,
    ReachParams, ReachRow, SortKey, PAGE_SIZE,
};
use crate::stats::{Channel, ChannelCounts};
use crate::store::StoreError;
use crate::web::error::PageError;
use crate::web::site::map::{self, Coloured, LegendEntry, MapView, PALETTE};
use crate::web::site::Site;
use crate::web::staff::view::{self as staff_view, Bar};
use crate::web::AppState;
use askama::Template;
use chrono::{Duration, NaiveDate};
use futures_util::future::{try_join, try_join5};

/// A link: its text, where it goes, and whether it is the page shown.
#[derive(Debug, Clone)]
pub struct LinkView {
    pub label: String,
    pub href: String,
    pub current: bool,
}

/// One choice of a select.
#[derive(Debug, Clone)]
pub struct OptionView {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// The filter form as shown: what was asked for (the raw text after a refusal).
#[derive(Debug, Clone)]
pub struct FormView {
    pub action: String,
    pub from: String,
    pub to: String,
    /// The preset in force (kept as a hidden field while no dates are given).
    pub range: String,
    pub legislator: String,
    pub states: Vec<OptionView>,
    pub chambers: Vec<OptionView>,
    pub channels: Vec<OptionView>,
    /// The refused field and why.
    pub error: Option<ReachParamError>,
}

impl FormView {
    /// ` aria-invalid="true" aria-describedby="filter-error"` on the refused input.
    pub fn marks(&self, field: &str) -> &'static str {
        if self.invalid(field) {
            " aria-invalid=\"true\" aria-describedby=\"filter-error\""
        } else {
            ""
        }
    }

    pub fn invalid(&self, field: &str) -> bool {
        self.error.as_ref().is_some_and(|e| e.field == field)
    }

    /// The error's message (empty without one).
    pub fn message(&self) -> String {
        self.error
            .as_ref()
            .map(|e| e.message.clone())
            .unwrap_or_default()
    }

    /// The refused field's label (for the summary).
    pub fn field_label(&self) -> &'static str {
        match self.error.as_ref().map(|e| e.field) {
            Some("from") => "From",
            Some("to") => "To",
            Some("range") => "Range",
            Some("state") => "State",
            Some("chamber") => "Chamber",
            Some("channel") => "Channel",
            Some("legislator") => "Office",
            Some("sort") => "Sort",
            Some("dir") => "Sort direction",
            Some("page") => "Page",
            _ => "Query",
        }
    }

    fn of(action: String, raw: &ReachParams, error: Option<ReachParamError>) -> FormView {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        let chosen = text(&raw.state).to_ascii_uppercase();
        let states = StateCode::all()
            .map(|s| OptionView {
                value: s.as_str().to_string(),
                label: s.name().to_string(),
                selected: s.as_str() == chosen,
            })
            .collect();
        let chambers = CHAMBERS
            .iter()
            .map(|c| OptionView {
                value: c.as_str().to_string(),
                label: chamber_label(Some(*c)).to_string(),
                selected: raw.chamber.as_deref() == Some(c.as_str()),
            })
            .collect();
        let channels = Channel::ALL
            .iter()
            .map(|c| OptionView {
                value: c.as_str().to_string(),
                label: channel_label(*c).to_string(),
                selected: raw.channel.as_deref() == Some(c.as_str()),
            })
            .collect();
        FormView {
            action,
            from: text(&raw.from),
            to: text(&raw.to),
            range: text(&raw.range),
            legislator: text(&raw.legislator),
            states,
            chambers,
            channels,
            error,
        }
    }
}

const CHAMBERS: [Chamber; 4] = [
    Chamber::StateUpper,
    Chamber::StateLower,
    Chamber::UsSenate,
    Chamber::UsHouse,
];

pub fn chamber_label(chamber: Option<Chamber>) -> &'static str {
    match chamber {
        Some(Chamber::StateUpper) => "State senate (upper)",
        Some(Chamber::StateLower) => "State house (lower)",
        Some(Chamber::UsSenate) => "U.S. Senate",
        Some(Chamber::UsHouse) => "U.S. House",
        None => "Unknown",
    }
}

pub fn channel_label(channel: Channel) -> &'static str {
    match channel {
        Channel::Sent => "Sent",
        Channel::DraftEmail => "Draft email",
        Channel::ContactForm => "Contact form",
    }
}

fn day(d: NaiveDate) -> String {
    d.format("%-d %b %Y").to_string()
}

/// "1 Nov 2026 to 30 Nov 2026", "launch to 30 Nov 2026".
fn range_text(filter: &ReachFilter) -> String {
    match filter.from {
        Some(from) => format!("{} to {}", day(from), day(filter.to)),
        None => format!("launch to {}", day(filter.to)),
    }
}

/// The headline figures.
#[derive(Debug, Clone)]
pub struct HeadlineView {
    pub range: String,
    pub counts: ChannelCounts,
    pub total: i64,
    pub offices: i64,
    pub since_launch: i64,
    /// "+4 (+50%)", "new", "no change"; `None` for a range since launch.
    pub change: Option<String>,
    /// The previous period, as words.
    pub previous: String,
}

/// "+4 (+50%)", "−2 (−10%)", "new" (nothing before), "no change".
pub fn change_text(now: i64, before: i64) -> String {
    if before == 0 {
        return if now == 0 { "no change" } else { "new" }.to_string();
    }
    let diff = now - before;
    if diff == 0 {
        return "no change".to_string();
    }
    let pct = (diff as f64 * 100.0 / before as f64).round() as i64;
    let sign = if diff > 0 { "+" } else { "−" };
    format!("{sign}{} ({sign}{}%)", diff.abs(), pct.abs())
}

/// One day's row of the table beside the chart.
#[derive(Debug, Clone)]
pub struct DayRow {
    pub day: String,
    pub counts: ChannelCounts,
    pub total: i64,
    pub cumulative: i64,
}

/// The chart and the table of the same series.
#[derive(Debug, Clone)]
pub struct DailyView {
    pub chart: ChartView,
    pub rows: Vec<DayRow>,
    pub csv: String,
}

/// A state's row.
#[derive(Debug, Clone)]
pub struct StateRowView {
    pub code: &'static str,
    pub name: &'static str,
    pub href: String,
    pub counts: ChannelCounts,
    pub total: i64,
    pub offices: i64,
    pub score: String,
}

/// A column header of the legislator table.
#[derive(Debug, Clone)]
pub struct SortHeader {
    pub label: &'static str,
    pub href: String,
    /// `ascending` / `descending` on the sorted column; empty elsewhere.
    pub aria_sort: &'static str,
    pub numeric: bool,
}

/// An office's row.
#[derive(Debug, Clone)]
pub struct OfficeRow {
    pub href: String,
    pub name: String,
    pub title: String,
    pub chamber: &'static str,
    pub state: &'static str,
    pub district: String,
    pub counts: ChannelCounts,
    pub total: i64,
}

/// A template version's row.
#[derive(Debug, Clone)]
pub struct VersionRowView {
    pub audience: &'static str,
    /// The history page (none for counts without a version or an audience).
    pub href: Option<String>,
    pub version: String,
    pub counts: ChannelCounts,
    pub total: i64,
}

/// One line of the delivery health tables.
#[derive(Debug, Clone)]
pub struct CountLine {
    pub label: String,
    pub hint: &'static str,
    pub n: i64,
}

/// A reply as listed.
#[derive(Debug, Clone)]
pub struct ReplyView {
    pub at: String,
    pub status: &'static str,
    pub code: String,
    pub text: String,
}

#[derive(Debug, Clone)]
pub struct HealthView {
    pub statuses: Vec<CountLine>,
    pub oldest_due: String,
    /// Queued mails waiting on an office's hourly cap, and on the global rate.
    pub waiting_office_cap: i64,
    pub waiting_global_rate: i64,
    /// The campaign's delivery limits page.
    pub caps_path: String,
    pub by_cause: Vec<CountLine>,
    pub by_domain: Vec<CountLine>,
    pub replies: Vec<ReplyView>,
    pub range: String,
    /// The CSV downloads of the four tables.
    pub status_csv: String,
    pub causes_csv: String,
    pub domains_csv: String,
    pub replies_csv: String,
}

/// Everything below the form on the dashboard.
#[derive(Debug, Clone)]
pub struct Report {
    pub headline: HeadlineView,
    pub daily: DailyView,
    pub states: Vec<StateRowView>,
    pub states_csv: String,
    pub headers: Vec<SortHeader>,
    pub offices: Vec<OfficeRow>,
    pub offices_csv: String,
    pub page: i64,
    pub pages: i64,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub versions: Vec<VersionRowView>,
    pub versions_csv: String,
    pub channels_csv: String,
    pub health: HealthView,
}

#[derive(Template)]
#[template(path = "staff/reach.html")]
pub struct DashboardPage {
    pub site: Site,
    pub title: String,
    pub bar: Bar,
    pub slug: String,
    pub campaign_title: String,
    pub form: FormView,
    pub presets: Vec<LinkView>,
    pub report: Option<Report>,
    /// The tile map (empty without a report).
    pub map: MapView,
}

/// The legislator page's report.
#[derive(Debug, Clone)]
pub struct OfficeReport {
    pub headline: HeadlineView,
    pub daily: DailyView,
}

#[derive(Template)]
#[template(path = "staff/reach_legislator.html")]
pub struct LegislatorPage {
    pub site: Site,
    pub title: String,
    pub bar: Bar,
    pub slug: String,
    pub campaign_title: String,
    /// The dashboard with the same filters.
    pub back: String,
    pub name: String,
    pub office: String,
    pub form: FormView,
    pub presets: Vec<LinkView>,
    pub report: Option<OfficeReport>,
}

fn unknown_campaign(slug: &str) -> PageError {
    PageError::from(crate::web::error::no_campaign(slug))
}

/// The preset links of `filter` on `path`.
fn presets(path: &str, filter: &ReachFilter, today: NaiveDate) -> Vec<LinkView> {
    Preset::ALL
        .into_iter()
        .map(|preset| {
            let f = filter.with_preset(preset, today);
            LinkView {
                label: preset.label(),
                href: format!("{path}?{}", query(&f, &[])),
                current: filter.range == Some(preset),
            }
        })
        .collect()
}

async fn headline(
    app: &AppState,
    slug: &str,
    filter: &ReachFilter,
) -> Result<HeadlineView, PageError> {
    let now = app
        .store
        .reach_summary(slug, filter)
        .await?
        .ok_or_else(|| unknown_campaign(slug))?;
    let launch = app
        .store
        .reach_totals(slug, &filter.since_launch())
        .await?
        .map_or(0, |r| r.total);
    let (change, previous) = match filter.previous() {
        Some(prev) => {
            let before = app
                .store
                .reach_totals(slug, &prev)
                .await?
                .map_or(0, |r| r.total);
            (Some(change_text(now.total, before)), range_text(&prev))
        }
        None => (None, String::new()),
    };
    Ok(HeadlineView {
        range: range_text(filter),
        counts: now.counts,
        total: now.total,
        offices: now.offices.unwrap_or(0),
        since_launch: launch,
        change,
        previous,
    })
}

async fn daily(
    app: &AppState,
    slug: &str,
    filter: &ReachFilter,
    subject: &str,
) -> Result<DailyView, PageError> {
    let rows = app
        .store
        .reach(slug, filter, GroupBy::Day, None)
        .await?
        .ok_or_else(|| unknown_campaign(slug))?;
    let before = match filter.before() {
        Some(b) => app
            .store
            .reach_totals(slug, &b)
            .await?
            .map_or(0, |r| r.total),
        None => 0,
    };
    let series: Vec<DayPoint> = daily_series(filter.from, filter.to, &rows, before);
    Ok(DailyView {
        chart: chart(&series, subject),
        rows: series
            .iter()
            .map(|p| DayRow {
                day: day(p.day),
                counts: p.counts,
                total: p.total,
                cumulative: p.cumulative,
            })
            .collect(),
        csv: csv_path(slug, GroupBy::Day.as_str(), filter),
    })
}

/// Shades for `buckets` non-empty buckets, lightest first.
fn bucket_shades(buckets: usize) -> Vec<map::Shade> {
    (0..buckets)
        .map(|i| PALETTE[(8 - 2 * (buckets - 1 - i)).min(PALETTE.len() - 1)])
        .collect()
}

/// Up to four buckets (inclusive ranges) covering 1..=max.
pub fn buckets(max: i64) -> Vec<(i64, i64)> {
    if max <= 0 {
        return Vec::new();
    }
    let steps = max.min(4);
    (0..steps)
        .map(|k| (max * k / steps + 1, max * (k + 1) / steps))
        .collect()
}

fn reach_map(slug: &str, filter: &ReachFilter, rows: &[ReachRow]) -> MapView {
    let total_of = |s: StateCode| {
        rows.iter()
            .find(|r| matches!(r.key, ReachKey::State { state } if state == s))
            .map_or(0, |r| r.total)
    };
    let max = StateCode::all().map(total_of).max().unwrap_or(0);
    let ranges = buckets(max);
    let shades = bucket_shades(ranges.len());
    let shade_of = |n: i64| {
        ranges
            .iter()
            .position(|(lo, hi)| (*lo..=*hi).contains(&n))
            .map_or(PALETTE[0], |i| shades[i])
    };
    let states: Vec<Coloured> = StateCode::all()
        .map(|s| {
            let n = total_of(s);
            let mut f = filter.clone();
            f.state = Some(s);
            Coloured::shaded(
                s,
                shade_of(n),
                format!("{}?{}", dashboard_path(slug), query(&f, &[])),
                format!(
                    "{}, {}: {n} {}",
                    s.name(),
                    s.as_str(),
                    if n == 1 { "message" } else { "messages" }
                ),
            )
        })
        .collect();
    let mut legend: Vec<LegendEntry> = vec![map::swatch("No messages".to_string(), PALETTE[0])];
    for ((lo, hi), shade) in ranges.iter().zip(&shades) {
        let text = if lo == hi {
            format!("{lo} messages")
        } else {
            format!("{lo} to {hi} messages")
        };
        legend.push(map::swatch(text, *shade));
    }
    MapView::coloured(&states, legend)
}

fn headers(slug: &str, filter: &ReachFilter, page: &Page) -> Vec<SortHeader> {
    [
        ("Office", SortKey::Office, false),
        ("Chamber", SortKey::Chamber, false),
        ("State", SortKey::State, false),
        ("District", SortKey::District, false),
        ("Sent", SortKey::Sent, true),
        ("Draft email", SortKey::DraftEmail, true),
        ("Contact form", SortKey::ContactForm, true),
        ("Total", SortKey::Total, true),
    ]
    .into_iter()
    .map(|(label, key, numeric)| {
        let current = page.sort == key;
        let descending = if current {
            !page.descending
        } else {
            key.natural_descending()
        };
        let dir = if descending { "desc" } else { "asc" };
        SortHeader {
            label,
            href: format!(
                "{}?{}#legislators",
                dashboard_path(slug),
                query(filter, &[("sort", key.as_str()), ("dir", dir)])
            ),
            aria_sort: match (current, page.descending) {
                (false, _) => "",
                (true, true) => "descending",
                (true, false) => "ascending",
            },
            numeric,
        }
    })
    .collect()
}

fn page_link(slug: &str, filter: &ReachFilter, page: &Page, n: i64) -> String {
    let n = n.to_string();
    format!(
        "{}?{}#legislators",
        dashboard_path(slug),
        query(
            filter,
            &[
                ("sort", page.sort.as_str()),
                ("dir", if page.descending { "desc" } else { "asc" }),
                ("page", &n)
            ]
        )
    )
}

fn when(at: i64) -> String {
    chrono::DateTime::from_timestamp(at, 0)
        .map(|t| t.format("%-d %b %Y, %H:%M UTC").to_string())
        .unwrap_or_default()
}

/// "3 minutes", "2 hours 5 minutes", "1 day 4 hours".
pub fn age(secs: i64) -> String {
    let plural = |n: i64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    match (d, h) {
        (0, 0) if m == 0 => plural(secs, "second"),
        (0, 0) => plural(m, "minute"),
        (0, _) => format!("{} {}", plural(h, "hour"), plural(m, "minute")),
        _ => format!("{} {}", plural(d, "day"), plural(h, "hour")),
    }
}

fn health_view(h: DeliveryHealth, slug: &str, filter: &ReachFilter) -> HealthView {
    let s = &h.status;
    let line = |label: &str, hint, n| CountLine {
        label: label.to_string(),
        hint,
        n,
    };
    HealthView {
        statuses: vec![
            line(
                "Waiting for confirmation",
                "held until the supporter follows the confirmation link",
                s.held,
            ),
            line("Queued", "due to be sent, not tried yet", s.queued),
            line("Sending", "with a worker now", s.sending),
            line(
                "Retrying",
                "queued again after a failed attempt",
                s.retrying,
            ),
            line("Sent", "accepted by the mail server", s.sent),
            line("Failed", "given up on", s.failed),
        ],
        oldest_due: h
            .oldest_due_secs
            .map_or_else(|| "Nothing is waiting.".to_string(), age),
        waiting_office_cap: h.waiting_office_cap,
        waiting_global_rate: h.waiting_global_rate,
        caps_path: format!("/staff/campaigns/{slug}/caps"),
        by_cause: h
            .by_cause
            .into_iter()
            .map(|(k, n)| line(&k, "", n))
            .collect(),
        by_domain: h
            .by_domain
            .into_iter()
            .map(|(k, n)| line(&k, "", n))
            .collect(),
        replies: h
            .replies
            .into_iter()
            .map(|r| ReplyView {
                at: when(r.at),
                status: if r.failed {
                    "Failed"
                } else {
                    "Retrying (next try)"
                },
                code: r.code.map_or_else(|| "—".to_string(), |c| c.to_string()),
                text: r.text,
            })
            .collect(),
        range: range_text(filter),
        status_csv: health_csv_path(slug, HealthTable::Status, filter),
        causes_csv: health_csv_path(slug, HealthTable::Causes, filter),
        domains_csv: health_csv_path(slug, HealthTable::Domains, filter),
        replies_csv: health_csv_path(slug, HealthTable::Replies, filter),
    }
}

pub async fn dashboard(
    app: &AppState,
    bar: Bar,
    doc: &CampaignDoc,
    filter: ReachFilter,
    page: Page,
) -> Result<DashboardPage, PageError> {
    let slug = doc.campaign.slug.as_str();
    let path = dashboard_path(slug);
    let store = &app.store;
    let missing = || unknown_campaign(slug);
    // The reports are independent reads: made at once, on connections of their own.
    let for_rows = &filter;
    let rows = |group, paged| async move {
        let found = store.reach(slug, for_rows, group, paged).await?;
        found.ok_or_else(missing)
    };
    let (headline, daily, (state_rows, office_rows), version_rows, health) = try_join5(
        headline(app, slug, &filter),
        daily(app, slug, &filter, "Messages per day"),
        try_join(
            rows(GroupBy::State, None),
            rows(GroupBy::Legislator, Some(page)),
        ),
        rows(GroupBy::TemplateVersion, None),
        async {
            let found = store
                .delivery_health_for(slug, &filter, chrono::Utc::now().timestamp())
                .await?;
            found.ok_or_else(missing)
        },
    )
    .await?;
    let cards = doc.scorecards();
    let states = state_rows
        .iter()
        .filter_map(|r| match r.key {
            ReachKey::State { state } => Some((state, r)),
            _ => None,
        })
        .map(|(state, r)| {
            let mut f = filter.clone();
            f.state = Some(state);
            StateRowView {
                code: state.as_str(),
                name: state.name(),
                href: format!("{path}?{}", query(&f, &[])),
                counts: r.counts,
                total: r.total,
                offices: r.offices.unwrap_or(0),
                score: cards
                    .iter()
                    .find(|c| c.state == state)
                    .map_or_else(|| "—".to_string(), |c| c.score.summary()),
            }
        })
        .collect();
    let map = reach_map(slug, &filter, &state_rows);
    let offices = office_rows
        .into_iter()
        .filter_map(|r| match r.key {
            ReachKey::Legislator {
                legislator_id,
                name,
                title,
                chamber,
                state,
                district,
            } => {
                let mut f = filter.clone();
                f.legislator = None;
                Some(OfficeRow {
                    href: format!(
                        "{}?{}",
                        legislator_path(slug, &legislator_id),
                        query(&f, &[])
                    ),
                    name,
                    title,
                    chamber: chamber_label(chamber),
                    state: state.as_str(),
                    district: district.clone(),
                    counts: r.counts,
                    total: r.total,
                })
            }
            _ => None,
        })
        .collect();
    let pages = ((headline.offices + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let versions = version_rows
        .into_iter()
        .filter_map(|r| match r.key {
            ReachKey::TemplateVersion {
                audience,
                template_version,
            } => Some(VersionRowView {
                audience: match audience {
                    Some(Audience::State) => "State legislators",
                    Some(Audience::Federal) => "Members of Congress",
                    None => "Unknown audience",
                },
                href: audience
                    .filter(|_| template_version > 0)
                    .map(|a| format!("/staff/campaigns/{slug}/templates/{}/versions", a.as_str())),
                version: if template_version > 0 {
                    format!("Version {template_version}")
                } else {
                    "Before versions were recorded".to_string()
                },
                counts: r.counts,
                total: r.total,
            }),
            _ => None,
        })
        .collect();
    let report = Report {
        headline,
        daily,
        states,
        states_csv: csv_path(slug, GroupBy::State.as_str(), &filter),
        headers: headers(slug, &filter, &page),
        offices,
        offices_csv: csv_path(slug, GroupBy::Legislator.as_str(), &filter),
        page: page.page,
        pages,
        prev: (page.page > 1).then(|| page_link(slug, &filter, &page, page.page - 1)),
        next: (page.page < pages).then(|| page_link(slug, &filter, &page, page.page + 1)),
        versions,
        versions_csv: csv_path(slug, GroupBy::TemplateVersion.as_str(), &filter),
        channels_csv: csv_path(slug, GroupBy::Channel.as_str(), &filter),
        health: health_view(health, slug, &filter),
    };
    let today = chrono::Utc::now().date_naive();
    Ok(DashboardPage {
        site: staff_view::site(app).await,
        title: format!("Reach · {}", doc.campaign.title),
        bar,
        slug: slug.to_string(),
        campaign_title: doc.campaign.title.clone(),
        form: FormView::of(path.clone(), &filter.to_params(), None),
        presets: presets(&path, &filter, today),
        report: Some(report),
        map,
    })
}

pub async fn dashboard_refused(
    app: &AppState,
    bar: Bar,
    doc: &CampaignDoc,
    params: &ReachParams,
    error: ReachParamError,
    today: NaiveDate,
) -> DashboardPage {
    let slug = doc.campaign.slug.as_str();
    let path = dashboard_path(slug);
    DashboardPage {
        site: staff_view::site(app).await,
        title: format!("Reach · {}", doc.campaign.title),
        bar,
        slug: slug.to_string(),
        campaign_title: doc.campaign.title.clone(),
        form: FormView::of(path.clone(), params, Some(error)),
        presets: presets(&path, &ReachFilter::default_for(today), today),
        report: None,
        map: MapView::coloured(&[], Vec::new()),
    }
}

/// The office's name and description, from its counts since launch; `None`: never counted.
async fn office(
    app: &AppState,
    slug: &str,
    id: &str,
    today: NaiveDate,
) -> Result<Option<(String, String)>, StoreError> {
    let mut all = ReachFilter::default_for(today);
    all.from = None;
    all.range = None;
    all.to = today + Duration::days(1);
    all.legislator = Some(id.to_string());
    let rows = app
        .store
        .reach(slug, &all, GroupBy::Legislator, None)
        .await?
        .unwrap_or_default();
    Ok(rows.into_iter().find_map(|r| match r.key {
        ReachKey::Legislator {
            name,
            title,
            chamber,
            state,
            district,
            ..
        } => {
            let mut parts = vec![chamber_label(chamber).to_string(), state.name().to_string()];
            if !district.is_empty() {
                parts.push(format!("district {district}"));
            }
            let name = if title.is_empty() {
                name
            } else {
                format!("{title} {name}")
            };
            Some((name, parts.join(", ")))
        }
        _ => None,
    }))
}

fn no_office() -> PageError {
    PageError::not_found("There is no such office in this campaign's reach.")
}

pub async fn legislator(
    app: &AppState,
    bar: Bar,
    doc: &CampaignDoc,
    id: &str,
    mut filter: ReachFilter,
    today: NaiveDate,
) -> Result<LegislatorPage, PageError> {
    let slug = doc.campaign.slug.as_str();
    let (name, office) = office(app, slug, id, today).await?.ok_or_else(no_office)?;
    filter.legislator = Some(id.to_string());
    let headline = headline(app, slug, &filter).await?;
    let daily = daily(app, slug, &filter, &format!("Messages per day to {name}")).await?;
    let mut others = filter.clone();
    others.legislator = None;
    let path = legislator_path(slug, id);
    Ok(LegislatorPage {
        site: staff_view::site(app).await,
        title: format!("Reach · {name} · {}", doc.campaign.title),
        bar,
        slug: slug.to_string(),
        campaign_title: doc.campaign.title.clone(),
        back: format!("{}?{}", dashboard_path(slug), query(&others, &[])),
        name,
        office,
        form: FormView::of(path.clone(), &others.to_params(), None),
        presets: presets(&path, &others, today),
        report: Some(OfficeReport { headline, daily }),
    })
}

pub async fn legislator_refused(
    app: &AppState,
    bar: Bar,
    doc: &CampaignDoc,
    id: &str,
    params: &ReachParams,
    error: ReachParamError,
    today: NaiveDate,
) -> Result<LegislatorPage, PageError> {
    let slug = doc.campaign.slug.as_str();
    let (name, office) = office(app, slug, id, today).await?.ok_or_else(no_office)?;
    let path = legislator_path(slug, id);
    let default = ReachFilter::default_for(today);
    Ok(LegislatorPage {
        site: staff_view::site(app).await,
        title: format!("Reach · {name} · {}", doc.campaign.title),
        bar,
        slug: slug.to_string(),
        campaign_title: doc.campaign.title.clone(),
        back: dashboard_path(slug),
        name,
        office,
        form: FormView::of(path.clone(), params, Some(error)),
        presets: presets(&path, &default, today),
        report: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_read_as_words() {
        assert_eq!(change_text(6, 4), "+2 (+50%)");
        assert_eq!(change_text(3, 4), "−1 (−25%)");
        assert_eq!(change_text(3, 0), "new");
        assert_eq!(change_text(0, 0), "no change");
        assert_eq!(change_text(4, 4), "no change");
    }

    #[test]
    fn buckets_cover_one_to_max_without_gaps() {
        assert!(buckets(0).is_empty());
        assert_eq!(buckets(1), vec![(1, 1)]);
        assert_eq!(buckets(10), vec![(1, 2), (3, 5), (6, 7), (8, 10)]);
        for max in 1..200 {
            let b = buckets(max);
            assert_eq!(b[0].0, 1);
            assert_eq!(b.last().map(|x| x.1), Some(max));
            assert!(b
                .windows(2)
                .all(|w| w[0].1 + 1 == w[1].0 && w[0].0 <= w[0].1));
        }
        assert_eq!(bucket_shades(4).len(), 4);
    }

    #[test]
    fn ages_read_as_words() {
        assert_eq!(age(30), "30 seconds");
        assert_eq!(age(61), "1 minute");
        assert_eq!(age(3 * 3600 + 120), "3 hours 2 minutes");
        assert_eq!(age(86_400 + 3600), "1 day 1 hour");
    }
}
