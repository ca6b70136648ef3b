//! The scorecard editor's pages (see [`super::scorecard_form`] for the form's inputs):
//! - `GET /staff/scorecards`: to the default campaign's scorecards (the bar's link);
//! - `GET /staff/campaigns/{slug}/scorecards`: every state with its score (any role);
//! - `GET /staff/campaigns/{slug}/scorecards/{state}`: the state's bills and its featured bill's
//!   criteria, read-only for organisers, a form for editors and admins;
//! - `POST` of the same path (editor): `action=preview` shows the new score, the new gaps and
//!   the message a legislator of the state would now receive, saving nothing; `action=save`
//!   saves the next revision (303 back to the page);
//! - `GET .../{state}/history`: every revision with author, time, note and what it changed;
//! - `POST .../{state}/revisions/{n}/restore` (editor): revision `n` again, as a new revision.

use super::auth::{Editor, NeedsRole, Organiser, Signed};
use super::scorecard_form::{BillInput, CriterionInput, FormError, FormInput};
use super::view::{self, render, Bar};
use crate::domain::{BillStatus, CriterionStatus, StateCode};
use crate::messages::editor::{preview_legislators, Preview};
use crate::messages::Audience;
use crate::scorecard::edit::{self, Edit, EditError, HistoryEntry};
use crate::scorecard::editor::Change;
use crate::scorecard::{Bill, CampaignDoc, Scorecard};
use crate::staff::Role;
use crate::web::error::{no_campaign, PageError, Problem};
use crate::web::extract::Posted;
use crate::web::respond::see_other;
use crate::web::site::Site;
use crate::web::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use askama::Template;
use serde::Deserialize;
use std::sync::Arc;

/// One state in the list.
#[derive(Debug, Clone)]
pub struct StateRow {
    pub code: &'static str,
    pub name: &'static str,
    pub summary: String,
    pub bill: Option<String>,
    pub gaps: usize,
    pub revision: i64,
}

#[derive(Template)]
#[template(path = "staff/scorecards.html")]
pub struct ListPage {
    pub site: Site,
    pub title: String,
    pub bar: Bar,
    pub slug: String,
    pub campaign: String,
    pub states: Vec<StateRow>,
}

/// A preview of an unsaved edit, as the page shows it.
#[derive(Debug, Clone)]
pub struct PreviewView {
    pub scorecard: Scorecard,
    pub changes: Vec<String>,
    pub message: Preview,
}

#[derive(Template)]
#[template(path = "staff/scorecard.html")]
pub struct StatePage {
    pub site: Site,
    pub title: String,
    pub bar: Bar,
    pub slug: String,
    pub state: &'static str,
    pub state_name: &'static str,
    pub can_edit: bool,
    /// The state's latest revision (0: none recorded yet).
    pub revision: i64,
    pub scorecard: Scorecard,
    pub form: FormInput,
    pub error: Option<FormError>,
    pub preview: Option<PreviewView>,
    /// The revision just saved.
    pub saved: Option<i64>,
    /// The preview's legislator choices: (id, "Title Name (district)", selected).
    pub legislators: Vec<(String, String, bool)>,
    pub bill_statuses: &'static [BillStatus],
    pub criterion_statuses: &'static [CriterionStatus],
}

impl StatePage {
    /// Whether input `id` is the one refused.
    pub fn invalid(&self, id: &str) -> bool {
        self.error.as_ref().is_some_and(|e| e.id == id)
    }

    /// The id (and name) of bill row `bill`'s input `field`.
    pub fn bid(&self, bill: &BillInput, field: &str) -> String {
        format!("b{}_{field}", bill.index)
    }

    /// The id of bill row `bill`'s featured radio.
    pub fn fid(&self, bill: &BillInput) -> String {
        format!("featured_{}", bill.index)
    }

    /// The id (and name) of criterion `c`'s input `field`.
    pub fn cid(&self, c: &CriterionInput, field: &str) -> String {
        format!("c_{}_{field}", c.id)
    }

