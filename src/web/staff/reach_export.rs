//! The dashboard's CSV downloads (organisers and up), with the dashboard's query string (the
//! filters; `sort` and `dir` order the legislator table; `page` and anything else are ignored: a
//! download is the whole table); a bad parameter is a 400 page naming it, an unknown table or
//! campaign 404:
//! - `GET /staff/campaigns/{slug}/reach/{group}.csv`: a reach table, `{group}` one of `day`,
//!   `state`, `legislator`, `channel`, `template_version`. The same CSV as the reach API's,
//!   streamed from the database;
//! - `GET /staff/campaigns/{slug}/reach/health/{table}.csv`: a delivery health table, `{table}`
//!   one of `status`, `causes`, `domains`, `replies`: the rows the page shows (read through the
//!   same `Store::delivery_health_for`; replies redacted and bounded as there).
//!
//! Both are encoded by `respond::csv_table` (the one CSV encoder, formula cells escaped).

use super::auth::{Organiser, Signed};
use crate::outbox::health::HealthTable;
use crate::stats::reach::{GroupBy, Page, ReachFilter};
use crate::web::api::reach::{csv_filename, download_filename, ReportQuery};
use crate::web::error::{no_campaign, PageError, Problem};
use crate::web::respond::{csv_report, csv_table};
use crate::web::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, web, HttpRequest, HttpResponse};
use futures_util::stream;
use std::convert::Infallible;

/// The filters and the legislator table's order of a download's query string.
fn read_query(req: &HttpRequest) -> Result<(ReachFilter, Page), Problem> {
    let query = ReportQuery::from_query(req.query_string()).map_err(|_| {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "The address of this download is not valid: a filter is given twice or cannot be read.",
        )
    })?;
    let filter = ReachFilter::parse(&query.params(), chrono::Utc::now().date_naive())?;
    let order = Page::parse(query.sort.as_deref(), query.dir.as_deref(), None)?;
    Ok((filter, order))
}

#[get("/campaigns/{slug}/reach/{group}.csv")]
pub async fn download(
    app: web::Data<AppState>,
    _signed: Signed<Organiser>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let (slug, group) = path.into_inner();
    let group = GroupBy::parse(&group)
        .map_err(|_| PageError::not_found("There is no such reach table to download."))?;
    let (filter, order) = read_query(&req)?;
    let rows = app
        .store
        .reach_stream_ordered(&slug, &filter, group, order)
        .await?
        .ok_or_else(|| PageError::from(no_campaign(&slug)))?;
    Ok(csv_report(csv_filename(&slug, group, &filter), group, rows))
}

#[get("/campaigns/{slug}/reach/health/{table}.csv")]
pub async fn health(
    app: web::Data<AppState>,
    _signed: Signed<Organiser>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let (slug, table) = path.into_inner();
    let table = HealthTable::parse(&table).ok_or_else(|| {
        PageError::not_found("There is no such delivery health table to download.")
    })?;
    let (filter, _) = read_query(&req)?;
    let health = app
        .store
        .delivery_health_for(&slug, &filter, chrono::Utc::now().timestamp())
        .await?
        .ok_or_else(|| PageError::from(no_campaign(&slug)))?;
    let name = download_filename(&slug, &format!("health-{}", table.as_str()), &filter);
    let rows = table.records(&health).into_iter().map(Ok::<_, Infallible>);
    Ok(csv_table(name, table.header(), stream::iter(rows)))
}
