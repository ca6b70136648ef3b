//! `GET /staff/campaigns/{slug}/templates/{audience}`: the current version in the editor (read
//! only for organisers), the merge fields beside it, and a preview for the chosen state and
//! legislator (`?state=&legislator=`; by default a state with gaps and its first legislator).
//! `POST` (editors): Preview renders the edit without saving; Save checks it against every
//! state and stores the next version (or shows why not, naming the state and the line, with
//! the edit kept); Discard goes back to the current version.

use super::form::{Action, EditForm, EditQuery, PreviewChoice};
use super::{audience, audience_label, campaign, edit_path, no_template, Authors, VersionRow};
use crate::directory::Legislator;
use crate::domain::StateCode;
use crate::messages::editor::{self, PreviewError};
use crate::messages::template::{FieldDoc, MERGE_FIELDS};
use crate::messages::{save_template, Audience, TemplateText};
use crate::scorecard::CampaignDoc;
use crate::staff::Role;
use crate::web::error::{PageError, Problem};
use crate::web::extract::Posted;
use crate::web::respond::see_other;
use crate::web::site::Site;
use crate::web::staff::auth::{Editor, NeedsRole, Organiser, Signed};
use crate::web::staff::view::{self, render, Bar};
use crate::web::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;

/// One option of a select.
#[derive(Debug, Clone)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// The preview as shown.
#[derive(Debug, Clone)]
pub struct PreviewView {
    pub state_name: &'static str,
    pub recipient: String,
    pub from_directory: bool,
    pub subject: String,
    pub body: String,
}

