//! Organisers' reach reports: one date range and set of filters ([`ReachFilter`], parsed once
//! from a query string by [`ReachFilter::parse`]), read grouped one way ([`GroupBy`]) into
//! [`ReachRow`]s. The dashboard, its CSV downloads and the reach API all read through
//! `Store::reach` with these types, so the three always agree.

use super::{Channel, ChannelCounts};
use crate::directory::Chamber;
use crate::domain::StateCode;
use crate::messages::Audience;
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

/// Days in the default range.
pub const DEFAULT_DAYS: i64 = 30;
/// Rows per page of the legislator table.
pub const PAGE_SIZE: i64 = 50;
/// The longest range that can be asked for by dates (the presets and "all" aside): ten years.
pub const MAX_DAYS: i64 = 3660;

/// What a report is restricted to. Days are UTC days; the range includes both ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReachFilter {
    /// `None`: since launch.
    pub from: Option<NaiveDate>,
    pub to: NaiveDate,
    /// The preset the range came from (`7`, `30`, `90`, `all`), if any.
    pub range: Option<Preset>,
    pub state: Option<StateCode>,
    pub chamber: Option<Chamber>,
    pub channel: Option<Channel>,
    /// One office (the legislator's own page).
    pub legislator: Option<String>,
}

/// The date-range shortcuts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Preset {
    Days(i64),
    All,
}

impl Preset {
    pub const ALL: [Preset; 4] = [
        Preset::Days(7),
        Preset::Days(30),
        Preset::Days(90),
        Preset::All,
    ];

    pub fn as_param(&self) -> String {
        match self {
            Preset::Days(n) => n.to_string(),
            Preset::All => "all".to_string(),
        }
    }

    pub fn label(&self) -> String {
        match self {
            Preset::Days(n) => format!("Last {n} days"),
            Preset::All => "All time".to_string(),
        }
    }

    fn parse(raw: &str) -> Option<Preset> {
        match raw {
            "7" => Some(Preset::Days(7)),
            "30" => Some(Preset::Days(30)),
            "90" => Some(Preset::Days(90)),
            "all" => Some(Preset::All),
            _ => None,
        }
    }
}

/// The query string of a report, as sent: every field optional text, checked by
/// [`ReachFilter::parse`]. Empty values mean "not given" (a form's blank select).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ReachParams {
    pub from: Option<String>,
    pub to: Option<String>,
    pub range: Option<String>,
    pub state: Option<String>,
    pub chamber: Option<String>,
    pub channel: Option<String>,
    pub legislator: Option<String>,
}

/// A query parameter that does not parse: `field` names it, `message` says what it takes
/// (never echoing more than a short piece of the input).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ReachParamError {
    pub field: &'static str,
    pub message: String,
}

fn bad(field: &'static str, message: impl Into<String>) -> ReachParamError {
    ReachParamError {
        field,
        message: message.into(),
    }
}

