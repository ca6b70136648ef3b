//! The message template editor (any role reads; editors and admins change):
//! - `GET /staff/templates`: to the campaign this service runs;
//! - `GET /staff/campaigns/{slug}/templates`: both audiences, each with its current version;
//! - [`edit`]: `GET/POST /staff/campaigns/{slug}/templates/{audience}`: the form (subject,
//!   body, note), the merge fields, and Preview, Save, Discard;
//! - [`history`]: `GET .../{audience}/versions` (every version, a diff between any two) and
//!   `POST .../{audience}/versions/{n}/restore`.
//!
//! The work is `messages::editor`'s (the command line uses it too): these handlers read the
//! request, call it, and render.

pub mod edit;
pub mod form;
pub mod history;

use super::auth::{Organiser, Signed};
use super::view::{self, render, Bar};
use crate::messages::{editor, Audience, TemplateVersion, SEED_AUTHOR};
use crate::scorecard::CampaignDoc;
use crate::staff::Actor;
use crate::store::StoreError;
use crate::web::error::{no_campaign, PageError};
use crate::web::respond::see_other;
use crate::web::site::Site;
use crate::web::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, web, HttpResponse};
use askama::Template;
use std::collections::HashMap;
use std::sync::Arc;

/// The campaign named by the path, or the 404 page.
async fn campaign(app: &AppState, slug: &str) -> Result<Arc<CampaignDoc>, PageError> {
    app.campaign(slug)
        .await?
        .ok_or_else(|| no_campaign(slug).into())
}

/// The audience named by the path.
/// The pairs of the request's query string (an unreadable query reads as none).
fn query_pairs(req: &actix_web::HttpRequest) -> Vec<(String, String)> {
    web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .map(|q| q.into_inner())
        .unwrap_or_default()
}

fn audience(raw: &str) -> Option<Audience> {
    Audience::parse(raw)
}

/// The 404 page of an unknown audience.
fn no_template() -> PageError {
    PageError::not_found("There is no such template: the templates are state and federal.")
}

/// Who the template is for, as staff read it.
fn audience_label(audience: Audience) -> &'static str {
    match audience {
        Audience::State => "State legislators",
        Audience::Federal => "Members of Congress",
    }
}

/// The editor page's path.
fn edit_path(slug: &str, audience: Audience) -> String {
    format!("/staff/campaigns/{slug}/templates/{}", audience.as_str())
}

/// Times as the pages show them.
fn when(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%-d %B %Y, %H:%M UTC").to_string()
}

/// Authors as the pages show them: a staff member's email, "command line", "seed" (looked up
/// once per page).
#[derive(Default)]
struct Authors(HashMap<String, String>);

impl Authors {
    async fn name(&mut self, app: &AppState, author: &str) -> Result<String, StoreError> {
        if let Some(name) = self.0.get(author) {
            return Ok(name.clone());
        }
        let name = match Actor::parse(author) {
            Some(Actor::Staff(id)) => match app.store.staff_person(id).await? {
                Some(found) => found.person.email,
                None => format!("staff member {id}"),
            },
            Some(Actor::Cli) => "command line".to_string(),
            _ if author == SEED_AUTHOR => "seed (the built-in template)".to_string(),
            _ => author.to_string(),
        };
        self.0.insert(author.to_string(), name.clone());
        Ok(name)
    }
}

/// A version as the pages list it.
#[derive(Debug, Clone)]
pub struct VersionRow {
    pub version: i64,
    pub author: String,
    pub at: String,
    /// Empty when the author left none.
    pub note: String,
}

impl VersionRow {
    async fn of(
        app: &AppState,
        authors: &mut Authors,
        v: &TemplateVersion,
    ) -> Result<VersionRow, StoreError> {
        Ok(VersionRow {
            version: v.template.version,
            author: authors.name(app, &v.author).await?,
            at: when(v.template.created_at),
            note: v.note.clone().unwrap_or_default(),
        })
    }
}

/// One audience on the list page.
#[derive(Debug, Clone)]
pub struct AudienceRow {
    pub audience: &'static str,
    pub label: &'static str,
    pub subject: String,
    pub current: VersionRow,
}

#[derive(Template)]
#[template(path = "staff/templates.html")]
pub struct ListPage {
    pub site: Site,
    pub title: String,
    pub bar: Bar,
    pub slug: String,
    pub campaign_title: String,
    pub rows: Vec<AudienceRow>,
}

#[get("/templates")]
pub async fn default_campaign(
    app: web::Data<AppState>,
    _signed: Signed<Organiser>,
) -> HttpResponse {
    see_other(&format!(
        "/staff/campaigns/{}/templates",
        app.settings.campaign.default
    ))
}

#[get("/campaigns/{slug}/templates")]
pub async fn list(
    app: web::Data<AppState>,
    signed: Signed<Organiser>,
    slug: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let doc = campaign(&app, &slug).await?;
    let mut authors = Authors::default();
    let mut rows = Vec::new();
    for audience in Audience::ALL {
        let current = editor::current(&app.store, &slug, audience).await?;
        rows.push(AudienceRow {
            audience: audience.as_str(),
            label: audience_label(audience),
            subject: current.template.subject.clone(),
            current: VersionRow::of(&app, &mut authors, &current).await?,
        });
    }
    let view = ListPage {
        site: view::site(&app).await,
        title: format!("Message templates · {}", doc.campaign.title),
        bar: Bar::of(&signed),
        slug: doc.campaign.slug.clone(),
        campaign_title: doc.campaign.title.clone(),
        rows,
    };
    Ok(render(StatusCode::OK, &view)?)
}
