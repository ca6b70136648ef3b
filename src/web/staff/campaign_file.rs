//! The campaign file in the workspace (admins only), the same TOML `advocate scorecard export`
//! writes and `scorecard import` reads:
//! - `GET /staff/campaigns/{slug}/file`: the download link and the upload form;
//! - `GET /staff/campaigns/{slug}/file/download`: the file, as an attachment;
//! - `POST /staff/campaigns/{slug}/file` (`multipart/form-data`: `file`, optional `note`,
//!   `csrf_token`): checked as the CLI checks it (the error names the line and the field, and
//!   nothing changes), then imported all or nothing; every state whose bills change gets a
//!   scorecard revision by this admin, audited in the same transaction.

use super::auth::{Admin, Signed};
use super::multipart;
use super::view::{self, render, Bar};
use crate::scorecard::file;
use crate::store::ImportBy;
use crate::web::error::{no_campaign, PageError, Problem};
use crate::web::site::Site;
use crate::web::AppState;
use actix_web::http::header::{
    ContentDisposition, DispositionParam, DispositionType, CONTENT_TYPE,
};
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{get, web, HttpRequest, HttpResponse};
use askama::Template;

/// The largest campaign file accepted (the shipped one is about 90 KB).
pub const MAX_FILE_BYTES: usize = 2 * 1024 * 1024;
/// The longest revision note.
const MAX_NOTE_CHARS: usize = 500;

/// What an upload did, as the page says it.
#[derive(Debug, Clone)]
pub struct Imported {
    pub changed: bool,
    pub revised_states: usize,
    pub states: usize,
    pub bills: usize,
}

#[derive(Template)]
#[template(path = "staff/campaign_file.html")]
pub struct FilePage {
    pub site: Site,
    pub title: String,
    pub bar: Bar,
    pub slug: String,
    pub campaign: String,
    pub error: Option<String>,
    pub imported: Option<Imported>,
}

/// `/campaigns/{slug}/file`: the page and the upload, with the upload's own body limit.
pub fn resource() -> actix_web::Resource {
    web::resource("/campaigns/{slug}/file")
        .app_data(web::PayloadConfig::new(super::csrf::MAX_UPLOAD_BYTES))
        .route(web::get().to(page))
        .route(web::post().to(upload))
}

async fn file_page(
    app: &AppState,
    signed: &Signed<Admin>,
    slug: &str,
    status: StatusCode,
    error: Option<String>,
    imported: Option<Imported>,
) -> Result<HttpResponse, PageError> {
    let doc = app
        .campaign(slug)
        .await?
        .ok_or_else(|| PageError::from(no_campaign(slug)))?;
    let view = FilePage {
        site: view::site(app).await,
        title: "Campaign file".to_string(),
        bar: Bar::of(signed),
        slug: doc.campaign.slug.clone(),
        campaign: doc.campaign.title.clone(),
        error,
        imported,
    };
    Ok(render(status, &view)?)
}

pub async fn page(
    app: web::Data<AppState>,
    signed: Signed<Admin>,
    slug: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    file_page(&app, &signed, &slug, StatusCode::OK, None, None).await
}

#[get("/campaigns/{slug}/file/download")]
pub async fn download(
    app: web::Data<AppState>,
    _signed: Signed<Admin>,
    slug: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    // Straight from the database: the file is what is stored now, not a cached copy.
    let doc = app
        .store
        .campaign_doc(&slug)
        .await?
        .ok_or_else(|| PageError::from(no_campaign(&slug)))?;
    let text = file::render(&doc).map_err(Problem::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("application/toml; charset=utf-8")
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(format!(
                "{}.toml",
                doc.campaign.slug
            ))],
        })
        .body(text))
}

/// Why an upload was refused: shown on the page, nothing changed.
fn refused(message: impl Into<String>) -> Result<(Option<String>, String), String> {
    Err(message.into())
}

/// The uploaded file's text and the note, from the multipart body.
async fn read_upload(req: &HttpRequest, body: Bytes) -> Result<(Option<String>, String), String> {
    let content_type = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let fields = match multipart::fields(content_type, body).await {
        Ok(fields) => fields,
        Err(e) => return refused(format!("The upload could not be read ({e}).")),
    };
    let Some(file) = fields.iter().find(|f| f.name == "file") else {
        return refused("Choose a campaign file to upload.");
    };
    if file.data.is_empty() {
        return refused("Choose a campaign file to upload.");
    }
    if file.data.len() > MAX_FILE_BYTES {
        return refused(format!(
            "The file is larger than {} MB.",
            MAX_FILE_BYTES / (1024 * 1024)
        ));
    }
    let Ok(text) = std::str::from_utf8(&file.data) else {
        return refused("The file is not UTF-8 text: upload the TOML file the download gives.");
    };
    let note = fields
        .iter()
        .find(|f| f.name == "note")
        .and_then(|f| std::str::from_utf8(&f.data).ok())
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty());
    if let Some(n) = &note {
        if n.chars().count() > MAX_NOTE_CHARS || n.chars().any(char::is_control) {
            return refused(format!(
                "The note must be one line of at most {MAX_NOTE_CHARS} characters."
            ));
        }
    }
    Ok((note, text.to_string()))
}

pub async fn upload(
    app: web::Data<AppState>,
    signed: Signed<Admin>,
    slug: web::Path<String>,
    req: HttpRequest,
    body: Bytes,
) -> Result<HttpResponse, PageError> {
    let slug = slug.into_inner();
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    let (note, text) = match read_upload(&req, body).await {
        Ok(read) => read,
        Err(message) => {
            return file_page(&app, &signed, &slug, unprocessable, Some(message), None).await
        }
    };
    let doc = match file::parse(&text) {
        Ok(doc) => doc,
        Err(e) => {
            let message = format!("The file was not imported: {e}. Nothing was changed.");
            return file_page(&app, &signed, &slug, unprocessable, Some(message), None).await;
        }
    };
    if doc.campaign.slug != slug {
        let message = format!(
            "The file is for the campaign `{}`, not `{slug}`. Nothing was changed.",
            doc.campaign.slug
        );
        return file_page(&app, &signed, &slug, unprocessable, Some(message), None).await;
    }
    let origin = signed.origin();
    let author = origin.actor.label();
    let by = ImportBy {
        author: &author,
        note: Some(note.as_deref().unwrap_or("Uploaded campaign file")),
        origin: Some(origin),
    };
    let report = app
        .store
        .import_campaign_by(&doc, &by)
        .await
        .map_err(Problem::from)?;
    app.saved(&slug);
    tracing::info!(
        campaign = %slug,
        changed = report.changed,
        revised_states = report.revised_states,
        "campaign file uploaded"
    );
    let imported = Imported {
        changed: report.changed,
        revised_states: report.revised_states,
        states: report.states,
        bills: report.bills,
    };
    file_page(&app, &signed, &slug, StatusCode::OK, None, Some(imported)).await
}