fn given(raw: &Option<String>) -> Option<&str> {
    raw.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn date(field: &'static str, raw: &str) -> Result<NaiveDate, ReachParamError> {
    if raw.len() != 10 {
        return Err(bad(field, "a date is written YYYY-MM-DD"));
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| bad(field, "a date is written YYYY-MM-DD"))
}

impl ReachFilter {
    /// The default report: the last [`DEFAULT_DAYS`] days up to `today`, nothing filtered.
    pub fn default_for(today: NaiveDate) -> ReachFilter {
        ReachFilter {
            from: Some(today - Duration::days(DEFAULT_DAYS - 1)),
            to: today,
            range: Some(Preset::Days(DEFAULT_DAYS)),
            state: None,
            chamber: None,
            channel: None,
            legislator: None,
        }
    }

    /// Checks `params`. Dates win over a preset: `from` and `to` (either may be left out: `to`
    /// is then today, `from` the launch); with neither, `range` (`7`, `30`, `90`, `all`;
    /// default 30) ends today.
    pub fn parse(params: &ReachParams, today: NaiveDate) -> Result<ReachFilter, ReachParamError> {
        let mut filter = ReachFilter::default_for(today);
        let preset = match given(&params.range) {
            None => None,
            Some(raw) => {
                Some(Preset::parse(raw).ok_or_else(|| bad("range", "one of 7, 30, 90 or all"))?)
            }
        };
        let from = given(&params.from).map(|d| date("from", d)).transpose()?;
        let to = given(&params.to).map(|d| date("to", d)).transpose()?;
        if from.is_some() || to.is_some() {
            filter.range = None;
            filter.to = to.unwrap_or(today);
            if filter.to > today + Duration::days(1) {
                return Err(bad("to", "the range cannot end in the future"));
            }
            filter.from = from;
            if let Some(from) = from {
                if from > filter.to {
                    return Err(bad("from", "the range starts after it ends"));
                }
                if (filter.to - from).num_days() >= MAX_DAYS {
                    return Err(bad("from", "a range is at most ten years"));
                }
            }
        } else if let Some(preset) = preset {
            filter = filter.with_preset(preset, today);
        }
        filter.state = given(&params.state)
            .map(|raw| {
                StateCode::parse(&raw.to_ascii_uppercase())
                    .map_err(|_| bad("state", "a state's two-letter postal code"))
            })
            .transpose()?;
        filter.chamber = given(&params.chamber)
            .map(|raw| {
                Chamber::parse(raw).ok_or_else(|| {
                    bad("chamber", "state_upper, state_lower, us_senate or us_house")
                })
            })
            .transpose()?;
        filter.channel = given(&params.channel)
            .map(|raw| {
                Channel::parse(raw).map_err(|_| bad("channel", "sent, draft_email or contact_form"))
            })
            .transpose()?;
        filter.legislator = given(&params.legislator)
            .map(|raw| {
                if raw.len() <= 120 && !raw.chars().any(char::is_control) {
                    Ok(raw.to_string())
                } else {
                    Err(bad("legislator", "an office id from a reach report"))
                }
            })
            .transpose()?;
        Ok(filter)
    }

    /// The same filters over `preset`'s range ending `today`.
    pub fn with_preset(&self, preset: Preset, today: NaiveDate) -> ReachFilter {
        ReachFilter {
            range: Some(preset),
            to: today,
            from: match preset {
                Preset::Days(n) => Some(today - Duration::days(n - 1)),
                Preset::All => None,
            },
            ..self.clone()
        }
    }

    /// The query string that asks for this filter again (what links and downloads keep).
    pub fn to_params(&self) -> ReachParams {
        let (from, to, range) = match self.range {
            Some(preset) => (None, None, Some(preset.as_param())),
            None => (
                self.from.map(|d| d.to_string()),
                Some(self.to.to_string()),
                None,
            ),
        };
        ReachParams {
            from,
            to,
            range,
            state: self.state.map(|s| s.as_str().to_string()),
            chamber: self.chamber.map(|c| c.as_str().to_string()),
            channel: self.channel.map(|c| c.as_str().to_string()),
            legislator: self.legislator.clone(),
        }
    }

    /// The period of the same length just before this one (for "change against the previous
    /// period"); `None` for a range since launch.
    pub fn previous(&self) -> Option<ReachFilter> {
        let from = self.from?;
        let days = (self.to - from).num_days() + 1;
        Some(ReachFilter {
            from: Some(from - Duration::days(days)),
            to: from - Duration::days(1),
            range: None,
            ..self.clone()
        })
    }

    /// Everything from launch to the day before this range (the cumulative line's start).
    pub fn before(&self) -> Option<ReachFilter> {
        let from = self.from?;
        Some(ReachFilter {
            from: None,
            to: from - Duration::days(1),
            range: None,
            ..self.clone()
        })
    }

    /// From launch to the end of this range.
    pub fn since_launch(&self) -> ReachFilter {
        ReachFilter {
            from: None,
            range: None,
            ..self.clone()
        }
    }
}

/// How a report groups its counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    Day,
    State,
    Legislator,
    Channel,
    TemplateVersion,
}

