//! Sending through the service, as pages: "check your email" after the compose page's Send
//! button, the confirmation page the email links to (shows what will be sent; only its button
//! sends), and the receipt with each message's state.

use super::compose::DraftView;
use super::Site;
use crate::outbox::{self, Receipt, ReceiptStatus};
use crate::scorecard::CampaignDoc;
use crate::store::SubmissionView;
use askama::Template;

/// A legislator a message goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addressee {
    pub name: String,
    pub title: String,
}

/// `POST /compose/send`: the confirmation email is on its way.
#[derive(Template)]
#[template(path = "sent.html")]
pub struct SentPage {
    pub site: Site,
    pub title: String,
    pub state_name: String,
    /// Where the confirmation email went.
    pub email: String,
    pub addressees: Vec<Addressee>,
    pub receipt_path: String,
    /// Offices that take mail only through a web form: their drafts.
    pub drafts: Vec<DraftView>,
}

impl SentPage {
    pub fn build(
        doc: &CampaignDoc,
        state_name: &str,
        email: &str,
        addressees: Vec<Addressee>,
        receipt_path: String,
        drafts: Vec<DraftView>,
    ) -> SentPage {
        SentPage {
            site: Site::from_campaign(&doc.campaign),
            title: format!("Check your email · {}", doc.campaign.title),
            state_name: state_name.to_string(),
            email: email.to_string(),
            addressees,
            receipt_path,
            drafts,
        }
    }
}

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
#[template(path = "confirm.html")]
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

/// One message on the receipt page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptRow {
    pub name: String,
    pub title: String,
    pub status: String,
    /// The status badge's class: `passed` (sent), `failed`, `pending`.
    pub tone: &'static str,
    pub detail: Option<String>,
}

/// `GET /receipts/{token}`.
#[derive(Template)]
#[template(path = "receipt.html")]
pub struct ReceiptPage {
    pub site: Site,
    pub title: String,
    pub state_name: String,
    pub confirmed: bool,
    pub confirmation: String,
    pub rows: Vec<ReceiptRow>,
    pub sent: usize,
    pub path: String,
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
                detail: match m.status {
                    ReceiptStatus::Sent => {
                        Some(format!("Accepted for delivery on {}.", when(&m.sent_at)))
                    }
                    ReceiptStatus::Retrying => Some(format!(
                        "The office's mail server did not take it yet ({}). Next try: {}.",
                        m.reason.as_deref().unwrap_or("no reason given"),
                        when(&m.next_attempt_at)
                    )),
                    ReceiptStatus::Failed => Some(format!(
                        "It could not be delivered: {}",
                        m.reason.as_deref().unwrap_or("no reason given")
                    )),
                    _ => None,
                },
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
        }
    }
}
