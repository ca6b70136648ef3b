//! Sending through the service, as pages:
//! - `POST /compose/send`: the compose page's "Send through us": writes the submission and
//!   queues the confirmation email; offices without email get their web-form drafts;
//! - `GET /confirm/{token}`: what will be sent, and a button (mail scanners open links, so a
//!   GET never sends);
//! - `POST /confirm/{token}`: confirms (once) and redirects to the receipt.

use super::drafts::{html, page_error, problem_page, written, Posted};
use super::AppState;
use crate::error::PageError;
use crate::messages::{drafts, MessageError};
use crate::outbox::{token_hash, Outbox, SendError};
use crate::pages::compose::DraftsPage;
use crate::pages::sending::Addressee;
use crate::pages::{ConfirmPage, SentPage};
use crate::store::Confirmed;
use actix_web::http::{header, StatusCode};
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;

const GONE: &str = "This confirmation link has expired or does not exist. Links work for 7 days; \
                    please write your messages again.";

fn send_error(err: SendError) -> PageError {
    match err {
        SendError::Store(e) => e.into(),
        SendError::TooManyUnconfirmed => PageError::TooManyRequests(err.to_string()),
        other => PageError::Internal(other.into()),
    }
}

#[post("/compose/send")]
pub async fn send_page(
    req: HttpRequest,
    app: web::Data<AppState>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let posted = Posted(form.into_inner());
    let w = match written(&req, &app, &posted).await? {
        Ok(w) => w,
        Err(page) => return Ok(page),
    };
    if !app.outbox.enabled() {
        return problem_page(
            &w.doc,
            StatusCode::SERVICE_UNAVAILABLE,
            "Sending through this service is not available right now. Please go back and choose \
             “Get drafts” to send the messages from your own mail app.",
        );
    }
    let (by_email, by_form): (Vec<_>, Vec<_>) = w.drafts.into_iter().partition(|d| d.to.is_some());
    if by_email.is_empty() {
        return problem_page(
            &w.doc,
            StatusCode::UNPROCESSABLE_ENTITY,
            "None of the offices you chose publishes an email address, so we cannot send to them. \
             Please go back and choose “Get drafts” to use their web forms.",
        );
    }
    // The page's nonce, with a digest of what was posted: a double click makes one submission,
    // while going back, changing a message and sending again makes a new one.
    let key = posted.get("nonce").filter(|n| !n.is_empty()).map(|nonce| {
        let mut form = String::new();
        for (k, v) in &posted.0 {
            form.push_str(&format!("{}={}\n", k.len(), k));
            form.push_str(&format!("{}={}\n", v.len(), v));
        }
        format!(
            "{}:{}",
            nonce.chars().take(100).collect::<String>(),
            &token_hash(&form)[..32]
        )
    });
    let submission = app
        .outbox
        .submit(&w.doc, &by_email, &w.supporter, key.as_deref())
        .await
        .map_err(send_error)?;
    let issued = if by_form.is_empty() {
        Vec::new()
    } else {
        drafts::issue(
            &app.store,
            &w.doc.campaign.slug,
            by_form,
            chrono::Utc::now(),
        )
        .await?
        .ok_or_else(|| page_error(MessageError::NoCampaign(w.doc.campaign.slug.clone())))?
    };
    let forms = DraftsPage::build(&w.doc, &w.lookup, &issued).drafts;
    let addressees = by_email
        .iter()
        .map(|d| Addressee {
            name: d.name.clone(),
            title: d.title.clone(),
        })
        .collect();
    let page = SentPage::build(
        &w.doc,
        w.lookup.state.name(),
        w.supporter.email.as_str(),
        addressees,
        Outbox::receipt_path(&submission.receipt_token),
        forms,
    );
    Ok(html(StatusCode::OK, page.render()?))
}

#[get("/confirm/{token}")]
pub async fn confirm_page(
    app: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let Some(view) = app.outbox.preview(&token).await? else {
        return Err(PageError::NotFound(GONE.into()));
    };
    if view.confirmed {
        let receipt = app.outbox.receipt_token(&view.id).await?;
        return Ok(see_other(&Outbox::receipt_path(&receipt)));
    }
    if view.expires_at <= chrono::Utc::now().timestamp() {
        return Err(PageError::NotFound(GONE.into()));
    }
    let doc = app
        .campaign(&view.campaign_slug)
        .await?
        .ok_or_else(|| PageError::NotFound("This campaign is no longer running.".into()))?;
    let page = ConfirmPage::build(&doc, &view, &token);
    Ok(html(StatusCode::OK, page.render()?))
}

#[post("/confirm/{token}")]
pub async fn confirm(
    app: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let id = match app.outbox.confirm(&token).await? {
        Confirmed::Now { id } | Confirmed::Already { id } => id,
        Confirmed::Expired | Confirmed::NotFound => return Err(PageError::NotFound(GONE.into())),
    };
    let receipt = app.outbox.receipt_token(&id).await?;
    Ok(see_other(&Outbox::receipt_path(&receipt)))
}

fn see_other(path: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, path.to_string()))
        .insert_header(("Cache-Control", "no-store"))
        .finish()
}