#[derive(Template)]
#[template(path = "staff/template_edit.html")]
pub struct EditPage {
    pub site: Site,
    pub title: String,
    pub bar: Bar,
    pub slug: String,
    pub campaign_title: String,
    pub audience: &'static str,
    pub audience_label: &'static str,
    /// The form's (and the GET preview form's) address.
    pub path: String,
    pub current: VersionRow,
    /// Editors and admins get the form's actions; organisers read.
    pub can_edit: bool,
    pub subject: String,
    pub body: String,
    pub note: String,
    pub fields: &'static [FieldDoc],
    pub states: Vec<Choice>,
    pub legislators: Vec<Choice>,
    pub preview: Option<PreviewView>,
    /// Each problem: (field, message); the summary links to the field.
    pub errors: Vec<(&'static str, String)>,
    /// Said about the preview's choice (a legislator of another state was asked for).
    pub notice: Option<String>,
    /// The save just made: (version, states whose messages changed).
    pub saved: Option<(i64, usize)>,
}

impl EditPage {
    /// Whether `field` has an error (for `aria-invalid`).
    pub fn invalid(&self, field: &str) -> bool {
        self.errors.iter().any(|(f, _)| *f == field)
    }
}

/// What the editor shows besides the campaign and the current version.
struct Edit {
    text: Option<TemplateText>,
    note: String,
    choice: PreviewChoice,
    errors: Vec<(&'static str, String)>,
    saved: Option<(i64, usize)>,
}

/// `message` as a sentence.
fn sentence(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The fields a refused edit can be about (the form's own names).
fn form_field(field: Option<&str>) -> &'static str {
    match field {
        Some("subject") => "subject",
        Some("note") => "note",
        _ => "body",
    }
}

fn legislator_label(l: &Legislator) -> String {
    if l.district.trim().is_empty() {
        format!("{} ({})", l.name, l.title)
    } else {
        format!("{} ({}, district {})", l.name, l.title, l.district)
    }
}

async fn editor_page<R: NeedsRole>(
    app: &AppState,
    signed: &Signed<R>,
    doc: &CampaignDoc,
    audience: Audience,
    mut edit: Edit,
) -> Result<HttpResponse, PageError> {
    let slug = doc.campaign.slug.as_str();
    let current = editor::current(&app.store, slug, audience).await?;
    let text = edit.text.take().unwrap_or_else(|| current.template.text());
    let state = edit
        .choice
        .state
        .unwrap_or_else(|| editor::default_preview_state(doc));
    let choices = editor::preview_legislators(&app.store, state, audience).await?;
    // A legislator of another state (the state changed without JavaScript): the state's first.
    let wanted = edit.choice.legislator.as_deref();
    let chosen = wanted
        .and_then(|id| choices.iter().find(|l| l.id == id))
        .or(choices.first());
    let notice = match (wanted, chosen) {
        (Some(id), Some(l)) if l.id != id => Some(format!(
            "That legislator does not represent {}: the preview is for {}.",
            state.name(),
            l.name
        )),
        _ => None,
    };
    let mut status = if edit.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let chosen_id = chosen.map(|l| l.id.clone());
    let preview = match editor::preview(
        &app.store,
        doc,
        audience,
        &text,
        state,
        chosen_id.as_deref(),
    )
    .await
    {
        Ok(p) => Some(PreviewView {
            state_name: p.state.name(),
            recipient: format!("{} ({})", p.legislator.name, p.legislator.title),
            from_directory: p.legislator.from_directory,
            subject: p.subject,
            body: p.body,
        }),
        Err(PreviewError::Store(e)) => return Err(e.into()),
        Err(err) => {
            let field = form_field(err.field());
            if !edit.errors.iter().any(|(f, _)| *f == field) {
                edit.errors.push((field, sentence(&err.to_string())));
            }
            status = StatusCode::UNPROCESSABLE_ENTITY;
            None
        }
    };
    let mut authors = Authors::default();
    let view = EditPage {
        site: view::site(app).await,
        title: format!(
            "{} template · {}",
            audience_label(audience),
            doc.campaign.title
        ),
        bar: Bar::of(signed),
        slug: slug.to_string(),
        campaign_title: doc.campaign.title.clone(),
        audience: audience.as_str(),
        audience_label: audience_label(audience),
        path: edit_path(slug, audience),
        current: VersionRow::of(app, &mut authors, &current).await?,
        can_edit: signed.person.role.allows(Role::Editor),
        subject: text.subject,
        body: text.body,
        note: edit.note,
        fields: MERGE_FIELDS,
        states: StateCode::all()
            .map(|s| Choice {
                value: s.as_str().to_string(),
                label: s.name().to_string(),
                selected: s == state,
            })
            .collect(),
        legislators: choices
            .iter()
            .map(|l| Choice {
                value: l.id.clone(),
                label: legislator_label(l),
                selected: Some(&l.id) == chosen_id.as_ref(),
            })
            .collect(),
        preview,
        errors: edit.errors,
        notice,
        // A save the query claims that is not on record says nothing.
        saved: edit.saved.filter(|(v, _)| *v <= current.template.version),
    };
    Ok(render(status, &view)?)
}

#[get("/campaigns/{slug}/templates/{audience}")]
pub async fn page(
    req: HttpRequest,
    app: web::Data<AppState>,
    signed: Signed<Organiser>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let (slug, raw_audience) = path.into_inner();
    let doc = campaign(&app, &slug).await?;
    let audience = audience(&raw_audience).ok_or_else(no_template)?;
    let query = EditQuery::read(&super::query_pairs(&req));
    let edit = Edit {
        text: None,
        note: String::new(),
        choice: query.choice,
        errors: Vec::new(),
        saved: query.saved,
    };
    editor_page(&app, &signed, &doc, audience, edit).await
}

/// Where the page goes after a save: the editor, saying what the save did, with the preview's
/// choice kept.
fn after_save(path: &str, version: i64, changed: usize, choice: &PreviewChoice) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query
        .append_pair("saved", &version.to_string())
        .append_pair("changed", &changed.to_string());
    if let Some(state) = choice.state {
        query.append_pair("state", state.as_str());
    }
    if let Some(id) = &choice.legislator {
        query.append_pair("legislator", id);
    }
    format!("{path}?{}", query.finish())
}

#[post("/campaigns/{slug}/templates/{audience}")]
pub async fn submit(
    app: web::Data<AppState>,
    signed: Signed<Editor>,
    path: web::Path<(String, String)>,
    posted: Posted,
) -> Result<HttpResponse, PageError> {
    let (slug, raw_audience) = path.into_inner();
    let doc = campaign(&app, &slug).await?;
    let audience = audience(&raw_audience).ok_or_else(no_template)?;
    let form = EditForm::read(&posted.0)
        .map_err(|e| PageError::from(Problem::invalid(e.to_string(), Some("action"))))?;
    let mut edit = Edit {
        text: Some(form.text.clone()),
        note: form.note.clone(),
        choice: form.choice.clone(),
        errors: Vec::new(),
        saved: None,
    };
    match form.action {
        Action::Discard => Ok(see_other(&edit_path(&slug, audience))),
        Action::Preview => editor_page(&app, &signed, &doc, audience, edit).await,
        Action::Save => {
            let saved = save_template(
                &app.store,
                &slug,
                audience,
                &form.text,
                signed.origin(),
                Some(&form.note),
            )
            .await;
            if saved.is_ok() {
                app.saved(&slug);
            }
            match saved {
                Ok(saved) => Ok(see_other(&after_save(
                    &edit_path(&slug, audience),
                    saved.version(),
                    saved.changed(),
                    &form.choice,
                ))),
                Err(err) => {
                    let field = form_field(err.field());
                    let problem = Problem::from(err);
                    if problem.status.is_server_error() || problem.message.is_none() {
                        return Err(problem.into());
                    }
                    let message = problem.message.unwrap_or_default();
                    edit.errors.push((field, sentence(&message)));
                    editor_page(&app, &signed, &doc, audience, edit).await
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_a_save_the_page_says_what_it_did_and_keeps_the_choice() {
        let choice = PreviewChoice {
            state: StateCode::parse("MA").ok(),
            legislator: Some("ocd-person/a b".into()),
        };
        assert_eq!(
            after_save("/staff/x", 3, 12, &choice),
            "/staff/x?saved=3&changed=12&state=MA&legislator=ocd-person%2Fa+b"
        );
        assert_eq!(
            after_save("/staff/x", 3, 0, &PreviewChoice::default()),
            "/staff/x?saved=3&changed=0"
        );
    }
}
