//! The reach dashboard (organisers and above):
//! - `GET /staff/reach`: to the running campaign's dashboard (the bar's link);
//! - `GET /staff/campaigns/{slug}/reach`: headline figures, by day (chart and table), by state
//!   (tile map and table), by legislator (sortable, paged), by template version, and delivery
//!   health, for one range and set of filters (`ReachParams`; the legislator table also takes
//!   `sort`, `dir`, `page`). A bad parameter: 400, the form with the error beside its field;
//! - `GET /staff/campaigns/{slug}/reach/legislators/{id}`: one office's headline and days (the
//!   id percent-encoded in the path: ids hold `/` and `:`); 404 for an office never counted.
//!
//! Every link keeps the filters: query strings are built by [`query`] alone. The figures are
//! read through `Store::reach` and `Store::reach_summary`, as the CSV downloads and the API are.

pub mod chart;
mod view;

use super::auth::{Organiser, Signed};
use super::view::{render, Bar};
use crate::outbox::health::HealthTable;
use crate::stats::reach::{Page, ReachFilter, ReachParamError, ReachParams};
use crate::web::error::{no_campaign, PageError};
use crate::web::respond::see_other;
use crate::web::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, web, HttpRequest, HttpResponse};
use chrono::Utc;
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::Deserialize;

pub use view::{DashboardPage, LegislatorPage};

/// What a path segment keeps as it is: letters, digits and `-_.~`; everything else (`/`, `:`)
/// is percent-encoded.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The dashboard's query string: the filters and the legislator table's order and page.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DashboardQuery {
    #[serde(flatten)]
    pub filter: ReachParams,
    pub sort: Option<String>,
    pub dir: Option<String>,
    pub page: Option<String>,
}

/// The query string (without `?`) asking for `filter` again, then `extra` pairs (the table's
/// order and page): every link and download of the reach pages is built here.
pub fn query(filter: &ReachFilter, extra: &[(&str, &str)]) -> String {
    let base = serde_urlencoded::to_string(filter.to_params()).unwrap_or_default();
    let extra = serde_urlencoded::to_string(extra).unwrap_or_default();
    match (base.is_empty(), extra.is_empty()) {
        (_, true) => base,
        (true, false) => extra,
        (false, false) => format!("{base}&{extra}"),
    }
}

/// The dashboard's path.
pub fn dashboard_path(slug: &str) -> String {
    format!("/staff/campaigns/{slug}/reach")
}

/// The legislator page's path, the id percent-encoded as one segment.
pub fn legislator_path(slug: &str, id: &str) -> String {
    format!(
        "/staff/campaigns/{slug}/reach/legislators/{}",
        utf8_percent_encode(id, SEGMENT)
    )
}

/// A CSV download of `group` for `filter`.
pub fn csv_path(slug: &str, group: &str, filter: &ReachFilter) -> String {
    format!(
        "/staff/campaigns/{slug}/reach/{group}.csv?{}",
        query(filter, &[])
    )
}

/// A CSV download of delivery health table `table` for `filter`.
pub fn health_csv_path(slug: &str, table: HealthTable, filter: &ReachFilter) -> String {
    format!(
        "/staff/campaigns/{slug}/reach/health/{}.csv?{}",
        table.as_str(),
        query(filter, &[])
    )
}

/// The request's query read into `T`; an unreadable one (a key given twice) is a field error.
fn read_query<T: for<'de> Deserialize<'de> + Default>(
    req: &HttpRequest,
) -> Result<T, ReachParamError> {
    web::Query::<T>::from_query(req.query_string())
        .map(|q| q.into_inner())
        .map_err(|_| ReachParamError {
            field: "query",
            message: "the query string could not be read (is a field given twice?)".to_string(),
        })
}

#[get("/reach")]
pub async fn default_campaign(
    app: web::Data<AppState>,
    _signed: Signed<Organiser>,
) -> HttpResponse {
    see_other(&dashboard_path(&app.settings.campaign.default))
}

#[get("/campaigns/{slug}/reach")]
pub async fn dashboard(
    req: HttpRequest,
    app: web::Data<AppState>,
    signed: Signed<Organiser>,
    slug: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let doc = app
        .campaign(&slug)
        .await?
        .ok_or_else(|| PageError::from(no_campaign(&slug)))?;
    let today = Utc::now().date_naive();
    let raw: Result<DashboardQuery, _> = read_query(&req);
    let params = raw.as_ref().map(|q| q.filter.clone()).unwrap_or_default();
    let parsed = raw.and_then(|q| {
        let filter = ReachFilter::parse(&q.filter, today)?;
        let page = Page::parse(q.sort.as_deref(), q.dir.as_deref(), q.page.as_deref())?;
        Ok((filter, page))
    });
    let (view, status) = match parsed {
        Ok((filter, page)) => (
            view::dashboard(&app, Bar::of(&signed), &doc, filter, page).await?,
            StatusCode::OK,
        ),
        Err(error) => (
            view::dashboard_refused(&app, Bar::of(&signed), &doc, &params, error, today).await,
            StatusCode::BAD_REQUEST,
        ),
    };
    Ok(render(status, &view)?)
}

#[get("/campaigns/{slug}/reach/legislators/{id}")]
pub async fn legislator(
    req: HttpRequest,
    app: web::Data<AppState>,
    signed: Signed<Organiser>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let (slug, _) = path.into_inner();
    let doc = app
        .campaign(&slug)
        .await?
        .ok_or_else(|| PageError::from(no_campaign(&slug)))?;
    // The raw segment, decoded once here (an encoded `/` must not split it).
    let raw_id = req.uri().path().rsplit('/').next().unwrap_or_default();
    let id = percent_decode_str(raw_id)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| PageError::not_found("There is no such office in this campaign's reach."))?;
    let today = Utc::now().date_naive();
    let raw: Result<ReachParams, _> = read_query(&req);
    let params = raw.as_ref().cloned().unwrap_or_default();
    let parsed = raw.and_then(|p| ReachFilter::parse(&p, today));
    let (view, status) = match parsed {
        Ok(filter) => (
            view::legislator(&app, Bar::of(&signed), &doc, &id, filter, today).await?,
            StatusCode::OK,
        ),
        Err(error) => (
            view::legislator_refused(&app, Bar::of(&signed), &doc, &id, &params, error, today)
                .await?,
            StatusCode::BAD_REQUEST,
        ),
    };
    Ok(render(status, &view)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn queries_keep_every_filter_and_extras_follow() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).expect("day");
        let params = ReachParams {
            range: Some("7".into()),
            state: Some("ma".into()),
            channel: Some("sent".into()),
            ..Default::default()
        };
        let f = ReachFilter::parse(&params, today).expect("parses");
        assert_eq!(
            query(&f, &[("sort", "office"), ("page", "2")]),
            "range=7&state=MA&channel=sent&sort=office&page=2"
        );
    }

    proptest! {
        #[test]
        fn legislator_ids_survive_the_path(id in "\\PC{1,60}") {
            let path = legislator_path("c", &id);
            let segment = path.rsplit('/').next().expect("segment");
            prop_assert!(!segment.contains(':'));
            let back = percent_decode_str(segment).decode_utf8().expect("utf8");
            prop_assert_eq!(back.as_ref(), id.as_str());
        }
    }
}