    /// ` aria-invalid="true" aria-describedby="form-error"` for the refused input.
    pub fn marks(&self, id: impl AsRef<str>) -> &'static str {
        if self.invalid(id.as_ref()) {
            " aria-invalid=\"true\" aria-describedby=\"form-error\""
        } else {
            ""
        }
    }
}

/// A revision as the history shows it.
#[derive(Debug, Clone)]
pub struct RevisionView {
    pub revision: i64,
    pub author: String,
    pub at: String,
    pub note: Option<String>,
    pub changes: Vec<String>,
    pub latest: bool,
}

#[derive(Template)]
#[template(path = "staff/scorecard_history.html")]
pub struct HistoryPage {
    pub site: Site,
    pub title: String,
    pub bar: Bar,
    pub slug: String,
    pub state: &'static str,
    pub state_name: &'static str,
    pub can_edit: bool,
    pub revisions: Vec<RevisionView>,
}

async fn campaign(app: &AppState, slug: &str) -> Result<Arc<CampaignDoc>, PageError> {
    app.campaign(slug)
        .await?
        .ok_or_else(|| no_campaign(slug).into())
}

/// The path's state, or the 404 page's message.
fn state_of(raw: &str) -> Result<StateCode, String> {
    StateCode::parse(raw).map_err(|e| e.to_string())
}

fn can_edit<R: NeedsRole>(signed: &Signed<R>) -> bool {
    signed.person.role.allows(Role::Editor)
}

fn change_lines(changes: &[Change]) -> Vec<String> {
    changes
        .iter()
        .map(|c| match c.field {
            "status" | "reason" | "quote" | "source" => format!("{} ({})", c.line(), c.label),
            _ => c.line(),
        })
        .collect()
}

#[get("/scorecards")]
pub async fn home(app: web::Data<AppState>, _signed: Signed<Organiser>) -> HttpResponse {
    see_other(&format!(
        "/staff/campaigns/{}/scorecards",
        app.settings.campaign.default
    ))
}

#[get("/campaigns/{slug}/scorecards")]
pub async fn list(
    app: web::Data<AppState>,
    signed: Signed<Organiser>,
    slug: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let slug = slug.into_inner();
    let doc = campaign(&app, &slug).await?;
    let revisions = app.store.scorecard_latest_revisions(&slug).await?;
    let states = doc
        .scorecards()
        .into_iter()
        .map(|card| StateRow {
            code: card.state.as_str(),
            name: card.state_name,
            bill: card.bill.as_ref().map(|b| {
                b.number
                    .clone()
                    .unwrap_or_else(|| b.title.chars().take(60).collect())
            }),
            gaps: card.gaps.len(),
            revision: revisions
                .iter()
                .find(|(s, _)| *s == card.state)
                .map_or(0, |(_, n)| *n),
            summary: card.summary,
        })
        .collect();
    let view = ListPage {
        site: view::site(&app).await,
        title: "Scorecards".to_string(),
        bar: Bar::of(&signed),
        campaign: doc.campaign.title.clone(),
        slug,
        states,
    };
    Ok(render(StatusCode::OK, &view)?)
}

#[derive(Debug, Deserialize)]
pub struct StateQuery {
    saved: Option<i64>,
}

/// Everything the state page shows but the form.
struct StateContext {
    doc: Arc<CampaignDoc>,
    state: StateCode,
    stored: Vec<Bill>,
    revision: i64,
}

async fn state_context(app: &AppState, slug: &str, state: &str) -> Result<StateContext, PageError> {
    let state = state_of(state).map_err(PageError::not_found)?;
    // Read past the cache: an editor must edit what is stored now.
    let doc = Arc::new(
        app.store
            .campaign_doc(slug)
            .await?
            .ok_or_else(|| PageError::from(no_campaign(slug)))?,
    );
    let stored = doc
        .states
        .iter()
        .find(|s| s.code == state)
        .map(|s| s.bills.clone())
        .unwrap_or_default();
    let revision = app
        .store
        .scorecard_latest_revisions(slug)
        .await?
        .into_iter()
        .find(|(s, _)| *s == state)
        .map_or(0, |(_, n)| n);
    Ok(StateContext {
        doc,
        state,
        stored,
        revision,
    })
}