impl GroupBy {
    pub const ALL: [GroupBy; 5] = [
        GroupBy::Day,
        GroupBy::State,
        GroupBy::Legislator,
        GroupBy::Channel,
        GroupBy::TemplateVersion,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            GroupBy::Day => "day",
            GroupBy::State => "state",
            GroupBy::Legislator => "legislator",
            GroupBy::Channel => "channel",
            GroupBy::TemplateVersion => "template_version",
        }
    }

    pub fn parse(raw: &str) -> Result<GroupBy, ReachParamError> {
        GroupBy::ALL
            .into_iter()
            .find(|g| g.as_str() == raw)
            .ok_or_else(|| {
                bad(
                    "group_by",
                    "one of day, state, legislator, channel, template_version",
                )
            })
    }
}

/// How the legislator table is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SortKey {
    Office,
    Chamber,
    State,
    District,
    Total,
    Sent,
    DraftEmail,
    ContactForm,
}

impl SortKey {
    pub const ALL: [SortKey; 8] = [
        SortKey::Office,
        SortKey::Chamber,
        SortKey::State,
        SortKey::District,
        SortKey::Total,
        SortKey::Sent,
        SortKey::DraftEmail,
        SortKey::ContactForm,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            SortKey::Office => "office",
            SortKey::Chamber => "chamber",
            SortKey::State => "state",
            SortKey::District => "district",
            SortKey::Total => "total",
            SortKey::Sent => "sent",
            SortKey::DraftEmail => "draft_email",
            SortKey::ContactForm => "contact_form",
        }
    }

    pub fn parse(raw: &str) -> Option<SortKey> {
        SortKey::ALL.into_iter().find(|k| k.as_str() == raw)
    }

    /// The direction a first click sorts in: figures largest first, names A to Z.
    pub fn natural_descending(&self) -> bool {
        matches!(
            self,
            SortKey::Total | SortKey::Sent | SortKey::DraftEmail | SortKey::ContactForm
        )
    }
}

/// Order and page of the legislator table. `page` starts at 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Page {
    pub sort: SortKey,
    pub descending: bool,
    pub page: i64,
}

impl Default for Page {
    fn default() -> Page {
        Page {
            sort: SortKey::Total,
            descending: true,
            page: 1,
        }
    }
}

impl Page {
    /// `sort`, `dir` (`asc` / `desc`) and `page` as sent; a blank one takes the default.
    pub fn parse(
        sort: Option<&str>,
        dir: Option<&str>,
        page: Option<&str>,
    ) -> Result<Page, ReachParamError> {
        let mut out = Page::default();
        if let Some(raw) = sort.map(str::trim).filter(|s| !s.is_empty()) {
            out.sort = SortKey::parse(raw).ok_or_else(|| {
                bad(
                    "sort",
                    "office, chamber, state, district, total, sent, draft_email or contact_form",
                )
            })?;
            out.descending = out.sort.natural_descending();
        }
        match dir.map(str::trim).filter(|s| !s.is_empty()) {
            None => {}
            Some("asc") => out.descending = false,
            Some("desc") => out.descending = true,
            Some(_) => return Err(bad("dir", "asc or desc")),
        }
        if let Some(raw) = page.map(str::trim).filter(|s| !s.is_empty()) {
            out.page = raw
                .parse::<i64>()
                .ok()
                .filter(|n| (1..=1_000_000).contains(n))
                .ok_or_else(|| bad("page", "a page number from 1"))?;
        }
        Ok(out)
    }

    pub fn offset(&self) -> i64 {
        (self.page - 1) * PAGE_SIZE
    }
}

/// What one row of a report is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum ReachKey {
    Day {
        day: NaiveDate,
    },
    State {
        state: StateCode,
    },
    Legislator {
        legislator_id: String,
        name: String,
        title: String,
        /// `None` for counts of offices whose chamber was never recorded.
        chamber: Option<Chamber>,
        state: StateCode,
        district: String,
    },
    Channel {
        channel: Channel,
    },
    TemplateVersion {
        /// `None` for counts of offices whose chamber (so audience) was never recorded.
        audience: Option<Audience>,
        /// 0: counted before versions were recorded.
        template_version: i64,
    },
    /// The whole filter in one row (headline figures).
    All,
}

