//! `/act`: the supporter's "Email your legislators" step, as pages (no JavaScript needed).

use super::targets::{run_lookup, LookupFailure, TargetsQuery};
use super::AppState;
use crate::civic::LookupError;
use crate::error::PageError;
use crate::pages::{ActPage, FormValues};
use actix_web::http::StatusCode;
use actix_web::{get, web, HttpResponse};
use askama::Template;

/// Builds the lookup query from the raw pairs: checkboxes repeat `manual`, which a plain
/// struct extractor would refuse; repeated values are joined with commas.
fn targets_query(pairs: Vec<(String, String)>) -> TargetsQuery {
    let mut q = TargetsQuery::default();
    let mut manual: Vec<String> = Vec::new();
    for (key, value) in pairs {
        match key.as_str() {
            "address" => q.address = Some(value),
            "street" => q.street = Some(value),
            "city" => q.city = Some(value),
            "state" => q.state = Some(value),
            "zip" => q.zip = Some(value),
            "choice" => q.choice = Some(value),
            "manual" => manual.push(value),
            _ => {}
        }
    }
    if !manual.is_empty() {
        q.manual = Some(manual.join(","));
    }
    q
}

#[get("/act/choose")]
pub async fn choose(
    app: web::Data<AppState>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let q = targets_query(query.into_inner());
    let state = crate::domain::StateCode::parse(q.state.as_deref().unwrap_or(""))
        .map_err(|_| PageError::NotFound("There is no U.S. state with that code.".into()))?;
    let doc = app
        .campaign(&app.settings.campaign.default)
        .await?
        .ok_or_else(|| PageError::NotFound("This campaign is not set up yet.".into()))?;
    let people = app.store.legislators_of_state(state, None).await?;
    let page = crate::pages::lookup::ChoosePage::build(&doc, state, &people);
    Ok(html(StatusCode::OK, page.render()?))
}

#[get("/act")]
pub async fn act(
    req: actix_web::HttpRequest,
    app: web::Data<AppState>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let slug = &app.settings.campaign.default;
    let doc = app
        .campaign(slug)
        .await?
        .ok_or_else(|| PageError::NotFound("This campaign is not set up yet.".into()))?;
    let q = targets_query(query.into_inner());
    let form = FormValues {
        address: q.address.clone().unwrap_or_default(),
        street: q.street.clone().unwrap_or_default(),
        city: q.city.clone().unwrap_or_default(),
        state: q.state.clone().unwrap_or_default(),
        zip: q.zip.clone().unwrap_or_default(),
    };
    let page = ActPage::new(&doc, form).with_directory_notice(directory_notice(&app).await);
    let asked = [&q.address, &q.street, &q.city, &q.zip, &q.choice, &q.manual]
        .iter()
        .any(|f| f.is_some());
    if !asked {
        return Ok(html(StatusCode::OK, page.render()?));
    }
    app.limits
        .check_lookup(req.peer_addr().map(|a| a.ip()))
        .map_err(|e| PageError::TooManyRequests(e.to_string()))?;
    match run_lookup(&app.locator, &q).await {
        Ok(lookup) => Ok(html(
            StatusCode::OK,
            page.with_result(&doc, &lookup)
                .with_write_form(super::drafts::write_form(&q, &lookup))
                .render()?,
        )),
        Err(LookupFailure::Lookup(LookupError::Directory(err))) => Err(err.into()),
        Err(failure) => {
            let status = match &failure {
                LookupFailure::Lookup(LookupError::Unavailable(_)) => {
                    StatusCode::SERVICE_UNAVAILABLE
                }
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            let field = failure.field();
            let page = page.with_error(field, failure.to_string());
            Ok(html(status, page.render()?))
        }
    }
}

fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body)
}

/// Tells supporters when the legislator list may be out of date (or missing).
async fn directory_notice(app: &AppState) -> Option<String> {
    let max_age = app.settings.directory.max_age_days;
    match app.store.directory_status().await {
        Ok(Some(dir)) if dir.is_stale(max_age, chrono::Utc::now()) => Some(format!(
            "Our list of legislators was last updated on {}. Recent changes (special elections, \
             resignations) may be missing.",
            dir.synced_at.format("%B %-d, %Y")
        )),
        Ok(Some(_)) => None,
        Ok(None) => Some(
            "Our list of legislators has not been loaded yet, so we cannot name your legislators \
             right now."
                .to_string(),
        ),
        Err(err) => {
            tracing::warn!(error = %err, "directory status failed");
            None
        }
    }
}
