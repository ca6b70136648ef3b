//! `GET /receipts/{token}`: a supporter's receipt, each message's state (waiting, sent,
//! retrying, failed and why). The token is the link's secret; an unknown one is a 404.
//! A signed-in staff member also sees the template version each message was written from.

use super::Site;
use crate::outbox::{Outbox, Receipt, ReceiptStatus};
use crate::scorecard::CampaignDoc;
use crate::web::error::PageError;
use crate::web::respond::private_page;
use crate::web::staff::auth::signed_in;
use crate::web::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, web, HttpRequest, HttpResponse};
use askama::Template;

const UNKNOWN: &str = "This receipt does not exist. Receipts are kept while your messages are \
                       delivered and for some weeks after.";

/// One message on the receipt page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptRow {
    pub name: String,
    pub title: String,
    pub status: String,
    /// The status badge's class: `passed` (sent), `failed`, `pending`.
    pub tone: &'static str,
    pub detail: Option<String>,
    /// The template version and scorecard revision the message came from (shown to staff only).
    pub template_version: Option<i64>,
    pub scorecard_revision: Option<i64>,
}

/// `GET /receipts/{token}`.
#[derive(Template)]
#[template(path = "site/receipt.html")]
pub struct ReceiptPage {
    pub site: Site,
    pub title: String,
    pub state_name: String,
    pub confirmed: bool,
    pub confirmation: String,
    pub rows: Vec<ReceiptRow>,
    pub sent: usize,
    pub path: String,
    /// Opened by a signed-in staff member: the template versions show.
    pub staff: bool,
}

fn when(rfc3339: &Option<String>) -> String {
    rfc3339
        .as_deref()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.format("%-d %B %Y at %H:%M UTC").to_string())
        .unwrap_or_default()
}

impl ReceiptPage {
    pub fn build(doc: &CampaignDoc, receipt: &Receipt, path: String) -> ReceiptPage {
        let rows: Vec<ReceiptRow> = receipt
            .messages
            .iter()
            .map(|m| ReceiptRow {
                name: m.name.clone(),
                title: m.title.clone(),
                status: m.status.label().to_string(),
                tone: match m.status {
                    ReceiptStatus::Sent => "passed",
                    ReceiptStatus::Failed => "failed",
                    _ => "pending",
                },
                detail: match (m.status, m.waiting_on) {
                    (ReceiptStatus::Waiting | ReceiptStatus::Retrying, Some(reason)) => {
                        Some(format!(
                            "{}. It goes out as soon as the limit allows, expected by {}; nothing \
                             is dropped.",
                            reason.label(),
                            when(&m.next_attempt_at)
                        ))
                    }
                    (ReceiptStatus::Sent, _) => {
                        Some(format!("Accepted for delivery on {}.", when(&m.sent_at)))
                    }
                    (ReceiptStatus::Retrying, None) => Some(format!(
                        "The office's mail server did not take it yet ({}). Next try: {}.",
                        m.reason.as_deref().unwrap_or("no reason given"),
                        when(&m.next_attempt_at)
                    )),
                    (ReceiptStatus::Failed, _) => Some(format!(
                        "It could not be delivered: {}",
                        m.reason.as_deref().unwrap_or("no reason given")
                    )),
                    _ => None,
                },
                template_version: m.template_version,
                scorecard_revision: m.scorecard_revision,
            })
            .collect();
        ReceiptPage {
            site: Site::from_campaign(&doc.campaign),
            title: format!("Your messages · {}", doc.campaign.title),
            state_name: receipt.state.name().to_string(),
            confirmed: receipt.status == "confirmed",
            confirmation: receipt.confirmation.label().to_string(),
            sent: receipt
                .messages
                .iter()
                .filter(|m| m.status == ReceiptStatus::Sent)
                .count(),
            rows,
            path,
            staff: false,
        }
    }
}

/// Whether the request comes from a signed-in staff member (who may see how each message was
/// made); a failed lookup shows the supporter's page.
async fn staff_reader(req: &HttpRequest, app: &AppState) -> bool {
    match signed_in(req, app).await {
        Ok(found) => found.is_some_and(|s| !s.session.must_enrol_totp),
        Err(err) => {
            tracing::warn!(error = %err, "staff session lookup failed on a receipt");
            false
        }
    }
}

#[get("/receipts/{token}")]
pub async fn page(
    req: HttpRequest,
    app: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let receipt = app
        .outbox
        .receipt_of(&token)
        .await?
        .ok_or_else(|| PageError::not_found(UNKNOWN))?;
    let doc = app
        .campaign(&receipt.campaign)
        .await?
        .ok_or_else(|| PageError::not_found(UNKNOWN))?;
    let mut page = ReceiptPage::build(&doc, &receipt, Outbox::receipt_path(&token));
    page.staff = staff_reader(&req, &app).await;
    Ok(private_page(StatusCode::OK, page.render()?))
}
