//! `GET /staff/campaigns/{slug}/templates/{audience}/versions`: every version (author, time,
//! note), newest first, and the diff between any two (`?from=A&to=B`; by default the two
//! newest), each line marked in words as well as colour. `POST .../versions/{n}/restore`
//! (editors): version `n`'s text saved as the next version, through the same check and audit
//! as any save.

use super::form::diff_query;
use super::{audience, audience_label, campaign, edit_path, no_template, Authors, VersionRow};
use crate::messages::editor::{self, LineKind, PartDiff};
use crate::messages::Audience;
use crate::scorecard::CampaignDoc;
use crate::staff::Role;
use crate::web::error::{PageError, Problem};
use crate::web::respond::see_other;
use crate::web::site::Site;
use crate::web::staff::auth::{Editor, NeedsRole, Organiser, Signed};
use crate::web::staff::view::{self, render, Bar};
use crate::web::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;

/// One line of a diff as shown.
#[derive(Debug, Clone)]
pub struct DiffRow {
    /// `added`, `removed` or `same` (the class).
    pub kind: &'static str,
    /// `+`, `−` or a space: the mark that does not rely on colour.
    pub sign: &'static str,
    /// Read out before the line: "Added", "Removed" (empty for unchanged lines).
    pub spoken: &'static str,
    pub text: String,
}

/// One part's diff as shown.
#[derive(Debug, Clone)]
pub struct PartView {
    pub name: &'static str,
    pub added: usize,
    pub removed: usize,
    pub lines: Vec<DiffRow>,
}

impl PartView {
    fn of(name: &'static str, part: &PartDiff) -> PartView {
        PartView {
            name,
            added: part.added,
            removed: part.removed,
            lines: part
                .lines
                .iter()
                .map(|l| {
                    let (kind, sign, spoken) = match l.kind {
                        LineKind::Added => ("added", "+", "Added: "),
                        LineKind::Removed => ("removed", "−", "Removed: "),
                        LineKind::Same => ("same", " ", ""),
                    };
                    DiffRow {
                        kind,
                        sign,
                        spoken,
                        text: l.text.clone(),
                    }
                })
                .collect(),
        }
    }
}

/// The diff shown.
#[derive(Debug, Clone)]
pub struct DiffView {
    pub from: i64,
    pub to: i64,
    pub parts: Vec<PartView>,
}

#[derive(Template)]
#[template(path = "staff/template_versions.html")]
pub struct VersionsPage {
    pub site: Site,
    pub title: String,
    pub bar: Bar,
    pub slug: String,
    pub campaign_title: String,
    pub audience_label: &'static str,
    /// The editor's path (the versions page is under it).
    pub path: String,
    pub can_edit: bool,
    /// Newest first; the first is current.
    pub versions: Vec<VersionRow>,
    pub diff: Option<DiffView>,
    /// The versions compared (for the form's choices).
    pub from: i64,
    pub to: i64,
    /// Why the diff or a restore could not be done.
    pub error: Option<String>,
}

async fn versions_page<R: NeedsRole>(
    app: &AppState,
    signed: &Signed<R>,
    doc: &CampaignDoc,
    audience: Audience,
    compare: Option<(i64, i64)>,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let slug = doc.campaign.slug.as_str();
    let history = editor::history(&app.store, slug, audience).await?;
    let mut authors = Authors::default();
    let mut versions = Vec::with_capacity(history.len());
    for v in &history {
        versions.push(VersionRow::of(app, &mut authors, v).await?);
    }
    // By default the newest change: the version before the current one, and the current one.
    let newest = |i: usize| history.get(i).map(|v| v.template.version);
    let compare = compare.or_else(|| Some((newest(1)?, newest(0)?)));
    let (mut error, mut status) = (error, status);
    let diff = match compare {
        Some((a, b)) => match editor::diff_versions(&app.store, slug, audience, a, b).await {
            Ok(d) => Some(DiffView {
                from: d.from.template.version,
                to: d.to.template.version,
                parts: vec![
                    PartView::of("Subject", &d.diff.subject),
                    PartView::of("Body", &d.diff.body),
                ],
            }),
            Err(editor::HistoryError::NoVersion(n)) => {
                error = Some(format!("There is no version {n} to compare."));
                status = StatusCode::NOT_FOUND;
                None
            }
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    let (from, to) = diff
        .as_ref()
        .map(|d| (d.from, d.to))
        .or(compare)
        .unwrap_or((1, 1));
    let view = VersionsPage {
        site: view::site(app).await,
        title: format!(
            "{} template history · {}",
            audience_label(audience),
            doc.campaign.title
        ),
        bar: Bar::of(signed),
        slug: slug.to_string(),
        campaign_title: doc.campaign.title.clone(),
        audience_label: audience_label(audience),
        path: edit_path(slug, audience),
        can_edit: signed.person.role.allows(Role::Editor),
        versions,
        diff,
        from,
        to,
        error,
    };
    Ok(render(status, &view)?)
}

#[get("/campaigns/{slug}/templates/{audience}/versions")]
pub async fn page(
    req: HttpRequest,
    app: web::Data<AppState>,
    signed: Signed<Organiser>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let (slug, raw_audience) = path.into_inner();
    let doc = campaign(&app, &slug).await?;
    let audience = audience(&raw_audience).ok_or_else(no_template)?;
    let compare = diff_query(&super::query_pairs(&req));
    versions_page(&app, &signed, &doc, audience, compare, None, StatusCode::OK).await
}

#[post("/campaigns/{slug}/templates/{audience}/versions/{version}/restore")]
pub async fn restore(
    app: web::Data<AppState>,
    signed: Signed<Editor>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, PageError> {
    let (slug, raw_audience, raw_version) = path.into_inner();
    let doc = campaign(&app, &slug).await?;
    let audience = audience(&raw_audience).ok_or_else(no_template)?;
    let version = raw_version
        .parse::<u32>()
        .ok()
        .filter(|v| *v > 0)
        .map(i64::from)
        .ok_or_else(|| PageError::not_found("There is no such version of this template."))?;
    let restored =
        editor::restore(&app.store, &slug, audience, version, signed.origin(), None).await;
    if restored.is_ok() {
        app.saved(&slug);
    }
    match restored {
        Ok(saved) => Ok(see_other(&format!(
            "{}?saved={}&changed={}",
            edit_path(&slug, audience),
            saved.version(),
            saved.changed()
        ))),
        Err(err) => {
            let problem = Problem::from(err);
            if problem.status != StatusCode::UNPROCESSABLE_ENTITY {
                return Err(problem.into());
            }
            // An old version that no longer renders for some state (the scorecards moved on).
            let message = format!(
                "Version {version} was not restored: {}",
                problem.message.unwrap_or_default()
            );
            versions_page(
                &app,
                &signed,
                &doc,
                audience,
                None,
                Some(message),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}
