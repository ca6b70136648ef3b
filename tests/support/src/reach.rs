//! Reach reports in tests: what a report should say, computed from the count events seeded
//! ([`expected_totals`], the oracle the API, the CSV and the dashboard tables are checked
//! against), the key each report row is compared by ([`row_key`], [`csv_key`]), and requests to
//! the reach API and the staff CSV downloads.

use crate::app::TestApp;
use crate::staff::{Signed, SESSION_COOKIE};
use advocate::stats::reach::{GroupBy, ReachFilter, ReachKey, ReachRow};
use advocate::stats::Channel;
use advocate::store::CountEvent;
use reqwest::Response;
use std::collections::{BTreeMap, BTreeSet};

/// A row's figures, as every report form gives them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    pub sent: i64,
    pub draft_email: i64,
    pub contact_form: i64,
    pub total: i64,
    /// Distinct offices reached.
    pub offices: i64,
}

/// The audience of a chamber's messages, as reports name it.
fn audience(chamber: &str) -> &'static str {
    match chamber {
        "us_senate" | "us_house" => "federal",
        "state_upper" | "state_lower" => "state",
        _ => "",
    }
}

/// The key of `event` in report `group`: the day (`YYYY-MM-DD`), the state code, the legislator
/// id, the channel, or `audience/version` (an empty audience for an unknown chamber).
pub fn event_key(event: &CountEvent, group: GroupBy) -> String {
    match group {
        GroupBy::Day => event.at.date_naive().format("%Y-%m-%d").to_string(),
        GroupBy::State => event.state.as_str().to_string(),
        GroupBy::Legislator => event.legislator_id.clone(),
        GroupBy::Channel => event.channel.as_str().to_string(),
        GroupBy::TemplateVersion => format!(
            "{}/{}",
            audience(event.chamber.as_str()),
            event.template_version
        ),
    }
}

/// Whether `filter` selects `event`.
pub fn selects(filter: &ReachFilter, event: &CountEvent) -> bool {
    let day = event.at.date_naive();
    filter.from.is_none_or(|from| day >= from)
        && day <= filter.to
        && filter.state.is_none_or(|s| s == event.state)
        && filter.chamber.is_none_or(|c| c == event.chamber)
        && filter.channel.is_none_or(|c| c == event.channel)
        && filter
            .legislator
            .as_ref()
            .is_none_or(|l| *l == event.legislator_id)
}

/// What report `group` of `filter` should hold after counting `events`: figures by
/// [`event_key`], groups with nothing counted left out. Only the states' rows say how many
/// offices they reached (`offices` is -1 in the others, as the readers below give it).
pub fn expected_totals(
    events: &[CountEvent],
    filter: &ReachFilter,
    group: GroupBy,
) -> BTreeMap<String, Totals> {
    let mut sums: BTreeMap<String, (Totals, BTreeSet<String>)> = BTreeMap::new();
    for e in events.iter().filter(|e| selects(filter, e)) {
        let (t, offices) = sums.entry(event_key(e, group)).or_default();
        match e.channel {
            Channel::Sent => t.sent += e.n,
            Channel::DraftEmail => t.draft_email += e.n,
            Channel::ContactForm => t.contact_form += e.n,
        }
        t.total += e.n;
        offices.insert(e.legislator_id.clone());
    }
    sums.into_iter()
        .map(|(k, (mut t, offices))| {
            t.offices = if group == GroupBy::State {
                offices.len() as i64
            } else {
                -1
            };
            (k, t)
        })
        .collect()
}

/// The whole of `filter` in one row (the headline figures).
pub fn expected_summary(events: &[CountEvent], filter: &ReachFilter) -> Totals {
    expected_totals(events, filter, GroupBy::Channel)
        .into_values()
        .fold(Totals::default(), |mut all, t| {
            all.sent += t.sent;
            all.draft_email += t.draft_email;
            all.contact_form += t.contact_form;
            all.total += t.total;
            all
        })
}

/// The [`event_key`] of a report row.
pub fn row_key(row: &ReachRow) -> String {
    match &row.key {
        ReachKey::Day { day } => day.format("%Y-%m-%d").to_string(),
        ReachKey::State { state } => state.as_str().to_string(),
        ReachKey::Legislator { legislator_id, .. } => legislator_id.clone(),
        ReachKey::Channel { channel } => channel.as_str().to_string(),
        ReachKey::TemplateVersion {
            audience,
            template_version,
        } => format!(
            "{}/{template_version}",
            audience.map(|a| a.as_str()).unwrap_or_default()
        ),
        ReachKey::All => String::new(),
    }
}

