//! A campaign's delivery limits in the workspace:
//! - `GET /staff/campaigns/{slug}/caps` (any role): the hourly cap per office (the setting,
//!   the campaign's default, offices of their own) and how many messages wait on the caps;
//! - `POST` of the same path (editor): `per_hour` (0 to 10,000; 0 is no limit) for `office`
//!   (a legislator id from the directory; empty: the campaign's default);
//! - `POST .../caps/remove` (editor): removes the override of `office` (empty: the default).
//!
//! Each change is audited as `campaign.delivery_cap_set` with the old and new value, and makes
//! the messages waiting on it due again, so the next claim weighs them against the new cap.
//! Bad input is refused with the reason (422) and changes nothing.

use super::auth::{Editor, NeedsRole, Organiser, Signed};
use super::view::{self, render, Bar};
use crate::outbox::caps::{parse_office, parse_per_hour, CapInputError, MAX_CAP};
use crate::staff::audit::{action, NewAudit};
use crate::staff::Permission;
use crate::stats::thousands;
use crate::store::{CapChange, CapSaved};
use crate::web::error::{no_campaign, PageError};
use crate::web::extract::Posted;
use crate::web::respond::see_other;
use crate::web::site::Site;
use crate::web::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use askama::Template;
use serde::Deserialize;

/// One office's own cap as listed.
#[derive(Debug, Clone)]
pub struct OfficeLine {
    pub id: String,
    /// "Name, title (state)", or the id alone for an office no longer known.
    pub label: String,
    pub per_hour: String,
    pub waiting: i64,
}

#[derive(Template)]
#[template(path = "staff/caps.html")]
pub struct CapsPage {
    pub site: Site,
    pub title: String,
    pub bar: Bar,
    pub slug: String,
    pub campaign: String,
    pub can_edit: bool,
    /// The server's setting, in words ("30 messages an hour", "no limit").
    pub setting: String,
    /// The campaign's default override, in words, if set.
    pub default: Option<String>,
    /// The cap every office without its own has, in words.
    pub effective_default: String,
    pub offices: Vec<OfficeLine>,
    pub waiting_office_cap: i64,
    pub waiting_global_rate: i64,
    /// The global rate setting, in words.
    pub rate: String,
    /// What the forms show: typed values when refused.
    pub default_input: String,
    pub office_input: String,
    pub office_cap_input: String,
    /// A refusal: which form (`default` or `office`), the field and why.
    pub error: Option<FormError>,
    /// The id of the input the refusal is about (empty without one).
    pub invalid: &'static str,
    pub saved: Option<String>,
    pub max: String,
}

/// A refused form.
#[derive(Debug, Clone)]
pub struct FormError {
    /// `default` or `office`: the form the input came from.
    pub form: &'static str,
    /// The id of the input it is about.
    pub input: &'static str,
    pub message: String,
}

#[derive(Debug, Deserialize)]
pub struct CapsQuery {
    saved: Option<String>,
}

fn per_hour_words(n: Option<u32>) -> String {
    match n {
        None => "the server's setting".to_string(),
        Some(0) => "no limit".to_string(),
        Some(1) => "1 message an hour".to_string(),
        Some(n) => format!("{} messages an hour", thousands(i64::from(n))),
    }
}

/// The audit summary: "bioguide:M000133: 30 messages an hour -> no limit".
fn audit_summary(office: Option<&str>, change: CapChange) -> String {
    format!(
        "{}: {} -> {}",
        office.unwrap_or("campaign default"),
        per_hour_words(change.old),
        per_hour_words(change.new)
    )
}

/// What was typed into the forms, and the refusal, for a page shown again.
#[derive(Debug, Default)]
struct Typed {
    default: String,
    office: String,
    office_cap: String,
    error: Option<FormError>,
}

async fn caps_page<R: NeedsRole>(
    app: &AppState,
    signed: &Signed<R>,
    slug: &str,
    status: StatusCode,
    typed: Typed,
    saved: Option<String>,
) -> Result<HttpResponse, PageError> {
    let missing = || PageError::from(no_campaign(slug));
    let doc = app.campaign(slug).await?.ok_or_else(missing)?;
    let caps = app.store.campaign_caps(slug).await?.ok_or_else(missing)?;
    let setting = app.settings.limits.office_per_hour;
    let cap = |n: i64| u32::try_from(n).ok();
    let default = caps.default.and_then(cap);
    let offices = caps
        .offices
        .iter()
        .map(|o| OfficeLine {
            id: o.legislator_id.clone(),
            label: match (&o.name, &o.title, &o.state) {
                (Some(n), Some(t), Some(s)) => format!("{n}, {t} ({s})"),
                (Some(n), _, _) => n.clone(),
                _ => o.legislator_id.clone(),
            },
            per_hour: per_hour_words(cap(o.per_hour)),
            waiting: o.waiting,
        })
        .collect();
    let rate = match app.settings.limits.deliveries_per_minute {
        0 => "no limit".to_string(),
        n => format!("{} mails a minute", thousands(i64::from(n))),
    };
    let view = CapsPage {
        site: view::site(app).await,
        title: "Delivery limits".to_string(),
        bar: Bar::of(signed),
        slug: doc.campaign.slug.clone(),
        campaign: doc.campaign.title.clone(),
        can_edit: signed.person.role.can(Permission::SetDeliveryCaps),
        setting: per_hour_words(Some(setting)),
        default: default.map(|d| per_hour_words(Some(d))),
        effective_default: per_hour_words(Some(default.unwrap_or(setting))),
        offices,
        waiting_office_cap: caps.waiting_office_cap,
        waiting_global_rate: caps.waiting_global_rate,
        rate,
        default_input: if typed.error.as_ref().is_some_and(|e| e.form == "default") {
            typed.default
        } else {
            default.map(|d| d.to_string()).unwrap_or_default()
        },
        office_input: typed.office,
        office_cap_input: typed.office_cap,
        invalid: typed.error.as_ref().map_or("", |e| e.input),
        error: typed.error,
        saved,
        max: thousands(i64::from(MAX_CAP)),
    };
    Ok(render(status, &view)?)
}

