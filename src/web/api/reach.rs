//! `GET /api/v1/campaigns/{slug}/reach`: a campaign's reach report for scripts and CRMs, with a
//! staff bearer token (organisers and up). The query is the dashboard's (`from`, `to`, `range`,
//! `state`, `chamber`, `channel`, `legislator`: see `stats::reach`) plus `group_by` (`day` by
//! default, `state`, `legislator`, `channel`, `template_version`), `format` (`json` or `csv`)
//! and, for the legislator table, `sort`, `dir` and `page` (without `page`: every row).
//!
//! JSON: `{"campaign", "from", "to", "group_by", "filters", "summary", "page", "rows"}`. CSV
//! (`format=csv`, or an `Accept` that prefers `text/csv`): the whole table as the staff
//! downloads give it (`stats::export`), streamed from the database. Both `no-store`.

use crate::stats::reach::{GroupBy, Page, ReachFilter, ReachParams, ReachRow, PAGE_SIZE};
use crate::web::error::{no_campaign, ApiError, Problem};
use crate::web::extract::ApiCampaign;
use crate::web::respond::csv_report;
use crate::web::staff::auth::{Bearer, Organiser};
use crate::web::AppState;
use actix_web::http::header::{HeaderValue, ACCEPT, CACHE_CONTROL, VARY};
use actix_web::http::StatusCode;
use actix_web::{get, web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::json;

/// A report's query string as sent: the filters, the grouping, the form and the legislator
/// table's order and page. The staff downloads read the same (their grouping is in the path).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ReportQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub range: Option<String>,
    pub state: Option<String>,
    pub chamber: Option<String>,
    pub channel: Option<String>,
    pub legislator: Option<String>,
    pub group_by: Option<String>,
    pub format: Option<String>,
    pub sort: Option<String>,
    pub dir: Option<String>,
    pub page: Option<String>,
}

impl ReportQuery {
    /// `query` (a URL's query string); a parameter given twice is refused.
    pub fn from_query(query: &str) -> Result<ReportQuery, ApiError> {
        web::Query::<ReportQuery>::from_query(query)
            .map(web::Query::into_inner)
            .map_err(|err| {
                ApiError(Problem::new(
                    StatusCode::BAD_REQUEST,
                    format!("invalid query: {err}"),
                ))
            })
    }

    /// The filter part.
    pub fn params(&self) -> ReachParams {
        ReachParams {
            from: self.from.clone(),
            to: self.to.clone(),
            range: self.range.clone(),
            state: self.state.clone(),
            chamber: self.chamber.clone(),
            channel: self.channel.clone(),
            legislator: self.legislator.clone(),
        }
    }

    /// The legislator table's order (`sort`, `dir`) and page, as given (default: most
    /// messages first, page 1).
    pub fn order(&self) -> Result<Page, crate::stats::reach::ReachParamError> {
        Page::parse(
            self.sort.as_deref(),
            self.dir.as_deref(),
            self.page.as_deref(),
        )
    }
}

/// The answer's form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
}

/// A checked reach API request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReachRequest {
    pub filter: ReachFilter,
    pub group: GroupBy,
    pub format: Format,
    /// The legislator table's order; its page number counts only when `paged`.
    pub order: Page,
    pub paged: bool,
}

impl ReachRequest {
    /// Checks `query` (the `Accept` header `accept` chooses the form when `format` is not
    /// given), with ranges ending `today` by default.
    pub fn parse(
        query: &ReportQuery,
        accept: Option<&str>,
        today: NaiveDate,
    ) -> Result<ReachRequest, crate::stats::reach::ReachParamError> {
        let filter = ReachFilter::parse(&query.params(), today)?;
        let group = match query.group_by.as_deref() {
            None => GroupBy::Day,
            Some(raw) => GroupBy::parse(raw)?,
        };
        let format = match query.format.as_deref() {
            Some("json") => Format::Json,
            Some("csv") => Format::Csv,
            Some(_) => {
                return Err(crate::stats::reach::ReachParamError {
                    field: "format",
                    message: "json or csv".to_string(),
                })
            }
            None if prefers_csv(accept.unwrap_or_default()) => Format::Csv,
            None => Format::Json,
        };
        let order = query.order()?;
        let paged = query.page.as_deref().is_some_and(|p| !p.trim().is_empty());
        Ok(ReachRequest {
            filter,
            group,
            format,
            order,
            paged,
        })
    }
}

