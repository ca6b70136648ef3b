//! The confirmation link's pages: `GET /confirm/{token}` shows exactly what will be sent and
//! one button (mail scanners open links, so a GET never sends); `POST /confirm/{token}`
//! confirms (once) and redirects to the receipt.

use super::Site;
use crate::outbox::{self, Outbox};
use crate::scorecard::CampaignDoc;
use crate::store::{Confirmed, SubmissionView};
use crate::web::error::PageError;
use crate::web::respond::{private_page, see_other};
use crate::web::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use askama::Template;

const GONE: &str = "This confirmation link has expired or does not exist. Links work for 7 days; \
                    please write your messages again.";

/// One message on the confirmation page, as it will be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingMessage {
    pub index: usize,
    pub name: String,
    pub title: String,
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// `GET /confirm/{token}`: the messages, and the one button that sends them.
#[derive(Template)]
#[template(path = "site/confirm.html")]
pub struct ConfirmPage {
    pub site: Site,
    pub title: String,
    pub state_name: String,
    pub sender: String,
    pub messages: Vec<PendingMessage>,
    /// The form's target (`/confirm/{token}`).
    pub action: String,
    /// The link's last day (UTC), e.g. "30 November 2026".
    pub expires: String,
}

impl ConfirmPage {
    pub fn build(doc: &CampaignDoc, view: &SubmissionView, token: &str) -> ConfirmPage {
        let messages = outbox::messages(view)
            .enumerate()
            .map(|(i, m)| PendingMessage {
                index: i + 1,
                name: m.recipient_name.clone(),
                title: m.recipient_title.clone(),
                to: m.to_address.clone().unwrap_or_default(),
                subject: m.subject.clone().unwrap_or_default(),
                body: m.body.clone().unwrap_or_default(),
            })
            .collect();
        ConfirmPage {
            site: Site::from_campaign(&doc.campaign),
            title: format!("Confirm your messages · {}", doc.campaign.title),
            state_name: view.state.name().to_string(),
            sender: view.supporter_name.clone().unwrap_or_default(),
            messages,
            action: format!("/confirm/{token}"),
            expires: chrono::DateTime::from_timestamp(view.expires_at, 0)
                .map(|t| t.format("%-d %B %Y").to_string())
                .unwrap_or_default(),
        }
    }
}

#[get("/confirm/{token}")]
pub async fn page(
    app: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let Some(view) = app.outbox.preview(&token).await? else {
        return Err(PageError::not_found(GONE));
    };
    if view.confirmed {
        let receipt = app.outbox.receipt_token(&view.id).await?;
        return Ok(see_other(&Outbox::receipt_path(&receipt)));
    }
    if view.expires_at <= chrono::Utc::now().timestamp() {
        return Err(PageError::not_found(GONE));
    }
    let doc = app
        .campaign(&view.campaign_slug)
        .await?
        .ok_or_else(|| PageError::not_found("This campaign is no longer running."))?;
    let page = ConfirmPage::build(&doc, &view, &token);
    Ok(private_page(StatusCode::OK, page.render()?))
}

#[post("/confirm/{token}")]
pub async fn confirm(
    app: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let id = match app.outbox.confirm(&token).await? {
        Confirmed::Now { id } | Confirmed::Already { id } => id,
        Confirmed::Expired | Confirmed::NotFound => return Err(PageError::not_found(GONE)),
    };
    let receipt = app.outbox.receipt_token(&id).await?;
    Ok(see_other(&Outbox::receipt_path(&receipt)))
}
