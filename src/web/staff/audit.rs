//! `GET /staff/audit`: the audit log, newest first, filtered by actor (`staff:ID`, `cli`,
//! `anonymous`), action, and a day range (`from`, `to`, inclusive, `YYYY-MM-DD`, UTC), a page
//! at a time (`before`: the id the previous page ended at). Admins only.

use super::auth::{Admin, Signed};
use super::view::{self, render, Bar};
use crate::staff::audit::DEFAULT_PAGE;
use crate::staff::{Actor, AuditFilter};
use crate::web::error::PageError;
use crate::web::site::Site;
use crate::web::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, web, HttpResponse};
use askama::Template;
use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::Deserialize;

/// The filters as typed (shown back in the form).
#[derive(Debug, Default, Clone, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub before: Option<i64>,
}

/// One row of the log.
#[derive(Debug, Clone)]
pub struct AuditRow {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub client_addr: String,
    pub action: String,
    pub object: String,
    pub summary: String,
}

#[derive(Template)]
#[template(path = "staff/audit.html")]
pub struct AuditPage {
    pub site: Site,
    pub title: String,
    pub bar: Bar,
    pub query: AuditQuery,
    /// Each filter that could not be read: (field, message).
    pub errors: Vec<(&'static str, String)>,
    pub rows: Vec<AuditRow>,
    /// The next (older) page's link, when there may be one.
    pub older: Option<String>,
}

impl AuditPage {
    /// Whether `field` has an error (for `aria-invalid`).
    pub fn invalid(&self, field: &str) -> bool {
        self.errors.iter().any(|(f, _)| *f == field)
    }
}

fn day(raw: &str) -> Option<Result<DateTime<Utc>, ()>> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    Some(
        NaiveDate::parse_from_str(raw, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc())
            .ok_or(()),
    )
}

/// The store's filter from the query, and the errors of the filters that were ignored.
fn filter(q: &AuditQuery) -> (AuditFilter, Vec<(&'static str, String)>) {
    let mut errors = Vec::new();
    let mut f = AuditFilter {
        limit: DEFAULT_PAGE,
        before_id: q.before,
        ..AuditFilter::default()
    };
    let actor = q.actor.trim();
    if !actor.is_empty() {
        match Actor::parse(actor) {
            Some(a) => f.actor = Some(a),
            None => errors.push((
                "actor",
                "An actor is staff:ID (e.g. staff:3), cli or anonymous.".to_string(),
            )),
        }
    }
    let action = q.action.trim();
    if !action.is_empty() {
        f.action = Some(action.chars().take(64).collect());
    }
    match day(&q.from) {
        Some(Ok(t)) => f.from = Some(t),
        Some(Err(())) => errors.push(("from", "A date is YYYY-MM-DD.".to_string())),
        None => {}
    }
    match day(&q.to) {
        // Inclusive: up to the start of the next day.
        Some(Ok(t)) => f.until = t.checked_add_days(Days::new(1)),
        Some(Err(())) => errors.push(("to", "A date is YYYY-MM-DD.".to_string())),
        None => {}
    }
    (f, errors)
}

fn older_link(q: &AuditQuery, last_id: i64) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("actor", q.actor.trim())
        .append_pair("action", q.action.trim())
        .append_pair("from", q.from.trim())
        .append_pair("to", q.to.trim())
        .append_pair("before", &last_id.to_string())
        .finish();
    format!("/staff/audit?{query}")
}

#[get("/audit")]
pub async fn page(
    app: web::Data<AppState>,
    signed: Signed<Admin>,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, PageError> {
    let query = query.into_inner();
    let (filter, errors) = filter(&query);
    let entries = app.staff.audit_log(signed.origin(), &filter).await?;
    let older = (entries.len() == filter.page_size() as usize)
        .then(|| entries.last().map(|e| older_link(&query, e.id)))
        .flatten();
    let rows = entries
        .into_iter()
        .map(|e| AuditRow {
            id: e.id,
            at: e.at.format("%Y-%m-%d %H:%M:%S").to_string(),
            actor: e.actor,
            client_addr: e.client_addr.unwrap_or_default(),
            action: e.action,
            object: e.object,
            summary: e.summary,
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let view = AuditPage {
        site: view::site(&app).await,
        title: "Audit log".to_string(),
        bar: Bar::of(&signed),
        query,
        errors,
        rows,
        older,
    };
    Ok(render(status, &view)?)
}