#[allow(clippy::too_many_arguments)]
async fn state_page<R: NeedsRole>(
    app: &AppState,
    signed: &Signed<R>,
    slug: String,
    ctx: &StateContext,
    status: StatusCode,
    form: FormInput,
    error: Option<FormError>,
    preview: Option<PreviewView>,
    saved: Option<i64>,
) -> Result<HttpResponse, PageError> {
    let legislators = if can_edit(signed) {
        preview_legislators(&app.store, ctx.state, Audience::State)
            .await?
            .into_iter()
            .map(|l| {
                let selected = l.id == form.legislator;
                let label = format!("{} {} ({})", l.title, l.name, l.district);
                (l.id, label, selected)
            })
            .collect()
    } else {
        Vec::new()
    };
    let view = StatePage {
        site: view::site(app).await,
        title: format!("{} scorecard", ctx.state.name()),
        bar: Bar::of(signed),
        slug,
        state: ctx.state.as_str(),
        state_name: ctx.state.name(),
        can_edit: can_edit(signed),
        revision: ctx.revision,
        scorecard: ctx.doc.scorecard(ctx.state),
        form,
        error,
        preview,
        saved,
        legislators,
        bill_statuses: BillStatus::ALL,
        criterion_statuses: CriterionStatus::ALL,
    };
    Ok(render(status, &view)?)
}

#[get("/campaigns/{slug}/scorecards/{state}")]
pub async fn page(
    app: web::Data<AppState>,
    signed: Signed<Organiser>,
    path: web::Path<(String, String)>,
    query: web::Query<StateQuery>,
) -> Result<HttpResponse, PageError> {
    let (slug, state) = path.into_inner();
    let ctx = state_context(&app, &slug, &state).await?;
    let form = FormInput::from_bills(&ctx.doc.criteria, &ctx.stored, ctx.revision);
    let saved = query.saved;
    state_page(
        &app,
        &signed,
        slug,
        &ctx,
        StatusCode::OK,
        form,
        None,
        None,
        saved,
    )
    .await
}