/// The figures of a row of the API's JSON (`rows[i]`), by [`event_key`]; `offices` is -1 where
/// the row does not say it.
pub fn json_key_and_totals(group: GroupBy, row: &serde_json::Value) -> (String, Totals) {
    let s = |k: &str| row[k].as_str().unwrap_or_default().to_string();
    let n = |k: &str| row[k].as_i64().unwrap_or_else(|| panic!("{k} in {row}"));
    let key = match group {
        GroupBy::Day => s("day"),
        GroupBy::State => s("state"),
        GroupBy::Legislator => s("legislator_id"),
        GroupBy::Channel => s("channel"),
        GroupBy::TemplateVersion => format!("{}/{}", s("audience"), n("template_version")),
    };
    let totals = Totals {
        sent: n("sent"),
        draft_email: n("draft_email"),
        contact_form: n("contact_form"),
        total: n("total"),
        offices: row["offices"].as_i64().unwrap_or(-1),
    };
    (key, totals)
}

/// A CSV report (header and records, as a CSV reader gave them, escapes still on) by
/// [`event_key`]. The columns a grouping's CSV leaves out are filled from `total` (a channel
/// row's one channel); `offices` is -1 where the CSV does not say it.
pub fn csv_totals(
    group: GroupBy,
    header: &[String],
    records: &[Vec<String>],
) -> BTreeMap<String, Totals> {
    let col = |name: &str| header.iter().position(|h| h == name);
    let mut out = BTreeMap::new();
    for r in records {
        let get = |name: &str| col(name).map(|i| r[i].clone());
        let num = |name: &str| {
            get(name).map(|v| v.parse::<i64>().unwrap_or_else(|_| panic!("{name}: {v}")))
        };
        let unescape = |v: String| advocate::stats::export::unescape_cell(&v).to_string();
        let key = match group {
            GroupBy::Day => get("day"),
            GroupBy::State => get("state"),
            GroupBy::Legislator => get("legislator_id").map(unescape),
            GroupBy::Channel => get("channel"),
            GroupBy::TemplateVersion => Some(format!(
                "{}/{}",
                get("audience").unwrap_or_default(),
                get("template_version").unwrap_or_default()
            )),
        }
        .expect("the key column");
        let total = num("total").expect("total");
        let mut t = Totals {
            sent: num("sent").unwrap_or(0),
            draft_email: num("draft_email").unwrap_or(0),
            contact_form: num("contact_form").unwrap_or(0),
            total,
            offices: num("offices").unwrap_or(-1),
        };
        if group == GroupBy::Channel {
            match key.as_str() {
                "sent" => t.sent = total,
                "draft_email" => t.draft_email = total,
                _ => t.contact_form = total,
            }
        }
        out.insert(key, t);
    }
    out
}

/// Reads a CSV body with the `csv` crate: the header and the records.
pub fn read_csv(body: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(body);
    let header = reader
        .headers()
        .expect("a header row")
        .iter()
        .map(str::to_string)
        .collect();
    let records = reader
        .records()
        .map(|r| {
            r.expect("a CSV record")
                .iter()
                .map(str::to_string)
                .collect()
        })
        .collect();
    (header, records)
}

impl TestApp {
    /// `GET /api/v1/campaigns/{slug}/reach?query` with `token` (none: no header) and `accept`.
    pub async fn reach_api(
        &self,
        slug: &str,
        query: &str,
        token: Option<&str>,
        accept: Option<&str>,
    ) -> Response {
        let mut req = self.with_bearer(
            reqwest::Method::GET,
            &format!("/api/v1/campaigns/{slug}/reach?{query}"),
            token,
        );
        if let Some(a) = accept {
            req = req.header("accept", a);
        }
        req.send().await.expect("request sent")
    }

    /// `GET /staff/campaigns/{slug}/reach/{group}.csv?query` with `who`'s session.
    pub async fn reach_download(
        &self,
        slug: &str,
        group: &str,
        query: &str,
        who: Option<&Signed>,
    ) -> Response {
        let mut req = self.client.get(self.url(&format!(
            "/staff/campaigns/{slug}/reach/{group}.csv?{query}"
        )));
        if let Some(s) = who {
            req = req.header("cookie", format!("{SESSION_COOKIE}={}", s.cookie));
        }
        req.send().await.expect("request sent")
    }
}