/// One row of a report: messages per channel and, for the headline figures and the states, the
/// distinct offices they reached (`None` for the other groupings, which do not count them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReachRow {
    #[serde(flatten)]
    pub key: ReachKey,
    #[serde(flatten)]
    pub counts: ChannelCounts,
    pub total: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offices: Option<i64>,
}

/// A day's figures in a series with every day of the range present (zero when nothing was
/// counted), and the running total since launch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DayPoint {
    pub day: NaiveDate,
    pub counts: ChannelCounts,
    pub total: i64,
    pub cumulative: i64,
}

/// Fills the days of `from..=to` from `rows` (grouped by day, any order); `before` is the total
/// counted before `from`. With no `from`, the series starts at the first counted day.
pub fn daily_series(
    from: Option<NaiveDate>,
    to: NaiveDate,
    rows: &[ReachRow],
    before: i64,
) -> Vec<DayPoint> {
    let mut by_day: std::collections::BTreeMap<NaiveDate, ChannelCounts> = Default::default();
    for row in rows {
        if let ReachKey::Day { day } = row.key {
            let c = by_day.entry(day).or_default();
            c.sent += row.counts.sent;
            c.draft_email += row.counts.draft_email;
            c.contact_form += row.counts.contact_form;
        }
    }
    let Some(start) = from.or_else(|| by_day.keys().next().copied()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut cumulative = before;
    let mut day = start;
    while day <= to {
        let counts = by_day.get(&day).copied().unwrap_or_default();
        cumulative += counts.total();
        out.push(DayPoint {
            day,
            counts,
            total: counts.total(),
            cumulative,
        });
        match day.succ_opt() {
            Some(next) => day = next,
            None => break,
        }
    }
    out
}

/// The audience a chamber's messages are written for.
pub fn audience_of(chamber: Chamber) -> Audience {
    match chamber {
        Chamber::StateUpper | Chamber::StateLower => Audience::State,
        Chamber::UsSenate | Chamber::UsHouse => Audience::Federal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 2).expect("date")
    }

    fn params(pairs: &[(&str, &str)]) -> ReachParams {
        let mut p = ReachParams::default();
        for (k, v) in pairs {
            let v = Some(v.to_string());
            match *k {
                "from" => p.from = v,
                "to" => p.to = v,
                "range" => p.range = v,
                "state" => p.state = v,
                "chamber" => p.chamber = v,
                "channel" => p.channel = v,
                "legislator" => p.legislator = v,
                other => panic!("{other}"),
            }
        }
        p
    }

    #[test]
    fn the_default_is_the_last_thirty_days_ending_today() {
        let f = ReachFilter::parse(&ReachParams::default(), today()).expect("parses");
        assert_eq!(f.to, today());
        assert_eq!(f.from, NaiveDate::from_ymd_opt(2026, 11, 3));
        assert_eq!(f.range, Some(Preset::Days(30)));
        let p = f.previous().expect("previous");
        assert_eq!(p.to, NaiveDate::from_ymd_opt(2026, 11, 2).expect("d"));
        assert_eq!(p.from, NaiveDate::from_ymd_opt(2026, 10, 4));
    }

    #[test]
    fn presets_dates_and_filters_parse_and_round_trip() {
        let all = ReachFilter::parse(&params(&[("range", "all")]), today()).expect("all");
        assert_eq!(all.from, None);
        assert!(all.previous().is_none());
        let f = ReachFilter::parse(
            &params(&[
                ("from", "2026-11-01"),
                ("to", "2026-11-07"),
                ("range", "90"),
                ("state", "ma"),
                ("chamber", "us_house"),
                ("channel", "sent"),
            ]),
            today(),
        )
        .expect("parses");
        assert_eq!(f.range, None, "dates win over the preset");
        assert_eq!(f.state.map(|s| s.as_str()), Some("MA"));
        assert_eq!(f.chamber, Some(Chamber::UsHouse));
        assert_eq!(f.channel, Some(Channel::Sent));
        assert_eq!(ReachFilter::parse(&f.to_params(), today()), Ok(f));
    }

    #[test]
    fn bad_parameters_name_their_field() {
        for (pairs, field) in [
            (vec![("from", "2026-13-01")], "from"),
            (vec![("to", "yesterday")], "to"),
            (vec![("to", "2027-01-01")], "to"),
            (vec![("from", "2026-11-08"), ("to", "2026-11-07")], "from"),
            (vec![("from", "1900-01-01"), ("to", "2026-11-07")], "from"),
            (vec![("range", "365")], "range"),
            (vec![("state", "ZZ")], "state"),
            (vec![("chamber", "house")], "chamber"),
            (vec![("channel", "fax")], "channel"),
            (vec![("legislator", "a\r\nb")], "legislator"),
        ] {
            let err = ReachFilter::parse(&params(&pairs), today()).expect_err("refused");
            assert_eq!(err.field, field, "{pairs:?}");
        }
    }

    #[test]
    fn pages_parse() {
        assert_eq!(Page::parse(None, None, None), Ok(Page::default()));
        let p = Page::parse(Some("office"), None, Some("3")).expect("parses");
        assert_eq!(
            (p.sort, p.descending, p.offset()),
            (SortKey::Office, false, 100)
        );
        assert!(Page::parse(Some("name; DROP"), None, None).is_err());
        assert!(Page::parse(None, Some("up"), None).is_err());
        assert!(Page::parse(None, None, Some("0")).is_err());
    }

    #[test]
    fn the_series_fills_every_day_and_runs_a_cumulative_total() {
        let d = |day: u32| NaiveDate::from_ymd_opt(2026, 11, day).expect("d");
        let row = |day: NaiveDate, sent: i64| ReachRow {
            key: ReachKey::Day { day },
            counts: ChannelCounts {
                sent,
                ..Default::default()
            },
            total: sent,
            offices: None,
        };
        let s = daily_series(Some(d(1)), d(4), &[row(d(2), 3), row(d(4), 1)], 10);
        let totals: Vec<_> = s.iter().map(|p| (p.total, p.cumulative)).collect();
        assert_eq!(totals, vec![(0, 10), (3, 13), (0, 13), (1, 14)]);
        assert_eq!(daily_series(None, d(4), &[], 0), vec![]);
    }

    proptest! {
        #[test]
        fn any_query_string_parses_or_names_a_field(
            from in proptest::option::of("\\PC{0,12}"),
            to in proptest::option::of("[0-9-]{0,12}"),
            range in proptest::option::of("\\PC{0,4}"),
            state in proptest::option::of("\\PC{0,3}"),
            chamber in proptest::option::of("\\PC{0,12}"),
            channel in proptest::option::of("\\PC{0,12}"),
            legislator in proptest::option::of("\\PC{0,130}"),
        ) {
            let p = ReachParams { from, to, range, state, chamber, channel, legislator };
            match ReachFilter::parse(&p, today()) {
                Ok(f) => {
                    if let Some(from) = f.from { prop_assert!(from <= f.to); }
                    prop_assert_eq!(ReachFilter::parse(&f.to_params(), today()), Ok(f));
                }
                Err(e) => prop_assert!(["from", "to", "range", "state", "chamber", "channel", "legislator"].contains(&e.field)),
            }
        }

        #[test]
        fn any_page_parameters_parse_or_are_refused(
            sort in proptest::option::of("\\PC{0,14}"),
            dir in proptest::option::of("\\PC{0,5}"),
            page in proptest::option::of("\\PC{0,8}"),
        ) {
            if let Ok(p) = Page::parse(sort.as_deref(), dir.as_deref(), page.as_deref()) {
                prop_assert!(p.page >= 1 && p.offset() >= 0);
            }
        }
    }
}
