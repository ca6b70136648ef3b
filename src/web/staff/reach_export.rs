//! `GET /staff/campaigns/{slug}/reach/{group}.csv` (organisers and up): a reach table of the
//! dashboard as CSV, with the dashboard's query string (the filters; `sort` and `dir` order the
//! legislator table; `page` and anything else are ignored: a download is the whole table).
//! `{group}` is `day`, `state`, `legislator`, `channel` or `template_version`. The same CSV as
//! the reach API's, streamed from the database; a bad parameter is a 400 page naming it.

use super::auth::{Organiser, Signed};
use crate::stats::reach::{GroupBy, Page, ReachFilter};
use crate::web::api::reach::{csv_filename, ReportQuery};
use crate::web::error::{no_campaign, PageError, Problem};
use crate::web::respond::csv_report;
use crate::web::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, web, HttpRequest, HttpResponse};

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
    let query = ReportQuery::from_query(req.query_string()).map_err(|_| {
        PageError::from(Problem::new(
            StatusCode::BAD_REQUEST,
            "The address of this download is not valid: a filter is given twice or cannot be read.",
        ))
    })?;
    let filter = ReachFilter::parse(&query.params(), chrono::Utc::now().date_naive())?;
    let order = Page::parse(query.sort.as_deref(), query.dir.as_deref(), None)?;
    let rows = app
        .store
        .reach_stream_ordered(&slug, &filter, group, order)
        .await?
        .ok_or_else(|| PageError::from(no_campaign(&slug)))?;
    Ok(csv_report(csv_filename(&slug, group, &filter), group, rows))
}