/// Whether an `Accept` header prefers `text/csv` (or `text/*`) to JSON: a higher quality than
/// `application/json`, `application/*` and `*/*` get (a tie goes to JSON, the default).
pub fn prefers_csv(accept: &str) -> bool {
    let (mut csv, mut json) = (0.0_f32, 0.0_f32);
    for range in accept.split(',').take(32) {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .filter_map(|q| q.trim().parse::<f32>().ok())
            .find(|q| (0.0..=1.0).contains(q))
            .unwrap_or(1.0);
        match media.as_str() {
            "text/csv" | "text/*" => csv = csv.max(q),
            "application/json" | "application/*" | "*/*" => json = json.max(q),
            _ => {}
        }
    }
    csv > 0.0 && csv > json
}

/// The name a report is downloaded as: `<slug>-reach-<group>-<from|launch>-<to>.csv`.
pub fn csv_filename(slug: &str, group: GroupBy, filter: &ReachFilter) -> String {
    download_filename(slug, &format!("reach-{}", group.as_str()), filter)
}

/// The name of CSV download `report` (`reach-day`, `health-causes`) of campaign `slug` for
/// `filter`'s days: `<slug>-<report>-<from|launch>-<to>.csv`.
pub fn download_filename(slug: &str, report: &str, filter: &ReachFilter) -> String {
    let from = filter
        .from
        .map(|d| d.to_string())
        .unwrap_or_else(|| "launch".to_string());
    format!("{slug}-{report}-{from}-{}.csv", filter.to)
}

fn summary(row: &ReachRow) -> serde_json::Value {
    json!({
        "sent": row.counts.sent,
        "draft_email": row.counts.draft_email,
        "contact_form": row.counts.contact_form,
        "total": row.total,
        "offices": row.offices,
    })
}

