//! The public counter in the workspace:
//! - `GET /staff/campaigns/{slug}/counter` (any role): the figures the public counter shows,
//!   the badge, how to embed it, and the goal;
//! - `POST` of the same path (editor): `goal` sets the campaign's goal (a whole number from 1
//!   to 1,000,000,000, commas allowed; empty clears it), audited as `campaign.goal_set` with
//!   the old and new value; bad input is refused with the reason and changes nothing.

use super::auth::{Editor, NeedsRole, Organiser, Signed};
use super::view::{self, render, Bar};
use crate::staff::audit::{action, NewAudit};
use crate::staff::Role;
use crate::stats::{self, thousands, Counter};
use crate::store::GoalChange;
use crate::web::error::{no_campaign, PageError};
use crate::web::extract::Posted;
use crate::web::respond::see_other;
use crate::web::site::Site;
use crate::web::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "staff/counter.html")]
pub struct CounterPage {
    pub site: Site,
    pub title: String,
    pub bar: Bar,
    pub slug: String,
    pub campaign: String,
    pub can_edit: bool,
    pub total: String,
    pub last_24h: String,
    /// The goal as stored, with separators; `None` without one.
    pub goal: Option<String>,
    /// The figure in words (the badge's title).
    pub in_words: String,
    /// What the goal field shows: the stored goal, or what was typed when refused.
    pub goal_input: String,
    pub error: Option<String>,
    /// The change just saved: "The goal is now 20,000." or "The goal is cleared."
    pub saved: Option<String>,
    /// The badge's absolute address and the JSON's, for the embed snippet.
    pub badge_url: String,
    pub json_url: String,
}

#[derive(Debug, Deserialize)]
pub struct CounterQuery {
    saved: Option<String>,
}

fn goal_words(goal: Option<i64>) -> String {
    match goal {
        Some(g) => format!("{} messages", thousands(g)),
        None => "no goal".to_string(),
    }
}

/// The summary of a change, for the audit log: "goal 20,000 messages -> no goal".
fn audit_summary(change: GoalChange) -> String {
    format!(
        "goal {} -> {}",
        goal_words(change.old),
        goal_words(change.new)
    )
}

#[allow(clippy::too_many_arguments)]
async fn counter_page<R: NeedsRole>(
    app: &AppState,
    signed: &Signed<R>,
    slug: &str,
    status: StatusCode,
    goal_input: Option<String>,
    error: Option<String>,
    saved: Option<String>,
) -> Result<HttpResponse, PageError> {
    let doc = app
        .campaign(slug)
        .await?
        .ok_or_else(|| PageError::from(no_campaign(slug)))?;
    let counter: Counter = stats::counter::counter(&app.store, slug, chrono::Utc::now())
        .await?
        .ok_or_else(|| PageError::from(no_campaign(slug)))?;
    let slug = doc.campaign.slug.clone();
    let view = CounterPage {
        site: view::site(app).await,
        title: "Public counter".to_string(),
        bar: Bar::of(signed),
        campaign: doc.campaign.title.clone(),
        can_edit: signed.person.role.allows(Role::Editor),
        total: thousands(counter.total),
        last_24h: thousands(counter.last_24h),
        goal: counter.goal.map(thousands),
        in_words: counter.in_words(),
        goal_input: goal_input.unwrap_or_else(|| counter.goal.map(thousands).unwrap_or_default()),
        error,
        saved,
        badge_url: app
            .settings
            .server
            .link(&format!("/campaigns/{slug}/counter.svg")),
        json_url: app
            .settings
            .server
            .link(&format!("/api/v1/campaigns/{slug}/counter")),
        slug,
    };
    Ok(render(status, &view)?)
}

#[get("/campaigns/{slug}/counter")]
pub async fn page(
    app: web::Data<AppState>,
    signed: Signed<Organiser>,
    slug: web::Path<String>,
    query: web::Query<CounterQuery>,
) -> Result<HttpResponse, PageError> {
    let saved = match query.saved.as_deref() {
        Some("set") => Some("The goal is saved.".to_string()),
        Some("cleared") => Some("The goal is cleared: the counter shows no goal.".to_string()),
        Some("unchanged") => Some("The goal was already that, so nothing changed.".to_string()),
        _ => None,
    };
    counter_page(&app, &signed, &slug, StatusCode::OK, None, None, saved).await
}

#[post("/campaigns/{slug}/counter")]
pub async fn set_goal(
    app: web::Data<AppState>,
    signed: Signed<Editor>,
    slug: web::Path<String>,
    posted: Posted,
) -> Result<HttpResponse, PageError> {
    let slug = slug.into_inner();
    let typed = posted.text("goal");
    let goal = match stats::parse_goal(&typed) {
        Ok(goal) => goal,
        Err(e) => {
            let message = format!("{e} Nothing was changed.");
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            let typed: String = typed.chars().take(40).collect();
            return counter_page(
                &app,
                &signed,
                &slug,
                status,
                Some(typed),
                Some(message),
                None,
            )
            .await;
        }
    };
    let origin = signed.origin();
    let now = chrono::Utc::now();
    let change = app
        .store
        .set_campaign_goal(&slug, goal, |change| {
            NewAudit::new(
                now,
                origin,
                action::CAMPAIGN_GOAL_SET,
                format!("campaign:{slug}"),
                audit_summary(change),
            )
        })
        .await?
        .ok_or_else(|| PageError::from(no_campaign(&slug)))?;
    tracing::info!(campaign = %slug, changed = change.changed(), "campaign goal set");
    let saved = match (change.changed(), change.new) {
        (false, _) => "unchanged",
        (true, Some(_)) => "set",
        (true, None) => "cleared",
    };
    Ok(see_other(&format!(
        "/staff/campaigns/{slug}/counter?saved={saved}"
    )))
}