#[post("/campaigns/{slug}/scorecards/{state}")]
pub async fn submit(
    app: web::Data<AppState>,
    signed: Signed<Editor>,
    path: web::Path<(String, String)>,
    posted: Posted,
) -> Result<HttpResponse, PageError> {
    let (slug, state) = path.into_inner();
    let ctx = state_context(&app, &slug, &state).await?;
    let criteria = &ctx.doc.criteria;
    let refused = |form: FormInput, error: FormError| {
        let app = app.clone();
        let slug = slug.clone();
        let ctx = &ctx;
        let signed = &signed;
        async move {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            state_page(
                &app,
                signed,
                slug,
                ctx,
                status,
                form,
                Some(error),
                None,
                None,
            )
            .await
        }
    };
    let form = match FormInput::from_posted(criteria, ctx.stored.len(), &posted.0) {
        Ok(form) => form,
        Err(error) => {
            // Show the stored state again: the posted form was not this page's.
            let form = FormInput::from_bills(criteria, &ctx.stored, ctx.revision);
            return refused(form, error).await;
        }
    };
    let (bills, rows) = match form.bills(&ctx.stored) {
        Ok(read) => read,
        Err(error) => return refused(form, error).await,
    };
    // The refused input of an edit the service refused; `None` for failures of ours.
    let place_error = |err: &EditError, form: &FormInput| -> Option<FormError> {
        match err {
            EditError::Invalid(e) => Some(FormError {
                id: form.input_of(&e.place, &rows),
                message: e.message.clone(),
            }),
            EditError::Preview(e) if e.field() == Some("legislator_id") => Some(FormError {
                id: "legislator".into(),
                message: e.to_string(),
            }),
            EditError::Stale { .. } => Some(FormError {
                id: "note".into(),
                message: err.to_string(),
            }),
            _ => None,
        }
    };
    if form.save {
        let edit = Edit {
            state: ctx.state,
            bills,
            note: Some(form.note.as_str()),
            base: form.base_revision,
        };
        return match edit::save(&app.store, &app.campaigns, &slug, signed.origin(), edit).await {
            Ok(saved) => Ok(see_other(&format!(
                "/staff/campaigns/{slug}/scorecards/{}?saved={}",
                ctx.state.as_str(),
                saved.revision
            ))),
            Err(err) => {
                let status = match &err {
                    EditError::Stale { .. } => StatusCode::CONFLICT,
                    _ => StatusCode::UNPROCESSABLE_ENTITY,
                };
                let Some(error) = place_error(&err, &form) else {
                    return Err(err.into());
                };
                state_page(
                    &app,
                    &signed,
                    slug,
                    &ctx,
                    status,
                    form,
                    Some(error),
                    None,
                    None,
                )
                .await
            }
        };
    }
    let legislator = Some(form.legislator.as_str()).filter(|l| !l.trim().is_empty());
    match edit::preview(&app.store, &ctx.doc, ctx.state, bills, legislator).await {
        Ok(p) => {
            let preview = PreviewView {
                changes: change_lines(&p.changes),
                scorecard: p.scorecard,
                message: p.message,
            };
            let status = StatusCode::OK;
            state_page(
                &app,
                &signed,
                slug,
                &ctx,
                status,
                form,
                None,
                Some(preview),
                None,
            )
            .await
        }
        Err(err) => {
            let Some(error) = place_error(&err, &form) else {
                return Err(err.into());
            };
            refused(form, error).await
        }
    }
}

#[get("/campaigns/{slug}/scorecards/{state}/history")]
pub async fn history(
    app: web::Data<AppState>,
    signed: Signed<Organiser>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let (slug, state) = path.into_inner();
    let state = state_of(&state).map_err(PageError::not_found)?;
    let entries: Vec<HistoryEntry> = edit::history(&app.store, &slug, state).await?;
    let revisions = entries
        .into_iter()
        .enumerate()
        .map(|(i, e)| RevisionView {
            revision: e.revision.revision,
            author: e.revision.author,
            at: e
                .revision
                .created_at
                .format("%-d %B %Y, %H:%M UTC")
                .to_string(),
            note: e.revision.note,
            changes: change_lines(&e.changes),
            latest: i == 0,
        })
        .collect();
    let view = HistoryPage {
        site: view::site(&app).await,
        title: format!("{} scorecard history", state.name()),
        bar: Bar::of(&signed),
        slug,
        state: state.as_str(),
        state_name: state.name(),
        can_edit: can_edit(&signed),
        revisions,
    };
    Ok(render(StatusCode::OK, &view)?)
}

#[post("/campaigns/{slug}/scorecards/{state}/revisions/{revision}/restore")]
pub async fn restore(
    app: web::Data<AppState>,
    signed: Signed<Editor>,
    path: web::Path<(String, String, i64)>,
) -> Result<HttpResponse, PageError> {
    let (slug, state, revision) = path.into_inner();
    let state = state_of(&state).map_err(PageError::not_found)?;
    let saved = edit::restore(
        &app.store,
        &app.campaigns,
        &slug,
        signed.origin(),
        state,
        revision,
        None,
    )
    .await
    .map_err(|e| match e {
        EditError::Invalid(invalid) => PageError::from(Problem::invalid(
            format!(
                "Revision {revision} no longer passes the campaign's checks ({}), so it was not restored.",
                invalid
            ),
            None,
        )),
        other => other.into(),
    })?;
    Ok(see_other(&format!(
        "/staff/campaigns/{slug}/scorecards/{}?saved={}",
        state.as_str(),
        saved.revision
    )))
}