#[get("/campaigns/{slug}/reach")]
pub async fn reach(
    _who: Bearer<Organiser>,
    app: web::Data<AppState>,
    ApiCampaign(doc): ApiCampaign,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    // Read here rather than as an extractor, so a bad query never answers before the token does.
    let query = ReportQuery::from_query(req.query_string())?;
    let accept = req.headers().get(ACCEPT).and_then(|v| v.to_str().ok());
    let today = chrono::Utc::now().date_naive();
    let request = ReachRequest::parse(&query, accept, today)?;
    let slug = doc.campaign.slug.as_str();
    let (filter, group) = (&request.filter, request.group);
    if request.format == Format::Csv {
        let rows = app
            .store
            .reach_stream_ordered(slug, filter, group, request.order)
            .await?
            .ok_or_else(|| ApiError(no_campaign(slug)))?;
        let mut res = csv_report(csv_filename(slug, group, filter), group, rows);
        res.headers_mut()
            .insert(VARY, HeaderValue::from_static("Accept"));
        return Ok(res);
    }
    let total = app
        .store
        .reach_summary(slug, filter)
        .await?
        .ok_or_else(|| ApiError(no_campaign(slug)))?;
    let rows = if request.paged && group == GroupBy::Legislator {
        app.store
            .reach(slug, filter, group, Some(request.order))
            .await?
    } else {
        app.store
            .reach_ordered(slug, filter, group, request.order)
            .await?
    }
    .ok_or_else(|| ApiError(no_campaign(slug)))?;
    let page = (request.paged && group == GroupBy::Legislator).then(|| {
        json!({
            "page": request.order.page,
            "page_size": PAGE_SIZE,
            "sort": request.order.sort.as_str(),
            "dir": if request.order.descending { "desc" } else { "asc" },
        })
    });
    Ok(HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, "no-store"))
        .insert_header((VARY, "Accept"))
        .json(json!({
            "campaign": slug,
            "from": filter.from,
            "to": filter.to,
            "group_by": group.as_str(),
            "filters": {
                "state": filter.state.map(|s| s.as_str()),
                "chamber": filter.chamber.map(|c| c.as_str()),
                "channel": filter.channel.map(|c| c.as_str()),
                "legislator": filter.legislator,
            },
            "summary": summary(&total),
            "page": page,
            "rows": rows,
        })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 2).expect("date")
    }

    fn query(q: &str) -> ReportQuery {
        ReportQuery::from_query(q).expect("query")
    }

    #[test]
    fn accept_chooses_csv_only_when_it_prefers_it() {
        assert!(prefers_csv("text/csv"));
        assert!(prefers_csv("text/csv, application/json;q=0.5"));
        assert!(prefers_csv("application/json;q=0.2, text/*"));
        assert!(!prefers_csv(""));
        assert!(!prefers_csv("*/*"));
        assert!(!prefers_csv("application/json, text/csv"));
        assert!(!prefers_csv("text/csv;q=0"));
        assert!(!prefers_csv("text/html"));
        assert!(!prefers_csv("text/csv;q=0.5, */*"));
    }

    #[test]
    fn a_request_defaults_to_days_as_json_and_names_a_bad_field() {
        let r = ReachRequest::parse(&query(""), None, today()).expect("parses");
        assert_eq!(r.group, GroupBy::Day);
        assert_eq!(r.format, Format::Json);
        assert!(!r.paged);
        let csv = ReachRequest::parse(&query("group_by=state"), Some("text/csv"), today())
            .expect("parses");
        assert_eq!((csv.group, csv.format), (GroupBy::State, Format::Csv));
        let json =
            ReachRequest::parse(&query("format=json"), Some("text/csv"), today()).expect("parses");
        assert_eq!(json.format, Format::Json, "format wins over Accept");
        let paged = ReachRequest::parse(
            &query("group_by=legislator&sort=office&page=2"),
            None,
            today(),
        )
        .expect("parses");
        assert!(paged.paged && !paged.order.descending && paged.order.page == 2);
        let field = |q: &str| {
            ReachRequest::parse(&query(q), None, today())
                .expect_err(q)
                .field
        };
        assert_eq!(field("group_by=week"), "group_by");
        assert_eq!(field("group_by="), "group_by");
        assert_eq!(field("format=xml"), "format");
        assert_eq!(field("from=2026-13-01"), "from");
        assert_eq!(field("to=2099-01-01"), "to");
        assert_eq!(field("state=XX"), "state");
        assert_eq!(field("chamber=house"), "chamber");
        assert_eq!(field("channel=fax"), "channel");
        assert_eq!(field("sort=name"), "sort");
        assert_eq!(field("dir=up"), "dir");
        assert_eq!(field("page=0"), "page");
        assert!(ReportQuery::from_query("state=MA&state=MO").is_err());
    }

    #[test]
    fn the_filename_names_the_grouping_and_the_range() {
        let f = ReachFilter::parse(&query("from=2026-11-01&to=2026-11-30").params(), today())
            .expect("parses");
        assert_eq!(
            csv_filename("eqi", GroupBy::TemplateVersion, &f),
            "eqi-reach-template_version-2026-11-01-2026-11-30.csv"
        );
        let all = ReachFilter::parse(&query("range=all").params(), today()).expect("parses");
        assert_eq!(
            csv_filename("eqi", GroupBy::Day, &all),
            "eqi-reach-day-launch-2026-12-02.csv"
        );
    }

    proptest! {
        #[test]
        fn any_accept_header_is_read_without_panicking(accept in "\\PC{0,80}") {
            let _ = prefers_csv(&accept);
        }

        /// What the API accepts, the OpenAPI document's patterns allow (the fuzzer's
        /// schema-invalid requests must be refused).
        #[test]
        fn an_accepted_date_or_page_matches_the_documented_pattern(
            raw in "[0-9 +\\-]{0,3}[0-9]{1,4}[-/ ][ +0-9]{1,3}[- ][ +0-9]{1,3}[ 0-9]{0,2}",
            page in "[ +\\-0-9]{0,9}",
        ) {
            let date = regex::Regex::new(r"^\s*([0-9]{4}-[0-9]{2}-[0-9]{2})?\s*$").expect("regex");
            let q = ReportQuery { from: Some(raw.clone()), ..ReportQuery::default() };
            if ReachRequest::parse(&q, None, today()).is_ok() {
                prop_assert!(date.is_match(&raw), "{:?}", raw);
            }
            let number = regex::Regex::new(r"^\s*(\+?[0-9]+)?\s*$").expect("regex");
            let q = ReportQuery { page: Some(page.clone()), ..ReportQuery::default() };
            if ReachRequest::parse(&q, None, today()).is_ok() {
                prop_assert!(number.is_match(&page), "{:?}", page);
            }
        }

        #[test]
        fn any_query_is_a_request_or_an_error_naming_a_known_field(
            q in "((from|to|range|state|chamber|channel|legislator|group_by|format|sort|dir|page)=[a-z0-9_ -]{0,12}&){0,5}"
        ) {
            if let Ok(parsed) = ReportQuery::from_query(&q) {
                match ReachRequest::parse(&parsed, None, today()) {
                    Ok(r) => prop_assert!(r.filter.from.is_none_or(|f| f <= r.filter.to)),
                    Err(e) => prop_assert!([
                        "from", "to", "range", "state", "chamber", "channel", "legislator",
                        "group_by", "format", "sort", "dir", "page"
                    ].contains(&e.field)),
                }
            }
        }
    }
}
