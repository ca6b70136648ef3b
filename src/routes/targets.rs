//! `GET /api/v1/campaigns/{slug}/targets`: who represents an address, with the state's scorecard.

use super::AppState;
use crate::civic::{Locator, Lookup, LookupError};
use crate::domain::{Address, AddressError, AddressInput, StateCode};
use crate::error::ApiError;
use actix_web::{get, web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

/// Query of a lookup: an address (one line, parts, or a ZIP), a `choice` token from an
/// ambiguous answer, or `state` + `manual` legislator ids picked from the directory.
#[derive(Debug, Default, Deserialize)]
pub struct TargetsQuery {
    pub address: Option<String>,
    pub street: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub zip: Option<String>,
    pub choice: Option<String>,
    /// Comma-separated legislator ids (with `state`): the supporter chose them by hand.
    pub manual: Option<String>,
}

/// Why a lookup gave no answer, with the form field to show it next to.
#[derive(Debug, thiserror::Error)]
pub enum LookupFailure {
    #[error(transparent)]
    Address(#[from] AddressError),
    #[error(transparent)]
    Lookup(#[from] LookupError),
}

impl LookupFailure {
    pub fn field(&self) -> &'static str {
        match self {
            LookupFailure::Address(e) => e.field(),
            LookupFailure::Lookup(_) => "address",
        }
    }
}

impl From<LookupFailure> for ApiError {
    fn from(err: LookupFailure) -> Self {
        match err {
            LookupFailure::Address(e) => ApiError::Unprocessable(e.to_string()),
            LookupFailure::Lookup(e) => e.into(),
        }
    }
}

/// Runs whichever kind of lookup the query asks for. Shared by the API and the pages.
pub async fn run_lookup(locator: &Locator, q: &TargetsQuery) -> Result<Lookup, LookupFailure> {
    if let Some(token) = q.choice.as_deref().filter(|t| !t.trim().is_empty()) {
        return Ok(locator.resolve_choice(token.trim()).await?);
    }
    if let Some(ids) = q.manual.as_deref().filter(|m| !m.trim().is_empty()) {
        let state = StateCode::parse(q.state.as_deref().unwrap_or(""))
            .map_err(|e| AddressError::BadState(e.to_string()))?;
        let ids: Vec<String> = ids
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        return Ok(locator.lookup_manual(state, &ids).await?);
    }
    let address = Address::parse(&AddressInput {
        address: q.address.clone(),
        street: q.street.clone(),
        city: q.city.clone(),
        state: q.state.clone(),
        zip: q.zip.clone(),
    })?;
    Ok(locator.lookup(&address).await?)
}

#[get("/campaigns/{slug}/targets")]
pub async fn targets(
    req: actix_web::HttpRequest,
    app: web::Data<AppState>,
    slug: web::Path<String>,
    query: web::Query<TargetsQuery>,
) -> Result<HttpResponse, ApiError> {
    let doc = app.campaign(&slug).await?.ok_or_else(|| {
        ApiError::NotFound(format!(
            "no campaign `{}`",
            slug.chars().take(60).collect::<String>()
        ))
    })?;
    app.limits
        .check_lookup(req.peer_addr().map(|a| a.ip()))
        .map_err(|e| ApiError::TooManyRequests(e.to_string()))?;
    let lookup = run_lookup(&app.locator, &query).await?;
    Ok(HttpResponse::Ok().json(json!({
        "state": lookup.state,
        "zip": lookup.zip,
        "accuracy": lookup.accuracy,
        "warnings": lookup.warnings,
        "targets": lookup.targets,
        "choices": lookup.choices,
        "scorecard": doc.scorecard(lookup.state),
    })))
}