#[get("/campaigns/{slug}/caps")]
pub async fn page(
    app: web::Data<AppState>,
    signed: Signed<Organiser>,
    slug: web::Path<String>,
    query: web::Query<CapsQuery>,
) -> Result<HttpResponse, PageError> {
    let saved = match query.saved.as_deref() {
        Some("set") => Some("The limit is saved.".to_string()),
        Some("removed") => Some("The limit is removed.".to_string()),
        Some("unchanged") => Some("The limit was already that, so nothing changed.".to_string()),
        _ => None,
    };
    caps_page(
        &app,
        &signed,
        &slug,
        StatusCode::OK,
        Typed::default(),
        saved,
    )
    .await
}

/// Which form a post came from (`default` without an office field), and what it typed.
fn typed_of(posted: &Posted, error: Option<CapInputError>) -> Typed {
    let short = |s: String| s.chars().take(120).collect::<String>();
    let form = if posted.get("office").is_some() {
        "office"
    } else {
        "default"
    };
    Typed {
        default: short(posted.text("per_hour")),
        office: short(posted.text("office")),
        office_cap: short(posted.text("per_hour")),
        error: error.map(|e| FormError {
            form,
            input: match (form, e.field) {
                ("office", "office") => "office",
                ("office", _) => "office-per-hour",
                _ => "default-per-hour",
            },
            message: format!("{} Nothing was changed.", e.message),
        }),
    }
}

#[post("/campaigns/{slug}/caps")]
pub async fn set(
    app: web::Data<AppState>,
    signed: Signed<Editor>,
    slug: web::Path<String>,
    posted: Posted,
) -> Result<HttpResponse, PageError> {
    let office = parse_office(&posted.text("office"));
    let per_hour = parse_per_hour(&posted.text("per_hour"));
    match (office, per_hour) {
        (Ok(office), Ok(n)) => save(&app, &signed, &slug, &posted, office, Some(n)).await,
        (Err(e), _) | (_, Err(e)) => refused(&app, &signed, &slug, &posted, e).await,
    }
}

#[post("/campaigns/{slug}/caps/remove")]
pub async fn remove(
    app: web::Data<AppState>,
    signed: Signed<Editor>,
    slug: web::Path<String>,
    posted: Posted,
) -> Result<HttpResponse, PageError> {
    match parse_office(&posted.text("office")) {
        Ok(office) => save(&app, &signed, &slug, &posted, office, None).await,
        Err(e) => refused(&app, &signed, &slug, &posted, e).await,
    }
}

/// The page again with the typed values and why they were refused (422); nothing changed.
async fn refused(
    app: &AppState,
    signed: &Signed<Editor>,
    slug: &str,
    posted: &Posted,
    error: CapInputError,
) -> Result<HttpResponse, PageError> {
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    caps_page(
        app,
        signed,
        slug,
        status,
        typed_of(posted, Some(error)),
        None,
    )
    .await
}

/// Sets (`per_hour` `Some`) or removes an override, audited, then back to the page.
async fn save(
    app: &AppState,
    signed: &Signed<Editor>,
    slug: &str,
    posted: &Posted,
    office: Option<String>,
    per_hour: Option<u32>,
) -> Result<HttpResponse, PageError> {
    let origin = signed.origin();
    let now = chrono::Utc::now();
    let object = format!("caps:{slug}/{}", office.as_deref().unwrap_or("default"));
    let saved = app
        .store
        .set_office_cap(
            slug,
            office.as_deref(),
            per_hour,
            now.timestamp(),
            |change| {
                let summary = audit_summary(office.as_deref(), change);
                NewAudit::new(
                    now,
                    origin,
                    action::DELIVERY_CAP_SET,
                    object.clone(),
                    summary,
                )
            },
        )
        .await?;
    let change = match saved {
        CapSaved::NoCampaign => return Err(PageError::from(no_campaign(slug))),
        CapSaved::UnknownOffice => {
            let error = CapInputError {
                field: "office",
                message: "No office with this id is in the legislator directory or among the \
                          offices the campaign has written to."
                    .to_string(),
            };
            return refused(app, signed, slug, posted, error).await;
        }
        CapSaved::Saved(change) => change,
    };
    tracing::info!(campaign = %slug, changed = change.changed(), "delivery cap set");
    let saved = match (change.changed(), change.new) {
        (false, _) => "unchanged",
        (true, Some(_)) => "set",
        (true, None) => "removed",
    };
    app.outbox.wake();
    Ok(see_other(&format!(
        "/staff/campaigns/{slug}/caps?saved={saved}"
    )))
}
